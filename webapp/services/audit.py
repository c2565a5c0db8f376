"""Writing the audit log; every service that changes something records it here."""
from webapp.extensions import db
from webapp.models import AuditEntry, User


def record(
    action: str,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    tenant_id: int | None = None,
    target=None,
    ip: str | None = None,
    **detail,
) -> AuditEntry:
    """Add an audit entry to the session (committed with the change it describes)."""
    entry = AuditEntry(
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label or (actor.email if actor is not None else "system"),
        tenant_id=tenant_id,
        target_type=target.__tablename__ if target is not None else None,
        target_id=target.id if target is not None else None,
        detail=detail or None,
        ip=ip,
    )
    db.session.add(entry)
    return entry
