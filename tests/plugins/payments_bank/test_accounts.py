"""§3.2.1 bank transfer: the vendor's bank accounts, kept by its admins and billing staff."""

import pytest
from sqlalchemy import select

from plugins.payments_bank.models import BankAccount
from saas.core.models import AuditEvent

BASE = "/t/alpha/p/payments_bank/accounts"


def account_data(**overrides):
    data = {
        "bank_name": "中国工商银行",
        "branch": "北京中关村支行",
        "account_name": "Alpha 信息技术有限公司",
        "account_number": "0200 0012 1920 0012 345",
        "currency": "CNY",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def accounts(db, tenant):
    db.session.expire_all()
    return db.session.scalars(
        select(BankAccount).where(BankAccount.tenant_id == tenant.id).order_by(BankAccount.id)
    ).all()


def defaults(db, tenant):
    return {(a.bank_name, a.currency): a.is_default for a in accounts(db, tenant)}


@pytest.fixture
def alpha(world, enable_plugin):
    tenant = world.tenant("alpha")
    enable_plugin(tenant, "payments_bank")
    return tenant


@pytest.mark.parametrize("role", ["vendor_admin", "vendor_billing"])
def test_s3_2_1_admin_and_billing_add_edit_and_remove_accounts(db, client, world, alpha, role):
    client.sign_in(world.person("alpha", role).email)
    page = client.get(BASE).get_data(as_text=True)
    assert "No bank accounts yet." in page

    response = client.post_form(f"{BASE}/new", account_data())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(BASE)
    [account] = accounts(db, alpha)
    assert (account.bank_name, account.branch, account.currency) == ("中国工商银行", "北京中关村支行", "CNY")
    assert account.account_number == "0200001219200012345"  # spaces typed for reading are not stored
    assert account.is_default is False
    page = client.get(BASE).get_data(as_text=True)
    assert "中国工商银行" in page and "<code>0200001219200012345</code>" in page

    edit = f"{BASE}/{account.id}"
    assert "北京中关村支行" in client.get(edit).get_data(as_text=True)
    response = client.post_form(edit, account_data(branch="上海分行", currency="USD", is_default="y"))
    assert response.status_code == 302
    [account] = accounts(db, alpha)
    assert (account.branch, account.currency, account.is_default) == ("上海分行", "USD", True)

    response = client.post_form(f"{BASE}/{account.id}/delete")
    assert response.status_code == 302
    assert accounts(db, alpha) == []
    assert "No bank accounts yet." in client.get(BASE).get_data(as_text=True)


def test_s3_2_1_audit_events_for_each_change(db, client, world, alpha):
    person = world.person("alpha", "vendor_billing")
    client.sign_in(person.email)
    client.post_form(f"{BASE}/new", account_data())
    [account] = accounts(db, alpha)
    client.post_form(f"{BASE}/{account.id}", account_data(bank_name="中国银行"))
    client.post_form(f"{BASE}/{account.id}/delete")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.startswith("payments_bank.")).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.data["bank"]) for e in events] == [
        ("payments_bank.account_added", "中国工商银行"),
        ("payments_bank.account_saved", "中国银行"),
        ("payments_bank.account_removed", "中国银行"),
    ]
    for event in events:
        assert (event.tenant_id, event.actor_id) == (alpha.id, person.id)
        assert (event.target_type, event.target_id) == ("BankAccount", account.id)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    log = client.get("/t/alpha/audit").get_data(as_text=True)
    for label in ("Bank account added", "Bank account edited", "Bank account removed"):
        assert label in log


