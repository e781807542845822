"""What every view of the API room shares: the scope each method needs, the request size
limit, which issues the caller reaches, and the rows a response listed (for the audit line
of a system's call, ledger/api/middleware.py)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.views import APIView

from ledger import selectors

from .models import ApiClient
from .permissions import client_of


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("请求内容过大。")
    default_code = "payload_too_large"


def body_limit(content_type: str) -> int:
    """The largest body accepted: a JSON body as Django's form limit (DRF's parsers read the
    stream and would not apply it), a multipart body as the screens' upload limit."""
    if content_type.startswith("multipart/"):
        return settings.ATTACHMENT_MAX_REQUEST_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def issues_for(request):
    """The issues the caller reaches: what `visible_to` gives its account, and for a system
    client that sees only its own, those its account raised."""
    issues = selectors.visible_to(request.user)
    client = client_of(request)
    if client is not None and client.sees == ApiClient.Sees.OWN:
        issues = issues.filter(raised_by_id=request.user.pk)
    return issues


class ApiView(APIView):
    """`scopes` maps a method to the client scope it needs (a person needs none: their role
    decides, through the same rules as the screens)."""

    scopes: dict[str, str] = {}
    # the rows a response listed, for the audit line (set by list views)
    audit_rows: int | None = None

    @property
    def required_scope(self) -> str | None:
        method = self.request.method if self.request else "GET"
        return self.scopes.get("GET" if method == "HEAD" else method)

    def initial(self, request, *args, **kwargs):
        length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            size = int(length)
        except ValueError:
            size = 0
        if size > body_limit(request.content_type or ""):
            raise PayloadTooLarge()
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # for the audit line of a system's call (ledger/api/middleware.py)
        response.audit_rows = self.audit_rows
        return response
