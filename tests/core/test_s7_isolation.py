"""§7.1: tenant and client isolation, proven over every route in app.url_map (present and future).

Signed in as each role of vendor "alpha", the test asks every route with the ids of vendor "beta"'s
rows (and, for client roles, of the other client of alpha). Each answer must be 404 or 403, nothing of
the victim may appear, and no victim row may change. A route with a URL argument this file does not
know fails the test: whoever adds a route says here how to fill it.
"""

import importlib
import importlib.util
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from werkzeug.routing.converters import AnyConverter

from saas.addons.services import propose as propose_addon
from saas.addons.services import save_offer
from saas.api.tokens import create_token
from saas.billing.late import record_breaches
from saas.billing.models import (
    Invoice,
)
from saas.billing.payments import record as record_payment
from saas.billing.payments import succeed as succeed_payment
from saas.billing.penalty_models import LatePenalty
from saas.billing.services import bill
from saas.calendars.services import add_day, save_calendar
from saas.claims.services import submit as submit_claim
from saas.contracts.changes import propose_termination
from saas.contracts.services import add_standard_services, create_draft, list_services
from saas.contracts.signing import documents, send_for_signatures, sign
from saas.core.clients import add_contact
from saas.core.clock import now
from saas.core.events import EVENT_TYPES
from saas.core.invitation_tokens import invitation_token
from saas.core.people import invite
from saas.core.plugins import plugin_manager
from saas.core.webhooks import WebhookDelivery, create_endpoint
from saas.disputes.services import open_dispute
from saas.feedback import services as feedback_service
from saas.materials.breaches import breach_of, record_overdue
from saas.materials.penalties import propose as propose_penalty
from saas.materials.services import ask as ask_materials
from saas.notices.services import send_notice
from saas.requests.breaches import record_below_standard
from saas.requests.services import attach, create_request, timeline
from saas.requests.services import categories as request_categories
from saas.satisfaction.surveys import open_survey
from saas.satisfaction.surveys import questions as survey_questions
from saas.team.services import add_certificate, save_member, save_rule, set_contract_engineers
from saas.testing.fixtures import contract_data, test_database_kind
from tests.addons.stand_in import SellsAddons
from tests.conftest import service_credit

#: Routes anyone may call; why each is safe.
PUBLIC = {
    "static": "static files",
    "auth.index": "redirects to the caller's own home",
    "auth.login": "sign-in form",
    "auth.logout": "ends the caller's own session",
    "auth.logout_everywhere": "ends the caller's own sessions (tests/core/test_s7_1_sessions.py)",
    "auth.set_language": "changes the caller's own language",
    "auth.no_access": "a fixed page",
    "auth.favicon": "a redirect to a static file",
    "auth.invitation": "the signed token is the authorisation (tested in test_people)",
    "satisfaction_link.rate_link": "the signed single-use token, which names its tenant, is the authorisation "
    "(tests/satisfaction)",
    "satisfaction_link.survey_link": "the signed single-use token of a survey invitation, which names its tenant, is "
    "the authorisation (tests/satisfaction/test_s11_2_survey.py)",
    "api.list_requests": "token-authenticated JSON API; isolation tested in tests/api",
    "api.create_request": "token-authenticated JSON API; isolation tested in tests/api",
    "api.read_request": "token-authenticated JSON API; isolation tested in tests/api",
    "api.add_comment": "token-authenticated JSON API; isolation tested in tests/api",
    "api.alertmanager_webhook": "token-authenticated JSON API; isolation tested in tests/api",
    "api.list_breaches": "token-authenticated JSON API; isolation tested in tests/api/test_p3_agreements_api.py",
    "api.list_credits": "token-authenticated JSON API; isolation tested in tests/api/test_p3_agreements_api.py",
    "api.list_disputes": "token-authenticated JSON API; isolation tested in tests/api/test_p3_agreements_api.py",
    "api.openapi": "the API's description, the same for everyone",
    "operations.healthz": "the process is alive: no tenant data (tests/core/test_p3_operations.py)",
    "operations.readyz": "the database, Redis and migrations answer: no tenant data (tests/core/test_p3_operations.py)",
    "operations.metrics": "platform-wide figures for the operator's Prometheus, a bearer token in production "
    "(tests/core/test_p3_operations.py)",
    "billing_notify.notify": "payment providers' notifications: signed by the provider and verified by the method's "
    "plugin (tests/billing/test_payment_hooks.py, tests/plugins/payments_epay)",
    "payments_epay_sandbox.gateway": "the sandbox payment gateway (404 in production): the merchant's RSA2 signature "
    "is the authorisation (tests/plugins/payments_epay_sandbox/test_sandbox.py)",
    "payments_epay_sandbox.cashier": "the sandbox cashier of one trade (404 in production), reached only by its random "
    "token, as a payer reaches Alipay's",
    "payments_epay_sandbox.cashier_action": "paying or cancelling at the sandbox cashier (404 in production): the "
    "trade's random token and a CSRF token",
}

