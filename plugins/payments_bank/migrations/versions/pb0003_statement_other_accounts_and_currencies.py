"""statements count the lines of other accounts and of other currencies

Revision ID: pb0003
Revises: pb0002
Create Date: 2027-01-10 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'pb0003'
down_revision = 'pb0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments_bank_statement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lines_other_accounts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('lines_other_currency', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('payments_bank_statement', schema=None) as batch_op:
        batch_op.drop_column('lines_other_currency')
        batch_op.drop_column('lines_other_accounts')
