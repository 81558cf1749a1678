"""§7.1 the Host header decides nothing: absolute URLs come from BASE_URL, and production refuses foreign hosts."""

import re

import pytest

from saas import create_app
from saas.config import load_config
from saas.testing.fixtures import PRODUCTION_SECRETS

FORGED = "attacker.example.net:44767"


@pytest.fixture
def attacker(app, client, world):
    """A browser that names another host in every request (so its session cookie is that host's)."""
    browser = app.test_client()
    browser.environ_base["HTTP_HOST"] = FORGED
    browser.sign_in("vendor_admin@alpha.example.com")
    return browser


@pytest.fixture
def production(tmp_path):
    """A production-config app serving https://aftercare.example.com, on its own SQLite file."""
    return create_app(
        "production",
        overrides={
            **PRODUCTION_SECRETS,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db",
            "BASE_URL": "https://aftercare.example.com",
        },
    )


def test_s7_1_production_refuses_a_request_for_a_host_it_does_not_serve(production):
    assert production.config["TRUSTED_HOSTS"] == ["aftercare.example.com"]
    browser = production.test_client()
    refused = browser.get("/login", headers={"Host": "attacker.example.net"})
    assert refused.status_code == 400
    assert refused.get_data(as_text=True) == "This site does not answer to that address."
    api = browser.get("/api/v1/openapi.json", headers={"Host": "attacker.example.net"})
    assert api.status_code == 400 and api.json["error"] == "Bad request"
    assert browser.get("/login", base_url="https://aftercare.example.com").status_code == 200
    assert browser.get("/login", base_url="https://aftercare.example.com:8443").status_code == 200  # port aside


def test_s7_1_trusted_hosts_can_be_listed_and_development_takes_any(monkeypatch):
    listed = load_config("production", {"TRUSTED_HOSTS": ["aftercare.example.com", ".aftercare.example.org"]})
    assert listed["TRUSTED_HOSTS"] == ["aftercare.example.com", ".aftercare.example.org"]
    assert load_config("production", {"BASE_URL": "https://care.example.cn/app"})["TRUSTED_HOSTS"] == [
        "care.example.cn"
    ]
    assert load_config("development")["TRUSTED_HOSTS"] is None  # `make run` answers on 127.0.0.1 and localhost


def test_s7_1_links_on_pages_are_built_on_base_url_not_on_the_host_header(app, attacker, world):
    html = attacker.get("/t/alpha/api-tokens/").get_data(as_text=True)
    base = app.config["BASE_URL"]
    assert f"{base}/api/v1/alerts/alertmanager" in html and f"{base}/api/v1/openapi.json" in html
    assert "attacker.example.net" not in html
    spec = attacker.get("/api/v1/openapi.json").json
    assert spec["servers"] == [{"url": base}]


def test_s7_1_invitation_links_are_built_on_base_url(app, attacker, db, world):
    from saas.core.models import MailMessage

    response = attacker.post_form(
        "/t/alpha/people/invite", {"email": "new.person@example.com", "role": "vendor_engineer"}
    )
    assert response.status_code == 302
    [mail] = db.session.query(MailMessage).filter_by(to="new.person@example.com").all()
    assert re.search(rf"{re.escape(app.config['BASE_URL'])}/invite/\S+", mail.body_text)
    assert "attacker.example.net" not in mail.body_text
