"""§3.2.1 how to pay by transfer: the vendor's account and the invoice's own RF reference on the invoice page, in
the portal and in the PDF; bank transfer is an offline method."""

from sqlalchemy import select

from plugins.payments_bank.models import BankAccount
from plugins.payments_bank.reference import (
    creditor_reference,
    invoice_mentions,
    invoice_number_of,
    invoice_numbers_in,
    printed,
)
from saas.billing import document, methods
from saas.extensions import db as _db


def test_s3_2_1_the_reference_is_an_iso_11649_creditor_reference_of_the_invoice_number():
    assert creditor_reference("INV-2026-000123") == "RF462026000123"
    assert printed("INV-2026-000123") == "RF46 2026 0001 23"
    assert invoice_number_of("rf46 2026 0001 23") == "INV-2026-000123"
    assert invoice_number_of("RF47 2026 0001 23") is None  # a typo fails the check digits
    assert invoice_numbers_in("付 RF46 2026 0001 23 1月费用") == ["INV-2026-000123"]  # the body stops where it must
    assert printed("INV-2026-000124") != printed("INV-2026-000123")


def test_s3_2_1_a_reference_running_on_into_digits_is_read_as_the_number_billing_issues():
    # RF13 validates both 2026000038 and 20260000383; billing never issues INV-2026-0000383 (a 0-padded sequence).
    assert invoice_number_of("RF13 2026 0000 38 3") is None and printed("INV-2026-000038") == "RF13 2026 0000 38"
    assert invoice_numbers_in("RF13 2026 0000 38 3月") == ["INV-2026-000038"]
    # Where both readings could be issued numbers, both are kept, longest first: the tenant's invoices decide.
    assert invoice_mentions("RF13 2028 1000 88 3月 inv-2028-000001") == [
        ("INV-2028-1000883", "INV-2028-100088"),
        ("INV-2028-000001",),
    ]


def test_s3_2_1_bank_transfer_is_an_offline_payment_method(db, world, bank):
    [method] = [m for m in methods.payment_methods(world.tenant("alpha")) if m.name == "payments_bank"]
    assert (str(method.label), method.online) == ("Bank transfer", False)
    assert "payments_bank" not in {m.name for m in methods.payment_methods(world.tenant("beta"))}


def test_s3_2_1_instructions_and_reference_on_the_invoice_page_portal_and_pdf(db, client, world, invoices, bank):
    january, _ = invoices
    reference = printed(january.number)
    client.sign_in(world.person("alpha", "client_admin").email)
    page = client.get(f"/t/alpha/portal/invoices/{january.id}").get_data(as_text=True)
    assert 'data-testid="instructions-payments_bank"' in page
    shown = (reference, "中国工商银行", "上海张江支行", "阿尔法信息技术有限公司", bank.account_number, "8,000.00")
    for expected in shown:
        assert expected in page, expected
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "vendor_billing").email)
    assert reference in client.get(f"/t/alpha/billing/{january.id}").get_data(as_text=True)
    with client.application.test_request_context():
        html = document.render_html(_db.session.get(type(january), january.id), "zh_Hans_CN")
        english = document.render_html(_db.session.get(type(january), january.id), "en")
    assert reference in html and bank.account_number in html and "附言" in html
    assert reference in english and "Payment reference" in english


def test_s3_2_1_no_account_in_the_invoice_currency_no_transfer_instructions(db, client, world, invoices, bank):
    january, _ = invoices
    _db.session.execute(BankAccount.__table__.update().values(currency="USD"))
    _db.session.commit()
    assert methods.instructions(world.tenant("alpha"), january) == []
    assert _db.session.scalar(select(BankAccount.currency)) == "USD"
