"""row-level security on the sandbox gateway's tables (its pages run in the platform scope, as the provider)

Revision ID: pe0003
Revises: pe0002
Create Date: 2027-01-20 00:00:00

"""
from saas.core.rls import protect, unprotect


# revision identifiers, used by Alembic.
revision = 'pe0003'
down_revision = 'pe0002'
branch_labels = None
depends_on = None

TABLES = ('payments_epay_sandbox_app', 'payments_epay_sandbox_trade')


def upgrade():
    for table in TABLES:
        protect(table)


def downgrade():
    for table in TABLES:
        unprotect(table)
