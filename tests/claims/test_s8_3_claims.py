"""§8.3 damages claims (and §2.3.3, §9, §10.4 where they meet): either party claims its direct and indirect loss
from the other, resting on breaches recorded against the other, with evidence; the other party acknowledges and
agrees it (in full or an amount) or disputes it, and the dispute's resolution agrees or rejects it; an agreed claim
is settled on the next invoice (billed once), by a credit note, a refund or a payment, or written off by the
claimant; the final settlement of an ended agreement carries one still waiting."""

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from sqlalchemy import func, select

from saas.billing.models import CreditNote, Invoice, InvoiceLine
from saas.billing.services import bill
from saas.billing.settlement import settle as settle_final
from saas.claims import services
from saas.claims.models import Claim, ClaimEvent, ClaimStatus, Settlement
from saas.contracts import changes
from saas.core.errors import ServiceError
from saas.core.models import AppendOnlyError, MailMessage
from saas.disputes import services as disputes
from saas.disputes.models import Outcome, Subject
from saas.extensions import db
from saas.materials import breaches as materials_breaches
from saas.materials import services as materials
from saas.requests import services as requests
from saas.requests.breaches import record_below_standard


@pytest.fixture
def agreement(db, world, make_signed_contract, clock):
    """Alpha's first client under an agreement in force from 1 November 2026 (one line, 3,000.00 a month), a
    request of 2 November answered below standard (the vendor's §8.1.1 breach) and an ask for materials the client
    never supplied (the client's breach, Part 3); November billed on 1 December."""
    tenant, client = world.tenant("alpha"), world.clients("alpha")[0]
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    contract = make_signed_contract(
        tenant, client, effective=date(2026, 11, 1), mediation_venue="北京市海淀区人民调解委员会"
    )
    cats = {c.code: c for c in requests.categories(tenant)}
    req = requests.create_request(
        tenant,
        client.id,
        {"category_id": cats["REMOTE"].id, "subject": "核心交换机故障"},
        world.person("alpha", "client_user"),
    )
    vendor_breach = record_below_standard(
        req, world.person("alpha", "vendor_admin"), description="巡检未做", happened_on=date(2026, 11, 2)
    )
    ask = materials.ask(
        req, world.person("alpha", "vendor_engineer"), "配置备份", datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
    )
    materials_breaches.record_overdue(tenant, datetime(2026, 11, 4, 2, 0, tzinfo=UTC))
    client_breach = materials_breaches.breach_of(ask)
    db.session.commit()
    clock.set(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    bill(tenant, [contract.id], date(2026, 12, 1))
    db.session.commit()
    invoice = db.session.scalar(select(Invoice).where(Invoice.contract_id == contract.id))
    return {
        "tenant": tenant,
        "contract": contract,
        "vendor_breach": vendor_breach,
        "client_breach": client_breach,
        "invoice": invoice,
    }


def client_claim(agreement, world, direct="7200.00", indirect="2300.00", **kwargs) -> Claim:
    claim = services.submit(
        agreement["contract"],
        "A",
        world.person("alpha", "client_admin"),
        direct_amount=Decimal(direct),
        direct_description="停工 6 小时的加班费",
        indirect_amount=Decimal(indirect) if indirect else None,
        indirect_description="未交付订单的预期利润" if indirect else "",
        breaches=[f"sla:{agreement['vendor_breach'].id}"],
        **kwargs,
    )
    db.session.commit()
    return claim


def vendor_claim(agreement, world, amount="1200.00") -> Claim:
    claim = services.submit(
        agreement["contract"],
        "B",
        world.person("alpha", "vendor_billing"),
        direct_amount=Decimal(amount),
        direct_description="因缺少配置备份，工程师多次返场",
        breaches=[f"client:{agreement['client_breach'].id}"],
    )
    db.session.commit()
    return claim


def lines_of(invoice: Invoice) -> list[tuple[str, Decimal]]:
    return [(line.kind, line.amount) for line in invoice.lines]


def test_s8_3_the_client_claims_direct_and_indirect_loss_with_evidence_in_the_portal(db, client, world, agreement):
    contract = agreement["contract"]
    client.sign_in(world.person("alpha", "client_admin").email)
    form = client.get(f"/t/alpha/portal/claims/new?contract={contract.id}").get_data(as_text=True)
    assert f"sla:{agreement['vendor_breach'].id}" in form
    assert f"client:{agreement['client_breach'].id}" not in form  # the client claims on the vendor's breaches only
    evidence = "日期,人员,小时\n2026-11-02,12,6\n".encode()
    done = client.post_form(
        f"/t/alpha/portal/claims/new?contract={contract.id}",
        {
            "direct_amount": "7200.00",
            "direct_description": "停工 6 小时的加班费",
            "direct_files": (BytesIO(evidence), "overtime.csv"),
            "indirect_amount": "2300",
            "indirect_description": "未交付订单的预期利润",
            "indirect_files": (BytesIO(b"PO-7781"), "orders.txt"),
            "breaches": f"sla:{agreement['vendor_breach'].id}",
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 302, done.get_data(as_text=True)[-3000:]
    claim = db.session.scalar(select(Claim))
    assert (claim.number, claim.claimant_party, claim.status) == ("PC-2026-0001", "A", ClaimStatus.SUBMITTED)
    assert (claim.direct_amount, claim.indirect_amount, claim.total) == (
        Decimal("7200.00"),
        Decimal("2300.00"),
        Decimal("9500.00"),
    )
    assert [(f.loss, f.filename, f.sha256) for f in claim.files] == [
        ("direct", "overtime.csv", hashlib.sha256(evidence).hexdigest()),
        ("indirect", "orders.txt", hashlib.sha256(b"PO-7781").hexdigest()),
    ]
    assert [b.sla_breach_id for b in claim.breaches] == [agreement["vendor_breach"].id]
    # the vendor's admins are told, in both languages
    mail = db.session.scalars(select(MailMessage).where(MailMessage.subject.contains("PC-2026-0001"))).all()
    assert {m.to for m in mail} == {world.person("alpha", "vendor_admin").email}
    assert "损害赔偿" in mail[0].subject and "Claim for damages" in mail[0].subject
    page = client.get(f"/t/alpha/portal/claims/{claim.id}").get_data(as_text=True)
    assert "9,500.00" in page and "overtime.csv" in page and "withdraw-claim" in page and "agree-claim" not in page
    download = client.get(f"/t/alpha/portal/claims/{claim.id}/files/{claim.files[0].id}")
    assert download.data == evidence and download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # evidence, breaches and the timeline never change
    claim.files[0].filename = "other.csv"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"direct_amount": "0"}, "more than zero"),
        ({"direct_amount": "-5.00"}, ""),
        ({"direct_amount": "10.005"}, ""),
        ({"direct_amount": "abc"}, ""),
        ({"indirect_amount": "500.00", "indirect_description": ""}, "indirect loss"),
        ({"breaches": ""}, "breach"),
        ({"breaches": "client:{client_breach}"}, ""),
        ({"breaches": "sla:999999"}, ""),
    ],
)
def test_s8_3_a_bad_claim_is_refused_with_its_reason_and_nothing_is_written(
    db, client, world, agreement, fields, message
):
    contract = agreement["contract"]
    data = {
        "direct_amount": "100.00",
        "direct_description": "损失",
        "breaches": f"sla:{agreement['vendor_breach'].id}",
        **fields,
    }
    data["breaches"] = data["breaches"].format(client_breach=agreement["client_breach"].id)
    client.sign_in(world.person("alpha", "client_admin").email)
    refused = client.post_form(f"/t/alpha/portal/claims/new?contract={contract.id}", data)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'class="error"' in page and (not message or message in page)
    assert db.session.scalar(select(func.count(Claim.id))) == 0


