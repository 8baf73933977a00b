"""Repeated refused attempts reach the audit trail as one row per burst, not one per attempt.

A burst is a run of attempts with one key (what was refused, and who or where it came from)
with no gap longer than :data:`GAP_S`. The first attempt of a burst is written at once, as it
would be alone (``details.attempts == 1``); the rest are counted, and when the burst ends
(:data:`GAP_S` of quiet) or has run for :data:`MAX_AGE_S`, one summary row, that of the last
attempt, stands for them (``details.attempts``: how many, ``first_at`` and ``last_at``:
when). Adding ``attempts`` over the rows gives every attempt made.

Used for wrong passwords, sign-ins refused during a lockout, and requests refused for having
no valid token (the audit middleware). Ended bursts are written by :meth:`AuditBursts.sweep`,
which the sign-in route and the audit middleware call on their requests (it does nothing more
often than every :data:`SWEEP_EVERY_S`); the counts of bursts still open when the server stops
are lost (their first row is in the trail).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jinghang.store.models import utc_now

GAP_S = 60.0
MAX_AGE_S = 900.0
SWEEP_EVERY_S = 5.0
#: Most bursts followed at once; past it the oldest are closed (their summary written).
MAX_OPEN = 10_000


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One audit entry to write."""

    actor: str
    action: str
    target_type: str = ""
    target_id: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Burst:
    last: AuditRow
    started_s: float
    last_s: float
    more: int = 0
    first_more_at: str = ""
    last_more_at: str = ""


class AuditBursts:
    """Open bursts by key; ``write`` appends a row to the trail."""

    def __init__(
        self,
        write: Callable[[AuditRow], Any],
        *,
        gap_s: float = GAP_S,
        max_age_s: float = MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self.gap_s = gap_s
        self.max_age_s = max_age_s
        self._clock = clock
        self._open: dict[tuple[str, ...], _Burst] = {}
        self._swept_s = clock()

    def note(self, key: tuple[str, ...], row: AuditRow) -> None:
        """One attempt: written now if it starts a burst, counted otherwise."""
        now_s = self._clock()
        self.sweep()
        burst = self._open.get(key)
        if burst is not None and self._ended(burst, now_s):
            self._close(key)
            burst = None
        if burst is None:
            if len(self._open) >= MAX_OPEN:
                for old in sorted(self._open, key=lambda k: self._open[k].last_s)[: MAX_OPEN // 10]:
                    self._close(old)
            self._open[key] = _Burst(last=row, started_s=now_s, last_s=now_s)
            self._write(AuditRow(**{**_fields(row), "details": {**row.details, "attempts": 1}}))
            return
        wall = utc_now().isoformat()
        burst.last = row
        burst.more += 1
        burst.last_s = now_s
        burst.first_more_at = burst.first_more_at or wall
        burst.last_more_at = wall

    def sweep(self) -> None:
        """Write the summaries of bursts that have ended (at most every SWEEP_EVERY_S)."""
        now_s = self._clock()
        if now_s - self._swept_s < SWEEP_EVERY_S:
            return
        self._swept_s = now_s
        for key in [k for k, b in self._open.items() if self._ended(b, now_s)]:
            self._close(key)

    def close_all(self) -> None:
        for key in list(self._open):
            self._close(key)

    @property
    def open_count(self) -> int:
        return len(self._open)

    def _ended(self, burst: _Burst, now_s: float) -> bool:
        return now_s - burst.last_s > self.gap_s or now_s - burst.started_s > self.max_age_s

    def _close(self, key: tuple[str, ...]) -> None:
        burst = self._open.pop(key)
        if burst.more == 0:
            return
        details = {
            **burst.last.details,
            "attempts": burst.more,
            "first_at": burst.first_more_at,
            "last_at": burst.last_more_at,
        }
        self._write(AuditRow(**{**_fields(burst.last), "details": details}))


def _fields(row: AuditRow) -> dict[str, Any]:
    return {
        "actor": row.actor,
        "action": row.action,
        "target_type": row.target_type,
        "target_id": row.target_id,
    }


def bursts_of(app: Any) -> AuditBursts:
    """The app's bursts (made on first use), writing through :func:`jinghang.api.audit.record`."""
    state = app.state
    bursts: AuditBursts | None = getattr(state, "audit_bursts", None)
    if bursts is None:
        from jinghang.api import audit

        services = state.services

        def write(row: AuditRow) -> None:
            audit.record(
                services,
                actor=row.actor,
                action=row.action,
                target_type=row.target_type,
                target_id=row.target_id,
                details=row.details,
            )

        bursts = AuditBursts(write)
        state.audit_bursts = bursts
    return bursts
