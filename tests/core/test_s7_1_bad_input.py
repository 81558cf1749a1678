"""§7.1 input safety, by construction: every form field, URL id and query id goes through saas.core.parsing.

Bad input is a form error or a 4xx, never a 500. These meta-tests hold for routes and forms added later:
a new DecimalField, IntegerField without a maximum, `coerce=int` or `type=int` fails here, as does a GET
route that answers 500 to an id past 64 bits in its path or its query string.
"""

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from wtforms import Form
from wtforms import fields as wtf_fields
from wtforms.fields.core import UnboundField
from wtforms.validators import NumberRange

import plugins
import saas
from saas.core import forms as core_forms
from saas.core.plugins import plugin_manager
from tests.core.test_s7_isolation import build, routes, rows_of

ROOT = Path(__file__).resolve().parents[2]
HUGE = str(10**20)
#: The query arguments the screens read as ids or keyset cursors.
ID_ARGS = ("after", "before", "client", "client_id", "request", "contract", "category", "assignee", "invoice_id")


def form_classes():
    """Every WTForms form class of the product and its plugins."""
    for package in (saas, plugins):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" not in module.name and "testing" not in module.name:
                importlib.import_module(module.name)
    seen, stack = set(), [Form]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return sorted((c for c in seen if c.__module__.startswith(("saas.", "plugins."))), key=lambda c: c.__qualname__)


def unbound_fields(form_class):
    for name in dir(form_class):
        value = getattr(form_class, name, None)
        if isinstance(value, UnboundField):
            yield name, value
            if issubclass(value.field_class, wtf_fields.FormField):  # a FieldList of FormFields: its rows' fields
                yield from unbound_fields(value.args[0] if value.args else value.kwargs["form_class"])
            if issubclass(value.field_class, wtf_fields.FieldList):
                inner = value.args[0] if value.args else value.kwargs["unbound_field"]
                yield name, inner
                if issubclass(inner.field_class, wtf_fields.FormField):
                    yield from unbound_fields(inner.args[0] if inner.args else inner.kwargs["form_class"])


def test_s7_1_every_number_date_and_id_field_parses_through_saas_core_parsing():
    """Amounts are AmountFields, dates bounded DateFields, whole numbers have a maximum, ids coerce by coerce_id."""
    problems, checked = [], 0
    for form_class in form_classes():
        for name, field in unbound_fields(form_class):
            where, kind = f"{form_class.__module__}.{form_class.__qualname__}.{name}", field.field_class
            validators = field.kwargs.get("validators") or (field.args[1] if len(field.args) > 1 else [])
            if issubclass(kind, wtf_fields.DecimalField) and not issubclass(kind, core_forms.AmountField):
                problems.append(f"{where}: a DecimalField; use saas.core.forms.AmountField")
            if issubclass(kind, wtf_fields.DateTimeLocalField) and not issubclass(kind, core_forms.DateTimeLocalField):
                problems.append(f"{where}: use saas.core.forms.DateTimeLocalField")
            elif issubclass(kind, wtf_fields.DateField) and not issubclass(kind, core_forms.DateField):
                problems.append(f"{where}: use saas.core.forms.DateField")
            if issubclass(kind, wtf_fields.IntegerField):
                if not issubclass(kind, core_forms.IntegerField):
                    problems.append(f"{where}: use saas.core.forms.IntegerField")
                if not any(isinstance(v, NumberRange) and v.max is not None for v in validators):
                    problems.append(f"{where}: an IntegerField without NumberRange(max=…)")
            if issubclass(kind, wtf_fields.SelectFieldBase) and field.kwargs.get("coerce") is int:
                problems.append(f"{where}: coerce=int takes 10**20; use coerce=saas.core.forms.coerce_id")
            checked += 1
    assert checked > 100
    assert not problems, "\n".join(problems)


def test_s7_1_no_view_reads_an_id_from_the_request_with_a_bare_int():
    """request.args.get(…, type=int), int(request.…) and friends take ids no row can have: parse_id does not."""
    pattern = re.compile(r"type=int\b|\bint\(request\.|coerce=int\b|fromisoformat\(request\.")
    offenders = []
    for path in [*(ROOT / "saas").rglob("*.py"), *(ROOT / "plugins").rglob("*.py")]:
        if "migrations" in path.parts or path.name == "cli.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line) and "year" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_s7_1_every_int_in_the_url_map_refuses_ids_no_row_can_have(app):
    """The app-wide <int:…> converter (saas.core.routing.IdConverter) matches nothing past MAX_ID."""
    converters = [c for rule in app.url_map.iter_rules() for c in rule._converters.values()]
    numbers = [c for c in converters if type(c).__name__ in ("IdConverter", "IntegerConverter")]
    assert numbers and all(type(c).__name__ == "IdConverter" and c.max == 2**31 - 1 for c in numbers)


@pytest.fixture
def own_rows(app, db, world, enable_plugin, addon_stand_in):
    alpha = world.tenant("alpha")
    for name in plugin_manager().plugin_names():
        enable_plugin(alpha, name)
    rows = rows_of(
        alpha,
        world.clients("alpha")[0],
        world.person("alpha", "client_admin"),
        world.person("alpha", "vendor_admin"),
        db,
    )
    return {**rows, "number": 1}


@pytest.mark.parametrize("role", ["vendor_admin", "client_admin"])
def test_s7_1_no_get_route_answers_500_to_ids_past_64_bits(app, db, client, world, own_rows, role):
    """Every GET route, with HUGE for each id in its path, then with its own ids and HUGE in every id argument.

    Documents (PDFs, exports) read no id arguments and take seconds each to render: only their paths are asked.
    """
    client.sign_in(world.person("alpha", role).email)
    huge_ids = {k: (HUGE if k.endswith("_id") or k == "number" else v) for k, v in own_rows.items()}
    failures, asked = [], 0
    for rule, method in routes(app):
        if method != "GET" or rule.endpoint == "static" or rule.endpoint.startswith("platform."):
            continue
        urls = []
        if any(name.endswith("_id") for name in rule.arguments):
            urls.append(build(rule, huge_ids))
        if not rule.rule.endswith(("/pdf", "/pdf/<language>", ".csv", ".xlsx")):
            query = "&".join(f"{name}={HUGE}" for name in ID_ARGS)
            urls.append(f"{build(rule, own_rows)}?status=all&{query}&q=%23{HUGE}")
        for url in urls:
            status = client.get(url).status_code
            asked += 1
            if status >= 500:
                failures.append(f"{status} {url}")
    assert asked > 50
    assert not failures, "\n".join(failures)


def test_s7_1_control_characters_in_forms_and_queries_are_dropped(app, db, client, world):
    """NUL in a form field or a search failed on PostgreSQL (text cannot hold it): now it never arrives."""
    from saas.core.models import Client
    from saas.testing.fixtures import valid_uscc

    client.sign_in(world.person("alpha", "vendor_admin").email)
    for url in ("/t/alpha/requests/?q=%00", "/t/alpha/clients?q=a%00", "/t/alpha/contracts/?q=a%00"):
        assert client.get(url).status_code == 200, url
    response = client.post_form(
        "/t/alpha/clients/new", {"legal_name": "甲\x00乙\x01公司", "uscc": valid_uscc(999), "address": "北京\r\n海淀"}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Client.legal_name).where(Client.uscc == valid_uscc(999))) == "甲乙公司"