def test_s8_3_only_the_party_claimed_against_answers_and_agrees_at_most_what_is_claimed(db, world, agreement):
    claim = client_claim(agreement, world)
    client_admin, billing = world.person("alpha", "client_admin"), world.person("alpha", "vendor_billing")
    with pytest.raises(ServiceError, match="made against"):
        services.agree(claim, "A", client_admin)
    assert services.acknowledge(claim, "B", billing) is True
    assert services.acknowledge(claim, "B", billing) is False  # once
    with pytest.raises(ServiceError, match="at most"):
        services.agree(claim, "B", billing, amount=Decimal("9500.01"))
    with pytest.raises(ServiceError, match="smallest unit"):
        services.agree(claim, "B", billing, amount=Decimal("100.001"))
    services.agree(claim, "B", billing, amount=Decimal("8000.00"), note="预期利润按 800 计")
    db.session.commit()
    assert (claim.status, claim.agreed_amount) == (ClaimStatus.AGREED, Decimal("8000.00"))
    with pytest.raises(ServiceError, match="waiting for an answer"):
        services.agree(claim, "B", billing)
    with pytest.raises(ServiceError, match="not yet agreed"):
        services.withdraw(claim, "A", client_admin, "算了")
    kinds = db.session.scalars(select(ClaimEvent.kind).where(ClaimEvent.claim_id == claim.id).order_by(ClaimEvent.id))
    assert list(kinds) == ["submitted", "acknowledged", "agreed"]
    agreed_mail = db.session.scalars(
        select(MailMessage).where(MailMessage.subject.contains("PC-2026-0001 agreed"))
    ).all()
    assert {m.to for m in agreed_mail} == {client_admin.email}


