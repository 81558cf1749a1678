"""row-level security on the cheques table

Revision ID: pc0002
Revises: pc0001
Create Date: 2027-01-20 00:00:00

"""
from saas.core.rls import protect, unprotect


# revision identifiers, used by Alembic.
revision = 'pc0002'
down_revision = 'pc0001'
branch_labels = None
depends_on = None


def upgrade():
    protect('payments_cheque_cheque')


def downgrade():
    unprotect('payments_cheque_cheque')