#: Vendor-admin-only actions whose arguments are not ids of rows (the plugin name, the action).
NON_ID_ARGS = {"name", "action", "filename", "token", "language"}
#: Rows a vendor shows every one of its clients (its add-on offers): another client of the same vendor may open them,
#: another vendor's people may not (the other-vendor test covers them).
VENDOR_WIDE_ARGS = {"offer_id"}


def owned_tables() -> list:
    """Every mapped table with a tenant_id, the plugins' included: a new table joins the snapshot by construction."""
    from saas.extensions import db

    found = {mapper.class_ for mapper in db.Model.registry.mappers if "tenant_id" in mapper.columns}
    return sorted(found, key=lambda model: model.__name__)


def plugin_isolation_modules() -> list:
    """The installed plugins' `isolation` modules (their rows for this test), in plugin name order."""
    pm = plugin_manager()
    modules = []
    for name in pm.plugin_names():
        if not hasattr(pm.get_plugin(name), "__name__"):
            continue  # the stand-in add-on plugin, an object of this test's own
        package = pm.get_plugin(name).__name__.rpartition(".")[0]
        if importlib.util.find_spec(f"{package}.isolation") is not None:
            modules.append(importlib.import_module(f"{package}.isolation"))
    return modules


def rows_of(tenant, client, person, vendor_admin, db):
    """A row of every kind this tenant (and client) owns, keyed by the URL argument that names it."""
    add_standard_services(tenant)
    db.session.flush()
    service = list_services(tenant)[0]
    # First, so that every event below is published to it and its log has deliveries (to a closed port: failed).
    endpoint = create_endpoint(
        tenant,
        {"url": "http://127.0.0.1:9/hook", "description": f"Hook of {client.legal_name}", "events": list(EVENT_TYPES)},
        vendor_admin,
    )
    contract = create_draft(
        tenant,
        client.id,
        contract_data(f"Contract of {client.legal_name}", effective=date(2026, 1, 1)),
        [{"service_id": service.id, "description": "x", "quantity": 1, "monthly_fee": 100}],
    )
    send_for_signatures(contract)  # freezes its documents, so document routes have rows to ask for
    for party, signer in (("B", vendor_admin), ("A", person)):
        document = documents(contract)[0]
        sign(contract, party, signer, document.id, document.sha256)
    change = propose_termination(contract, date(2026, 1, 31), "")
    offer = save_offer(
        tenant,
        {"addon_type": SellsAddons.name, "name_zh": "工时包", "name_en": f"Hours {client.id}", "monthly_fee": "900"},
        vendor_admin,
    )
    addon = propose_addon(contract, offer, {}, vendor_admin)  # waiting for both signatures
    calendar = save_calendar(tenant, {"name": f"Calendar {client.id}", "timezone": "Asia/Shanghai"})
    day = add_day(calendar, contract.effective_date, "holiday", "x")
    category = request_categories(tenant)[0]
    member = save_member(tenant, {"name": f"Member {client.id}", "team_role": "system_engineer"})
    certificate = add_certificate(member, {"name": f"Certificate {client.id}", "expires_on": date(2026, 2, 1)})
    rule = save_rule(tenant, {"category_id": category.id, "team_role": "system_engineer"})
    set_contract_engineers(contract, [member.id])
    service_request = create_request(
        tenant, client.id, {"category_id": category.id, "subject": f"Marker {client.id}"}, person
    )
    request_file = attach(service_request, timeline(service_request, True)[0], "log.txt", "text/plain", b"x", False)
    bill(tenant, [contract.id], date(2026, 2, 1))  # the first period (January) has ended by then
    invoice = db.session.scalar(select(Invoice).where(Invoice.contract_id == contract.id))
    # The plugins' own rows (each plugin's isolation.py), while the invoice is still open to pay online.
    plugin_rows = {"invoice": invoice}
    for module in plugin_isolation_modules():
        plugin_rows.update(module.isolation_rows(tenant, client, person, vendor_admin, plugin_rows))
    payment, _created = record_payment(tenant, client.id, "manual", f"T-{client.id}", invoice.total + 1, "CNY")
    succeed_payment(payment)  # the invoice paid, one more as the client's credit
    bill(tenant, [contract.id], date(2026, 3, 1))  # February, left owing after the credit of 1
    record_breaches(tenant, date(2026, 4, 15))  # found late: the client's breach and its proposed penalty
    penalty = db.session.scalar(select(LatePenalty).where(LatePenalty.contract_id == contract.id))
    # A service credit of the client's own (as the nightly job proposes them: its evidence names its request).
    evidence = {
        "breach_id": 0,
        "request_id": service_request.id,
        "request": service_request.number,
        "kind": "response",
        "clause": "8.1.2",
        "due_at": "2026-01-15T04:00:00+00:00",
        "met_at": None,
    }
    credit = service_credit(contract, amount="10.00", start=date(2026, 1, 1), end=date(2026, 2, 1), evidence=[evidence])
    dispute = open_dispute(
        tenant, "A", person, subject="credit", subject_id=credit.id, contract=None, summary="x", client_id=client.id
    )
    notice = send_notice(
        contract,
        "A",
        person,
        {"kind": "breach", "subject": f"Marker notice {client.id}", "body_zh": "x", "deadline": None},
        [("evidence.txt", "text/plain", b"x")],
    )
    # An ask for materials on the client's request, left unsupplied past its deadline: the client's breach, and the
    # §8.2 penalty proposed for it (Part 3, 说明二 1.2).
    materials = ask_materials(
        service_request, vendor_admin, f"Marker materials {client.id}", now() + timedelta(hours=1)
    )
    record_overdue(tenant, now() + timedelta(hours=2))
    client_breach = breach_of(materials)
    materials_penalty = propose_penalty(client_breach, vendor_admin, line=contract.lines[0])
    feedback = feedback_service.submit(
        tenant, client.id, person, {"kind": "complaint", "subject": "Feedback", "request_id": service_request.id}
    )
    breach = record_below_standard(
        service_request,
        vendor_admin,
        description=f"Marker breach {client.id}",
        happened_on=service_request.received_at.date(),
        files=[("breach.txt", "text/plain", b"x")],
    )
    claim = submit_claim(
        contract,
        "A",
        person,
        direct_amount=Decimal("10.00"),
        direct_description=f"Marker claim {client.id}",
        breaches=[f"sla:{breach.id}"],
        files=[("direct", "loss.txt", "text/plain", b"x")],
    )
    contact = add_contact(
        client, {"name": f"Contact of {client.legal_name}", "title": "", "email": "", "phone": "", "is_billing": False}
    )
    invitation = invite(tenant, email=f"invitee-{client.id}@example.com", role="client_user", client_id=client.id)
    evaluation, measure = evaluated(tenant, contract, db)
    survey = open_survey(contract, 0, now())  # the January survey, its panel (the client's people) invited
    api_token, _secret = create_token(tenant, f"Token {client.id}", ["requests:read"], client.id, vendor_admin)
    db.session.commit()
    delivery = db.session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id).order_by(WebhookDelivery.id)
    )
    return {
        "tenant": tenant.slug,
        "tenant_id": tenant.id,
        "client_id": client.id,
        "contact_id": contact.id,
        "membership_id": person.membership_in(tenant.id).id,
        "invitation_id": invitation.id,
        "token_id": api_token.id,
        "endpoint_id": endpoint.id,
        "delivery_id": delivery.id,
        "contract_id": contract.id,
        "document_id": documents(contract)[0].id,
        "change_id": change.id,
        "offer_id": offer.id,
        "agreement_id": addon.id,
        "calendar_id": calendar.id,
        "day_id": day.id,
        "member_id": member.id,
        "certificate_id": certificate.id,
        "rule_id": rule.id,
        "request_id": service_request.id,
        "attachment_id": request_file.id,
        "feedback_id": feedback.id,
        "credit_id": credit.id,
        "notice_id": notice.id,
        "dispute_id": dispute.id,
        "file_id": notice.files[0].id,
        "breach_id": breach.id,
        "breach_file_id": breach.files[0].id,
        "invoice_id": invoice.id,
        "penalty_id": penalty.id,
        "materials_id": materials.id,
        "client_breach_id": client_breach.id,
        "materials_penalty_id": materials_penalty.id,
        "claim_id": claim.id,
        "claim_file_id": claim.files[0].id,
        "evaluation_id": evaluation.id,
        "measure_id": measure.id,
        "survey_id": survey.id,
        "question_id": survey_questions(tenant)[0].id,
        "category_id": category.id,
        "service_id": service.id,
        "name": "payments_bank",
        "token": invitation_token(invitation),
        "filename": "css/app.css",
        "language": "en",
        **{key: value for key, value in plugin_rows.items() if key != "invoice"},
    }


