"""§3.2.1 the statement screens as HTMX asks for them: *Load more* of a statement's and the waiting lines, and each
screen's content block with its tabs (a block rendered alone once lost the template's macro imports)."""

import html
import re
from datetime import date

from sqlalchemy import select

from plugins.payments_bank import imports
from plugins.payments_bank.models import StatementLine
from tests.plugins.payments_bank.samples import mt940

BASE = "/t/alpha/p/payments_bank"
HTMX = {"HX-Request": "true"}


def load_more(page: str) -> str:
    """The URL of a page's *Load more*, with the cursor the page gave it."""
    found = re.search(r'hx-get="([^"]*after=[^"]*)"', page)
    assert found, "the page has no Load more"
    return html.unescape(found.group(1))


def test_s3_2_1_load_more_of_statement_lines_answers_the_next_rows(db, client, world, bank):
    tenant = world.tenant("alpha")
    lines = [(date(2028, 3, 1), "C", f"{n + 1}.00", f"REF{n:03d}", f"/NAME/某公司/REMI/款项{n}") for n in range(52)]
    statement = imports.import_statement(tenant, bank, "march.sta", mt940(lines), "mt940").statement
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_billing").email)
    for url in (f"{BASE}/statements/{statement.id}", f"{BASE}/unmatched"):
        page = client.get(url).get_data(as_text=True)
        shown = page.count('data-testid="statement-line"')
        assert 0 < shown < len(lines), url
        response = client.get(load_more(page), headers=HTMX)
        more = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert shown + more.count('data-testid="statement-line"') == len(lines), url
        assert "款项51" in more and "<html" not in more, url


def test_s3_2_1_statement_screens_answer_htmx_with_their_block(db, client, world, bank):
    tenant = world.tenant("alpha")
    one = mt940([(date(2028, 3, 1), "C", "8.00", "R1", "/NAME/某公司/REMI/x")])
    statement = imports.import_statement(tenant, bank, "march.sta", one, "mt940").statement
    profile = imports.add_preset(tenant, "icbc")
    line = db.session.scalar(select(StatementLine).where(StatementLine.statement_id == statement.id))
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_billing").email)
    for path in (
        "statements",
        f"statements/{statement.id}",
        "statements/import",
        "unmatched",
        "profiles",
        f"profiles/{profile.id}",
        "profiles/new",
        f"lines/{line.id}",
    ):
        response = client.get(f"{BASE}/{path}", headers=HTMX)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert '<nav class="tabs">' in body and "<html" not in body, path
