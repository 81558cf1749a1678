"""§1.2: an amendment extending the term leaves the renewal window; a failed renewal reminder goes out next run."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from saas.contracts import changes, services, signing
from saas.contracts.models import Contract, ContractStatus
from saas.contracts.tasks import refresh_contract_statuses
from saas.core.models import MailMessage


@pytest.fixture
def in_force(world, make_contract, signed_by_both):
    contract = make_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2026, 1, 31))
    signed_by_both(contract)
    return contract


def test_s1_2_an_amendment_extending_the_term_takes_the_contract_out_of_the_renewal_window(db, clock, world, in_force):
    clock.set(datetime(2027, 1, 5, tzinfo=UTC))
    refresh_contract_statuses()
    assert db.session.get(Contract, in_force.id).status == ContractStatus.EXPIRING
    terms = {name: getattr(in_force, name) for name in services.TERM_FIELDS} | {"term_years": 3}
    lines = [
        {
            "service_id": ln.service_id,
            "description": ln.description,
            "quantity": ln.quantity,
            "monthly_fee": ln.monthly_fee,
        }
        for ln in in_force.lines
    ]
    change = changes.propose_amendment(in_force, terms, lines, date(2027, 1, 5), "")
    document = signing.documents_for(in_force, change.subject)[0]
    for party, role in (("B", "vendor_admin"), ("A", "client_admin")):
        changes.sign_change(change, party, world.person("alpha", role), document.id, document.sha256)
    db.session.commit()
    assert in_force.status == ContractStatus.ACTIVE and services.last_day(in_force) == date(2029, 1, 30)


def test_s1_2_a_reminder_that_failed_to_send_goes_out_on_the_next_run(app, db, clock, world, in_force, monkeypatch):
    import saas.core.mail as mail

    calls = []

    def flaky_smtp(to, subject, body, attachments=()):
        calls.append(to)
        if to.startswith("client_admin"):
            raise OSError("mail server down")

    monkeypatch.setattr(mail, "_send_smtp", flaky_smtp)
    app.config["MAIL_BACKEND"] = "smtp"
    try:
        clock.set(datetime(2027, 1, 5, tzinfo=UTC))
        with pytest.raises(OSError):
            refresh_contract_statuses()
        db.session.rollback()
        monkeypatch.setattr(mail, "_send_smtp", lambda to, subject, body, attachments=(): calls.append(to))
        refresh_contract_statuses()
        refresh_contract_statuses()
    finally:
        app.config["MAIL_BACKEND"] = "outbox"
    sent = sorted(db.session.scalars(select(MailMessage.to)))
    assert sent == ["client_admin@alpha.example.com", "vendor_admin@alpha.example.com"]
