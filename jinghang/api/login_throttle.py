"""Sign-in throttling: too many wrong passwords lock the account, the address, or the pair out
for a while, and every attempt during the lockout is refused without checking the password.

Three counters, each a sliding window of failed sign-ins (:data:`LIMITS`):

- ``account_address``: one user name from one address. 5 failures in 15 min lock that
  address out of that account for 15 min. This is the limit a person mistyping meets, and
  the one a single guesser meets first.
- ``account``: one user name from any address. 20 failures in 15 min lock the account for
  15 min, except from addresses the user signed in from successfully in the last 12 h (the
  token lifetime): a guesser spread over many addresses is held to 20 guesses per 15 min, and
  cannot lock a commander out of the workstation they use.
- ``address``: one address, any user names. 50 failures in 15 min lock the address out for
  15 min (password spraying; it also bounds the argon2 work one address can cause).

A success clears the pair's counter (not the account's or the address's: a guesser must not
reset them by signing in to an account of their own). Attempts still being checked count
against the limits too (:meth:`LoginThrottle.begin` reserves one, :meth:`~LoginThrottle.failed`,
:meth:`~LoginThrottle.succeeded` or :meth:`~LoginThrottle.cancel` gives it back), so a burst
of parallel guesses cannot slip past a limit while argon2 runs: the ones over the limit are
refused for :data:`BUSY_RETRY_S`. State is in memory, per server process, and bounded
(:data:`MAX_KEYS` per counter): a restart forgets it.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["LIMITS", "Limit", "Lockout", "LoginThrottle"]

#: Longest user name kept as a key (longer ones are cut: they name no user anyway).
MAX_KEY_CHARS = 128
#: Most keys each counter remembers; past it the oldest quiet ones are forgotten.
MAX_KEYS = 50_000
#: How long a successful sign-in from an address exempts it from the account-wide lock.
TRUSTED_FOR_S = 12 * 3600.0
#: Retry-After for an attempt refused because others still being checked fill the limit.
BUSY_RETRY_S = 1.0


@dataclass(frozen=True, slots=True)
class Limit:
    """``max_failures`` failed sign-ins within ``window_s`` lock out for ``lockout_s``."""

    scope: str
    max_failures: int
    window_s: float
    lockout_s: float

    def describe(self) -> str:
        who = {
            "account_address": "for this user from this address",
            "account": "for this user",
            "address": "from this address",
        }[self.scope]
        return (
            f"{self.max_failures} failed sign-ins within {self.window_s / 60:g} min {who} "
            f"lock it out for {self.lockout_s / 60:g} min"
        )


LIMITS: tuple[Limit, ...] = (
    Limit("account_address", max_failures=5, window_s=900.0, lockout_s=900.0),
    Limit("account", max_failures=20, window_s=900.0, lockout_s=900.0),
    Limit("address", max_failures=50, window_s=900.0, lockout_s=900.0),
)


@dataclass(frozen=True, slots=True)
class Lockout:
    """Sign-in is refused under ``limit`` for ``retry_after_s`` more seconds."""

    limit: Limit
    retry_after_s: float

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after_s)))


@dataclass
class _Counter:
    failures_s: deque[float]
    locked_until_s: float = 0.0


@dataclass
class _Window:
    """One limit's counters by key."""

    limit: Limit
    counters: dict[str, _Counter] = field(default_factory=dict)
    #: Attempts being checked now, by key.
    pending: dict[str, int] = field(default_factory=dict)

    def locked(self, key: str, now_s: float) -> Lockout | None:
        """The lockout on ``key``, or a short refusal when the failures within the window and
        the attempts being checked already reach the limit."""
        counter = self.counters.get(key)
        if counter is not None and counter.locked_until_s > now_s:
            return Lockout(self.limit, counter.locked_until_s - now_s)
        pending = self.pending.get(key, 0)
        if pending == 0:
            return None
        horizon_s = now_s - self.limit.window_s
        recent = sum(1 for t in counter.failures_s if t >= horizon_s) if counter else 0
        if recent + pending >= self.limit.max_failures:
            return Lockout(self.limit, BUSY_RETRY_S)
        return None

    def reserve(self, key: str) -> None:
        self.pending[key] = self.pending.get(key, 0) + 1

    def release(self, key: str) -> None:
        left = self.pending.get(key, 0) - 1
        if left > 0:
            self.pending[key] = left
        else:
            self.pending.pop(key, None)

    def fail(self, key: str, now_s: float) -> Lockout | None:
        """Count a failure; the lockout if this one starts it."""
        counter = self.counters.get(key)
        if counter is None:
            if len(self.counters) >= MAX_KEYS:
                self._forget(now_s)
            counter = _Counter(deque(maxlen=self.limit.max_failures))
            self.counters[key] = counter
        counter.failures_s.append(now_s)
        full = len(counter.failures_s) == self.limit.max_failures
        if full and now_s - counter.failures_s[0] <= self.limit.window_s:
            counter.failures_s.clear()
            counter.locked_until_s = now_s + self.limit.lockout_s
            return Lockout(self.limit, self.limit.lockout_s)
        return None

    def clear(self, key: str) -> None:
        counter = self.counters.get(key)
        if counter is not None:
            counter.failures_s.clear()

    def _forget(self, now_s: float) -> None:
        """Drop counters that neither lock nor hold a failure within the window; if that is
        not enough, the half that failed longest ago."""
        horizon_s = now_s - self.limit.window_s
        for key in [
            k
            for k, c in self.counters.items()
            if c.locked_until_s <= now_s and (not c.failures_s or c.failures_s[-1] < horizon_s)
        ]:
            del self.counters[key]
        if len(self.counters) >= MAX_KEYS:
            by_age = sorted(
                self.counters,
                key=lambda k: self.counters[k].failures_s[-1] if self.counters[k].failures_s else 0,
            )
            for key in by_age[: len(by_age) // 2]:
                del self.counters[key]


class LoginThrottle:
    """The sign-in counters of one server; ``clock`` is monotonic seconds."""

    def __init__(
        self, limits: tuple[Limit, ...] = LIMITS, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._windows = {limit.scope: _Window(limit) for limit in limits}
        if set(self._windows) != {"account_address", "account", "address"}:
            raise ValueError("the limits must be one per scope: account_address, account, address")
        #: account -> address -> when the account last signed in from it.
        self._trusted: dict[str, dict[str, float]] = {}

    def _keys(self, account: str, address: str) -> dict[str, str]:
        account = account[:MAX_KEY_CHARS]
        return {"account_address": f"{account}\n{address}", "account": account, "address": address}

    def _trusted_address(self, account: str, address: str, now_s: float) -> bool:
        seen_s = self._trusted.get(account[:MAX_KEY_CHARS], {}).get(address)
        return seen_s is not None and now_s - seen_s < TRUSTED_FOR_S

    def begin(self, account: str, address: str) -> Lockout | None:
        """Start an attempt: the lockout refusing it (the longest, nothing reserved), or None
        and a reservation that :meth:`failed`, :meth:`succeeded` or :meth:`cancel` ends."""
        lockout = self.check(account, address)
        if lockout is None:
            for scope, key in self._keys(account, address).items():
                self._windows[scope].reserve(key)
        return lockout

    def cancel(self, account: str, address: str) -> None:
        """End a reserved attempt that was neither right nor wrong (the check failed)."""
        for scope, key in self._keys(account, address).items():
            self._windows[scope].release(key)

    def check(self, account: str, address: str) -> Lockout | None:
        """The lockout refusing an attempt now, if any (the longest one)."""
        now_s = self._clock()
        found: list[Lockout] = []
        for scope, key in self._keys(account, address).items():
            window = self._windows[scope]
            if scope == "account" and self._trusted_address(account, address, now_s):
                continue
            lockout = window.locked(key, now_s)
            if lockout is not None:
                found.append(lockout)
        return max(found, key=lambda lock: lock.retry_after_s) if found else None

    def failed(self, account: str, address: str) -> list[Lockout]:
        """End a reserved attempt with a wrong password; the lockouts it starts (usually
        none)."""
        self.cancel(account, address)
        now_s = self._clock()
        started: list[Lockout] = []
        for scope, key in self._keys(account, address).items():
            lockout = self._windows[scope].fail(key, now_s)
            if lockout is not None:
                started.append(lockout)
        return started

    def succeeded(self, account: str, address: str) -> None:
        """End a reserved attempt with the right password: clear the pair's counter and trust
        the address for the account."""
        self.cancel(account, address)
        now_s = self._clock()
        keys = self._keys(account, address)
        self._windows["account_address"].clear(keys["account_address"])
        if len(self._trusted) >= MAX_KEYS:
            self._trusted.clear()
        addresses = self._trusted.setdefault(keys["account"], {})
        if len(addresses) >= 64:
            oldest = min(addresses, key=lambda a: addresses[a])
            del addresses[oldest]
        addresses[address] = now_s
