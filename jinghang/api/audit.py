"""Writing to and reading the audit trail from the API (over ``jinghang.store.audit``).

``record`` appends one entry in its own transaction and publishes it on the bus topic
``"audit"``; ``record_request`` is what the audit middleware writes for every state-changing
request; ``verify`` walks the hash chain and reports the first edited, deleted or moved row.
"""

from __future__ import annotations

from typing import Any

from jinghang.api.services import Services
from jinghang.store.audit import AuditPublic, ChainReport, append_audit, list_audit, verify_chain


def record(
    services: Services,
    *,
    actor: str,
    action: str,
    target_type: str = "",
    target_id: str | int = "",
    details: dict[str, Any] | None = None,
) -> AuditPublic:
    with services.store.session() as session:
        entry = append_audit(
            session,
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=details,
        )
        session.commit()
    services.bus.publish("audit", entry.model_dump(mode="json"))
    return entry


def record_request(
    services: Services, *, actor: str, method: str, path: str, status: int, note: dict[str, Any]
) -> AuditPublic:
    details = {"method": method, "path": path, "status": status}
    details.update(note.get("details") or {})
    action = note.get("action") or f"{method} {path}"
    if status >= 400:
        action = f"{action}.refused" if note.get("action") else action
    return record(
        services,
        actor=actor,
        action=str(action)[:64],
        target_type=str(note.get("target_type", "")),
        target_id=str(note.get("target_id", "")),
        details=details,
    )


def entries(services: Services, **filters: Any) -> list[AuditPublic]:
    with services.store.read_session() as session:
        return list_audit(session, **filters)


def verify(services: Services) -> ChainReport:
    with services.store.read_session() as session:
        return verify_chain(session)
