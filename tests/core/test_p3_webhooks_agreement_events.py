"""Webhook events of the agreement's enforcement: a service credit proposed and decided (§8.2), a notice sent, a
dispute opened and moved on (§9); each once its transaction commits, to the tenant's own endpoints."""

from datetime import UTC, date, datetime
from decimal import Decimal

from saas.core import dbscope, events, webhooks
from saas.credits import services as credits
from saas.credits.models import ServiceCredit
from saas.disputes import services as disputes
from saas.disputes.models import Subject
from saas.extensions import db as _db
from saas.notices import services as notices
from saas.notices.models import NoticeKind, Party
from saas.requests import services as requests
from saas.requests import sla


def types(receiver) -> list[str]:
    return [r.payload["type"] for r in receiver.received]


def test_p3_webhooks_credit_notice_and_dispute_events_are_published(db, world, sla_alpha, clock, receiver):
    tenant, contract = sla_alpha["tenant"], sla_alpha["contract"]
    agreement_events = ["credit.proposed", "credit.decided", "notice.sent", "dispute.opened", "dispute.changed"]
    webhooks.create_endpoint(tenant, {"url": receiver.url, "events": agreement_events}, None)
    _db.session.commit()

    # November: a general request unanswered past its 4 office hours (a breach of §8.1.2 on the remote line)
    clock.set(datetime(2026, 11, 3, 1, 0, tzinfo=UTC))
    requests.create_request(
        tenant,
        sla_alpha["client"].id,
        {"category_id": sla_alpha["cats"]["GENERAL"].id, "subject": "无法登录"},
        world.person("alpha", "client_user"),
    )
    _db.session.commit()
    clock.set(datetime(2026, 11, 4, 9, 0, tzinfo=UTC))
    sla.sweep()
    clock.set(datetime(2026, 11, 30, 16, 20, tzinfo=UTC))
    with dbscope.tenant(tenant.id):
        assert credits.propose_credits(tenant, date(2026, 12, 1)) == 1
    assert types(receiver) == []  # not before the commit
    _db.session.commit()
    assert types(receiver) == ["credit.proposed"]
    proposed = receiver.received[0].payload["data"]["credit"]
    assert (proposed["contract"], proposed["status"], proposed["amount"]) == (contract.number, "proposed", "300.00")

    credit = _db.session.get(ServiceCredit, proposed["id"])
    credits.waive(credit, world.person("alpha", "vendor_billing"), "日志不全")
    _db.session.commit()
    notices.send_notice(
        contract,
        Party.A,
        world.person("alpha", "client_admin"),
        {"kind": NoticeKind.DISPUTE, "subject": "对免除抵扣的异议", "body_zh": "响应超时属实。", "deadline": None},
    )
    _db.session.commit()
    dispute = disputes.open_dispute(
        tenant,
        "A",
        world.person("alpha", "client_admin"),
        subject=Subject.CREDIT,
        subject_id=credit.id,
        contract=None,
        summary="超时属实",
        client_id=credit.client_id,
    )
    _db.session.commit()
    disputes.escalate(
        dispute,
        world.person("alpha", "vendor_admin"),
        result="协商未果",
        deadline=None,
        where="北京市海淀区人民调解委员会",
    )
    _db.session.commit()
    assert types(receiver) == ["credit.proposed", "credit.decided", "notice.sent", "dispute.opened", "dispute.changed"]
    decided = receiver.received[1].payload["data"]["credit"]
    assert decided["status"] == "waived" and Decimal(decided["amount"]) == credit.amount
    assert receiver.received[2].payload["data"]["notice"]["kind"] == "dispute"
    changed = receiver.received[4].payload["data"]["dispute"]
    assert (changed["number"], changed["stage"], changed["status"]) == (dispute.number, "mediation", "open")


def test_p3_webhooks_the_agreement_events_are_in_the_registry_with_labels():
    for event_type in ("credit.proposed", "credit.decided", "notice.sent", "dispute.opened", "dispute.changed"):
        assert event_type in events.EVENT_TYPES and events.label(event_type) != event_type
