"""support team: certificates, assignment rules, contract engineers

Revision ID: 0007_team
Revises: 0006_api_tokens
Create Date: 2026-11-25 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_team'
down_revision = '0006_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('team_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('issuer', sa.String(length=120), nullable=False),
    sa.Column('number', sa.String(length=80), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['team_member.id'], name=op.f('fk_team_certificate_member_id_team_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_team_certificate_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_certificate'))
    )
    with op.batch_alter_table('team_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_certificate_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_team_certificate_tenant_expires', ['tenant_id', 'expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_certificate_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('assignment_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('team_role', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['request_category.id'], name=op.f('fk_assignment_rule_category_id_request_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_assignment_rule_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_rule')),
    sa.UniqueConstraint('tenant_id', 'category_id', name=op.f('uq_assignment_rule_tenant_id_category_id'))
    )
    with op.batch_alter_table('assignment_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_rule_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('contract_engineer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_contract_engineer_client_id_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_engineer_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['team_member.id'], name=op.f('fk_contract_engineer_member_id_team_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_contract_engineer_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_engineer')),
    sa.UniqueConstraint('contract_id', 'member_id', name=op.f('uq_contract_engineer_contract_id_member_id'))
    )
    with op.batch_alter_table('contract_engineer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_engineer_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_engineer_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_engineer_tenant_id'), ['tenant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('contract_engineer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_engineer_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_contract_engineer_member_id'))
        batch_op.drop_index(batch_op.f('ix_contract_engineer_client_id'))

    op.drop_table('contract_engineer')
    with op.batch_alter_table('assignment_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_rule_tenant_id'))

    op.drop_table('assignment_rule')
    with op.batch_alter_table('team_certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_certificate_tenant_id'))
        batch_op.drop_index('ix_team_certificate_tenant_expires')
        batch_op.drop_index(batch_op.f('ix_team_certificate_member_id'))

    op.drop_table('team_certificate')
