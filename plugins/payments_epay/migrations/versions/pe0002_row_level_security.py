"""row-level security on the merchant's trades

Revision ID: pe0002
Revises: pe0001
Create Date: 2027-01-20 00:00:00

"""
from saas.core.rls import protect, unprotect


# revision identifiers, used by Alembic.
revision = 'pe0002'
down_revision = 'pe0001'
branch_labels = None
depends_on = None


def upgrade():
    protect('payments_epay_trade')


def downgrade():
    unprotect('payments_epay_trade')
