"""breach evidence and the agreement's end: files of a breach recorded by hand (§8.1.1), the notice a termination
for breach follows (§10.3), and the settlement invoice (§10.4)

Revision ID: 0020_breach_evidence
Revises: 0019_webhooks
Create Date: 2027-02-15 00:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

from saas.core.rls import protect, unprotect

# revision identifiers, used by Alembic.
revision = '0020_breach_evidence'
down_revision = '0019_webhooks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('breach_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('breach_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['breach_id'], ['sla_breach.id'], name=op.f('fk_breach_file_breach_id_sla_breach'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_breach_file_client_id_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_breach_file_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breach_file'))
    )
    with op.batch_alter_table('breach_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breach_file_breach_id'), ['breach_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_breach_file_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_breach_file_tenant_id'), ['tenant_id'], unique=False)
    protect('breach_file')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refers_to_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notice_refers_to_id_notice'), 'notice', ['refers_to_id'], ['id'], ondelete='RESTRICT')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='period', nullable=False))


def downgrade():
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notice_refers_to_id_notice'), type_='foreignkey')
        batch_op.drop_column('refers_to_id')
    unprotect('breach_file')
    op.drop_table('breach_file')
