"""Every state-changing request goes into the audit trail with the user who made it.

A pure ASGI middleware: for each POST, PUT, PATCH or DELETE under ``/api`` it lets the request
run, then appends one audit entry (actor, method and path, the status answered, and whatever
the route put in ``request.state.audit``: the action's name, its target and details). Refused
requests (401, 403, 4xx problems) are recorded too: an attempt is part of the record.
Previews that change nothing (a plan, a drone proposal) and signing in are left out.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: POSTs that change nothing: signing in (recorded by the auth route itself, without the
#: password) and previews (a plan, a drone proposal), which the console sends as the operator
#: draws.
NOT_AUDITED = re.compile(
    r"^/api/(auth/token|incidents/proposal|missions/plan|templates/[^/]+/plan)$"
)


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if (
            scope["type"] != "http"
            or scope.get("method") not in STATE_CHANGING
            or not path.startswith("/api/")
            or NOT_AUDITED.match(path)
        ):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            self._record(scope, state, status)

    def _record(self, scope: Scope, state: dict[str, Any], status: int) -> None:
        from jinghang.api.audit import record_request

        app = scope.get("app")
        services = getattr(getattr(app, "state", None), "services", None)
        if services is None:
            return
        note: dict[str, Any] = dict(state.get("audit") or {})
        try:
            record_request(
                services,
                actor=str(state.get("actor") or "anonymous"),
                method=str(scope.get("method")),
                path=str(scope.get("path")),
                status=status,
                note=note,
            )
        except Exception:  # the request is answered; a failed write must be loud, not fatal
            log.exception(
                "could not write the audit entry for %s %s", scope.get("method"), scope.get("path")
            )
