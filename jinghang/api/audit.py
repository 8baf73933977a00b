"""Writing to and reading the audit trail from the API (over ``jinghang.store.audit``).

``record`` appends one entry in its own transaction and publishes it on the bus topic
``"audit"``; ``record_request`` is what the audit middleware writes for every state-changing
request; ``verify`` walks the keyed hash chain (in batches) and reports the first edited,
deleted, moved or rewritten row; ``export_checkpoints`` signs a checkpoint of the head now and
returns every checkpoint in the export format. ``audit_key_of`` builds the store's audit key
from the settings.
"""

from __future__ import annotations

from typing import Any

from jinghang.api.services import Services
from jinghang.config import Settings
from jinghang.store.audit import AuditPublic, ChainReport, append_audit, list_audit, verify_chain
from jinghang.store.audit_checkpoints import checkpoint_head, export_document, list_checkpoints
from jinghang.store.audit_key import AuditKey, key_of


def audit_key_of(settings: Settings) -> AuditKey | None:
    """The audit key the settings give (None when they give none: the development key)."""
    secret = settings.audit_secret()
    if secret is None:
        return None
    return AuditKey(secret, checkpoint_interval_s=settings.audit_checkpoint_interval_s)


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
) -> None:
    """The request's audit row, through the store writer when the server has one (the
    request is answered already; the loop must not wait on the database for its record)."""
    details = {"method": method, "path": path, "status": status}
    details.update(note.get("details") or {})
    action = note.get("action") or f"{method} {path}"
    if status >= 400:
        action = f"{action}.refused" if note.get("action") else action
    row: dict[str, Any] = {"actor": actor, "action": str(action)[:64],
           "target_type": str(note.get("target_type", "")),
           "target_id": str(note.get("target_id", "")), "details": details}
    if services.writer is None:
        record(services, **row)
        return

    def published(entry: AuditPublic) -> None:
        services.bus.publish("audit", entry.model_dump(mode="json"))

    services.writer.post(lambda session: append_audit(session, **row),
                         what=f"audit {row['action']}", on_done=published)


def entries(services: Services, **filters: Any) -> list[AuditPublic]:
    with services.store.read_session() as session:
        return list_audit(session, **filters)


def verify(services: Services) -> ChainReport:
    with services.store.read_session() as session:
        return verify_chain(session)


def export_checkpoints(services: Services) -> dict[str, Any]:
    """Sign a checkpoint of the head as it is now; every checkpoint, in the export format."""
    with services.store.session() as session:
        key = key_of(session)
        checkpoint_head(session, key)
        checkpoints = list_checkpoints(session)
        session.commit()
    return export_document(key, checkpoints)
