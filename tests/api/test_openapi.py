"""The OpenAPI document is valid OpenAPI 3.1 and describes every route of the API, and answers match it."""

import re

from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from saas.api import tokens
from tests.api.test_alertmanager import alert, payload


def api_routes(app):
    """(OpenAPI path, method) of every route of the `api` blueprint."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                yield path, method.lower()


def test_s2_1_1_openapi_document_is_valid_and_covers_every_route(app, client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    spec = response.json
    validate(spec)  # raises on anything that is not valid OpenAPI 3.1
    assert spec["openapi"].startswith("3.1")
    routes = set(api_routes(app))
    assert len(routes) >= 6
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert routes == documented, f"undocumented: {routes - documented}; not routes: {documented - routes}"
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, method in routes:
        operation = spec["paths"][path][method]
        if path.endswith("openapi.json"):
            continue
        assert "401" in operation["responses"] and "403" in operation["responses"]
        assert operation["x-required-scope"] in tokens.SCOPES


def test_s2_1_1_required_scopes_in_the_document_are_the_ones_enforced(app, client, db):
    spec = client.get("/api/v1/openapi.json").json
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            method = next(iter(rule.methods - {"HEAD", "OPTIONS"})).lower()
            view = app.view_functions[rule.endpoint]
            assert spec["paths"][path][method]["x-required-scope"] == view.required_scope


def test_s2_1_1_answers_match_the_documented_schemas(client, api, world):
    """A request, a page, a comment, an alert summary and an error, checked against the document's schemas."""
    spec = client.get("/api/v1/openapi.json").json
    registry = Registry().with_resource("urn:api", DRAFT202012.create_resource(spec))

    def check(name, instance):
        OAS31Validator({"$ref": f"urn:api#/components/schemas/{name}"}, registry=registry).validate(instance)

    secret = api.token()
    client_id = world.clients("alpha")[0].id
    created = client.post(
        "/api/v1/requests",
        json={"client_id": client_id, "category": "FAULT", "subject": "x"},
        headers=api.bearer(secret),
    )
    check("Request", created.json)
    check("RequestPage", client.get("/api/v1/requests", headers=api.bearer(secret)).json)
    check("Event", client.post("/api/v1/requests/1/comments", json={"body": "ok"}, headers=api.bearer(secret)).json)
    check("Request", client.get("/api/v1/requests/1", headers=api.bearer(secret)).json)
    summary = client.post(
        f"/api/v1/alerts/alertmanager?client_id={client_id}", json=payload(alert()), headers=api.bearer(secret)
    )
    check("AlertSummary", summary.json)
    check("Error", client.get("/api/v1/requests/99", headers=api.bearer(secret)).json)
