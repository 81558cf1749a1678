"""the tenants' Alipay keys sealed at rest (ENCRYPTION_KEYS)

Revision ID: pe0003
Revises: pe0002
Create Date: 2027-02-01 00:00:00

"""
import sqlalchemy as sa
from alembic import op

from saas.core.secrets import is_sealed, open_setting, seal_setting

# revision identifiers, used by Alembic.
revision = 'pe0003'
down_revision = 'pe0002'
branch_labels = None
depends_on = None

#: The settings of the e-payment plugin that are secrets (plugins.payments_epay.forms.SECRETS, as of this revision).
SECRETS = ("app_private_key", "alipay_public_key")


TENANT_PLUGINS = sa.table("tenant_plugin", sa.column("id"), sa.column("plugin"), sa.column("settings", sa.JSON))


def _rewrite(change):
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(TENANT_PLUGINS.c.id, TENANT_PLUGINS.c.settings).where(TENANT_PLUGINS.c.plugin == "payments_epay")
    ).all()
    for row_id, settings in rows:
        settings = settings or {}
        changed = {name: change(value) if name in SECRETS else value for name, value in settings.items()}
        if changed != settings:
            conn.execute(TENANT_PLUGINS.update().where(TENANT_PLUGINS.c.id == row_id).values(settings=changed))


def upgrade():
    _rewrite(lambda value: value if is_sealed(value) else seal_setting(value))


def downgrade():
    _rewrite(open_setting)
