"""Rules a review found loose: the tamper guard's other doors, stale change agreements, retried reminders."""

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from saas.contracts import changes, services, signing
from saas.contracts.models import Contract, ContractLine, ContractStatus, TamperError
from saas.contracts.tasks import refresh_contract_statuses
from saas.core.errors import ServiceError
from saas.core.models import MailMessage


@pytest.fixture
def in_force(db, world, make_contract):
    contract = make_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2026, 1, 31))
    signing.send_for_signatures(contract)
    for party, role in (("B", "vendor_admin"), ("A", "client_admin")):
        document = signing.documents(contract)[0]
        signing.sign(contract, party, world.person("alpha", role), document.id, document.sha256)
    db.session.commit()
    return contract


def test_s10_2_signed_fee_lines_cannot_be_removed_or_added(db, in_force):
    in_force.lines.clear()
    with pytest.raises(TamperError):
        db.session.commit()
    db.session.rollback()
    db.session.add(
        ContractLine(
            tenant_id=in_force.tenant_id,
            client_id=in_force.client_id,
            contract_id=in_force.id,
            description="smuggled",
            quantity=Decimal(1),
            monthly_fee=Decimal(1),
        )
    )
    with pytest.raises(TamperError):
        db.session.commit()
    db.session.rollback()


def test_s10_2_a_signed_contract_cannot_be_walked_back_to_draft_to_edit_it(db, in_force):
    in_force.status = ContractStatus.DRAFT
    with pytest.raises(TamperError):
        db.session.flush()
    db.session.rollback()
    in_force.ends_on = date(2030, 1, 1)
    with pytest.raises(TamperError):
        db.session.commit()
    db.session.rollback()


def test_s10_2_a_change_agreement_is_not_applied_once_the_contract_is_no_longer_in_force(db, clock, world, in_force):
    change = changes.propose_termination(in_force, date(2026, 6, 30), "")
    db.session.commit()
    clock.set(datetime(2027, 2, 1, tzinfo=UTC))
    refresh_contract_statuses()
    document = signing.documents_for(in_force, change.subject)[0]
    with pytest.raises(ServiceError, match="in force"):
        changes.sign_change(change, "B", world.person("alpha", "vendor_admin"), document.id, document.sha256)


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


def test_s10_2_retyping_the_same_rate_is_not_a_change(db, in_force):
    terms = {name: getattr(in_force, name) for name in services.TERM_FIELDS} | {"penalty_rate": Decimal("0.1")}
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
        changes.propose_amendment(in_force, terms, lines, date(2026, 6, 1), "")


def test_s7_1_the_client_does_not_see_the_vendors_drafts(client, db, world, make_contract):
    draft = make_contract(world.tenant("alpha"), world.clients("alpha")[0], title="Still a draft")
    client.sign_in(world.person("alpha", "client_admin").email)
    assert draft.number not in client.get("/t/alpha/portal/contracts/").get_data(as_text=True)
    assert client.get(f"/t/alpha/portal/contracts/{draft.id}").status_code == 404


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


def test_s14_pdf_of_a_contract_with_a_chinese_number_downloads(client, db, world, make_contract):
    services.save_defaults(
        world.tenant("alpha"), services.draft_terms(world.tenant("alpha")) | {"number_pattern": "售后-{year}-{seq}"}
    )
    db.session.commit()
    contract = make_contract(world.tenant("alpha"), world.clients("alpha")[0])
    signing.send_for_signatures(contract)
    db.session.commit()
    document = signing.documents(contract)[0]
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.get(f"/t/alpha/contracts/{contract.id}/documents/{document.id}/pdf")
    disposition = response.headers["Content-Disposition"]
    disposition.encode("latin-1")  # a real server must be able to send it
    assert "filename*=UTF-8''" in disposition


def test_s10_1_both_parties_signing_at_once_still_puts_the_contract_in_force(app, db, world, make_contract):
    contract = make_contract(world.tenant("alpha"), world.clients("alpha")[0])
    signing.send_for_signatures(contract)
    db.session.commit()
    document_id, sha = signing.documents(contract)[0].id, signing.documents(contract)[0].sha256
    signers = {"B": world.person("alpha", "vendor_admin").id, "A": world.person("alpha", "client_admin").id}
    barrier, errors = threading.Barrier(2), []

    def sign(party):
        from saas.core.models import User
        from saas.extensions import db as database

        with app.app_context():
            try:
                row = database.session.get(Contract, contract.id)
                barrier.wait()
                signing.sign(row, party, database.session.get(User, signers[party]), document_id, sha)
                database.session.commit()
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)

    threads = [threading.Thread(target=sign, args=(p,)) for p in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not errors
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == ContractStatus.ACTIVE
