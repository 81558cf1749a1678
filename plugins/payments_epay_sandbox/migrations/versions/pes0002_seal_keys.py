"""the sandbox apps' private keys sealed at rest (ENCRYPTION_KEYS)

Revision ID: pes0002
Revises: pes0001
Create Date: 2027-02-01 00:00:00

"""
import sqlalchemy as sa
from alembic import op

from saas.core.secrets import seal, unseal

# revision identifiers, used by Alembic.
revision = 'pes0002'
down_revision = 'pes0001'
branch_labels = None
depends_on = None

APPS = sa.table(
    "payments_epay_sandbox_app", sa.column("id"), sa.column("merchant_private_key"), sa.column("gateway_private_key")
)
KEYS = ("merchant_private_key", "gateway_private_key")


def _rewrite(change):
    conn = op.get_bind()
    for row in conn.execute(sa.select(APPS)).mappings().all():
        conn.execute(APPS.update().where(APPS.c.id == row["id"]).values({k: change(row[k]) for k in KEYS}))


def upgrade():
    _rewrite(seal)


def downgrade():
    _rewrite(unseal)
