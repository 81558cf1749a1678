"""§7.1 in depth: on PostgreSQL the database itself keeps tenants apart (row-level security).

The app connects as a role that owns no table and cannot bypass the policies, so a query that forgets its
tenant filter still gets only the current tenant's rows; SQLite keeps the application's scoping alone.
"""

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import ProgrammingError

from saas.core import dbscope, tenancy
from saas.core.models import AuditEvent, Client, Membership
from saas.core.rls import OWN_ROWS_POLICY, PLATFORM_TABLES, POLICY
from saas.testing.fixtures import test_database_kind, valid_uscc

postgresql_only = pytest.mark.skipif(test_database_kind() != "postgresql", reason="row-level security is PostgreSQL's")


def test_every_table_is_a_tenants_or_declared_platform_wide(db):
    """A new table has a tenant_id (and its migration protects it) or is named in PLATFORM_TABLES."""
    for name in inspect(db.engine).get_table_names():
        columns = {c["name"] for c in inspect(db.engine).get_columns(name)}
        assert ("tenant_id" in columns) != (name in PLATFORM_TABLES), name


@postgresql_only
def test_every_tenant_table_has_row_level_security_forced_with_the_tenant_policy(db):
    rows = db.session.execute(
        text("""
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
               array(SELECT polname::text FROM pg_policy WHERE polrelid = c.oid ORDER BY polname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind = 'r'""")
    ).all()
    assert len(rows) > 50
    for name, enabled, forced, policies in rows:
        if name in PLATFORM_TABLES:
            assert (enabled, policies) == (False, []), name
        else:
            expected = [POLICY, OWN_ROWS_POLICY] if name == "membership" else [POLICY]
            assert (enabled, forced, sorted(policies)) == (True, True, sorted(expected)), name


@postgresql_only
def test_the_app_connects_as_a_role_the_policies_apply_to(db):
    """RLS is on in this run: not a superuser, no BYPASSRLS, and the owner of no table."""
    role, superuser, bypass = db.session.execute(
        text("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    ).one()
    assert (superuser, bypass) == (False, False)
    owned = db.session.scalar(
        text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tableowner = current_user")
    )
    assert owned == 0, f"{role} owns tables"


@postgresql_only
def test_a_query_without_its_tenant_filter_gets_only_the_current_tenants_rows(db, world):
    alpha, beta = world.tenant("alpha"), world.tenant("beta")
    unfiltered = select(Client.legal_name).order_by(Client.id)
    with dbscope.tenant(alpha.id):
        assert db.session.scalars(unfiltered).all() == [c.legal_name for c in world.clients("alpha")]
        db.session.commit()  # the scope is set again for every transaction
        assert db.session.scalars(unfiltered).all() == [c.legal_name for c in world.clients("alpha")]
        with dbscope.tenant(beta.id):  # changed inside an open transaction: at once
            assert db.session.scalars(unfiltered).all() == [c.legal_name for c in world.clients("beta")]
        assert len(db.session.scalars(unfiltered).all()) == 2
    with dbscope.scoped(dbscope.NOBODY):
        assert db.session.scalars(unfiltered).all() == []
    assert len(db.session.scalars(unfiltered).all()) == 4  # the test itself runs in the platform scope


@postgresql_only
def test_a_tenant_cannot_write_another_tenants_rows(db, world):
    alpha, beta, beta_client = world.tenant("alpha").id, world.tenant("beta").id, world.clients("beta")[0].id
    with dbscope.tenant(alpha):
        db.session.add(Client(tenant_id=beta, legal_name="Planted", uscc=valid_uscc(999)))
        with pytest.raises(ProgrammingError, match="row-level security"):
            db.session.flush()
        db.session.rollback()
        changed = db.session.execute(text("UPDATE client SET notes = 'x' WHERE id = :id"), {"id": beta_client})
        assert changed.rowcount == 0
        # Platform-wide rows (an audit event of no tenant) are the platform's only.
        db.session.add(AuditEvent(tenant_id=None, action="test.planted"))
        with pytest.raises(ProgrammingError, match="row-level security"):
            db.session.flush()
        db.session.rollback()


@postgresql_only
def test_a_person_sees_their_own_memberships_in_any_tenants_scope(db, world, make_user):
    alpha, beta = world.tenant("alpha"), world.tenant("beta")
    consultant = make_user(alpha, "vendor_engineer", email="consultant@example.com")
    from saas.core.people import add_membership

    add_membership(beta, consultant, "vendor_engineer", None)
    db.session.commit()
    memberships = select(Membership.tenant_id, Membership.user_id)
    with dbscope.scoped(dbscope.Scope(tenant_id=alpha.id, user_id=consultant.id)):
        rows = db.session.execute(memberships).all()
    assert {t for t, u in rows if u == consultant.id} == {alpha.id, beta.id}
    assert {t for t, u in rows if u != consultant.id} == {alpha.id}  # beta's other people stay hidden


@postgresql_only
def test_the_scope_ends_with_its_transaction(db, world):
    """set_config(…, true): a pooled connection carries nothing into the next transaction of anyone else."""
    alpha = world.tenant("alpha").id
    with db.engine.connect() as conn, dbscope.tenant(alpha):
        with conn.begin():
            assert conn.scalar(text("SELECT current_setting('app.tenant_id')")) == str(alpha)
        # The same connection, past SQLAlchemy (whose next transaction would set a scope of its own):
        raw = conn.connection.dbapi_connection
        assert raw.execute("SELECT current_setting('app.tenant_id', true)").fetchone()[0] in ("", None)
        raw.rollback()


@postgresql_only
def test_a_route_whose_lookup_lost_its_tenant_filter_still_answers_404(client, world, monkeypatch):
    """get_or_404 with its tenant filter removed: the database still refuses beta's client to alpha."""
    monkeypatch.setattr(tenancy, "scoped_select", lambda model, tenant, client_id=None: select(model))
    client.sign_in(world.person("alpha", "vendor_admin").email)
    own, other = world.clients("alpha")[0], world.clients("beta")[0]
    assert client.get(f"/t/alpha/clients/{own.id}").status_code == 200
    answer = client.get(f"/t/alpha/clients/{other.id}")
    assert answer.status_code == 404
    assert "Marker-beta" not in answer.get_data(as_text=True)
