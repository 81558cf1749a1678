"""Whose rows the database shows: the scope each transaction tells PostgreSQL, for row-level security.

Every tenant-owned table has a policy (saas/core/rls.py) that shows and accepts only the rows of the
transaction's tenant, `app.tenant_id`, unless the transaction runs in the platform scope (`app.scope`); a
person also sees their own memberships (`app.user_id`) in any scope, for the top bar's list of organisations.
The scope lives on the app context (`g`), and every transaction that begins sets it with
`set_config(…, true)`, so it lasts only that transaction: a pooled connection keeps nothing for the next
request. A change of scope while a transaction is open applies at once, to the rest of that transaction.

Who sets what:
- a request sees nothing until it knows whose it is: the user loader adds the signed-in person
  (`enter_user`), the tenant URL's resolution the tenant (`enter_tenant`, saas/core/tenancy.py), the API
  token's the token's tenant; the platform console, sign-in and invitations (before any tenant is known),
  and the sandbox payment gateway (a stand-in for the provider) enter the platform scope;
- a job (`@task`, saas/jobs.py) runs in the platform scope, and narrows to one tenant for each tenant or
  chunk it works on (`with dbscope.tenant(tenant_id):`);
- code outside any request (the CLI, `flask shell`, scripts, the test suite's own set-up and checks) is
  the operator's: it runs in the platform scope unless it says otherwise.

On SQLite nothing is sent: the application's own scoping (`get_or_404`, `scoped_select`) is the only one.
"""

import contextlib
from dataclasses import dataclass, replace

from flask import g, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class Scope:
    """What a transaction may see: one tenant's rows, a person's own memberships, or (platform) everything."""

    tenant_id: int | None = None
    user_id: int | None = None
    platform: bool = False

    def settings(self) -> dict:
        """The values of app.tenant_id, app.user_id and app.scope ('' for none)."""
        return {
            "tenant_id": "" if self.tenant_id is None else str(int(self.tenant_id)),
            "user_id": "" if self.user_id is None else str(int(self.user_id)),
            "scope": "platform" if self.platform else "",
        }


NOBODY = Scope()
PLATFORM = Scope(platform=True)

SET_SCOPE = (
    "SELECT set_config('app.tenant_id', %(tenant_id)s, true), set_config('app.user_id', %(user_id)s, true), "
    "set_config('app.scope', %(scope)s, true)"
)


def current() -> Scope:
    """This app context's scope: set explicitly, else nothing inside a request and the platform outside one."""
    if not has_app_context():
        return PLATFORM
    scope = g.get("_db_scope")
    if scope is None:
        return NOBODY if has_request_context() else PLATFORM
    return scope


def set_scope(scope: Scope) -> None:
    """Make `scope` this app context's, for the open transaction (if any) and every one after it."""
    g._db_scope = scope
    _apply_now(scope)


def enter_tenant(tenant_id: int) -> None:
    """From here on, this request works inside one tenant (the person stays known)."""
    set_scope(Scope(tenant_id=tenant_id, user_id=current().user_id))


def enter_user(user_id: int | None) -> None:
    """The signed-in person: their own memberships are visible whatever the tenant."""
    set_scope(replace(current(), user_id=user_id))


def enter_platform() -> None:
    """From here on, this request or job sees every tenant's rows (operator screens, sign-in, jobs)."""
    set_scope(replace(current(), platform=True))


@contextlib.contextmanager
def scoped(scope: Scope):
    """Run the block in `scope`, then go back to the scope before it."""
    had = g.get("_db_scope") if has_app_context() else None
    set_scope(scope)
    try:
        yield
    finally:
        if had is None:
            g.pop("_db_scope", None)
        else:
            g._db_scope = had
        _apply_now(current())


def tenant(tenant_id: int):
    """`with dbscope.tenant(id):` the block sees one tenant's rows only (a job's chunk, a tenant of a loop)."""
    return scoped(Scope(tenant_id=tenant_id, user_id=current().user_id))


def platform():
    """`with dbscope.platform():` the block sees every tenant's rows (a lookup before the tenant is known)."""
    return scoped(replace(current(), platform=True))


def _apply_now(scope: Scope) -> None:
    """Tell the open transaction of this context's session, if it has one on PostgreSQL, about the new scope."""
    if not has_app_context():
        return
    from saas.extensions import db

    session = db.session()
    if not session.in_transaction() or session.get_bind().dialect.name != "postgresql":
        return  # the next transaction sets it when it begins
    transaction = session.get_transaction()
    if transaction is None or not transaction.is_active:
        return  # failed: it can only be rolled back, and the next one begins with the scope
    from psycopg.pq import TransactionStatus

    connection = session.connection()
    if connection.connection.dbapi_connection.info.transaction_status == TransactionStatus.INERROR:
        return  # a statement failed: nothing more runs in this transaction, and the next one sets the scope
    connection.exec_driver_sql(SET_SCOPE, scope.settings())


def install(engine: Engine) -> None:
    """On PostgreSQL, begin every transaction by setting the scope it runs in."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql(SET_SCOPE, current().settings())
