"""`flask --app wsgi saas ...`: demo data, tenants, users, plugins."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from saas.core.errors import ServiceError
from saas.core.models import Role, Tenant, User
from saas.extensions import db

saas_cli = AppGroup("saas", help="Aftercare administration.")


def _tenant(slug: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.ClickException(f"no tenant with short name {slug!r}")
    return tenant


@saas_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Only seed when the database has no tenants yet.")
def demo(if_empty):
    """Seed the demo vendors, clients and people (see the README for the sign-ins)."""
    from saas.demo import seed_demo

    if if_empty and db.session.scalar(select(Tenant.id).limit(1)) is not None:
        click.echo("database already has data; demo not seeded")
        return
    seed_demo()
    click.echo("demo data seeded")


@saas_cli.command("create-tenant")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--legal-name", required=True)
@click.option("--uscc", default=None, help="Unified social credit code (checked).")
@click.option("--timezone", default="Asia/Shanghai", show_default=True)
@click.option("--currency", default="CNY", show_default=True)
def create_tenant_cmd(slug, name, legal_name, uscc, timezone, currency):
    """Create a vendor tenant."""
    from stdnum.cn import uscc as uscc_check
    from stdnum.exceptions import ValidationError

    from saas.core.tenants import create_tenant

    if uscc:
        try:
            uscc = uscc_check.validate(uscc)
        except ValidationError as exc:
            raise click.ClickException(f"invalid unified social credit code: {exc}") from exc
    try:
        tenant = create_tenant(
            name=name, slug=slug, legal_name=legal_name, uscc=uscc, timezone=timezone, currency=currency
        )
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"tenant {tenant.slug} created (id {tenant.id})")


@saas_cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.password_option(help="At least 12 characters.")
@click.option("--platform-admin", is_flag=True)
@click.option("--tenant", "tenant_slug", default=None, help="Add to this tenant with --role.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=None)
@click.option("--client-id", type=int, default=None, help="For client roles: the client's id.")
def create_user_cmd(email, name, password, platform_admin, tenant_slug, role, client_id):
    """Create an account, optionally as a member of a tenant."""
    from saas.core.passwords import MIN_PASSWORD_LENGTH
    from saas.core.people import add_membership, create_user

    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if bool(tenant_slug) != bool(role):
        raise click.ClickException("--tenant and --role go together")
    try:
        user = create_user(email=email, name=name, password=password, platform_admin=platform_admin)
        if tenant_slug:
            add_membership(_tenant(tenant_slug), user, role, client_id)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"user {user.email} created (id {user.id})")


def _user(email: str) -> User:
    from saas.core.people import user_by_email

    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account with e-mail {email!r}")
    return user


@saas_cli.command("set-password")
@click.argument("email")
@click.password_option(help="At least 12 characters.")
def set_password_cmd(email, password):
    """Set (reset) an account's password; every sign-in of the account ends."""
    from saas.core.people import set_password

    user = _user(email)
    try:
        set_password(user, password)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"password of {user.email} set; its sessions are signed out")


@saas_cli.command("deactivate-user")
@click.argument("email")
@click.option("--reactivate", is_flag=True, help="Let the account sign in again instead.")
def deactivate_user_cmd(email, reactivate):
    """Deactivate an account (it cannot sign in, its sessions end), or --reactivate it."""
    from saas.core.people import set_active

    user = _user(email)
    set_active(user, reactivate)
    db.session.commit()
    click.echo(f"{user.email} {'reactivated' if reactivate else 'deactivated; its sessions are signed out'}")


@saas_cli.command("enable-plugin")
@click.argument("slug")
@click.argument("plugin")
@click.option("--disable", is_flag=True, help="Disable instead.")
def enable_plugin_cmd(slug, plugin, disable):
    """Enable (or --disable) a plugin for a tenant."""
    from saas.core.plugins import plugin_manager
    from saas.core.tenants import set_plugin_enabled

    try:
        set_plugin_enabled(_tenant(slug), plugin, not disable, plugin_manager().plugin_names())
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{plugin} {'disabled' if disable else 'enabled'} for {slug}")


@saas_cli.command("new-encryption-key")
def new_encryption_key_cmd():
    """Print a fresh key for ENCRYPTION_KEYS (put it first to rotate, then run rotate-secrets)."""
    from saas.core.secrets import new_key

    click.echo(new_key())


@saas_cli.command("rotate-secrets")
def rotate_secrets_cmd():
    """Seal every secret kept in the database again under the newest key of ENCRYPTION_KEYS."""
    from saas.core.secret_rotation import rotate_all
    from saas.core.secrets import SecretsError

    try:
        counts = rotate_all()
    except SecretsError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    for place, rows in counts.items():
        click.echo(f"{place}: {rows} sealed again")
    click.echo("Every secret is sealed under the first key of ENCRYPTION_KEYS; the others can now be removed.")


@saas_cli.command("users")
def list_users():
    """List accounts and their memberships."""
    for user in db.session.scalars(select(User).order_by(User.id)):
        roles = ", ".join(f"{m.tenant.slug}:{m.role}" for m in user.memberships)
        click.echo(f"{user.email:40} {'platform-admin ' if user.is_platform_admin else ''}{roles}")