def evaluated(tenant, contract, db):
    """The agreement's first payment cycle evaluated (§11.2), with an improvement measure on it (§11.3)."""
    from saas.satisfaction.evaluation import evaluate
    from saas.satisfaction.models import Evaluation, ImprovementMeasure

    evaluate(tenant, [contract.id], date(2026, 2, 11))
    evaluation = db.session.scalar(select(Evaluation).where(Evaluation.contract_id == contract.id))
    measure = ImprovementMeasure(
        tenant_id=tenant.id,
        client_id=contract.client_id,
        contract_id=contract.id,
        evaluation_id=evaluation.id,
        criterion="response",
        what=f"Marker measure {contract.client_id}",
        due_on=date(2026, 3, 1),
    )
    db.session.add(measure)
    db.session.flush()
    return evaluation, measure


def build(rule, values):
    values = dict(values)
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):  # an action word, not a row: take one the route accepts
            values[name] = sorted(converter.items)[0]
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: add a filler for URL argument(s) {sorted(missing)} in this test"
    return rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]


def snapshot(db, tenant_id):
    return {
        m.__name__: db.session.scalar(select(func.count()).select_from(m).where(m.tenant_id == tenant_id))
        for m in owned_tables()
    }


@pytest.fixture
def isolation(app, db, world, enable_plugin, addon_stand_in):
    # addon_stand_in: the add-ons domain's routes need an add-on type, whichever add-on plugins ship.
    for slug in ("alpha", "beta"):
        for name in plugin_manager().plugin_names():
            enable_plugin(world.tenant(slug), name)
    alpha, beta = world.tenant("alpha"), world.tenant("beta")
    own = rows_of(
        alpha,
        world.clients("alpha")[0],
        world.person("alpha", "client_admin"),
        world.person("alpha", "vendor_admin"),
        db,
    )
    sibling = rows_of(
        alpha,
        world.clients("alpha")[1],
        world.person("alpha", "client_admin_2"),
        world.person("alpha", "vendor_admin"),
        db,
    )
    other_vendor = rows_of(
        beta, world.clients("beta")[0], world.person("beta", "client_admin"), world.person("beta", "vendor_admin"), db
    )
    app.config["WTF_CSRF_ENABLED"] = False  # let POSTs reach the handlers: the tenant check must stop them
    yield {"own": own, "sibling": sibling, "other_vendor": other_vendor}
    app.config["WTF_CSRF_ENABLED"] = True


