"""double submits: one-time form tokens and the API's idempotency keys

Revision ID: 0013_double_submits
Revises: 0012_late_payment
Create Date: 2026-12-03 06:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = "0013_double_submits"
down_revision = "0012_late_payment"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "form_submission",
        sa.Column("token", sa.String(length=43), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_form_submission_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_form_submission")),
    )
    with op.batch_alter_table("form_submission") as batch_op:
        batch_op.create_index(batch_op.f("ix_form_submission_user_id"), ["user_id"], unique=False)


    op.create_table(
        "api_idempotent_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_api_idempotent_request_tenant_id_tenant"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["token_id"], ["api_token.id"],
                                name=op.f("fk_api_idempotent_request_token_id_api_token"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_idempotent_request")),
        sa.UniqueConstraint("token_id", "key", name=op.f("uq_api_idempotent_request_token_id_key")),
    )
    with op.batch_alter_table("api_idempotent_request") as batch_op:
        batch_op.create_index(batch_op.f("ix_api_idempotent_request_tenant_id"), ["tenant_id"], unique=False)


def downgrade():
    op.drop_table("api_idempotent_request")
    op.drop_table("form_submission")
