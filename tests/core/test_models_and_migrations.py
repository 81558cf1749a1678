"""The migrations build exactly the models' schema; the audit log is append-only."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from saas.core.audit import record
from saas.core.models import AppendOnlyError, AuditEvent
from saas.extensions import db as _db


def test_migrations_match_the_models(db):
    """`flask db upgrade heads` (run by the app fixture) leaves nothing for autogenerate to add."""
    with _db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, _db.metadata)
    assert diff == []


def test_audit_events_cannot_be_changed_or_deleted(db, world):
    record("auth.login", tenant_id=world.tenant("alpha").id, actor=world.person("alpha", "vendor_admin"))
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login"))
    event.action = "auth.logout"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AppendOnlyError):
        db.session.commit()
