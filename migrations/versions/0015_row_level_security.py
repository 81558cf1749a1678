"""row-level security: every tenant-owned table of the core shows a transaction only its tenant's rows

Revision ID: 0015_row_level_security
Revises: 0013_sessions_user_sessions
Create Date: 2027-01-20 00:00:00.000000

"""
from saas.core.rls import protect, unprotect


# revision identifiers, used by Alembic.
revision = '0015_row_level_security'
down_revision = '0013_sessions_user_sessions'
branch_labels = None
depends_on = None

#: The core's tables with a tenant_id at this revision (a later table is protected by the migration making it).
TABLES = (
    'api_idempotent_request', 'api_token', 'assignment_rule', 'audit_event', 'billing_run', 'billing_settings',
    'calendar_day', 'client', 'client_contact', 'contract', 'contract_change', 'contract_defaults',
    'contract_document', 'contract_engineer', 'contract_event', 'contract_line', 'contract_number',
    'contract_signature', 'credit_entry', 'credit_note', 'feedback', 'feedback_event', 'invitation', 'invoice',
    'invoice_line', 'invoice_number', 'mail_message', 'payment', 'payment_allocation', 'payment_breach',
    'payment_penalty', 'request_attachment', 'request_category', 'request_event', 'request_pause',
    'request_sequence', 'service', 'service_calendar', 'service_request', 'site_visit', 'sla_breach',
    'team_certificate', 'team_member', 'tenant_plugin',
)


def upgrade():
    for table in TABLES:
        protect(table)
    protect('membership', own_rows='user_id')  # a person's own memberships: the organisations they can switch to


def downgrade():
    for table in (*TABLES, 'membership'):
        unprotect(table)