def markers(world, slug, client_index=None):
    if client_index is None:
        return [f"Marker-{slug}", f"@{slug}.example.com"]
    return [f"Marker-{slug}-c{client_index + 1}", f"client_admin_2@{slug}.example.com"]


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


ROLES = ["vendor_admin", "vendor_engineer", "vendor_billing", "client_admin", "client_user", "third_party"]


@pytest.mark.parametrize("role", ROLES)
def test_s7_1_no_route_reaches_another_vendor(app, db, client, world, isolation, role):
    """Every route, asked with vendor beta's slug or ids by a member of alpha, answers 404/403 and leaks nothing."""
    client.sign_in(world.person("alpha", role).email)
    before = snapshot(db, world.tenant("beta").id)
    checked = 0
    for rule, method in routes(app):
        if rule.endpoint in PUBLIC:
            continue
        if rule.endpoint.startswith("platform."):
            status = client.open(build(rule, isolation["other_vendor"]), method=method).status_code
            assert status == 403, f"{method} {rule.rule}: platform route answered {status} to a tenant member"
            continue
        assert "tenant" in rule.arguments, f"{rule.rule} is neither public, platform nor under /t/<tenant>/"
        # With alpha's own slug but beta's ids, and with beta's slug outright.
        victim_ids = {**isolation["other_vendor"], "tenant": "alpha"}
        urls = [build(rule, isolation["other_vendor"])]
        if set(rule.arguments) - NON_ID_ARGS - {"tenant"}:
            urls.append(build(rule, victim_ids))
        for url in urls:
            response = client.open(url, method=method)
            body = response.get_data(as_text=True)
            if url == urls[0] or response.status_code not in (200, 302, 422):
                assert response.status_code in (403, 404), f"{method} {url} answered {response.status_code}"
            for marker in markers(world, "beta"):
                assert marker not in body, f"{method} {url} shows {marker!r}"
            checked += 1
    assert checked > 20
    assert snapshot(db, world.tenant("beta").id) == before, "a request changed another vendor's rows"


