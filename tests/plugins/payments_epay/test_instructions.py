"""§3.2.3 the invoice's online-payment instructions, also in the document the invoice mail attaches (no request)."""

from flask import has_request_context

from saas.billing import document
from saas.extensions import db


def test_s3_2_3_the_invoice_document_renders_the_online_instructions_outside_a_request(app, alpha, invoice):
    with app.app_context():
        assert not has_request_context()  # as in the job that mails the invoice with its PDFs
        html = document.render_html(db.session.get(type(invoice), invoice.id), "en")
    assert "Online, with Alipay" in html and "press Pay to pay it online with Alipay" in html
