"""Part 2 §3.1: what the parties recover from third parties under an agreement is capped at the service fees Party A
has paid Party B under it, read live from the payments: a bounced cheque lowers it; a claim above what remains is
refused with that figure, nothing written; two claims at once never pass it together."""

from decimal import Decimal

from sqlalchemy import func, select

from plugins.third_party import liability
from plugins.third_party.liability_models import ThirdPartyClaim
from saas.extensions import db
from saas.testing.race import at_once
from tests.plugins.payments_cheque.flow import cheque_data, record, step
from tests.plugins.third_party.liability_flow import approve, bill_november, claim_data, contract_url, pay


def test_p2_s3_1_the_cap_is_what_the_client_paid_under_the_agreement(tp, world, clock):
    approve(tp, world)
    assert liability.cap_of(tp["contract"]).paid == Decimal("0.00")  # nothing paid yet: nothing to recover
    invoice = bill_november(tp, clock)
    assert liability.cap_of(tp["contract"]).paid == Decimal("0.00")  # invoiced is not paid
    pay(tp, "1200.00", invoice=invoice)
    pay(tp, str(invoice.total - Decimal("1200.00") + Decimal("50.00")), reference="工行流水 002", invoice=invoice)
    cap = liability.cap_of(tp["contract"])
    # the 50.00 paid over the invoice is the client's credit, not yet a fee paid under this agreement
    assert (cap.paid, cap.recovered, cap.pending, cap.remaining) == (invoice.total, 0, 0, invoice.total)
    # money of the client's other agreement is not this agreement's fees
    assert liability.cap_of(tp["other_contract"]).paid == Decimal("0.00")


def test_p2_s3_1_a_claim_above_what_remains_is_refused_with_the_figure(tp, world, clock, client):
    approve(tp, world)
    invoice = bill_november(tp, clock)
    pay(tp, str(invoice.total + Decimal("1000.00")), invoice=invoice)  # the invoice in full, the rest credit
    client.sign_in(world.person("alpha", "vendor_admin").email)
    url = f"{contract_url(tp)}/claims/new"
    assert client.post_form(url, claim_data(tp, "2000.00")).status_code == 302
    left = invoice.total - Decimal("2000.00")
    response = client.post_form(url, claim_data(tp, str(left + Decimal("0.01"))))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-testid="claim-refusal"' in body
    assert f"at most {left} CNY may still be claimed" in body
    assert db.session.scalar(select(func.count(ThirdPartyClaim.id))) == 1
    assert client.post_form(url, claim_data(tp, str(left))).status_code == 302  # exactly what remains: taken
    page = client.get(f"/t/alpha/contracts/{tp['contract'].id}").get_data(as_text=True)
    assert 'data-testid="cap-remaining"><strong>¥0.00' in page or 'data-testid="cap-remaining"><strong>CN¥0.00' in page


def test_p2_s3_1_a_bounced_cheque_lowers_the_cap(tp, world, clock, client, enable_plugin):
    enable_plugin(tp["tenant"], "payments_cheque")
    approve(tp, world)
    invoice = bill_november(tp, clock)
    client.sign_in(world.person("alpha", "vendor_billing").email)
    data = cheque_data(
        world.clients("alpha")[0],
        invoice,
        amount=str(invoice.total),
        cheque_date="2026-12-02",
        received_on="2026-12-02",
    )
    cheque = record(client, db, data)
    assert step(client, cheque, "deposit", on="2026-12-02", bank="招商银行").status_code == 302
    assert step(client, cheque, "clear", on="2026-12-02").status_code == 302
    assert liability.cap_of(tp["contract"]).paid == invoice.total
    claim = liability.submit(
        tp["contract"],
        "B",
        tp["admin"],
        {
            **claim_data(tp),
            "subcontractor_id": tp["sub"].id,
            "direct_amount": Decimal("1000.00"),
            "indirect_amount": None,
        },
    )
    db.session.commit()
    assert step(client, cheque, "bounce", on="2026-12-02", reason="退票 returned").status_code == 302
    db.session.expire_all()
    cap = liability.cap_of(tp["contract"])
    assert (cap.paid, cap.pending, cap.remaining) == (Decimal("0.00"), Decimal("1000.00"), Decimal("0"))
    # nothing more may be claimed, nor may the claim standing be agreed, until the client pays again
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "vendor_admin").email)
    refused = client.post_form(f"{contract_url(tp)}/claims/new", claim_data(tp, "0.01"))
    assert refused.status_code == 422 and "at most 0.00 CNY may still be claimed" in refused.get_data(as_text=True)
    agree = client.post_form(f"/t/alpha/p/third_party/claims/{claim.id}/agree", {"amount": "", "note": ""})
    assert agree.status_code == 422 and "fees paid 0.00" in agree.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ThirdPartyClaim, claim.id).status == "submitted"


def test_p2_s3_1_two_claims_at_once_never_pass_the_cap_together(tp, world, clock, app):
    approve(tp, world)
    invoice = bill_november(tp, clock)
    pay(tp, str(invoice.total + Decimal("1000.00")), invoice=invoice)  # the invoice in full, the rest credit
    url = f"{contract_url(tp)}/claims/new"
    email = world.person("alpha", "vendor_admin").email
    each = invoice.total - Decimal("1000.00")  # either fits under the cap alone, not both together
    browsers = []
    for _ in range(2):
        browser = app.test_client()
        browser.sign_in(email)
        browsers.append((browser, {**claim_data(tp, str(each)), "csrf_token": browser.csrf_token(url)}))
    answers = at_once(*(lambda b=b, f=f: b.post(url, data=f).status_code for b, f in browsers))
    assert sorted(answers) == [302, 422]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ThirdPartyClaim.id))) == 1
    assert liability.cap_of(tp["contract"]).remaining == invoice.total - each


def test_p2_s3_1_money_a_credit_note_gives_back_counts_once_wherever_it_is_applied(tp, world, clock):
    from datetime import date

    from saas.billing import payments
    from saas.billing import services as billing
    from saas.billing.corrections import issue_credit_note
    from saas.billing.models import Invoice

    approve(tp, world)
    november = bill_november(tp, clock)
    pay(tp, str(november.total), invoice=november)
    assert liability.cap_of(tp["contract"]).paid == november.total
    issue_credit_note(november, Decimal("300.00"), "远程支持少提供一周 a week not delivered", tp["admin"])
    db.session.commit()
    # the 300.00 is the client's credit again: not a fee paid for this agreement's services
    assert liability.cap_of(tp["contract"]).paid == november.total - Decimal("300.00")
    billing.bill(tp["tenant"], [tp["contract"].id], date(2027, 1, 2))
    db.session.commit()
    december = db.session.scalars(
        select(Invoice).where(Invoice.contract_id == tp["contract"].id).order_by(Invoice.id.desc())
    ).first()
    payments.apply_credit(december)
    db.session.commit()
    # applied to December it counts there, and only there: the client has paid November's total, once
    assert liability.cap_of(tp["contract"]).paid == november.total
