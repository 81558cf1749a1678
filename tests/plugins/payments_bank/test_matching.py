"""§3.2.1 matching transfers to invoices: by the RF reference or invoice number, by payer name and amount when
unambiguous, else by a person; each line pays once, through the core, which keeps any overpayment as credit."""

import threading
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select, update

from plugins.payments_bank import imports, matching
from plugins.payments_bank.models import LineStatus, StatementLine
from plugins.payments_bank.reference import printed
from saas.billing import payments, services
from saas.billing.models import Invoice, InvoiceStatus, Payment, PaymentAllocation, PaymentStatus
from tests.plugins.payments_bank.conftest import SHANGHAI
from tests.plugins.payments_bank.samples import camt053, mt940

BASE = "/t/alpha/p/payments_bank"


def transfer(world, bank, amount, remark, name="", day=date(2028, 3, 5), ref=None):
    """Import a one-line MT940 statement for alpha; returns its line."""
    details = f"/NAME/{name}/REMI/{remark}" if name else remark
    reference = ref or f"{day:%Y%m%d}{abs(hash((amount, remark, name))) % 10**6:06d}"
    imports.import_statement(
        world.tenant("alpha"), bank, "s.sta", mt940([(day, "C", amount, reference, details)]), "mt940"
    )
    return db_line(reference)


def db_line(reference):
    from saas.extensions import db

    db.session.flush()
    return db.session.scalar(select(StatementLine).where(StatementLine.bank_reference == reference))


def state(db, *rows):
    db.session.expire_all()
    return [(i.status, i.balance) for i in rows]


def test_s3_2_1_a_transfer_quoting_the_reference_pays_that_invoice_exactly(db, world, invoices, bank):
    january, february = invoices
    remark = "货款 " + printed(february.number).lower()  # lower case, spaces: still the reference
    line = transfer(world, bank, "8000.00", remark, name="付款人不同名也可")
    db.session.commit()
    assert state(db, january, february) == [
        (InvoiceStatus.ISSUED, Decimal("8000.00")),
        (InvoiceStatus.PAID, Decimal("0.00")),
    ]
    assert (line.status, line.matched_how, line.client_id) == (LineStatus.MATCHED, "reference", february.client_id)
    payment = db.session.get(Payment, line.payment_id)
    assert (payment.provider, payment.status, payment.amount, payment.invoice_id) == (
        "payments_bank",
        PaymentStatus.SUCCEEDED,
        Decimal("8000.00"),
        february.id,
    )
    assert payment.received_on == date(2028, 3, 5) and payment.data["remark"] == remark
    assert payments.credit_balance(february.client_id, "CNY") == Decimal("0.00")


def test_s3_2_1_an_overpayment_by_reference_becomes_the_clients_credit(db, world, invoices, bank):
    january, february = invoices
    transfer(world, bank, "9000.00", f"RF付款 {printed(january.number).replace(' ', '')}")
    db.session.commit()
    assert state(db, january, february) == [
        (InvoiceStatus.PAID, Decimal("0.00")),
        (InvoiceStatus.ISSUED, Decimal("8000.00")),
    ]
    assert payments.credit_balance(january.client_id, "CNY") == Decimal("1000.00")


def test_s3_2_1_an_invoice_number_in_the_remark_is_a_reference_too(db, world, invoices, bank):
    _january, february = invoices
    line = transfer(world, bank, "8000.00", "支付inv 2028 000002服务费")
    assert line.status == LineStatus.MATCHED and state(db, february) == [(InvoiceStatus.PAID, Decimal("0.00"))]


