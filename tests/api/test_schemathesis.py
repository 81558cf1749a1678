"""§4.1 the API, fuzzed from its own OpenAPI document: no answer is a 500, every answer matches the document.

Schemathesis generates requests for every operation of /api/v1/openapi.json, both fitting the document and
breaking it, and sends them to the app in-process (WSGI): once with an unrestricted token of vendor alpha,
once with a token of its first client, which has request #1, so that generated bodies get past "which
client" and reach the rules. Examples are bounded (MAX_EXAMPLES per operation, mode and token) so the run
stays short on both databases.

The strategies are driven with Hypothesis directly: schemathesis' pytest integration (`from_fixture`)
does not run under this pytest, and the app and tokens come from function-scoped fixtures.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, response_schema_conformance]


def fuzz(operation, headers: dict, mode: GenerationMode, **fixed) -> None:
    """Send MAX_EXAMPLES generated requests of one operation; each answer is checked against the document."""

    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_s4_1_the_api_never_answers_500_and_always_as_documented(app, api, mode):
    request = api.raise_request()  # #1 of alpha's first client
    tokens = {"vendor": api.bearer(api.token()), "client": api.bearer(api.token(client_index=0))}
    app.config["RATELIMIT_ENABLED"] = False  # hundreds of requests in seconds: the limit is tested elsewhere
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        found = [result.ok() for result in schema.get_all_operations()]
        assert len(found) >= 5
        for operation in found:
            fuzz(operation, tokens["vendor"], mode)
            has_number = any(p.name == "number" for p in operation.path_parameters)
            fuzz(
                operation,
                tokens["client"],
                mode,
                **({"path_parameters": {"number": request.number}} if has_number else {}),
            )
    finally:
        app.config["RATELIMIT_ENABLED"] = True