def test_s8_3_damages_the_vendor_owes_go_on_the_next_invoice_as_a_credit_billed_once(
    db, client, world, agreement, clock
):
    claim = client_claim(agreement, world)
    billing = world.person("alpha", "vendor_billing")
    client.sign_in(billing.email)
    assert client.post_form(f"/t/alpha/claims/{claim.id}/agree", {"amount": "8000.00"}).status_code == 302
    page = client.get(f"/t/alpha/claims/{claim.id}").get_data(as_text=True)
    assert "settle-form" in page and 'value="written_off"' not in page  # the vendor cannot write off what it owes
    assert client.post_form(f"/t/alpha/claims/{claim.id}/settle", {"how": "next_invoice"}).status_code == 302
    db.session.refresh(claim)
    assert (claim.status, claim.settlement) == (ClaimStatus.AGREED, Settlement.NEXT_INVOICE)

    clock.set(datetime(2027, 1, 1, 2, 0, tzinfo=UTC))
    tenant = agreement["tenant"]
    assert bill(tenant, [agreement["contract"].id], date(2027, 1, 1)) == 1
    db.session.commit()
    december = db.session.scalars(select(Invoice).order_by(Invoice.id)).all()[-1]
    assert lines_of(december) == [("fee", Decimal("3000.00")), ("credit", Decimal("-8000.00"))]
    assert "PC-2026-0001" in december.lines[1].description
    db.session.refresh(claim)
    assert (claim.status, claim.billed_invoice_id) == (ClaimStatus.SETTLED, december.id)
    # the run again, and next month's: never twice
    assert bill(tenant, [agreement["contract"].id], date(2027, 1, 1)) == 0
    clock.set(datetime(2027, 2, 1, 2, 0, tzinfo=UTC))
    bill(tenant, [agreement["contract"].id], date(2027, 2, 1))
    db.session.commit()
    credit_lines = db.session.scalar(
        select(func.count(InvoiceLine.id)).where(InvoiceLine.description.contains("PC-2026-0001"))
    )
    assert credit_lines == 1
    assert [e.kind for e in services.timeline(claim)][-2:] == ["to_invoice", "billed"]
    client.sign_in(world.person("alpha", "client_admin").email)
    portal = client.get(f"/t/alpha/portal/claims/{claim.id}").get_data(as_text=True)
    assert december.number in portal and "8,000.00" in portal


def test_s8_3_damages_the_client_owes_are_charged_on_its_next_invoice(db, client, world, agreement, clock):
    claim = vendor_claim(agreement, world)
    client.sign_in(world.person("alpha", "client_admin").email)
    form = client.get(f"/t/alpha/portal/claims/{claim.id}").get_data(as_text=True)
    assert "agree-claim" in form and "dispute-claim" in form
    assert client.post_form(f"/t/alpha/portal/claims/{claim.id}/agree", {"amount": ""}).status_code == 302
    db.session.refresh(claim)
    assert (claim.status, claim.agreed_amount) == (ClaimStatus.AGREED, Decimal("1200.00"))
    # the client does not choose how the vendor's books take it, and cannot write off what it owes
    assert client.post_form(f"/t/alpha/portal/claims/{claim.id}/settle", {"how": "written_off"}).status_code == 422
    services.settle(claim, "B", world.person("alpha", "vendor_billing"), how=Settlement.NEXT_INVOICE)
    db.session.commit()
    clock.set(datetime(2027, 1, 1, 2, 0, tzinfo=UTC))
    bill(agreement["tenant"], [agreement["contract"].id], date(2027, 1, 1))
    db.session.commit()
    december = db.session.scalars(select(Invoice).order_by(Invoice.id)).all()[-1]
    assert lines_of(december) == [("fee", Decimal("3000.00")), ("fee", Decimal("1200.00"))]
    assert december.total == Decimal("4200.00")


