"""The OpenAPI 3.1 document of /api/v1 (served at /api/v1/openapi.json; a test checks it covers every route)."""

from saas.core.parsing import MAX_ID
from saas.requests.models import Priority, RequestStatus


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _time(description: str = "") -> dict:
    schema = {"type": ["string", "null"], "format": "date-time"}
    return {**schema, "description": description} if description else schema


def _errors(*codes: int) -> dict:
    return {str(code): {"$ref": f"#/components/responses/{ERROR_RESPONSES[code][0]}"} for code in codes}


ERROR_RESPONSES = {
    400: ("BadRequest", "The body is not a JSON object."),
    401: ("Unauthorized", "No token, an unknown one, or a revoked one."),
    403: ("Forbidden", "The token lacks the scope this needs, or the vendor's account is suspended."),
    404: ("NotFound", "No such request or client for this token (another tenant's or client's is never found)."),
    409: ("Conflict", "A request with the same Idempotency-Key is still being handled, or it failed: send it again."),
    422: ("Unprocessable", "The input breaks a rule; `reason` says which (e.g. no contract in force, §10.4)."),
    429: ("TooManyRequests", "The token's rate limit is reached; try again later."),
}
#: Ids and numbers are positive 32-bit integers (saas.core.parsing.MAX_ID): a larger one is no row (404).
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
REQUEST_NUMBER = {
    "name": "number",
    "in": "path",
    "required": True,
    "description": "The request's number (#1024).",
    "schema": {**ID, "examples": [1]},
}
SCOPE_NOTE = "Needs the scope `{scope}`."

MONEY = {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "A decimal amount, never a float."}
PAGE_PARAMETERS = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}},
    {"name": "after", "in": "query", "schema": {"type": "string"}, "description": "The `next` of the previous page."},
]


def _page(item: str, description: str) -> dict:
    return {
        "type": "object",
        "description": description,
        "required": ["items", "next"],
        "properties": {"items": {"type": "array", "items": _ref(item)}, "next": {"type": ["string", "null"]}},
    }


