"""The OpenAPI document validates with no warning, documents every refusal as problem+json,
and names the two ways of signing in."""

import json

from django.core.management import call_command


def test_the_openapi_document_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.json"
    # --fail-on-warn: an undocumented serializer or an unresolved authenticator fails here
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json",
        "--file", str(target),
    )  # fmt: skip
    schema = json.loads(target.read_text())
    assert schema["openapi"].startswith("3.1")
    assert set(schema["components"]["securitySchemes"]) == {"bearer", "session"}
    action = schema["paths"]["/api/v1/issues/{number}/actions/{action}/"]["post"]
    for code in ("400", "403", "404", "412", "428", "429"):
        assert "application/problem+json" in action["responses"][code]["content"], code
    headers = {p["name"] for p in action["parameters"] if p["in"] == "header"}
    assert {"If-Match", "Idempotency-Key"} <= headers


def test_a_path_with_a_line_break_is_the_apis_own_404(client, db):
    # schemathesis sent these; the catch-all's `.` did not match "\n" and Django's HTML page
    # answered instead of problem+json
    for path in ("/api/v1/enterprises/0.9/contacts/%0A%10/", "/api/v1/issues/%0A/actions/x/"):
        response = client.post(path, "{}", content_type="application/json")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