def test_s8_3_settled_by_a_credit_note_a_refund_or_written_off_by_the_claimant(db, world, agreement):
    billing, client_admin = world.person("alpha", "vendor_billing"), world.person("alpha", "client_admin")
    invoice = agreement["invoice"]
    noted = client_claim(agreement, world, direct="500.00", indirect=None)
    services.agree(noted, "B", billing)
    with pytest.raises(ServiceError, match="invoice the credit note"):
        services.settle(noted, "B", billing, how=Settlement.CREDIT_NOTE)
    balance = invoice.balance
    services.settle(noted, "B", billing, how=Settlement.CREDIT_NOTE, invoice=invoice)
    db.session.commit()
    note = db.session.get(CreditNote, noted.credit_note_id)
    assert (note.amount, noted.status) == (Decimal("500.00"), ClaimStatus.SETTLED)
    db.session.refresh(invoice)
    assert invoice.balance == balance - Decimal("500.00")
    assert note.number in noted.settlement_reference

    refunded = client_claim(agreement, world, direct="300.00", indirect=None)
    services.agree(refunded, "B", billing)
    with pytest.raises(ServiceError, match="reference"):
        services.settle(refunded, "B", billing, how=Settlement.REFUND)
    with pytest.raises(ServiceError, match="does not settle"):
        services.settle(refunded, "B", billing, how=Settlement.PAID)  # the vendor owes: no payment by the client
    services.settle(refunded, "B", billing, how=Settlement.REFUND, reference="网银 2026-1202-01")
    db.session.commit()
    assert (refunded.status, refunded.settlement_reference) == (ClaimStatus.SETTLED, "网银 2026-1202-01")

    given_up = client_claim(agreement, world, direct="200.00", indirect=None)
    services.agree(given_up, "B", billing)
    with pytest.raises(ServiceError, match="does not settle"):
        services.settle(given_up, "B", billing, how=Settlement.WRITTEN_OFF, reference="x")
    services.settle(given_up, "A", client_admin, how=Settlement.WRITTEN_OFF, reference="小额，不再追究")
    db.session.commit()
    assert given_up.status == ClaimStatus.SETTLED
    sums = services.of_contract(agreement["contract"], 2026)["sums"]["A"]
    assert sums == {"claimed": Decimal("1000.00"), "agreed": Decimal("1000.00"), "settled": Decimal("800.00")}


def test_s8_3_a_claim_withdrawn_before_it_is_answered(db, client, world, agreement):
    claim = client_claim(agreement, world)
    client.sign_in(world.person("alpha", "client_admin").email)
    refused = client.post_form(f"/t/alpha/portal/claims/{claim.id}/withdraw", {"reason": ""})
    assert refused.status_code == 422 and db.session.get(Claim, claim.id).status == ClaimStatus.SUBMITTED
    assert client.post_form(f"/t/alpha/portal/claims/{claim.id}/withdraw", {"reason": "已私下解决"}).status_code == 302
    db.session.refresh(claim)
    assert claim.status == ClaimStatus.WITHDRAWN
    with pytest.raises(ServiceError):
        services.agree(claim, "B", world.person("alpha", "vendor_billing"))