SCHEMAS = {
    "Breach": {
        "type": "object",
        "description": "A recorded breach of the vendor (§8.1.1–§8.1.3): the deadline it missed.",
        "required": ["id", "clause", "kind", "request", "contract", "client_id", "due_at", "met_at", "detected_at"],
        "properties": {
            "id": ID,
            "clause": {"type": "string", "examples": ["8.1.2"]},
            "kind": {"type": "string", "enum": ["response", "arrival", "resolution", "not_fixed"]},
            "request": ID,
            "contract": {"type": "string"},
            "client_id": ID,
            "due_at": _time(),
            "met_at": _time("When it was met after all, late; null when still unmet when found."),
            "detected_at": _time(),
        },
    },
    "BreachPage": _page("Breach", "One page of breaches, newest first."),
    "Credit": {
        "type": "object",
        "description": "A service credit (§8.2 for the vendor): the unperformed fee of a line × the penalty rate.",
        "required": ["id", "contract", "client_id", "service_line", "period", "rule", "breaches", "amount", "status"],
        "properties": {
            "id": ID,
            "contract": {"type": "string"},
            "client_id": ID,
            "service_line": {"type": "string"},
            "period": {
                "type": "object",
                "properties": {
                    "start": {"type": "string", "format": "date"},
                    "end": {"type": "string", "format": "date"},
                },
            },
            "rule": {"type": "string", "enum": ["whole_fee", "share_of_requests", "per_breach"]},
            "breaches": {"type": "integer", "minimum": 0},
            "line_fee": MONEY,
            "unperformed_fee": MONEY,
            "rate": MONEY,
            "amount": MONEY,
            "currency": {"type": "string"},
            "status": {"type": "string", "enum": ["proposed", "confirmed", "billed", "waived"]},
            "billed_invoice": {"type": ["string", "null"]},
            "breach_ids": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "CreditPage": _page("Credit", "One page of service credits, newest first."),
    "Dispute": {
        "type": "object",
        "description": "A dispute (§9) and its steps: negotiation, mediation, arbitration, litigation.",
        "required": ["number", "contract", "client_id", "subject", "status", "stage", "steps"],
        "properties": {
            "number": {"type": "string", "examples": ["ZY-2026-0001"]},
            "contract": {"type": "string"},
            "client_id": ID,
            "subject": {
                "type": "string",
                "enum": ["credit", "penalty", "materials", "invoice", "breach", "claim", "other"],
            },
            "subject_id": {"type": ["integer", "null"]},
            "amount": {"type": ["string", "null"]},
            "currency": {"type": "string"},
            "raised_by": {"type": "string", "enum": ["A", "B"]},
            "status": {"type": "string", "enum": ["open", "resolved", "withdrawn"]},
            "stage": {"type": "string", "enum": ["negotiation", "mediation", "arbitration", "litigation"]},
            "outcome": {"type": ["string", "null"]},
            "opened_at": _time(),
            "resolved_at": _time(),
            "steps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "stage": {"type": "string"},
                        "clause": {"type": "string"},
                        "venue": {"type": "string"},
                        "opened_on": {"type": "string", "format": "date"},
                        "deadline": {"type": "string", "format": "date"},
                        "closed_on": {"type": ["string", "null"], "format": "date"},
                        "result": {"type": ["string", "null"]},
                    },
                },
            },
        },
    },
    "DisputePage": _page("Dispute", "One page of disputes, newest first."),
    "Error": {
        "type": "object",
        "required": ["error", "reason"],
        "properties": {
            "error": {
                "type": "string",
                "description": "The kind of error, in stable English words.",
                "examples": ["Unprocessable"],
            },
            "reason": {"type": "string", "description": "Why, for people (in the Accept-Language, en or zh)."},
        },
    },
    "Due": {
        "type": "object",
        "description": "SLA due times (§4.1, §2.1.2, §2.2.2); null while the clock is paused or not applicable.",
        "properties": {k: _time() for k in ("response", "arrival", "resolution", "next")},
    },
    "Breached": {
        "type": "object",
        "description": "Which deadlines were missed (§8.1.1–§8.1.3).",
        "properties": {k: {"type": "boolean"} for k in ("response", "arrival", "resolution")},
    },
    "RequestSummary": {
        "type": "object",
        "required": [
            "number",
            "reference",
            "client",
            "category",
            "priority",
            "channel",
            "status",
            "is_open",
            "subject",
            "received_at",
            "due",
            "breached",
        ],
        "properties": {
            "number": {"type": "integer"},
            "reference": {"type": "string", "examples": ["#1024"]},
            "client": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
            "category": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "code": {"type": "string"},
                    "kind": {"type": "string"},
                    "name_en": {"type": "string"},
                    "name_zh": {"type": "string"},
                },
            },
            "priority": {"type": "string", "enum": [p.value for p in Priority]},
            "channel": {"type": "string", "examples": ["api", "monitoring", "portal"]},
            "status": {"type": "string", "enum": [s.value for s in RequestStatus]},
            "is_open": {"type": "boolean"},
            "subject": {"type": "string"},
            "received_at": _time("When the vendor received it: the start of every SLA clock."),
            "due": _ref("Due"),
            "breached": _ref("Breached"),
            "first_response_at": _time(),
            "resolved_at": _time(),
            "closed_at": _time(),
            "updated_at": _time(),
        },
    },
    "Event": {
        "type": "object",
        "description": "One line of the public timeline (internal notes are never shown).",
        "required": ["id", "kind", "body", "at"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "examples": ["created", "status", "reply", "visit", "breach", "alert"]},
            "from_status": {"type": ["string", "null"]},
            "to_status": {"type": ["string", "null"]},
            "body": {"type": "string"},
            "by": {"type": ["string", "null"], "description": "Who did it; null for an API token or the system."},
            "at": {"type": "string", "format": "date-time"},
        },
    },
    "Request": {
        "allOf": [
            _ref("RequestSummary"),
            {
                "type": "object",
                "required": ["description", "timeline"],
                "properties": {
                    "description": {"type": "string"},
                    "requester": {
                        "type": "object",
                        "properties": {"name": {"type": "string"}, "contact": {"type": "string"}},
                    },
                    "timeline": {"type": "array", "items": _ref("Event")},
                },
            },
        ]
    },
    "RequestPage": {
        "type": "object",
        "required": ["requests", "next"],
        "properties": {
            "requests": {"type": "array", "items": _ref("RequestSummary")},
            "next": {"type": ["string", "null"], "description": "Pass as `after` for the next page; null at the end."},
        },
    },
    "NewRequest": {
        "type": "object",
        "required": ["category", "subject"],
        "properties": {
            "client_id": {**ID, "description": "Required unless the token is restricted to a client."},
            "category": {
                "type": ["string", "integer"],
                "description": "Category code (FAULT, REMOTE…) or id.",
                "examples": ["FAULT", "GENERAL"],
            },
            "priority": {"type": "string", "enum": [p.value for p in Priority], "default": "normal"},
            "subject": {"type": "string", "maxLength": 200},
            "description": {"type": "string", "maxLength": 20000},
            "requester_name": {"type": "string", "maxLength": 120},
            "requester_contact": {"type": "string", "maxLength": 200},
        },
    },
    "NewComment": {
        "type": "object",
        "required": ["body"],
        "properties": {"body": {"type": "string", "minLength": 1, "maxLength": 20000}},
    },
    "AlertmanagerAlert": {
        "type": "object",
        "required": ["status", "fingerprint", "startsAt"],
        "properties": {
            "status": {"type": "string", "enum": ["firing", "resolved"]},
            "labels": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "`severity`: critical → urgent, warning → high, info → low, else normal.",
            },
            "annotations": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "`summary` becomes the subject (else `labels.alertname`).",
            },
            "startsAt": {"type": "string", "format": "date-time"},
            "endsAt": {"type": "string", "format": "date-time"},
            "generatorURL": {"type": "string"},
            "fingerprint": {"type": "string", "description": "One open request per fingerprint and client."},
        },
    },
    "AlertmanagerPayload": {
        "type": "object",
        "description": "Alertmanager's webhook notification, version 4 (other fields are accepted and ignored).",
        "required": ["alerts"],
        "properties": {
            "version": {"type": "string", "examples": ["4"]},
            "status": {"type": "string"},
            "receiver": {"type": "string"},
            "groupKey": {"type": "string"},
            "alerts": {"type": "array", "items": _ref("AlertmanagerAlert"), "maxItems": 1000},
        },
    },
    "AlertSummary": {
        "type": "object",
        "required": ["opened", "updated", "ignored", "requests"],
        "properties": {
            "opened": {"type": "integer", "description": "Firing alerts that opened a fault request."},
            "updated": {"type": "integer", "description": "Resolved alerts noted on their open request."},
            "ignored": {"type": "integer", "description": "Already open, already noted, or nothing open to note."},
            "requests": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "fingerprint": {"type": "string"},
                        "status": {"type": "string", "enum": ["firing", "resolved"]},
                        "action": {"type": "string", "enum": ["opened", "updated", "ignored"]},
                        "number": {"type": ["integer", "null"]},
                    },
                },
            },
        },
    },
}


