"""Client organisations (Party A, §1.1): validated codes, contacts, keyset pagination without N+1."""

import pytest
from sqlalchemy import event, select

from saas.core.models import Client, ClientContact
from saas.extensions import db as _db
from saas.testing.fixtures import valid_uscc


@pytest.fixture
def admin(client, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    return client


def test_s1_1_client_needs_a_valid_unified_social_credit_code(admin, db, world):
    bad = admin.post_form("/t/alpha/clients/new", {"legal_name": "坏代码公司", "uscc": "91110108MA01A2B3C0"})
    assert "This is not a valid unified social credit code." in bad.get_data(as_text=True)
    code = valid_uscc(424242).lower()
    ok = admin.post_form("/t/alpha/clients/new", {"legal_name": "好代码公司", "uscc": code, "address": "北京"})
    assert ok.status_code == 302
    created = db.session.scalar(select(Client).where(Client.legal_name == "好代码公司"))
    assert created.uscc == code.upper() and created.tenant_id == world.tenant("alpha").id


def test_s1_1_code_is_unique_per_vendor_not_across_vendors(admin, db, world):
    taken = world.clients("alpha")[0].uscc
    again = admin.post_form("/t/alpha/clients/new", {"legal_name": "Copy", "uscc": taken})
    assert "Another client already has this unified social credit code." in again.get_data(as_text=True)
    beta_code = world.clients("beta")[0].uscc
    assert admin.post_form("/t/alpha/clients/new", {"legal_name": "Shared", "uscc": beta_code}).status_code == 302


def test_engineers_see_clients_but_cannot_add_them(client, world):
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert client.get("/t/alpha/clients").status_code == 200
    assert client.get("/t/alpha/clients/new").status_code == 403
    assert client.post_form("/t/alpha/clients/new", {"legal_name": "X", "uscc": valid_uscc(9)}).status_code == 403


def test_contacts_are_added_and_removed_as_htmx_fragments(admin, db, world):
    target = world.clients("alpha")[0]
    url = f"/t/alpha/clients/{target.id}/contacts"
    htmx = {"HX-Request": "true"}
    added = admin.post_form(url, {"name": "赵工", "email": "zhao@example.com", "is_billing": "y"}, headers=htmx)
    html = added.get_data(as_text=True)
    assert added.status_code == 200 and "<html" not in html and "赵工" in html
    assert added.headers["Vary"] == "HX-Request" or "HX-Request" in added.headers["Vary"]
    invalid = admin.post_form(url, {"name": "", "email": "not-mail"}, headers=htmx).get_data(as_text=True)
    assert "This field is required." in invalid and "Invalid email address." in invalid
    contact = db.session.scalar(select(ClientContact).where(ClientContact.name == "赵工"))
    assert contact.is_billing and contact.tenant_id == world.tenant("alpha").id
    contact_id = contact.id
    removed = admin.post_form(f"{url}/{contact_id}/delete", headers=htmx).get_data(as_text=True)
    assert "赵工" not in removed
    db.session.expire_all()
    assert db.session.get(ClientContact, contact_id) is None


def test_client_search_answers_with_the_results_fragment(admin, world):
    page = admin.get("/t/alpha/clients?q=Client 2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in page and "Alpha Client 2" in page and "Alpha Client 1" not in page
    full = admin.get("/t/alpha/clients?q=Client 2").get_data(as_text=True)
    assert "<html" in full


def count_queries(app):
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", before)
    return statements, lambda: event.remove(_db.engine, "before_cursor_execute", before)


def test_client_list_pages_by_keyset_with_a_constant_number_of_queries(app, admin, db, world, make_client_org):
    tenant = world.tenant("alpha")
    for i in range(58):
        make_client_org(tenant, f"Bulk {i:02d}")
    statements, stop = count_queries(app)
    first = admin.get("/t/alpha/clients").get_data(as_text=True)
    first_queries = len(statements)
    stop()
    assert first.count('<td><a href="/t/alpha/clients/') == 25
    after = first.split("after=")[1].split('"')[0]
    statements, stop = count_queries(app)
    second = admin.get(f"/t/alpha/clients?after={after}", headers={"HX-Request": "true"}).get_data(as_text=True)
    second_queries = len(statements)
    stop()
    assert second.count('<td><a href="/t/alpha/clients/') == 25 and "<html" not in second
    assert second_queries <= first_queries
    assert any("client.id >" in s for s in statements)  # keyset: WHERE id > last seen, never OFFSET n
    last = second.split("after=")[1].split('"')[0]
    third = admin.get(f"/t/alpha/clients?after={last}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert third.count('<td><a href="/t/alpha/clients/') == 10 and "after=" not in third  # 60 in all, no more pages


def test_s7_1_client_choices_are_the_tenants_own_pairs_by_name(db, world, make_client_org):
    from saas.core.clients import choices

    alpha = world.tenant("alpha")
    zeta = make_client_org(alpha, "Zeta Works")
    aardvark = make_client_org(alpha, "Aardvark Ltd")
    db.session.commit()
    pairs = choices(alpha)
    assert pairs[0] == (aardvark.id, "Aardvark Ltd") and pairs[-1] == (zeta.id, "Zeta Works")
    assert [p.legal_name for p in pairs] == sorted(c.legal_name for c in [*world.clients("alpha"), zeta, aardvark])
    beta_names = {p.legal_name for p in choices(world.tenant("beta"))}
    assert beta_names == {c.legal_name for c in world.clients("beta")} and "Zeta Works" not in beta_names
