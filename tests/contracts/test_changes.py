"""§10.2 amendments and §10.3–10.4 terminations: change agreements signed by both parties, and their effects."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from saas.contracts import changes, services, signing
from saas.contracts.models import ChangeStatus, Contract, ContractChange, ContractStatus, TamperError
from saas.contracts.tasks import refresh_contract_statuses
from saas.core.errors import ServiceError


@pytest.fixture
def in_force(world, make_contract, signed_by_both):
    """Alpha's first client's contract, signed by both parties (terms: on-site within 24 hours)."""
    contract = make_contract(
        world.tenant("alpha"),
        world.clients("alpha")[0],
        effective=date(2026, 1, 31),
        lines=[("REMOTE", "1", "3000.00"), ("ONSITE", "1", "5000.00")],
        term_years=2,
    )
    signed_by_both(contract)
    assert contract.status == ContractStatus.ACTIVE
    return contract


def sign_through_screens(client, world, contract, change, db):
    """The vendor admin signs in the console, then the client admin in the portal."""
    for role, base in (("vendor_admin", "/t/alpha/contracts"), ("client_admin", "/t/alpha/portal/contracts")):
        client.sign_in(world.person("alpha", role).email)
        page = client.get(f"{base}/{contract.id}/changes/{change.id}").get_data(as_text=True)
        doc_id, sha = re.search(
            r'name="document_id" value="(\d+)"><input type="hidden" name="sha256" value="(\w+)"', page
        ).groups()
        client.post_form(
            f"{base}/{contract.id}/changes/{change.id}/sign", {"document_id": doc_id, "sha256": sha, "confirm": "y"}
        )
        client.post_form("/logout")
    db.session.expire_all()


def test_s10_3_termination_by_mutual_agreement(client, db, clock, world, in_force):
    clock.set(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    client.sign_in(world.person("alpha", "vendor_billing").email)
    client.post_form(f"/t/alpha/contracts/{in_force.id}/terminate", {"last_day": "2026-06-30", "reason": "业务调整"})
    client.post_form("/logout")
    change = db.session.scalar(select(ContractChange))
    assert change.number == f"{in_force.number}-T1" and change.status == ChangeStatus.AWAITING_SIGNATURES
    zh, en = (d.html for d in signing.documents_for(in_force, change.subject))
    assert "2026年6月30日" in zh and "2028年6月30日" in zh  # confidentiality: 2 years after the last day
    assert "2026-06-30" in en and "2028-06-30" in en
    sign_through_screens(client, world, in_force, change, db)
    contract = db.session.get(Contract, in_force.id)
    assert contract.status == ContractStatus.TERMINATED and contract.terminated_on == date(2026, 6, 30)
    assert changes.confidentiality_ends(contract) == date(2028, 6, 30)
    contract.onsite_arrival_hours = 1
    with pytest.raises(TamperError):
        db.session.commit()
    db.session.rollback()
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    assert refresh_contract_statuses() == {"expiring": 0, "expired": 0}
    client.sign_in(world.person("alpha", "client_user").email)
    page = client.get(f"/t/alpha/portal/contracts/{in_force.id}").get_data(as_text=True)
    assert "continues until 2028-06-30" in page


def test_s10_2_amendment_applies_only_when_both_have_signed(client, db, world, in_force):
    catalogue = {s.code: s for s in services.list_services(world.tenant("alpha"))}
    terms = {name: getattr(in_force, name) for name in services.TERM_FIELDS}
    terms["onsite_arrival_hours"] = 8
    lines = [
        {
            "service_id": catalogue["REMOTE"].id,
            "description": "远程技术支持",
            "quantity": Decimal(1),
            "monthly_fee": Decimal("3000.00"),
        },
        {
            "service_id": catalogue["ONSITE"].id,
            "description": "现场技术支持（加急）",
            "quantity": Decimal(2),
            "monthly_fee": Decimal("4500.00"),
        },
    ]
    change = changes.propose_amendment(in_force, terms, lines, date(2026, 7, 1), "增加驻场")
    db.session.commit()
    assert change.number == f"{in_force.number}-A1"
    assert change.changes["terms"] == {"onsite_arrival_hours": ["24", "8"]}
    assert change.changes["lines"]["new"][1]["monthly_fee"] == "4500.00"
    zh = signing.documents_for(in_force, change.subject)[0].html
    assert "变更协议" in zh and "现场技术支持（加急）" in zh and "¥9,000.00" not in zh
    with pytest.raises(ServiceError, match="Another change agreement"):
        changes.propose_termination(in_force, date(2026, 9, 30), "")
    document = signing.documents_for(in_force, change.subject)[0]
    changes.sign_change(change, "B", world.person("alpha", "vendor_admin"), document.id, document.sha256)
    db.session.commit()
    db.session.expire_all()
    contract = db.session.get(Contract, in_force.id)
    assert contract.onsite_arrival_hours == 24 and services.monthly_total(contract) == Decimal("8000.00")
    changes.sign_change(change, "A", world.person("alpha", "client_admin"), document.id, document.sha256)
    db.session.commit()
    db.session.expire_all()
    contract = db.session.get(Contract, in_force.id)
    assert contract.status == ContractStatus.ACTIVE and contract.onsite_arrival_hours == 8
    assert services.monthly_total(contract) == Decimal("12000.00")
    assert [e.kind for e in contract.events][-2:] == ["amendment_proposed", "amended"]
    assert changes.list_changes(contract)[0].status == ChangeStatus.SIGNED


def test_s10_2_amendment_screens_show_old_and_new(client, db, world, in_force):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    form = client.get(f"/t/alpha/contracts/{in_force.id}/amend").get_data(as_text=True)
    fields = dict(re.findall(r'name="([a-z_]+(?:-\d+-[a-z_]+)?)"[^>]*value="([^"]*)"', form))
    for key in ("csrf_token", "add_line", "lang", "next"):  # other forms and buttons on the page
        fields.pop(key, None)
    fields.update({"effective_date": "2026-08-01", "consult_response_hours": "4", "reason": "提速"})
    fields = {
        k: v
        for k, v in fields.items()
        if not k.startswith("lines-") or k.endswith(("description", "quantity", "monthly_fee"))
    }
    for i, line in enumerate(in_force.lines):
        fields[f"lines-{i}-service_id"] = str(line.service_id)
    response = client.post_form(f"/t/alpha/contracts/{in_force.id}/amend", fields)
    assert response.status_code == 302, re.findall(
        r"(?:flash-error|role=\"alert\")[^>]*>([^<]*)", response.get_data(as_text=True)
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Consulting response, hours (§2.3.2)" in page and ">8<" in page and "<strong>4</strong>" in page


def test_s10_2_proposals_that_change_nothing_or_fall_outside_the_term_are_refused(db, world, in_force):
    terms = {name: getattr(in_force, name) for name in services.TERM_FIELDS}
    lines = [
        {
            "service_id": ln.service_id,
            "description": ln.description,
            "quantity": ln.quantity,
            "monthly_fee": ln.monthly_fee,
        }
        for ln in in_force.lines
    ]
    with pytest.raises(ServiceError, match="changes nothing"):
        changes.propose_amendment(in_force, terms, lines, date(2026, 7, 1), "")
    with pytest.raises(ServiceError, match="within the contract's term"):
        changes.propose_amendment(in_force, {**terms, "term_years": 3}, lines, date(2029, 1, 1), "")
    with pytest.raises(ServiceError, match="ends on 2028-01-30 anyway"):
        changes.propose_termination(in_force, date(2028, 5, 1), "")


def test_s10_2_an_unsigned_change_can_be_withdrawn_a_signed_one_cannot(db, world, in_force):
    change = changes.propose_termination(in_force, date(2026, 12, 31), "")
    changes.withdraw_change(change)
    assert change.status == ChangeStatus.WITHDRAWN
    again = changes.propose_termination(in_force, date(2026, 12, 31), "")
    assert again.number.endswith("-T2")
    document = signing.documents_for(in_force, again.subject)[0]
    changes.sign_change(again, "B", world.person("alpha", "vendor_admin"), document.id, document.sha256)
    with pytest.raises(ServiceError, match="can no longer be taken back"):
        changes.withdraw_change(again)
