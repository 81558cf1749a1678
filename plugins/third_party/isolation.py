"""The third-party plugin's rows for the route-wide isolation test (tests/core/test_s7_isolation.py)."""

from datetime import date

from sqlalchemy import select
from stdnum.cn import uscc

from plugins.third_party import agreements, services, work
from plugins.third_party.liability_isolation import liability_rows
from plugins.third_party.models import Assignment, Member
from plugins.third_party.transfer_isolation import transfer_rows
from saas.contracts.models import Contract
from saas.contracts.services import last_day
from saas.core.clock import now
from saas.core.models import Membership, Role, User
from saas.extensions import db
from saas.requests.models import ServiceRequest
from saas.requests.services import add_event


def isolation_rows(tenant, client, person, vendor_admin, rows: dict) -> dict:
    """A subcontractor named after the client, its qualification, and its proposal for the client's agreement, approved
    by the client, its annex 6 agreement, the client's request given to it with an internal note and a breach with a
    file; the tenant's third-party user works for the first client's subcontractor. Keyed by the URL argument that
    names each."""
    body = f"91310000MA{client.id:07d}"[:17]
    subcontractor = services.save_subcontractor(
        tenant,
        {
            "legal_name": f"Subcontractor of {client.legal_name}",
            "uscc": body + uscc.calc_check_digit(body),
            "address": "",
            "contact_name": f"Contact of {client.legal_name}",
            "contact_phone": "021-00000000",
            "contact_email": "",
            "service_ids": [line.service_id for line in _contract(tenant, client).lines if line.service_id],
            "regions": "上海",
        },
        vendor_admin,
    )
    qualification = services.add_qualification(
        subcontractor, {"name": f"Qualification of {client.legal_name}", "expires_on": date(2026, 2, 1)}, vendor_admin
    )
    contract = _contract(tenant, client)
    proposal = services.propose(subcontractor, contract, f"Scope for {client.legal_name}", vendor_admin)
    approved = services.save_subcontractor(
        tenant,
        {
            "legal_name": f"Approved subcontractor of {client.legal_name}",
            "uscc": _code(f"91320000MA{client.id:07d}"),
            "address": "",
            "contact_name": "",
            "contact_phone": "021-00000001",
            "contact_email": "",
            "service_ids": [line.service_id for line in contract.lines if line.service_id],
            "regions": "",
        },
        vendor_admin,
    )
    services.decide(services.propose(approved, contract, "Approved scope", vendor_admin), True, "", person)
    agreement = agreements.create_agreement(
        contract,
        approved,
        {
            "service_ids": [line.service_id for line in contract.lines if line.service_id],
            "monthly_fee": "100.00",
            "response_hours": 1,
            "resolution_hours": 8,
            "starts_on": contract.effective_date,
            "ends_on": last_day(contract),
        },
        ("agreement.pdf", "application/pdf", f"Agreement of {client.legal_name}".encode()),
        vendor_admin,
    )
    req = db.session.scalar(
        select(ServiceRequest).where(ServiceRequest.client_id == client.id).order_by(ServiceRequest.id)
    )
    # Given directly (not through work.assign, which wants the agreement in force on the test's own day).
    assignment = Assignment(
        tenant_id=tenant.id,
        client_id=client.id,
        request_id=req.id,
        subcontractor_id=approved.id,
        agreement_id=agreement.id,
        assigned_at=now(),
        response_hours=1,
        resolution_hours=8,
    )
    db.session.add(assignment)
    note = add_event(req, "note", vendor_admin, body=f"Internal note of {client.legal_name}", internal=True)
    breach = work.record_breach(
        approved,
        req,
        "below_standard",
        f"Breach of {client.legal_name}",
        req.received_at.date(),
        [("evidence.txt", "text/plain", b"x")],
        vendor_admin,
    )
    member = _place_third_party_user(tenant, approved)
    return {
        "subcontractor_id": subcontractor.id,
        "qualification_id": qualification.id,
        "tp_proposal_id": proposal.id,
        "tp_agreement_id": agreement.id,
        "tp_member_id": member.id,
        "tp_breach_id": breach.id,
        "tp_breach_file_id": work.breach_files(breach)[0].id,
        "event_id": note.id,
        **liability_rows(contract, approved, person, vendor_admin),
        **transfer_rows(contract, agreement, vendor_admin),
    }


def _code(body: str) -> str:
    return body[:17] + uscc.calc_check_digit(body[:17])


def _contract(tenant, client) -> Contract:
    return db.session.scalar(
        select(Contract)
        .where(Contract.tenant_id == tenant.id, Contract.client_id == client.id, Contract.status.in_(services.IN_FORCE))
        .order_by(Contract.id.desc())
    )


def _place_third_party_user(tenant, subcontractor) -> Member:
    """The tenant's third-party user works for the first subcontractor placed; later ones get a placeholder person."""
    user = db.session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant.id, Membership.role == Role.THIRD_PARTY)
        .order_by(User.id)
    )
    taken = db.session.scalar(select(Member).where(Member.tenant_id == tenant.id, Member.email == user.email))
    email = f"person-{subcontractor.id}@subcontractor.example.com" if taken else user.email
    member = Member(tenant_id=tenant.id, subcontractor_id=subcontractor.id, email=email, name="", created_at=now())
    db.session.add(member)
    db.session.flush()
    return member
