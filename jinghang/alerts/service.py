"""The alert service: raises alerts into the store (one per cause, counted), announces each
raise and acknowledgement on the bus's ``alert`` topic (the WebSocket carries it to every
console), and runs the :class:`~jinghang.alerts.rules.Rules` over the bus.

Every ``alert`` event it publishes is the stored alert (``id``, ``code``, ``params``,
``severity``, ``count``, ``acknowledged_by`` ...) plus ``"new"``: whether the raise opened it.
With a store writer (:mod:`jinghang.store.writer`), the alerts the rules find in the bus's
events (telemetry among them) are written through it, so the loop never waits on the
database for them, and announced once stored.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlmodel import Session

from jinghang.alerts.codes import english
from jinghang.alerts.rules import Raised, Rules, raised
from jinghang.events import EventBus
from jinghang.store import Store, list_vehicles
from jinghang.store.alerts import AlertPublic, AlertState, acknowledge_alert, list_alerts
from jinghang.store.alerts import raise_alert as store_raise
from jinghang.store.writer import StoreWriter

log = logging.getLogger(__name__)


class AlertService:
    """Stores, announces and acknowledges alerts; ``run()`` turns bus events into alerts."""

    def __init__(self, store: Store, bus: EventBus, rules: Rules | None = None,
                 writer: StoreWriter | None = None) -> None:
        self.store = store
        self.bus = bus
        self.rules = rules or Rules()
        self.writer = writer
        self.started = asyncio.Event()
        self._names: dict[int, str] = {}

    def _drone_name(self, drone_id: int) -> str:
        name = self._names.get(drone_id)
        if name is None:
            with self.store.read_session() as s:
                self._names = {v.drone_id: v.name for v in list_vehicles(s)}
            name = self._names.get(drone_id, f"#{drone_id}")
        return name

    def _params(self, alert: Raised) -> dict[str, Any]:
        params = dict(alert.params)
        if alert.drone_id is not None and str(params.get("drone", "#")).startswith("#"):
            params["drone"] = self._drone_name(alert.drone_id)
        return params

    @staticmethod
    def _store(session: Session, alert: Raised, params: dict[str, Any]
               ) -> tuple[AlertPublic, bool]:
        return store_raise(
            session, key=alert.key, code=alert.code, severity=alert.severity.value,
            params=params, message=english(alert.code, params),
            drone_id=alert.drone_id, case_id=alert.case_id)

    def _stored(self, result: tuple[AlertPublic, bool]) -> None:
        stored, new = result
        self._announce(stored, new=new)
        if new:
            log.warning("alert %s: %s", stored.code, stored.message)

    def raise_alert(self, alert: Raised) -> AlertPublic:
        """Store ``alert`` (a new one, or one more of its open cause) and announce it."""
        params = self._params(alert)
        with self.store.transaction() as s:
            result = self._store(s, alert, params)
        self._stored(result)
        return result[0]

    def post_alert(self, alert: Raised) -> None:
        """:meth:`raise_alert` through the store writer (when there is one): announced once
        stored, without waiting for it."""
        if self.writer is None:
            self.raise_alert(alert)
            return

        params = self._params(alert)

        def job(session: Session) -> tuple[AlertPublic, bool]:
            return self._store(session, alert, params)

        self.writer.post(job, what=f"alert {alert.code}", on_done=self._stored)

    def raise_code(self, code: str, params: dict[str, Any], *,
                   drone_id: int | None = None, case_id: int | None = None
                   ) -> AlertPublic:
        """Raise ``code`` (one of :data:`~jinghang.alerts.codes.CODES`) with ``params``."""
        return self.raise_alert(raised(code, params, drone_id=drone_id,
                                       case_id=case_id))

    def acknowledge(self, alert_id: int, *, username: str) -> AlertPublic:
        """Acknowledge for everyone (the API puts it in the audit trail); the first
        acknowledgement stands."""
        with self.store.transaction() as s:
            alert = acknowledge_alert(s, alert_id, username=username)
        self._announce(alert, new=False)
        return alert

    def list(self, state: AlertState = "open", limit: int = 200) -> list[AlertPublic]:
        with self.store.read_session() as s:
            return list_alerts(s, state=state, limit=limit)

    def _announce(self, alert: AlertPublic, *, new: bool) -> None:
        self.bus.publish("alert", {**alert.model_dump(mode="json"), "new": new})

    async def run(self) -> None:
        """Raise the alerts the rules find in every bus event, for the life of the server."""
        async with self.bus.subscribe() as events:
            self.started.set()
            while True:
                event = await events.get()
                for alert in self.rules.evaluate(event):
                    try:
                        self.post_alert(alert)
                    except Exception:  # one bad alert must not stop the next ones
                        log.exception("could not raise alert %s", alert.key)