def test_s3_2_1_a_mistyped_reference_and_an_ambiguous_payer_wait_for_a_person(db, world, invoices, bank):
    january, february = invoices
    good = printed(january.number)
    typo = good[:-1] + ("2" if good[-1] != "2" else "3")  # the check digits catch it: it names no invoice
    name = world.clients("alpha")[0].legal_name
    mistyped = transfer(world, bank, "8000.00", typo)
    # The payer is the client, but 8,000.00 is the balance of two of its invoices: which one is not certain.
    ambiguous = transfer(world, bank, "8000.00", "服务费", name=name, day=date(2028, 3, 6))
    stranger = transfer(world, bank, "8000.00", "服务费", name="无关公司", day=date(2028, 3, 7))
    db.session.commit()
    assert [r.status for r in (mistyped, ambiguous, stranger)] == [LineStatus.UNMATCHED] * 3
    assert state(db, january, february) == [(InvoiceStatus.ISSUED, Decimal("8000.00"))] * 2
    assert db.session.scalar(select(func.count(Payment.id))) == 0
    # Once January is paid otherwise, February is the only invoice of that client for that amount.
    payments.succeed(
        payments.record(
            world.tenant("alpha"),
            january.client_id,
            "manual",
            "CASH-1",
            Decimal("8000.00"),
            "CNY",
            invoice_id=january.id,
        )[0]
    )
    assert matching.reconcile(world.tenant("alpha")) == 1
    db.session.commit()
    assert (ambiguous.status, ambiguous.matched_how) == (LineStatus.MATCHED, "name_and_amount")
    assert state(db, february) == [(InvoiceStatus.PAID, Decimal("0.00"))]
    assert matching.waiting_count(world.tenant("alpha")) == 2


def test_s3_2_1_reconcile_matches_a_line_once_its_invoice_exists(db, world, invoices, bank, clock):
    from saas.billing.tasks import reconcile_payments

    january, _february = invoices
    march_number = "INV-2028-000003"  # not issued yet: the client paid ahead, quoting the coming invoice
    line = transfer(world, bank, "8000.00", printed(march_number), day=date(2028, 3, 30))
    db.session.commit()
    assert line.status == LineStatus.UNMATCHED
    clock.set(datetime(2028, 4, 2, 1, tzinfo=SHANGHAI))
    assert reconcile_payments() == 0
    services.bill(world.tenant("alpha"), [january.contract_id], date(2028, 4, 2))
    db.session.commit()
    assert reconcile_payments() == 1
    assert reconcile_payments() == 0  # matched once
    march = db.session.scalar(select(Invoice).where(Invoice.number == march_number))
    db.session.expire_all()
    assert (march.status, march.balance, line.status) == (InvoiceStatus.PAID, Decimal("0.00"), LineStatus.MATCHED)


