"""row-level security on the bank plugin's tables

Revision ID: pb0004
Revises: pb0003
Create Date: 2027-01-20 00:00:00

"""
from saas.core.rls import protect, unprotect


# revision identifiers, used by Alembic.
revision = 'pb0004'
down_revision = 'pb0003'
branch_labels = None
depends_on = None

TABLES = ('payments_bank_account', 'payments_bank_profile', 'payments_bank_statement', 'payments_bank_line')


def upgrade():
    for table in TABLES:
        protect(table)


def downgrade():
    for table in TABLES:
        unprotect(table)
