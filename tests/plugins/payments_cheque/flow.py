"""Helpers of the cheque tests: what billing staff type and press on the cheque screens."""

from zoneinfo import ZoneInfo

from sqlalchemy import select

from plugins.payments_cheque.models import Cheque

BASE = "/t/alpha/p/payments_cheque"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def cheque_data(client, invoice=None, **overrides) -> dict:
    """The record form as staff fill it in for a cheque of 8,000.00 dated 3 March 2028."""
    data = {
        "client_id": client.id,
        "invoice_id": invoice.id if invoice else 0,
        "number": "10203040",
        "drawee_bank": "中国工商银行北京海淀支行",
        "drawer_name": client.legal_name,
        "drawer_account": "",
        "cheque_date": "2028-03-03",
        "amount": "8000.00",
        "currency": "CNY",
        "received_on": "2028-03-03",
        "note": "",
    }
    data.update(overrides)
    return data


def record(browser, db, data) -> Cheque:
    """Record a cheque through the form; returns it (the form must be accepted)."""
    response = browser.post_form(f"{BASE}/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    cheque_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    db.session.expire_all()
    return db.session.get(Cheque, cheque_id)


def step(browser, cheque, action: str, **data):
    """Press one step's button (deposit, clear, bounce) on the cheque's page."""
    return browser.post_form(f"{BASE}/{cheque.id}/{action}", data)


def cheques(db) -> list[Cheque]:
    db.session.expire_all()
    return db.session.scalars(select(Cheque).order_by(Cheque.id)).all()