def test_s3_2_1_billing_staff_match_a_waiting_line_through_the_screens(db, client, world, invoices, bank):
    january, february = invoices
    first, second = world.clients("alpha")
    line = transfer(world, bank, "10000.00", "汇款", name="上海某某贸易有限公司")
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_billing").email)
    queue = client.get(f"{BASE}/unmatched").get_data(as_text=True)
    assert "上海某某贸易有限公司" in queue and f"{BASE}/lines/{line.id}" in queue
    page = client.get(f"{BASE}/lines/{line.id}").get_data(as_text=True)
    assert 'data-testid="match-form"' in page and first.legal_name in page and january.number not in page
    fragment = client.get(f"{BASE}/lines/{line.id}?client_id={first.id}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert january.number in body and february.number in body and "<html" not in body
    response = client.post_form(
        f"{BASE}/lines/{line.id}/match", {"client_id": str(second.id), "invoice_id": str(february.id)}
    )
    assert response.status_code == 422  # February is not the second client's
    assert db.session.scalar(select(func.count(Payment.id))) == 0
    data = {"client_id": str(first.id), "invoice_id": str(february.id)}
    assert client.post_form(f"{BASE}/lines/{line.id}/match", data).status_code == 302
    # February first as chosen, the rest to the oldest open invoice.
    assert state(db, january, february) == [
        (InvoiceStatus.PARTIALLY_PAID, Decimal("6000.00")),
        (InvoiceStatus.PAID, Decimal("0.00")),
    ]
    again = client.post_form(f"{BASE}/lines/{line.id}/match", {"client_id": str(first.id), "invoice_id": ""})
    assert again.status_code == 302
    assert "This line was already dealt with." in client.get(again.location).get_data(as_text=True)
    assert db.session.scalar(select(func.count(PaymentAllocation.id))) == 2
    page = client.get(f"{BASE}/lines/{line.id}").get_data(as_text=True)
    assert 'data-testid="line-paid"' in page and january.number in page and february.number in page
    assert "Vendor Billing" in page or world.person("alpha", "vendor_billing").name in page
    invoice_page = client.get(f"/t/alpha/billing/{february.id}").get_data(as_text=True)
    assert matching.payment_reference(db.session.get(StatementLine, line.id)) in invoice_page
    assert "上海某某贸易有限公司" not in client.get(f"{BASE}/unmatched").get_data(as_text=True)


def test_s3_2_1_a_line_that_is_not_a_client_payment_is_set_aside_with_its_reason(db, client, world, invoices, bank):
    line = transfer(world, bank, "86.35", "结息", name="中国工商银行上海张江支行")
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.post_form(f"{BASE}/lines/{line.id}/set-aside", {"reason": " "})
    assert response.status_code == 422 and "Say why this is not a client payment." in response.get_data(as_text=True)
    assert client.post_form(f"{BASE}/lines/{line.id}/set-aside", {"reason": "活期利息"}).status_code == 302
    db.session.expire_all()
    assert (line.status, line.reason, line.decided_by_id) == (
        LineStatus.IGNORED,
        "活期利息",
        world.person("alpha", "vendor_admin").id,
    )
    client.post_form(f"{BASE}/lines/{line.id}/match", {"client_id": str(world.clients("alpha")[0].id)})
    assert db.session.scalar(select(func.count(Payment.id))) == 0  # set aside: it pays nothing afterwards
    page = client.get(f"{BASE}/lines/{line.id}").get_data(as_text=True)
    assert 'data-testid="line-ignored"' in page and "活期利息" in page


def test_s3_2_1_a_camt_credit_in_another_currency_waits_for_a_person(db, world, invoices, bank):
    january, _february = invoices
    data = camt053([{"day": date(2028, 3, 5), "amount": "1100.00", "remark": printed(january.number), "ref": "U-1"}])
    imports.import_statement(
        world.tenant("alpha"), bank, "usd.xml", data.replace(b'Ccy="CNY"', b'Ccy="USD"'), "camt053"
    )
    db.session.commit()
    line = db.session.scalar(select(StatementLine))
    assert (line.currency, line.status) == ("USD", LineStatus.UNMATCHED)
    assert state(db, january) == [(InvoiceStatus.ISSUED, Decimal("8000.00"))]


def test_s3_2_1_one_line_matched_at_the_same_moment_twice_credits_once(db, world, invoices, bank, app):
    january, _ = invoices
    line = transfer(world, bank, "8000.00", "汇款", name="某公司")
    db.session.commit()
    line_id, client_id, staff = line.id, january.client_id, world.person("alpha", "vendor_billing").id
    barrier, errors = threading.Barrier(2, timeout=10), []

    def clerk():
        from saas.core.models import User
        from saas.extensions import db as database

        with app.app_context():
            try:
                row = database.session.get(StatementLine, line_id)
                barrier.wait()
                matching.match_manually(row, client_id, None, database.session.get(User, staff))
                database.session.commit()
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)

    threads = [threading.Thread(target=clerk) for _ in range(2)]  # two people, or two tabs, at once
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Payment.id))) == 1
    assert db.session.scalar(select(func.count(PaymentAllocation.id))) == 1
    assert db.session.get(Invoice, january.id).balance == Decimal("0.00")


