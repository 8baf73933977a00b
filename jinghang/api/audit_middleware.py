"""Every state-changing request goes into the audit trail with the user who made it.

A pure ASGI middleware: for each POST, PUT, PATCH or DELETE under ``/api`` it lets the request
run, then appends one audit entry (actor, method and path, the status answered, and whatever
the route put in ``request.state.audit``: the action's name, its target and details). Refused
requests (401, 403, 4xx problems) are recorded too: an attempt is part of the record; those
refused with no signed-in user go in one row per burst from an address (see
:mod:`jinghang.api.audit_bursts`), so that a flood of anonymous requests cannot flood the
trail. Previews that change nothing (a plan, a drone proposal) and signing in are left out.
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
        from jinghang.api.audit_bursts import AuditRow, bursts_of

        note: dict[str, Any] = dict(state.get("audit") or {})
        actor = state.get("actor")
        method, path = str(scope.get("method")), str(scope.get("path"))
        try:
            bursts = bursts_of(app)
            bursts.sweep()
            if actor is None and status >= 400:
                client = scope.get("client")
                address = str(client[0]) if client else "unknown"
                bursts.note(
                    ("anonymous", address, str(status)),
                    AuditRow(
                        "anonymous",
                        f"{method} {path}"[:64],
                        details={"method": method, "path": path, "status": status,
                                 "address": address},
                    ),
                )
                return
            record_request(
                services,
                actor=str(actor or "anonymous"),
                method=method,
                path=path,
                status=status,
                note=note,
            )
        except Exception:  # the request is answered; a failed write must be loud, not fatal
            log.exception(
                "could not write the audit entry for %s %s", scope.get("method"), scope.get("path")
            )
