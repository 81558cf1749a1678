"""§3.1 invoices people can read: HTML and PDF in Chinese and English, mailed with the PDF once issued."""

import io
import socket
from datetime import date, datetime
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from saas.billing import notify, services
from saas.billing.models import Invoice
from saas.core.models import MailMessage

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def to_bill(db, world, make_signed_contract, clock):
    """Alpha's first client, with a billing contact, under a contract from January 2028; the clock at 1 February."""
    from saas.core.clients import add_contact

    clock.set(datetime(2027, 12, 20, 10, tzinfo=SHANGHAI))
    client = world.clients("alpha")[0]
    add_contact(
        client, {"name": "李会计", "title": "", "email": "finance@client.example.com", "phone": "", "is_billing": True}
    )
    add_contact(
        client, {"name": "王经理", "title": "", "email": "it@client.example.com", "phone": "", "is_billing": False}
    )
    contract = make_signed_contract(
        world.tenant("alpha"),
        client,
        effective=date(2028, 1, 1),
        lines=[("REMOTE", "1", "3000.00"), ("ONSITE", "2", "2500.50")],
    )
    clock.set(datetime(2028, 2, 1, 1, tzinfo=SHANGHAI))
    db.session.commit()
    return contract


@pytest.fixture
def invoice(db, world, to_bill):
    """January 2028 of alpha's first client, issued (and mailed) on 1 February."""
    services.bill(world.tenant("alpha"), [to_bill.id], date(2028, 2, 1))
    db.session.commit()
    return db.session.scalar(select(Invoice))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def embedded_fonts(data: bytes) -> set[str]:
    fonts = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
            if descriptor and any(k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                fonts.add(str(font["/BaseFont"]))
    return fonts


def test_s3_1_2_the_invoice_pdf_reads_in_chinese_and_english_with_its_fonts_embedded(client, world, invoice):
    client.sign_in(world.person("alpha", "client_admin").email)
    response = client.get(f"/t/alpha/portal/invoices/{invoice.id}/pdf/zh_Hans_CN")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "INV-2028-000001-zh.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "发票" in text and "INV-2028-000001" in text and "8,001.00" in text
    assert world.clients("alpha")[0].legal_name in text
    assert any("CJK" in name for name in embedded_fonts(response.data)), "the Chinese font must be embedded"
    english = pdf_text(client.get(f"/t/alpha/portal/invoices/{invoice.id}/pdf/en").data)
    assert "Invoice" in english and "Balance due" in english and "2028-01-01 – 2028-01-31" in english
    assert client.get(f"/t/alpha/portal/invoices/{invoice.id}/pdf/fr").status_code == 404


def test_s3_1_2_an_issued_invoice_is_mailed_to_billing_contacts_with_its_pdfs(app, db, world, to_bill, monkeypatch):
    """Over a real SMTP server: each billing contact gets one mail with both PDFs, each PDF made once; a re-run
    sends nothing more."""
    from aiosmtpd.controller import Controller

    from saas.billing import document
    from saas.core.clients import add_contact

    add_contact(
        world.clients("alpha")[0],
        {"name": "张出纳", "title": "", "email": "cashier@client.example.com", "phone": "", "is_billing": True},
    )
    db.session.commit()
    made, render = [], document.render_pdf
    monkeypatch.setattr(document, "render_pdf", lambda inv, language: made.append(language) or render(inv, language))
    received = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:  # a free port for the SMTP server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(Inbox(), hostname="127.0.0.1", port=port)
    smtp.start()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        services.bill(world.tenant("alpha"), [to_bill.id], date(2028, 2, 1))
        db.session.commit()  # the outbox mails the issued invoice once the transaction commits
        invoice = db.session.scalar(select(Invoice))
        notify.mail_invoices([invoice.id])  # the job again: the outbox's key stops a second mail
    finally:
        smtp.stop()
        app.config.update(MAIL_BACKEND="outbox", MAIL_SERVER="localhost", MAIL_PORT=25)
    assert [e.rcpt_tos for e in received] == [["finance@client.example.com"], ["cashier@client.example.com"]]
    assert sorted(made) == ["en", "zh_Hans_CN"]  # once per language, not once per contact
    message = message_from_bytes(received[0].content, policy=policy.default)
    assert "INV-2028-000001" in str(message["Subject"])
    files = {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}
    assert sorted(files) == ["INV-2028-000001-en.pdf", "INV-2028-000001-zh.pdf"]
    assert "发票" in pdf_text(files["INV-2028-000001-zh.pdf"])
    assert db.session.scalars(select(MailMessage.attachments)).first() == [
        {"filename": "INV-2028-000001-zh.pdf", "mimetype": "application/pdf"},
        {"filename": "INV-2028-000001-en.pdf", "mimetype": "application/pdf"},
    ]
