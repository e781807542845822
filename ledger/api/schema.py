"""How the OpenAPI document names the API's ways of signing in (drf-spectacular extensions,
registered by being imported from v1_urls)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "ledger.api.authentication.TokenAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "a person's token (zzp_…) or an API client's secret (zzc_…)",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "ledger.api.authentication.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


# the refusals every operation may answer with; an operation documents its own others
# (409, 412, 422, 428) with extend_schema, and this hook gives each the problem+json body
COMMON_ERRORS = {
    "400": "bad input: the field errors are in `errors`",
    "401": "no valid token or secret",
    "403": "the caller may not do this (its role, or a client's scope)",
    "404": "no such thing, or not one the caller may see",
    "406": "only JSON is offered",
    "413": "the request body is too large",
    "415": "the body is neither JSON nor multipart/form-data",
    "429": "too many requests: wait `Retry-After` seconds",
}
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details, in the caller's language (Accept-Language)",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "field name → its messages (non_field_errors: the whole request)",
        },
        "duplicates": {"type": "array", "items": {"type": "string"}},
        "retry_after": {"type": "integer"},
    },
    "required": ["type", "title", "status"],
}


def problem_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the common refusals,
    and every 4xx answer is application/problem+json with the Problem schema."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, description in COMMON_ERRORS.items():
                responses.setdefault(code, {"description": description})
            for code, response in responses.items():
                if code.startswith("4"):
                    response["content"] = problem
                    response.setdefault("description", "")
    return result
