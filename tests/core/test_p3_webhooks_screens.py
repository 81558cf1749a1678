"""The webhook screens: vendor admins only, the secret shown once and sealed at rest, form errors in the reader's
language, the delivery log paged by HTMX."""

import html

import pytest
from sqlalchemy import func, select, text

from saas.core import dbscope, events, webhooks
from saas.core.webhooks import WebhookDelivery, WebhookEndpoint
from saas.extensions import db as _db

ALL = list(events.EVENT_TYPES)


def new_endpoint(client, **data):
    form = {"url": "http://127.0.0.1:9/hook", "description": "ITSM", "events": ALL, "enabled": "y", **data}
    return client.post_form("/t/alpha/webhooks/new", form)


@pytest.fixture
def admin(client, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    return client


def test_p3_webhooks_the_secret_is_shown_once_and_sealed_in_the_database(admin, db):
    response = new_endpoint(admin)
    assert response.status_code == 302
    endpoint = db.session.scalar(select(WebhookEndpoint))
    first = admin.get(response.location).get_data(as_text=True)
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) == len("whsec_") + 43
    assert endpoint.secret in first
    assert endpoint.secret not in admin.get(response.location).get_data(as_text=True)  # never again

    with dbscope.platform():
        raw = db.session.execute(text("SELECT secret_sealed FROM webhook_endpoint")).scalar_one()
    assert endpoint.secret not in raw and raw.startswith("gAAAAA")  # a Fernet token

    old = endpoint.secret
    admin.post_form(f"/t/alpha/webhooks/{endpoint.id}/roll-secret")
    db.session.expire_all()
    rolled = db.session.get(WebhookEndpoint, endpoint.id).secret
    assert rolled != old
    page = admin.get(f"/t/alpha/webhooks/{endpoint.id}").get_data(as_text=True)
    assert rolled in page and old not in page
    assert rolled not in admin.get(f"/t/alpha/webhooks/{endpoint.id}").get_data(as_text=True)


def test_p3_webhooks_a_typed_secret_is_kept(admin, db):
    assert new_endpoint(admin, secret="my-own-secret-of-24-chars").status_code == 302
    assert db.session.scalar(select(WebhookEndpoint)).secret == "my-own-secret-of-24-chars"


ERRORS = [
    ({"url": "ftp://example.com/hook"}, "must start with http:// or https://", "必须以 http:// 或 https:// 开头"),
    ({"secret": "too-short"}, "at least 24 characters", "至少需要 24 个字符"),
    ({"events": []}, "Choose at least one event.", "请至少选择一个事件。"),
]


@pytest.mark.parametrize(("data", "english", "chinese"), ERRORS)
def test_p3_webhooks_form_errors_in_both_languages(admin, db, data, english, chinese):
    page = new_endpoint(admin, **data)
    assert page.status_code == 422 and english in page.get_data(as_text=True)
    admin.post_form("/language", {"lang": "zh_Hans_CN"})
    page = new_endpoint(admin, **data)
    assert page.status_code == 422 and chinese in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0


def test_p3_webhooks_a_private_address_is_refused_in_chinese_too(admin, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    admin.post_form("/language", {"lang": "zh_Hans_CN"})
    page = new_endpoint(admin, url="http://169.254.169.254/latest/meta-data/")
    assert page.status_code == 422 and "私有、回环或链路本地地址" in page.get_data(as_text=True)


def test_p3_webhooks_an_edit_keeps_the_secret_and_checks_the_url_again(admin, app, db, monkeypatch):
    new_endpoint(admin)
    endpoint = db.session.scalar(select(WebhookEndpoint))
    secret = endpoint.secret
    form = {"url": "http://127.0.0.1:10/other", "description": "", "events": ["invoice.issued"]}
    assert admin.post_form(f"/t/alpha/webhooks/{endpoint.id}/edit", form).status_code == 302
    db.session.expire_all()
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    assert (endpoint.url, endpoint.events, endpoint.enabled, endpoint.secret) == (
        "http://127.0.0.1:10/other",
        ["invoice.issued"],
        False,
        secret,
    )
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    assert admin.post_form(f"/t/alpha/webhooks/{endpoint.id}/edit", form).status_code == 422


def test_p3_webhooks_screens_are_for_vendor_admins_only(client, db, world):
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert client.get("/t/alpha/webhooks/").status_code == 403
    assert new_endpoint(client).status_code == 403


def test_p3_webhooks_the_delivery_log_pages_by_htmx_fragments(admin, db, world):
    new_endpoint(admin)
    endpoint = db.session.scalar(select(WebhookEndpoint))
    for _ in range(3):
        webhooks.send_test(endpoint)
        _db.session.commit()  # sent now, to a closed port: failed
    newest = db.session.scalars(select(WebhookDelivery.id).order_by(WebhookDelivery.id.desc())).all()
    rows, next_after = webhooks.list_deliveries(endpoint, limit=2)
    assert [d.id for d in rows] == newest[:2] and next_after == newest[1]

    hx = {"HX-Request": "true"}
    fragment = admin.get(f"/t/alpha/webhooks/{endpoint.id}?after={next_after}", headers=hx)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and "<tr" in body
    assert f"/t/alpha/webhooks/deliveries/{newest[2]}" in body and f'deliveries/{newest[0]}"' not in body
    for url in ("/t/alpha/webhooks/", f"/t/alpha/webhooks/{endpoint.id}", f"/t/alpha/webhooks/deliveries/{newest[0]}"):
        response = admin.get(url, headers=hx)
        assert response.status_code == 200 and "<html" not in response.get_data(as_text=True), url
    detail = html.unescape(admin.get(f"/t/alpha/webhooks/deliveries/{newest[0]}").get_data(as_text=True))
    assert "Aftercare-Signature: t=" in detail and '"type": "ping"' in detail
    assert "ConnectionRefused" in detail or "Connection refused" in detail or "NewConnectionError" in detail
    assert admin.get("/t/alpha/webhooks/?after=not-a-cursor").status_code == 200
    assert admin.get(f"/t/alpha/webhooks/{endpoint.id}?after=not-a-cursor").status_code == 200


def test_p3_webhooks_two_identical_submissions_make_one_endpoint(admin, db):
    page = admin.get("/t/alpha/webhooks/new").get_data(as_text=True)
    once = page.split('name="_once" value="', 1)[1].split('"', 1)[0]
    form = {"url": "http://127.0.0.1:9/hook", "events": ALL, "enabled": "y", "_once": once}
    first, second = admin.post_form("/t/alpha/webhooks/new", form), admin.post_form("/t/alpha/webhooks/new", form)
    assert first.status_code == 302 and second.status_code == 303  # the second is sent to the first's result
    assert second.location == first.location
    assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 1
