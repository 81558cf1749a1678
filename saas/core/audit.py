"""Writing and reading the append-only audit log."""

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from saas.core.models import AuditEvent
from saas.extensions import db

#: What people read for each action code; plugins' codes fall back to the code itself.
ACTION_LABELS = {
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Failed sign-in"),
    "auth.logout": _l("Signed out"),
    "auth.logout_everywhere": _l("Signed out on every device"),
    "auth.password_set": _l("Password set"),
    "auth.account_deactivated": _l("Account deactivated"),
    "auth.account_reactivated": _l("Account reactivated"),
    "tenant.created": _l("Tenant created"),
    "tenant.suspended": _l("Tenant suspended"),
    "tenant.reactivated": _l("Tenant reactivated"),
    "tenant.profile_changed": _l("Organisation details changed"),
    "plugin.enabled": _l("Plugin enabled"),
    "plugin.disabled": _l("Plugin disabled"),
    "plugin.settings_changed": _l("Plugin settings changed"),
    "invitation.created": _l("Invitation sent"),
    "invitation.resent": _l("Invitation sent again"),
    "invitation.revoked": _l("Invitation withdrawn"),
    "invitation.accepted": _l("Invitation accepted"),
    "member.role_changed": _l("Role changed"),
    "member.removed": _l("Member removed"),
    "client.created": _l("Client added"),
    "client.updated": _l("Client edited"),
    "client.contact_added": _l("Contact added"),
    "client.contact_removed": _l("Contact removed"),
    "payments_bank.account_added": _l("Bank account added"),
    "payments_bank.account_saved": _l("Bank account edited"),
    "payments_bank.account_removed": _l("Bank account removed"),
    "payments_bank.statement_imported": _l("Bank statement imported"),
    "payments_bank.line_matched": _l("Bank transfer matched to a client"),
    "payments_bank.line_set_aside": _l("Bank transfer set aside: not a client payment"),
    "payments_bank.profile_added": _l("Statement import profile added"),
    "payments_bank.profile_saved": _l("Statement import profile edited"),
    "payments_bank.profile_removed": _l("Statement import profile removed"),
    "payments_cheque.recorded": _l("Cheque recorded"),
    "payments_cheque.deposited": _l("Cheque deposited"),
    "payments_cheque.cleared": _l("Cheque cleared"),
    "payments_cheque.bounced": _l("Cheque bounced"),
    "addon_hours_bank.time_logged": _l("Time logged on a request (hours bank, §13)"),
    "third_party.intervention_recorded": _l("Third-party intervention recorded (Part 2 §1.2)"),
    "third_party.intervention_notified": _l("Written notice of a third-party intervention sent (Part 2 §2.1)"),
    "third_party.intervention_negotiated": _l("Negotiation of a third-party intervention recorded (Part 2 §2.2)"),
    "third_party.intervention_measure": _l("Measure against a third-party intervention recorded (Part 2 §2.3)"),
    "third_party.intervention_resolved": _l("Third-party intervention resolved (Part 2 §2.3)"),
    "third_party.claim_submitted": _l("Claim against a subcontractor submitted (Part 2 §6.2)"),
    "third_party.claim_agreed": _l("Claim against a subcontractor agreed"),
    "third_party.claim_rejected": _l("Claim against a subcontractor rejected"),
    "third_party.claim_recovered": _l("Claim against a subcontractor recovered"),
    "third_party.dispute_opened": _l("Dispute about a third party opened (Part 2 §7.1)"),
    "third_party.dispute_deadline_announced": _l("Right to terminate on a third-party dispute announced (Part 2 §7.2)"),
    "third_party.dispute_terminated": _l("Agreement terminated on a third-party dispute (Part 2 §7.2)"),
    "third_party.subcontractor_added": _l("Subcontractor added (Part 2 §1.1)"),
    "third_party.subcontractor_saved": _l("Subcontractor edited"),
    "third_party.subcontractor_suspended": _l("Subcontractor suspended"),
    "third_party.subcontractor_reactivated": _l("Subcontractor active again"),
    "third_party.qualification_added": _l("Subcontractor qualification recorded"),
    "third_party.qualification_removed": _l("Subcontractor qualification removed"),
    "third_party.proposed": _l("Subcontractor proposed for an agreement (Part 2 §4.1)"),
    "third_party.withdrawn": _l("Subcontractor proposal withdrawn"),
    "third_party.approved": _l("Subcontractor approved by the client"),
    "third_party.rejected": _l("Subcontractor rejected by the client"),
    "third_party.agreement_attached": _l("Third-party agreement attached as annex 6 (Part 2 §4.2)"),
    "third_party.agreement_suspended": _l("Third-party agreement suspended"),
    "third_party.agreement_ended": _l("Third-party agreement ended"),
    "third_party.agreement_active": _l("Third-party agreement in force again"),
    "third_party.person_added": _l("Person placed with a subcontractor (Part 2 §8.2)"),
    "third_party.person_removed": _l("Person taken off a subcontractor"),
    "third_party.request_assigned": _l("Request given to a subcontractor (Part 2 §4.3)"),
    "third_party.transfer_proposed": _l("Transfer of obligations sent for signatures (Part 2 §4.3)"),
    "third_party.transfer_signed": _l("Transfer of obligations signed by both parties (Part 2 §4.3)"),
    "third_party.transfer_ended": _l("Transfer of obligations ended"),
    "third_party.request_released": _l("Request taken back from a subcontractor"),
    "third_party.breach_recorded": _l("Subcontractor's breach recorded (Part 2 §6.1)"),
    "third_party.change_raised": _l("Change of an agreement raised because of a third party (Part 2 §9, §10)"),
    "payments_epay.trade_started": _l("Online payment started"),
    "payments_epay.trade_paid": _l("Online payment confirmed by the provider"),
    "payments_epay.trade_closed": _l("Online payment closed unpaid"),
    "payments_epay.trade_refunded_at_provider": _l("Paid online payment refunded or closed at the provider"),
    "contracts.catalogue_seeded": _l("Standard services added to the catalogue"),
    "contracts.created": _l("Contract drafted"),
    "contracts.defaults_changed": _l("Default terms changed"),
    "contracts.signed": _l("Contract signed"),
    "contracts.service_added": _l("Service added to the catalogue"),
    "contracts.amendment_proposed": _l("Amendment proposed"),
    "contracts.termination_proposed": _l("Termination proposed"),
    "contracts.terminated_for_breach": _l("Contract terminated for breach"),
    "requests.breach_recorded": _l("Breach recorded by hand"),
    "billing.settled": _l("Final settlement issued"),
    "contracts.document_viewed": _l("Confidential document viewed"),
    "contracts.document_downloaded": _l("Confidential document downloaded"),
    "calendars.calendar_saved": _l("Service calendar saved"),
    "calendars.official_days_added": _l("Official holiday schedule added"),
    "requests.category_saved": _l("Request category saved"),
    "team.member_saved": _l("Team member saved"),
    "team.certificate_added": _l("Certificate added"),
    "team.certificate_removed": _l("Certificate removed"),
    "team.rule_saved": _l("Assignment rule saved"),
    "team.rule_deleted": _l("Assignment rule removed"),
    "team.contract_engineers_set": _l("Contract engineers named"),
    "api.token_created": _l("API token created"),
    "api.token_revoked": _l("API token revoked"),
    "billing.payment_recorded": _l("Payment recorded"),
    "billing.payment_succeeded": _l("Payment received and allocated"),
    "billing.payment_reversed": _l("Payment reversed"),
    "billing.credit_note_issued": _l("Credit note issued"),
    "billing.invoice_voided": _l("Invoice voided"),
    "billing.invoice_issued": _l("Invoice issued after review"),
    "billing.penalty_confirmed": _l("Penalty confirmed (§8.2)"),
    "credits.policy_saved": _l("Credit rule chosen (§8.2)"),
    "credits.credit_confirmed": _l("Service credit confirmed (§8.2)"),
    "credits.credit_waived": _l("Service credit waived (§8.2)"),
    "credits.credit_upheld": _l("Service credit upheld after a dispute (§8.2, §9)"),
    "notices.sent": _l("Notice sent"),
    "notices.read": _l("Notice read"),
    "notices.acknowledged": _l("Notice acknowledged"),
    "disputes.opened": _l("Dispute opened (§9.1)"),
    "disputes.escalated": _l("Dispute taken to its next step (§9)"),
    "disputes.minutes": _l("Dispute minutes added"),
    "disputes.resolved": _l("Dispute resolved (§9)"),
    "disputes.withdrawn": _l("Dispute withdrawn"),
    "billing.penalty_waived": _l("Penalty waived (§8.2)"),
    "billing.settings_changed": _l("Billing settings changed"),
    "webhooks.endpoint_created": _l("Webhook endpoint registered"),
    "webhooks.endpoint_changed": _l("Webhook endpoint changed"),
    "webhooks.secret_rolled": _l("Webhook secret rolled"),
    "webhooks.endpoint_disabled": _l("Webhook endpoint switched off after failing"),
    "webhooks.replayed": _l("Webhook event replayed"),
    "materials.asked": _l("Technical materials asked of the client (Part 3)"),
    "materials.withdrawn": _l("Ask for technical materials withdrawn"),
    "materials.penalty_proposed": _l("Penalty proposed for materials not supplied (§8.2)"),
    "materials.penalty_confirmed": _l("Penalty for materials not supplied confirmed (§8.2)"),
    "materials.penalty_waived": _l("Penalty for materials not supplied waived (§8.2)"),
    "claims.submitted": _l("Damages claimed (§8.3)"),
    "claims.acknowledged": _l("Damages claim acknowledged"),
    "claims.agreed": _l("Damages claim agreed"),
    "claims.withdrawn": _l("Damages claim withdrawn"),
    "claims.settled": _l("Damages claim settled"),
    "addons.offer_saved": _l("Add-on offer saved (§13.1)"),
    "addons.agreement_proposed": _l("Add-on agreement proposed (§13.1)"),
    "addons.agreement_amendment_proposed": _l("Add-on agreement amendment proposed (§13.1)"),
    "addons.agreement_signed": _l("Add-on agreement signed by both parties (§13.3)"),
    "addons.agreement_ended": _l("Add-on agreement ended"),
    "satisfaction.rated": _l("Request rated by the client (§12.3)"),
    "satisfaction.rating_changed": _l("Request's rating changed by the client"),
    "satisfaction.policy_saved": _l("Evaluation weights and thresholds saved (§11.2)"),
    "satisfaction.measure_updated": _l("Improvement measure updated (§11.3)"),
    "satisfaction.report_sent": _l("Service report sent to the client (§12.1)"),
    "satisfaction.question_added": _l("Survey question added (annex 9)"),
    "satisfaction.question_changed": _l("Survey question changed"),
    "satisfaction.question_activated": _l("Survey question put back in use"),
    "satisfaction.question_deactivated": _l("Survey question taken out of use"),
    "satisfaction.panel_added": _l("Person put back on the survey panel"),
    "satisfaction.panel_removed": _l("Person taken off the survey panel"),
}


def action_label(code: str) -> str:
    """The translated label of an audit action code."""
    return str(ACTION_LABELS.get(code, code))


def record(action: str, *, tenant_id=None, target=None, actor=None, actor_email: str = "", **data) -> AuditEvent:
    """Add an audit event to the session (committed with the change it describes)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    event = AuditEvent(
        tenant_id=tenant_id,
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else actor_email,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=getattr(target, "id", None),
        ip=(request.remote_addr or "") if has_request_context() else "",
        data=data,
    )
    db.session.add(event)
    return event


def list_events(
    *, tenant_id: int | None, platform: bool = False, before: int | None = None, action: str = "", limit: int = 50
):
    """One page of audit events, newest first (keyset on id); returns (rows, next_before).

    A tenant sees its own events; the platform (platform=True) sees all of them.
    """
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    stmt = select(AuditEvent).options(selectinload(AuditEvent.actor))
    if not platform:
        stmt = stmt.where(AuditEvent.tenant_id == tenant_id)
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action))
    if before:
        stmt = stmt.where(AuditEvent.id < before)
    rows = db.session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)