@pytest.mark.parametrize("role", ["vendor_engineer", "client_admin", "client_user", "third_party"])
def test_s3_2_1_other_roles_get_403(db, client, world, alpha, role):
    from plugins.payments_bank.services import save_account

    account = save_account(alpha, {**account_data(), "is_default": True})
    db.session.commit()
    client.sign_in(world.person("alpha", role).email)
    assert client.get(BASE).status_code == 403
    assert client.get(f"{BASE}/new").status_code == 403
    assert client.get(f"{BASE}/{account.id}").status_code == 403
    assert client.post_form(f"{BASE}/new", account_data(bank_name="Sneaky")).status_code == 403
    assert client.post_form(f"{BASE}/{account.id}", account_data(bank_name="Sneaky")).status_code == 403
    assert client.post_form(f"{BASE}/{account.id}/delete").status_code == 403
    assert [(a.bank_name, a.is_default) for a in accounts(db, alpha)] == [("中国工商银行", True)]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("account_number", "12/34/56/78", "Use 6 to 40 digits or letters; spaces, dots and hyphens may group them."),
        ("account_number", "12-34", "Use 6 to 40 digits or letters; spaces, dots and hyphens may group them."),
        ("account_number", "1291..99", "Use 6 to 40 digits or letters; spaces, dots and hyphens may group them."),
        ("account_number", "", "This field is required."),
        ("bank_name", "", "This field is required."),
        ("currency", "XYZ", "Not a valid choice."),
    ],
)
def test_s3_2_1_invalid_account_shows_the_error(db, client, world, alpha, field, value, message):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.post_form(f"{BASE}/new", account_data(**{field: value}))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<p class="error" role="alert">{message}</p>' in page
    assert 'aria-invalid="true"' in page
    assert accounts(db, alpha) == []


def test_s3_2_1_bad_number_on_edit_keeps_the_stored_account(db, client, world, alpha):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form(f"{BASE}/new", account_data())
    [account] = accounts(db, alpha)
    response = client.post_form(f"{BASE}/{account.id}", account_data(account_number="no/slashes"))
    assert "Use 6 to 40 digits or letters; spaces, dots and hyphens may group them." in response.get_data(as_text=True)
    assert accounts(db, alpha)[0].account_number == "0200001219200012345"


def test_s3_2_1_one_default_per_currency(db, client, world, alpha):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form(f"{BASE}/new", account_data(bank_name="A", is_default="y"))
    client.post_form(f"{BASE}/new", account_data(bank_name="USD", currency="USD", is_default="y"))
    assert defaults(db, alpha) == {("A", "CNY"): True, ("USD", "USD"): True}

    # A new default CNY account takes over from A; the USD default is another currency's and stays.
    client.post_form(f"{BASE}/new", account_data(bank_name="B", is_default="y"))
    assert defaults(db, alpha) == {("A", "CNY"): False, ("USD", "USD"): True, ("B", "CNY"): True}

    # Editing A back to default clears B.
    a = next(x for x in accounts(db, alpha) if x.bank_name == "A")
    client.post_form(f"{BASE}/{a.id}", account_data(bank_name="A", is_default="y"))
    assert defaults(db, alpha) == {("A", "CNY"): True, ("USD", "USD"): True, ("B", "CNY"): False}

    # The default is listed first, with its badge.
    page = client.get(BASE).get_data(as_text=True)
    assert page.index(">A</a>") < page.index(">B</a>")
    assert page.count(">Default</span>") == 2


def test_s3_2_1_another_tenants_default_is_left_alone(db, client, world, alpha, enable_plugin):
    from plugins.payments_bank.services import save_account

    beta = world.tenant("beta")
    enable_plugin(beta, "payments_bank")
    save_account(beta, {**account_data(bank_name="Beta bank"), "is_default": True})
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form(f"{BASE}/new", account_data(bank_name="Alpha bank", is_default="y"))
    assert defaults(db, beta) == {("Beta bank", "CNY"): True}
    assert defaults(db, alpha) == {("Alpha bank", "CNY"): True}


def test_s3_2_1_accounts_404_when_the_plugin_is_disabled(db, client, world, alpha, enable_plugin):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert client.get(BASE).status_code == 200
    enable_plugin(alpha, "payments_bank", enabled=False)
    assert client.get(BASE).status_code == 404
    assert client.post_form(f"{BASE}/new", account_data()).status_code == 404
    assert accounts(db, alpha) == []
