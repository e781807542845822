"""Every call by a registered system to /api/v1/ on the security audit trail: who, what
(method, path, status) and how many rows it got (`response.audit_rows`, set by the views
that list), whichever room's view answered it."""

from ledger.auditing import Kind, Outcome, record

PREFIX = "/api/v1/"


class ApiAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(PREFIX):
            return response
        # DRF puts the user its authentication found on the request (request.user setter)
        user = request.__dict__.get("user")
        authenticated = user is not None and getattr(user, "is_authenticated", False)
        client = getattr(user, "api_client", None) if authenticated else None
        if client is None:
            return response
        detail = {"method": request.method, "status": response.status_code}
        rows = getattr(response, "audit_rows", None)
        if rows is not None:
            detail["rows"] = rows
        record(
            Kind.API_CALL,
            actor=user,
            request=request,
            target=f"api {request.path}",
            outcome=Outcome.SUCCESS if response.status_code < 400 else Outcome.FAILURE,
            detail=detail,
        )
        return response