def _json(schema_name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema_name)}}}


def _operation(operation_id: str, summary: str, scope: str | None, responses: dict, **extra) -> dict:
    operation = {"operationId": operation_id, "summary": summary, "responses": responses, **extra}
    if scope:
        operation["description"] = SCOPE_NOTE.format(scope=scope) + (
            " " + extra["description"] if "description" in extra else ""
        )
        operation["x-required-scope"] = scope
    else:
        operation["security"] = []
    return operation


def document(server_url: str) -> dict:
    """The whole OpenAPI document, with this server's address."""
    paths = {
        "/api/v1/requests": {
            "get": _operation(
                "listRequests",
                "List requests",
                "requests:read",
                {"200": _json("RequestPage", "One page of requests."), **_errors(401, 403, 404, 422, 429)},
                parameters=[
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string", "default": "open"},
                        "description": "open (soonest due first), all (newest first) or one status.",
                    },
                    {"name": "client_id", "in": "query", "schema": ID},
                    {
                        "name": "category",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "A category code or id.",
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
                    },
                    {
                        "name": "after",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "The `next` of the previous page.",
                    },
                ],
            ),
            "post": _operation(
                "createRequest",
                "Raise a request",
                "requests:write",
                {
                    "201": _json("Request", "The request, with its due times."),
                    **_errors(400, 401, 403, 404, 409, 422, 429),
                },
                description="Channel `api`. A client-restricted token raises for its own client only. Send an "
                "`Idempotency-Key` to retry safely: the same key answers the first answer again (with "
                "`Idempotent-Replayed: true`) and raises nothing twice; with another body it is a 422.",
                parameters=[
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                    }
                ],
                requestBody={"required": True, "content": {"application/json": {"schema": _ref("NewRequest")}}},
            ),
        },
        "/api/v1/requests/{number}": {
            "get": _operation(
                "getRequest",
                "Read a request",
                "requests:read",
                {"200": _json("Request", "The request and its public timeline."), **_errors(401, 403, 404, 429)},
                parameters=[REQUEST_NUMBER],
            ),
        },
        "/api/v1/requests/{number}/comments": {
            "post": _operation(
                "addComment",
                "Reply on a request",
                "requests:write",
                {"201": _json("Event", "The reply on the timeline."), **_errors(400, 401, 403, 404, 422, 429)},
                description="A client-restricted token replies for the client; an unrestricted one for the vendor.",
                parameters=[REQUEST_NUMBER],
                requestBody={"required": True, "content": {"application/json": {"schema": _ref("NewComment")}}},
            ),
        },
        "/api/v1/alerts/alertmanager": {
            "post": _operation(
                "alertmanagerWebhook",
                "Prometheus Alertmanager webhook (§2.2.1)",
                "alerts:write",
                {
                    "200": _json("AlertSummary", "What was done with each alert."),
                    **_errors(400, 401, 403, 404, 422, 429),
                },
                description="Firing alerts open fault requests (§2.2.2), one per fingerprint; a resolved alert is "
                "noted once on its open request. Safe to deliver twice.",
                parameters=[
                    {
                        "name": "client_id",
                        "in": "query",
                        "schema": ID,
                        "description": "The client whose systems alert; implied by a client-restricted token.",
                    }
                ],
                requestBody={
                    "required": True,
                    "content": {"application/json": {"schema": _ref("AlertmanagerPayload")}},
                },
            ),
        },
        "/api/v1/breaches": {
            "get": _operation(
                "listBreaches",
                "List the vendor's breaches (§8.1)",
                "agreements:read",
                {"200": _json("BreachPage", "One page of breaches."), **_errors(401, 403, 422, 429)},
                parameters=PAGE_PARAMETERS,
            ),
        },
        "/api/v1/credits": {
            "get": _operation(
                "listCredits",
                "List service credits (§8.2)",
                "agreements:read",
                {"200": _json("CreditPage", "One page of service credits."), **_errors(401, 403, 422, 429)},
                parameters=[
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["", "proposed", "confirmed", "billed", "waived"]},
                    },
                    *PAGE_PARAMETERS,
                ],
            ),
        },
        "/api/v1/disputes": {
            "get": _operation(
                "listDisputes",
                "List disputes (§9)",
                "agreements:read",
                {"200": _json("DisputePage", "One page of disputes."), **_errors(401, 403, 422, 429)},
                parameters=[
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["", "open", "resolved", "withdrawn"]},
                    },
                    *PAGE_PARAMETERS,
                ],
            ),
        },
        "/api/v1/openapi.json": {
            "get": _operation(
                "getOpenApi",
                "This document",
                None,
                {
                    "200": {
                        "description": "The OpenAPI document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            ),
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Aftercare API",
            "version": "1",
            "description": "Service requests of a vendor's clients (§2.1.1) and monitoring alerts (§2.2.1). A token "
            "belongs to one vendor; a token restricted to a client sees and acts for that client "
            "only. Errors are JSON objects {error, reason}.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token made by the vendor's admin (ac_…), shown once.",
                },
            },
            "schemas": SCHEMAS,
            "responses": {
                name: {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}
                for name, description in ERROR_RESPONSES.values()
            },
        },
    }
