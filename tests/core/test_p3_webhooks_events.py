"""Webhook events are published by the domains as things happen, once their transaction commits, never when it
rolls back, and only to the endpoints of the tenant they happened in."""

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from saas.billing.models import Invoice
from saas.billing.payments import record as record_payment
from saas.billing.payments import succeed as succeed_payment
from saas.billing.services import bill
from saas.core import events, webhooks
from saas.core.webhooks import WebhookEvent
from saas.extensions import db as _db
from saas.requests import services, sla
from saas.requests.models import RequestStatus


def register(tenant, url):
    webhooks.create_endpoint(tenant, {"url": url, "events": list(events.EVENT_TYPES)}, None)
    _db.session.commit()


def types(receiver):
    return [r.payload["type"] for r in receiver.received]


def raise_request(alpha, world, code="FAULT", subject="机房巡检"):
    return services.create_request(
        alpha["tenant"],
        alpha["client"].id,
        {"category_id": alpha["cats"][code].id, "subject": subject},
        world.person("alpha", "client_user"),
    )


def test_p3_webhooks_request_created_and_status_changed_are_published_on_commit(db, world, sla_alpha, receiver):
    register(sla_alpha["tenant"], receiver.url)
    req = raise_request(sla_alpha, world)
    assert receiver.received == []  # not before the commit
    db.session.commit()
    assert types(receiver) == ["request.created"]
    data = receiver.received[0].payload["data"]["request"]
    assert (data["id"], data["number"], data["status"], data["subject"]) == (req.id, req.number, "new", "机房巡检")
    assert data["client_id"] == sla_alpha["client"].id

    services.change_status(req, RequestStatus.IN_PROGRESS, world.person("alpha", "vendor_engineer"), by_client=False)
    db.session.commit()
    assert types(receiver) == ["request.created", "request.status_changed"]
    changed = receiver.received[1].payload["data"]
    assert (changed["from_status"], changed["to_status"]) == ("new", "in_progress")


def test_p3_webhooks_nothing_is_published_when_the_transaction_rolls_back(db, world, sla_alpha, receiver):
    register(sla_alpha["tenant"], receiver.url)
    raise_request(sla_alpha, world)
    db.session.rollback()
    db.session.commit()
    assert receiver.received == []
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0


def test_p3_webhooks_breach_recorded_is_published_by_the_sla_sweep(db, world, sla_alpha, clock, receiver):
    clock.set(datetime(2026, 11, 28, 15, 0, tzinfo=UTC))  # Saturday night in Shanghai: a 7x24 fault
    register(sla_alpha["tenant"], receiver.url)
    req = raise_request(sla_alpha, world, code="FAULT")
    db.session.commit()
    clock.set(req.response_due_at.replace(second=1))
    assert sla.sweep() == 1
    assert types(receiver) == ["request.created", "breach.recorded"]
    data = receiver.received[1].payload["data"]
    assert data["breach"]["kind"] == "response" and data["breach"]["clause"] == "8.1.2"
    assert data["request"]["number"] == req.number


def test_p3_webhooks_invoice_issued_and_payment_received_are_published(db, world, make_signed_contract, receiver):
    alpha, client = world.tenant("alpha"), world.clients("alpha")[0]
    contract = make_signed_contract(alpha, client, effective=date(2026, 1, 1))
    register(alpha, receiver.url)
    bill(alpha, [contract.id], date(2026, 2, 1))
    db.session.commit()
    invoice = db.session.scalar(select(Invoice).where(Invoice.contract_id == contract.id))
    assert types(receiver) == ["invoice.issued"]
    data = receiver.received[0].payload["data"]["invoice"]
    assert (data["id"], data["number"], data["total"], data["currency"]) == (
        invoice.id,
        invoice.number,
        str(invoice.total),
        "CNY",
    )

    payment, _created = record_payment(alpha, client.id, "manual", "BANK-REF-1", invoice.total, "CNY")
    db.session.commit()
    assert types(receiver) == ["invoice.issued"]  # recorded, not yet received
    succeed_payment(payment)
    db.session.commit()
    assert types(receiver) == ["invoice.issued", "payment.received"]
    paid = receiver.received[1].payload["data"]["payment"]
    assert paid["amount"] == str(invoice.total) and paid["reference"] == "BANK-REF-1"
    assert paid["allocations"] == [
        {"invoice_id": invoice.id, "invoice_number": invoice.number, "amount": str(invoice.total)}
    ]


def test_p3_webhooks_only_the_tenants_own_endpoints_receive_its_events(db, world, sla_alpha, receiver, second_receiver):
    register(sla_alpha["tenant"], receiver.url)
    register(world.tenant("beta"), second_receiver.url)
    raise_request(sla_alpha, world)
    db.session.commit()
    assert types(receiver) == ["request.created"]
    assert receiver.received[0].payload["tenant"] == "alpha"
    assert second_receiver.received == []


def test_p3_webhooks_an_endpoint_hears_only_the_events_it_chose(db, world, sla_alpha, receiver):
    webhooks.create_endpoint(sla_alpha["tenant"], {"url": receiver.url, "events": ["request.status_changed"]}, None)
    db.session.commit()
    req = raise_request(sla_alpha, world)
    db.session.commit()
    assert receiver.received == []
    services.change_status(req, RequestStatus.IN_PROGRESS, world.person("alpha", "vendor_engineer"), by_client=False)
    db.session.commit()
    assert types(receiver) == ["request.status_changed"]