def test_s9_1_a_disputed_claim_waits_for_the_ladder_and_its_resolution_agrees_or_rejects_it(
    db, client, world, agreement
):
    admin, client_admin = world.person("alpha", "vendor_admin"), world.person("alpha", "client_admin")
    tenant, contract = agreement["tenant"], agreement["contract"]
    claim = client_claim(agreement, world)
    client.sign_in(admin.email)
    form = client.get(f"/t/alpha/disputes/new?subject=claim&id={claim.id}").get_data(as_text=True)
    assert "PC-2026-0001" in form and "9500.00" in form
    opened = client.post_form(
        f"/t/alpha/disputes/new?subject=claim&id={claim.id}",
        {"subject": "claim", "subject_id": claim.id, "contract_id": contract.id, "summary": "预期利润无依据"},
    )
    assert opened.status_code == 302
    db.session.refresh(claim)
    assert claim.status == ClaimStatus.DISPUTED
    with pytest.raises(ServiceError, match="open already"):
        disputes.open_dispute(
            tenant,
            "A",
            client_admin,
            subject=Subject.CLAIM,
            subject_id=claim.id,
            contract=None,
            summary="x",
            client_id=contract.client_id,
        )
    db.session.rollback()
    dispute = disputes.open_about(tenant, Subject.CLAIM, claim.id)
    disputes.escalate(dispute, admin, result="协商不成", deadline=date(2027, 1, 30))
    with pytest.raises(ServiceError, match="amount"):
        disputes.resolve(dispute, admin, outcome=Outcome.SETTLED, note="调解", amount=None)
    db.session.rollback()
    dispute = disputes.open_about(tenant, Subject.CLAIM, claim.id)
    disputes.resolve(dispute, admin, outcome=Outcome.SETTLED, note="调解达成 7,200.00", amount=Decimal("7200.00"))
    db.session.commit()
    db.session.refresh(claim)
    assert (claim.status, claim.agreed_amount) == (ClaimStatus.AGREED, Decimal("7200.00"))
    assert [e.kind for e in services.timeline(claim)] == ["submitted", "disputed", "decided"]

    # the vendor's claim disputed by the client and decided for the client: rejected
    other = vendor_claim(agreement, world)
    against = disputes.open_dispute(
        tenant,
        "A",
        client_admin,
        subject=Subject.CLAIM,
        subject_id=other.id,
        contract=None,
        summary="资料已提供",
        client_id=contract.client_id,
    )
    disputes.resolve(against, admin, outcome=Outcome.FOR_CLIENT, note="甲方已提供资料")
    db.session.commit()
    assert db.session.get(Claim, other.id).status == ClaimStatus.REJECTED

    # a dispute withdrawn: the claim is back where it was
    third = client_claim(agreement, world, direct="100.00", indirect=None)
    services.acknowledge(third, "B", world.person("alpha", "vendor_billing"))
    raised = disputes.open_dispute(
        tenant, "B", admin, subject=Subject.CLAIM, subject_id=third.id, contract=None, summary="x"
    )
    assert third.status == ClaimStatus.DISPUTED
    disputes.withdraw(raised, admin, "B", "同意赔付")
    db.session.commit()
    assert db.session.get(Claim, third.id).status == ClaimStatus.ACKNOWLEDGED
    # a settled claim is no longer disputable
    services.agree(third, "B", world.person("alpha", "vendor_billing"))
    services.settle(third, "B", world.person("alpha", "vendor_billing"), how=Settlement.REFUND, reference="r")
    db.session.commit()
    with pytest.raises(ServiceError, match="not yet settled"):
        disputes.open_dispute(
            tenant, "B", admin, subject=Subject.CLAIM, subject_id=third.id, contract=None, summary="x"
        )


def test_s10_4_agreed_damages_still_waiting_go_on_the_final_settlement(db, world, agreement, clock):
    admin = world.person("alpha", "vendor_admin")
    claim = client_claim(agreement, world, direct="450.00", indirect=None)
    services.agree(claim, "B", admin)
    services.settle(claim, "B", admin, how=Settlement.NEXT_INVOICE)
    clock.set(datetime(2026, 12, 5, 2, 0, tzinfo=UTC))
    changes.terminate_for_breach(agreement["contract"], date(2026, 12, 10), admin, note="TZ-2026-0009")
    db.session.commit()
    clock.set(datetime(2026, 12, 11, 2, 0, tzinfo=UTC))
    settle_final(agreement["contract"], admin)
    db.session.commit()
    final = db.session.scalar(select(Invoice).where(Invoice.kind == "settlement"))
    assert ("credit", Decimal("-450.00")) in lines_of(final)
    db.session.refresh(claim)
    assert (claim.status, claim.billed_invoice_id) == (ClaimStatus.SETTLED, final.id)


def test_s8_3_lists_pages_and_fragments_keep_each_client_to_its_own(db, client, world, agreement, make_signed_contract):
    mine = client_claim(agreement, world)
    client.sign_in(world.person("alpha", "vendor_billing").email)
    for url in ("/t/alpha/claims/", f"/t/alpha/claims/{mine.id}", "/t/alpha/claims/?status=submitted"):
        full = client.get(url)
        fragment = client.get(url, headers={"HX-Request": "true"})
        assert full.status_code == fragment.status_code == 200
        assert "<html" in full.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
        assert "PC-2026-0001" in fragment.get_data(as_text=True)
    assert "PC-2026-0001" not in client.get("/t/alpha/claims/?status=settled").get_data(as_text=True)
    contract_page = client.get(f"/t/alpha/contracts/{agreement['contract'].id}").get_data(as_text=True)
    assert "contract-claims" in contract_page and "9,500.00" in contract_page
    # the other client's admin sees nothing of it
    client.sign_in(world.person("alpha", "client_admin_2").email)
    assert "PC-2026-0001" not in client.get("/t/alpha/portal/claims/").get_data(as_text=True)
    assert client.get(f"/t/alpha/portal/claims/{mine.id}").status_code == 404
    assert client.get(f"/t/alpha/portal/claims/{mine.id}/files/1").status_code == 404
    # an engineer is not party to claims
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert client.get("/t/alpha/claims/").status_code == 403