@pytest.mark.parametrize("role", ["client_admin", "client_user"])
def test_s7_1_client_never_reaches_another_client_of_same_vendor(app, db, client, world, isolation, role):
    """A client's people asking with the ids of the other client of the same vendor get 404/403 and see nothing."""
    client.sign_in(world.person("alpha", role).email)
    before = snapshot(db, world.tenant("alpha").id)
    for rule, method in routes(app):
        if rule.endpoint in PUBLIC or rule.endpoint.startswith("platform."):
            continue
        if set(rule.arguments) & VENDOR_WIDE_ARGS:
            continue
        url = build(rule, isolation["sibling"])
        response = client.open(url, method=method)
        body = response.get_data(as_text=True)
        if set(rule.arguments) - NON_ID_ARGS - {"tenant"}:
            assert response.status_code in (403, 404), f"{method} {url} answered {response.status_code}"
        for marker in markers(world, "alpha", client_index=1):
            assert marker not in body, f"{method} {url} shows {marker!r}"
    assert snapshot(db, world.tenant("alpha").id) == before


def test_s7_1_fillers_name_real_rows(app, db, client, world, isolation):
    """Positive control: every GET route with ids opens (200, or 302 onwards) for some alpha role with its own ids."""
    reachable = {}
    for role in ROLES:
        client.sign_in(world.person("alpha", role).email)
        for rule, method in routes(app):
            if method != "GET" or rule.endpoint in PUBLIC or rule.endpoint.startswith("platform."):
                continue
            if not set(rule.arguments) - NON_ID_ARGS - {"tenant"}:
                continue
            status = client.get(build(rule, isolation["own"])).status_code
            # 302: found, and sent on (e.g. editing a contract that is no longer a draft shows its page)
            reachable[rule.rule] = reachable.get(rule.rule, False) or status in (200, 302)
    unreachable = [r for r, ok in reachable.items() if not ok]
    assert reachable and not unreachable, f"no role opens these with its own ids: {unreachable}"


@pytest.mark.skipif(test_database_kind() != "postgresql", reason="row-level security is PostgreSQL's")
def test_s7_1_on_postgresql_the_isolation_tests_run_with_row_level_security_on(db):
    """Every answer above came through the database's policies too: the app's role cannot bypass them."""
    bypasses = text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
    forced = text("SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relforcerowsecurity")
    assert db.session.scalar(bypasses) is False
    assert db.session.scalar(forced) > 50
