"""Part 2 §3.1–§3.2 on each claim: the cap, what was already recovered (claims agreed or recovered against third
parties on the agreement) and what remains; a refusal frees its share, an agreement never passes the cap."""

from datetime import date
from decimal import Decimal

from plugins.third_party import liability
from saas.extensions import db
from tests.plugins.third_party.liability_flow import approve, bill_november, claim_data, contract_url, pay


def _claim(tp, amount):
    data = {
        **claim_data(tp),
        "subcontractor_id": tp["sub"].id,
        "direct_amount": Decimal(amount),
        "indirect_amount": None,
    }
    claim = liability.submit(tp["contract"], "B", tp["admin"], data)
    db.session.commit()
    return claim


def test_p2_s3_2_agreed_and_recovered_claims_count_as_recovered_and_a_refusal_frees_its_share(tp, world, clock, client):
    approve(tp, world)
    invoice = bill_november(tp, clock)
    pay(tp, str(invoice.total), invoice=invoice)
    first, second, third = _claim(tp, "1000.00"), _claim(tp, "800.00"), _claim(tp, "500.00")
    client.sign_in(world.person("alpha", "vendor_admin").email)
    base = "/t/alpha/p/third_party/claims"
    assert (
        client.post_form(f"{base}/{first.id}/agree", {"amount": "600.00", "note": "协商后 after talks"}).status_code
        == 302
    )
    assert client.post_form(f"{base}/{second.id}/reject", {"note": ""}).status_code == 422
    assert client.post_form(f"{base}/{second.id}/reject", {"note": "不认可 denies it"}).status_code == 302
    db.session.expire_all()
    cap = liability.cap_of(tp["contract"])
    assert (cap.recovered, cap.pending) == (Decimal("600.00"), Decimal("500.00"))
    assert cap.remaining == invoice.total - Decimal("1100.00")
    assert client.post_form(f"{base}/{first.id}/recover", {"on": "2026-12-03"}).status_code == 422  # a day to come
    assert client.post_form(f"{base}/{first.id}/recover", {"on": "2026-12-02"}).status_code == 302
    db.session.expire_all()
    assert (first.status, first.recovered_on) == ("recovered", date(2026, 12, 2))
    assert liability.cap_of(tp["contract"]).recovered == Decimal("600.00")
    page = client.get(f"{base}/{third.id}").get_data(as_text=True)
    for testid in ("cap-paid", "cap-recovered", "cap-pending", "cap-remaining"):
        assert f'data-testid="{testid}"' in page
    assert "600.00" in page.split('data-testid="cap-recovered"')[1][:40]
    # answering twice, or answering a claim that moved on, is refused
    again = client.post_form(f"{base}/{first.id}/agree", {"amount": "", "note": ""})
    assert again.status_code == 422 and "This claim has moved on" in again.get_data(as_text=True)


def test_p2_s3_2_only_the_claimant_records_the_answer(tp, world, clock, client):
    approve(tp, world)
    invoice = bill_november(tp, clock)
    pay(tp, str(invoice.total), invoice=invoice)
    claim = _claim(tp, "100.00")
    client.sign_in(world.person("alpha", "client_admin").email)
    response = client.post_form(f"/t/alpha/p/third_party/claims/{claim.id}/agree", {"amount": "", "note": ""})
    assert response.status_code == 422 and "Only the party that made the claim" in response.get_data(as_text=True)
    db.session.expire_all()
    assert claim.status == "submitted"
    assert client.get(f"{contract_url(tp)}/claims/new").status_code == 200  # it may claim on its own account