def test_s3_2_1_a_camt_reversal_is_skipped_as_debits_are_never_a_second_payment(db, world, invoices, bank):
    january, _february = invoices
    tenant, reference = world.tenant("alpha"), printed(january.number)
    paid = camt053([{"day": date(2028, 3, 5), "amount": "8000.00", "remark": reference, "ref": "R-1"}])
    assert imports.import_statement(tenant, bank, "0305.xml", paid, "camt053").counts["matched"] == 1
    # The next day the bank takes the credit back (DBIT, RvslInd) and returns a fee it had charged (CRDT, RvslInd).
    taken_back = camt053(
        [
            {
                "day": date(2028, 3, 6),
                "amount": "8000.00",
                "credit": False,
                "reversal": True,
                "remark": reference,
                "ref": "R-2",
            },
            {"day": date(2028, 3, 6), "amount": "35.00", "reversal": True, "remark": "手续费冲正", "ref": "R-3"},
            {"day": date(2028, 3, 6), "amount": "8000.00", "status": "PDNG", "remark": reference, "ref": "R-4"},
        ]
    )
    done = imports.import_statement(tenant, bank, "0306.xml", taken_back, "camt053")
    db.session.commit()
    assert done.counts == {"new": 0, "known": 0, "debits": 2, "matched": 0}
    assert db.session.scalar(select(func.count(StatementLine.id))) == 1
    assert db.session.scalar(select(func.count(Payment.id))) == 1
    assert payments.credit_balance(january.client_id, "CNY") == Decimal("0.00")


def test_s3_2_1_a_reference_running_on_into_digits_pays_the_invoice_that_exists(db, world, invoices, bank):
    january, february = invoices
    # RF13 validates 2028100088 and, with the "3" of "3月" after it, 20281000883 too: only the first is an invoice.
    db.session.execute(update(Invoice).where(Invoice.id == january.id).values(number="INV-2028-100088"))
    assert printed("INV-2028-100088") == "RF13 2028 1000 88"
    line = transfer(world, bank, "8000.00", "RF13 2028 1000 88 3月服务费")
    db.session.commit()
    assert (line.status, line.matched_how) == (LineStatus.MATCHED, "reference")
    assert state(db, january, february)[0] == (InvoiceStatus.PAID, Decimal("0.00"))
    # Were both readings invoices of the tenant, the reference would name neither: a person decides.
    db.session.execute(update(Invoice).where(Invoice.id == february.id).values(number="INV-2028-1000883"))
    line = transfer(world, bank, "8000.00", "RF13 2028 1000 88 3月服务费", day=date(2028, 3, 6))
    db.session.commit()
    assert line.status == LineStatus.UNMATCHED and state(db, february) == [(InvoiceStatus.ISSUED, Decimal("8000.00"))]


def test_s3_2_1_reconcile_goes_through_every_waiting_line_and_tries_only_those_that_could_match(
    db, world, invoices, bank, clock, monkeypatch
):
    january, _february = invoices
    tenant = world.tenant("alpha")
    monkeypatch.setattr(matching, "RECONCILE_BATCH", 2)
    # Older lines that will never match (no reference, a payer who is not a client), more than a batch of them…
    for n in range(5):
        transfer(world, bank, f"{n + 1}.00", "利息", name="中国工商银行", day=date(2028, 3, 1 + n))
    # …and a newer one quoting the invoice the client paid ahead, not issued yet.
    march_number = "INV-2028-000003"
    line = transfer(world, bank, "8000.00", printed(march_number), day=date(2028, 3, 30))
    db.session.commit()
    assert matching.waiting_count(tenant) == 6
    clock.set(datetime(2028, 4, 2, 1, tzinfo=SHANGHAI))
    services.bill(tenant, [january.contract_id], date(2028, 4, 2))
    db.session.commit()
    tried = []
    real = matching.match_automatically
    monkeypatch.setattr(matching, "match_automatically", lambda row: tried.append(row.id) or real(row))
    assert matching.reconcile(tenant) == 1
    db.session.commit()
    assert tried == [line.id]  # the lines that cannot match are not locked and tried again
    march = db.session.scalar(select(Invoice).where(Invoice.number == march_number))
    db.session.expire_all()
    assert (line.status, march.status) == (LineStatus.MATCHED, InvoiceStatus.PAID)
    assert matching.reconcile(tenant) == 0 and matching.waiting_count(tenant) == 5
