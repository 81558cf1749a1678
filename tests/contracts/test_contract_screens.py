"""The contracts screens get their data from the views, queried by set: no query per row of a list."""

from decimal import Decimal

from sqlalchemy import event

from saas.contracts import services
from saas.extensions import db as _db


def statements_of(client, url: str, **kwargs) -> tuple[str, list[str]]:
    """The page at `url` and the SQL statements run while it was made."""
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", before)
    try:
        response = client.get(url, **kwargs)
    finally:
        event.remove(_db.engine, "before_cursor_execute", before)
    assert response.status_code == 200
    return response.get_data(as_text=True), statements


def test_contract_list_renders_with_a_constant_number_of_queries(client, db, world, make_contract):
    tenant = world.tenant("alpha")
    first, second = world.clients("alpha")
    lines = (("REMOTE", "1.50", "1000.01"), ("ONSITE", "2", "500.00"), ("CONSULT", "1", "0.01"))
    make_contract(tenant, first, lines=lines)
    make_contract(tenant, second)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.get("/t/alpha/contracts/")  # the sign-in's own first queries are not the list's
    few, few_statements = statements_of(client, "/t/alpha/contracts/")
    assert few.count('<td class="num nowrap">') == 2
    # 1.50 × 1000.01 = 1500.015 → 1500.02, + 1000.00 + 0.01: each line rounded once, then added
    assert "CN¥2,500.03" in few and "CN¥3,000.00" in few

    for n in range(24):
        make_contract(tenant, (first, second)[n % 2], lines=lines[: 1 + n % 3])
    many, many_statements = statements_of(client, "/t/alpha/contracts/")
    assert many.count('<td class="num nowrap">') == 25
    assert len(many_statements) == len(few_statements), many_statements
    # The next page, as HTMX asks for it, is no dearer.
    after = many.split("after=")[1].split('"')[0].split("&")[0]
    rows, rows_statements = statements_of(client, f"/t/alpha/contracts/?after={after}", headers={"HX-Request": "true"})
    assert "<html" not in rows and len(rows_statements) <= len(few_statements)


def test_s7_1_portal_contract_list_renders_with_a_constant_number_of_queries(client, db, world, make_signed_contract):
    tenant = world.tenant("alpha")
    own, other = world.clients("alpha")
    make_signed_contract(tenant, own)
    make_signed_contract(tenant, other, title="Not yours")
    client.sign_in(world.person("alpha", "client_admin").email)
    client.get("/t/alpha/portal/contracts/")
    few, few_statements = statements_of(client, "/t/alpha/portal/contracts/")
    assert few.count('<td class="num nowrap">') == 1 and "Not yours" not in few
    for _ in range(4):
        make_signed_contract(tenant, own, lines=(("REMOTE", "1", "3000.00"), ("FAULT", "1", "2500.00")))
    many, many_statements = statements_of(client, "/t/alpha/portal/contracts/")
    assert many.count('<td class="num nowrap">') == 5 and many.count("CN¥5,500.00") == 4
    assert len(many_statements) == len(few_statements), many_statements


def test_s3_1_1_monthly_totals_of_a_page_are_one_query_and_match_each_contracts_total(db, world, make_contract):
    tenant = world.tenant("alpha")
    contracts = [
        make_contract(tenant, world.clients("alpha")[0], lines=(("REMOTE", "1.50", "1000.01"), ("FAULT", "3", "0.33"))),
        make_contract(tenant, world.clients("alpha")[1], lines=(("CONSULT", "0.50", "0.01"),)),
    ]
    db.session.expire_all()
    statements: list[str] = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(_db.engine, "before_cursor_execute", listener)
    try:
        totals = services.monthly_totals(tenant, contracts)
    finally:
        event.remove(_db.engine, "before_cursor_execute", listener)
    assert len([s for s in statements if "contract_line" in s]) == 1
    assert totals == {contracts[0].id: Decimal("1501.01"), contracts[1].id: Decimal("0.01")}
    assert totals == {c.id: services.monthly_total(c) for c in contracts}
    assert services.monthly_totals(world.tenant("beta"), contracts) == {c.id: Decimal("0.00") for c in contracts}
