"""Alerts in the store: raised once per cause (``key``) and counted while open, acknowledged
by a named user for everyone, kept as history.

An alert is *open* until someone acknowledges it; the same cause raised again while it is
open adds to its ``count`` and moves ``last_seen_at``; raised again after acknowledgement it
opens a new alert (the condition came back).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator
from sqlmodel import Session, col, select

from jinghang.store.errors import NotFound
from jinghang.store.models import Alert, utc_now

AlertState = Literal["open", "all"]


class AlertPublic(BaseModel):
    """An alert as the API and the console see it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    code: str
    severity: str
    params: dict[str, Any]
    message: str
    drone_id: int | None
    case_id: int | None
    count: int
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None

    @field_validator("params", mode="before")
    @classmethod
    def _params(cls, value: Any) -> dict[str, Any]:
        return dict(value or {})

    @field_validator("first_seen_at", "last_seen_at", "acknowledged_at", mode="after")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:  # SQLite keeps no zone: it was UTC
            return value.replace(tzinfo=dt.UTC)
        return value

    @property
    def open(self) -> bool:
        return self.acknowledged_by is None


def raise_alert(
    session: Session,
    *,
    key: str,
    code: str,
    severity: str,
    params: dict[str, Any],
    message: str,
    drone_id: int | None = None,
    case_id: int | None = None,
) -> tuple[AlertPublic, bool]:
    """Open an alert for ``key`` or count one more of the open one; returns it and whether
    it is new."""
    now = utc_now()
    row = session.exec(
        select(Alert)
        .where(Alert.key == key, col(Alert.acknowledged_by).is_(None))
        .order_by(col(Alert.id).desc())
        .limit(1)
    ).first()
    created = row is None
    if row is None:
        row = Alert(key=key[:255], code=code, severity=severity, params=params,
                    message=message, drone_id=drone_id, case_id=case_id,
                    count=1, first_seen_at=now, last_seen_at=now)
    else:
        row.count += 1
        row.last_seen_at = now
        row.params = params
        row.message = message
        row.severity = severity
    session.add(row)
    session.flush()
    return AlertPublic.model_validate(row), created


def get_alert(session: Session, alert_id: int) -> AlertPublic:
    row = session.get(Alert, alert_id)
    if row is None:
        raise NotFound(f"no alert {alert_id}", field="alert_id", value=alert_id)
    return AlertPublic.model_validate(row)


def acknowledge_alert(session: Session, alert_id: int, *, username: str) -> AlertPublic:
    """Mark the alert acknowledged by ``username`` (a second acknowledgement keeps the
    first one's name and time)."""
    row = session.get(Alert, alert_id)
    if row is None:
        raise NotFound(f"no alert {alert_id}", field="alert_id", value=alert_id)
    if row.acknowledged_by is None:
        row.acknowledged_by = username
        row.acknowledged_at = utc_now()
        session.add(row)
        session.flush()
    return AlertPublic.model_validate(row)


def list_alerts(
    session: Session, *, state: AlertState = "open", limit: int = 200
) -> list[AlertPublic]:
    """Alerts, the most recently seen first: the open ones, or all of them (history)."""
    query = select(Alert).order_by(col(Alert.last_seen_at).desc(), col(Alert.id).desc())
    if state == "open":
        query = query.where(col(Alert.acknowledged_by).is_(None))
    return [AlertPublic.model_validate(r) for r in session.exec(query.limit(limit)).all()]
