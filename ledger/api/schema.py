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
