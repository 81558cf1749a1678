"""addon_hours_bank: time entries on service requests, drawing the hours banks (§13), with row-level security

Revision ID: hb0001
Revises: 
Create Date: 2026-12-07 14:40:00

"""
from alembic import op
import sqlalchemy as sa

from saas.core.rls import protect, unprotect


# revision identifiers, used by Alembic.
revision = 'hb0001'
down_revision = None
branch_labels = ('addon_hours_bank',)
# The service requests (and the contracts and the core's tables before them). Not the core's head: Alembic keeps a
# revision out of alembic_version once another head depends on it, and /readyz would report the core's head missing.
depends_on = ('0005_requests',)


def upgrade():
    op.create_table('addon_hours_bank_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('worked_on', sa.Date(), nullable=False),
    sa.Column('hours', sa.Numeric(18, 2).with_variant(sa.BigInteger(), "sqlite"), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('logged_by_id', sa.Integer(), nullable=True),
    sa.Column('once', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_addon_hours_bank_entry_client_id_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_addon_hours_bank_entry_contract_id_contract'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['logged_by_id'], ['user_account.id'], name=op.f('fk_addon_hours_bank_entry_logged_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name=op.f('fk_addon_hours_bank_entry_request_id_service_request'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_addon_hours_bank_entry_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_addon_hours_bank_entry')),
    sa.UniqueConstraint('tenant_id', 'once', name=op.f('uq_addon_hours_bank_entry_tenant_id_once'))
    )
    with op.batch_alter_table('addon_hours_bank_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_addon_hours_bank_entry_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_addon_hours_bank_entry_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_addon_hours_bank_entry_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_addon_hours_bank_entry_contract_day', ['contract_id', 'worked_on'], unique=False)
    protect('addon_hours_bank_entry')


def downgrade():
    unprotect('addon_hours_bank_entry')
    with op.batch_alter_table('addon_hours_bank_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_addon_hours_bank_entry_contract_day')
        batch_op.drop_index(batch_op.f('ix_addon_hours_bank_entry_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_addon_hours_bank_entry_request_id'))
        batch_op.drop_index(batch_op.f('ix_addon_hours_bank_entry_client_id'))

    op.drop_table('addon_hours_bank_entry')
