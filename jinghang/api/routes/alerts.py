"""Alerts as server state: the open ones (or the whole history), and acknowledging one for
everyone. Every raise and acknowledgement also goes out on the WebSocket's ``alert`` topic."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from jinghang.api.deps import Flyer, Reader, ServicesDep, note_audit
from jinghang.api.limits import RowId
from jinghang.errors import JinghangError
from jinghang.store.alerts import AlertPublic, AlertState

router = APIRouter(prefix="/alerts", tags=["alerts"])


class AlertsUnavailable(JinghangError):
    """The server runs without its alert service (it starts with the server)."""

    code = "alerts.unavailable"
    status_code = 503


def _service(services: Any) -> Any:
    if services.alerts is None:
        raise AlertsUnavailable("the alert service is not running", field="alerts")
    return services.alerts


@router.get("", response_model=list[AlertPublic], summary="Open alerts, or all of them")
async def list_alerts(
    services: ServicesDep,
    _: Reader,
    state: Annotated[AlertState, Query(description="open: not yet acknowledged; all: history")]
    = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AlertPublic]:
    return list(_service(services).list(state, limit))


@router.post("/{alert_id}/acknowledge", response_model=AlertPublic,
             summary="Acknowledge an alert for everyone")
async def acknowledge(
    request: Request, services: ServicesDep, who: Flyer, alert_id: RowId
) -> AlertPublic:
    note_audit(request, "alert.acknowledge", "alert", alert_id)
    alert: AlertPublic = _service(services).acknowledge(alert_id, username=who.username)
    return alert
