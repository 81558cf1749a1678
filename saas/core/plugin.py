"""The core registers its own screens, navigation, dashboard figures and jobs through the plugin hooks."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from saas.core.models import CLIENT_ROLES, VENDOR_ROLES, Client, Invitation, Membership, Role
from saas.core.plugins import DashboardCard, NavItem, PeriodicJob, hookimpl
from saas.extensions import db

ADMIN_ONLY = frozenset({Role.VENDOR_ADMIN})


@hookimpl
def saas_blueprints():
    from saas.core import operations
    from saas.core.views import auth, console, platform, portal, webhooks

    return [auth.bp, platform.bp, console.bp, portal.bp, operations.bp, webhooks.bp]


@hookimpl
def saas_migration_dirs():
    # The core's versions live in migrations/versions, the main Alembic directory.
    return []


@hookimpl
def saas_template_filters():
    from saas.core.templating import core_filters

    return core_filters()


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Dashboard"), "console.dashboard", VENDOR_ROLES, order=10),
        NavItem(_l("Clients"), "console.clients", VENDOR_ROLES, order=20),
        NavItem(_l("People"), "console.people", ADMIN_ONLY, order=80),
        NavItem(_l("Audit log"), "console.audit_log", ADMIN_ONLY, order=85),
        NavItem(_l("Outbox"), "console.outbox", ADMIN_ONLY, order=88),
        NavItem(_l("Webhooks"), "webhooks.index", ADMIN_ONLY, order=94),
        NavItem(_l("Plugins"), "console.plugins", ADMIN_ONLY, order=90),
        NavItem(_l("Organisation"), "console.organisation", ADMIN_ONLY, order=95),
        NavItem(_l("Our organisation"), "portal.home", CLIENT_ROLES, order=10),
        NavItem(_l("Our people"), "portal.people", CLIENT_ROLES, order=20),
        NavItem(_l("My access"), "console.third_party_home", frozenset({Role.THIRD_PARTY}), order=10),
    ]


@hookimpl
def saas_dashboard_cards(tenant, membership):
    clients = db.session.scalar(select(func.count(Client.id)).where(Client.tenant_id == tenant.id))
    people = db.session.scalar(select(func.count(Membership.id)).where(Membership.tenant_id == tenant.id))
    pending = db.session.scalar(
        select(func.count(Invitation.id)).where(
            Invitation.tenant_id == tenant.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None)
        )
    )
    return [
        DashboardCard(_l("Clients"), clients, "console.clients", order=10),
        DashboardCard(_l("People"), people, "console.people", ADMIN_ONLY, order=20),
        DashboardCard(_l("Open invitations"), pending, "console.people", ADMIN_ONLY, order=30),
    ]


@hookimpl
def saas_periodic_jobs():
    from saas.core.tasks import deliver_due_webhooks, forget_old_form_tokens, notify_expired_invitations

    return [
        PeriodicJob(notify_expired_invitations, cron="15 1 * * *", queue="mail"),
        PeriodicJob(forget_old_form_tokens, cron="40 19 * * *"),
        PeriodicJob(deliver_due_webhooks, cron="* * * * *", timeout=300),
    ]


@hookimpl(wrapper=True, specname="saas_demo_data")
def webhooks_demo(tenant, session):
    """Once every domain has played its demo: a webhook endpoint of the vendor's at an address where nothing
    listens, registered three hours ago and sent a test event, replayed, so its log shows failed attempts and retries.

    Registered after the domains' demos, which replay months of history: an endpoint failing all that time would
    have been switched off long before today. From now on it hears of every event the demo's visitors cause.
    """
    from datetime import timedelta

    from saas.core.clock import frozen_at, now
    from saas.core.events import EVENT_TYPES
    from saas.core.webhooks import UnsafeAddress, create_endpoint, deliver, due_deliveries, replay, send_test

    result = yield
    data = {
        "url": "http://127.0.0.1:9/hook",
        "description": "演示：客户的 ITSM（未运行，投递会失败） Demo: a client's ITSM (not running, deliveries fail)",
        "events": list(EVENT_TYPES),
    }
    with frozen_at(now() - timedelta(hours=3)) as clock:
        try:
            endpoint = create_endpoint(tenant, data, None)
        except UnsafeAddress:  # an instance that refuses private addresses (production) gets no demo endpoint
            return result
        ping = send_test(endpoint)
        session.commit()  # sent now (inline) or by a worker: nothing listens there, so it fails
        clock.advance(minutes=2)
        replay(ping, None)  # a replay is retried on the backoff schedule, as events are
        session.commit()
        for minutes in (1, 5, 30):
            clock.advance(minutes=minutes)
            deliver(due_deliveries(now()))
        clock.advance(hours=1)
        send_test(endpoint)
        session.commit()
    return result
