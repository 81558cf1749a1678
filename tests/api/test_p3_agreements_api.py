"""The API's read-only view of the agreement's enforcement: breaches (§8.1), service credits (§8.2), disputes (§9);
a client-restricted token sees its own client's only, another vendor's token none; keyset pages."""

from datetime import date

from sqlalchemy import select

from saas.contracts.models import Contract
from saas.credits.models import CreditStatus, ServiceCredit
from saas.disputes import services as disputes
from saas.disputes.models import Subject
from saas.extensions import db
from saas.requests import sla
from tests.conftest import service_credit


def credit_for(world, client_index: int, amount: str, month: int = 11) -> ServiceCredit:
    client = world.clients("alpha")[client_index]
    contract = db.session.scalar(select(Contract).where(Contract.client_id == client.id))
    start, end = date(2026, month, 1), date(2026 + month // 12, month % 12 + 1, 1)
    credit = service_credit(contract, amount=amount, start=start, end=end, status=CreditStatus.WAIVED)
    db.session.commit()
    return credit


def test_p3_api_lists_breaches_credits_and_disputes_a_client_token_its_own_only(client, api, world, clock):
    api.raise_request(code="FAULT")  # client 1: a fault answered within 2 hours, or breached
    api.raise_request(client_index=1, code="FAULT")
    clock.advance(hours=3)
    sla.sweep()
    db.session.commit()
    first, _second = credit_for(world, 0, "300.00"), credit_for(world, 1, "150.00")
    disputes.open_dispute(
        world.tenant("alpha"),
        "A",
        world.person("alpha", "client_admin"),
        subject=Subject.CREDIT,
        subject_id=first.id,
        contract=None,
        summary="超时属实",
        client_id=first.client_id,
    )
    db.session.commit()

    vendor = api.bearer(api.token())
    breaches = client.get("/api/v1/breaches", headers=vendor).get_json()
    assert {b["clause"] for b in breaches["items"]} == {"8.1.2"} and len(breaches["items"]) == 2
    credits = client.get("/api/v1/credits", headers=vendor).get_json()
    assert [c["amount"] for c in credits["items"]] == ["150.00", "300.00"]  # newest first, decimal strings
    found = client.get("/api/v1/disputes?status=open", headers=vendor).get_json()["items"]
    assert [(d["number"], d["stage"], d["steps"][0]["clause"]) for d in found] == [
        ("ZY-2026-0001", "negotiation", "9.1")
    ]

    own = api.bearer(api.token(client_index=1))
    assert [c["amount"] for c in client.get("/api/v1/credits", headers=own).get_json()["items"]] == ["150.00"]
    assert client.get("/api/v1/disputes", headers=own).get_json()["items"] == []
    assert len(client.get("/api/v1/breaches", headers=own).get_json()["items"]) == 1

    other_vendor = api.bearer(api.token("beta"))
    assert client.get("/api/v1/credits", headers=other_vendor).get_json()["items"] == []
    assert client.get("/api/v1/breaches", headers=other_vendor).get_json()["items"] == []


def test_p3_api_agreement_pages_follow_next_and_refuse_made_up_cursors(client, api, world):
    for month, amount in ((10, "1.00"), (11, "2.00"), (12, "3.00")):
        credit_for(world, 0, amount, month)
    vendor = api.bearer(api.token())
    page = client.get("/api/v1/credits?limit=2", headers=vendor).get_json()
    assert [c["amount"] for c in page["items"]] == ["3.00", "2.00"] and page["next"]
    rest = client.get(f"/api/v1/credits?limit=2&after={page['next']}", headers=vendor).get_json()
    assert [c["amount"] for c in rest["items"]] == ["1.00"] and rest["next"] is None
    for bad in ("nonsense", "aWQ6eA", "aWQ6OTk5OTk5OTk5OTk5OTk5"):
        answer = client.get(f"/api/v1/credits?after={bad}", headers=vendor)
        assert answer.status_code == 422 and "cursor" in answer.get_json()["reason"]
    assert client.get("/api/v1/credits?status=everything", headers=vendor).status_code == 422
    assert client.get("/api/v1/credits?limit=0", headers=vendor).status_code == 422


def test_p3_api_agreement_lists_need_their_scope(client, api):
    narrow = api.bearer(api.token(scopes=("requests:read",)))
    answer = client.get("/api/v1/disputes", headers=narrow)
    assert answer.status_code == 403 and "agreements:read" in answer.get_json()["reason"]