def test_s8_3_claims_page_by_keyset(db, client, world, agreement):
    for _ in range(27):
        client_claim(agreement, world, direct="1.00", indirect=None)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    first = client.get("/t/alpha/claims/").get_data(as_text=True)
    assert first.count('data-testid="claim-row"') == 25 and "PC-2026-0027" in first and "PC-2026-0002" not in first
    newest_kept = db.session.scalars(select(Claim.id).order_by(Claim.id.desc())).all()[24]
    rest = client.get(f"/t/alpha/claims/?after={newest_kept}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert rest.count('data-testid="claim-row"') == 2 and "PC-2026-0001" in rest
    assert client.get("/t/alpha/claims/?after=abc").status_code == 200


def test_s2_3_3_a_loss_caused_by_consulting_advice_is_claimed_from_the_vendor(db, client, world, agreement):
    tenant, contract = agreement["tenant"], agreement["contract"]
    cats = {c.code: c for c in requests.categories(tenant)}
    consult = requests.create_request(
        tenant,
        contract.client_id,
        {"category_id": cats["CONSULT"].id, "subject": "数据库迁移方案咨询"},
        world.person("alpha", "client_user"),
    )
    advice = record_below_standard(
        consult,
        world.person("alpha", "vendor_admin"),
        description="迁移方案遗漏了字符集转换，导致迁移后数据乱码",
        happened_on=date(2026, 12, 1),
    )
    db.session.commit()
    client.sign_in(world.person("alpha", "client_admin").email)
    form = client.get(f"/t/alpha/portal/claims/new?contract={contract.id}").get_data(as_text=True)
    assert f"sla:{advice.id}" in form and "§8.1.1" in form
    done = client.post_form(
        f"/t/alpha/portal/claims/new?contract={contract.id}",
        {"direct_amount": "3600.00", "direct_description": "数据修复的人工费用", "breaches": f"sla:{advice.id}"},
    )
    assert done.status_code == 302
    claim = db.session.scalar(select(Claim))
    assert (claim.claimant_party, claim.total, claim.breaches[0].sla_breach_id) == ("A", Decimal("3600.00"), advice.id)
    assert claim.breaches[0].label.startswith("§8.1.1")


def test_s9_1_a_claim_agreed_in_part_keeps_the_agreed_part_when_the_claimant_loses_its_dispute(db, world, agreement):
    tenant, contract = agreement["tenant"], agreement["contract"]
    admin, client_admin = world.person("alpha", "vendor_admin"), world.person("alpha", "client_admin")
    claim = client_claim(agreement, world)
    services.agree(claim, "B", world.person("alpha", "vendor_billing"), amount=Decimal("5000.00"))
    dispute = disputes.open_dispute(
        tenant,
        "A",
        client_admin,
        subject=Subject.CLAIM,
        subject_id=claim.id,
        contract=None,
        summary="应全额赔偿",
        client_id=contract.client_id,
    )
    disputes.resolve(dispute, admin, outcome=Outcome.FOR_VENDOR, note="维持乙方认可的金额")
    db.session.commit()
    assert (claim.status, claim.agreed_amount) == (ClaimStatus.AGREED, Decimal("5000.00"))
    # a dispute opened before any answer and withdrawn: the claim is back to submitted, not acknowledged
    fresh = client_claim(agreement, world, direct="10.00", indirect=None)
    raised = disputes.open_dispute(
        tenant, "B", admin, subject=Subject.CLAIM, subject_id=fresh.id, contract=None, summary="x"
    )
    disputes.withdraw(raised, admin, "B", "再议")
    db.session.commit()
    assert fresh.status == ClaimStatus.SUBMITTED


def test_s8_3_an_evidence_file_with_an_overlong_type_is_kept_not_a_500(db, client, world, agreement):
    client.sign_in(world.person("alpha", "client_admin").email)
    contract = agreement["contract"]
    done = client.post_form(
        f"/t/alpha/portal/claims/new?contract={contract.id}",
        {
            "direct_amount": "10.00",
            "direct_description": "x",
            "direct_files": (BytesIO(b"x"), "a.bin", "application/" + "x" * 300),
            "breaches": f"sla:{agreement['vendor_breach'].id}",
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    assert len(db.session.scalar(select(Claim)).files[0].content_type) == 120
