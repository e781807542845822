"""What a caller may reach: signed in, and for a system client, the endpoint's scope.

Object-level decisions are the screens' own `rules` (ledger/rules.py) asked by each view."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

# a client's scopes (ApiClient.scopes); a person's token has every scope their role allows
SCOPES = {
    "issues:read": _("读取问题"),
    "issues:write": _("登记问题和办理操作"),
    "intake": _("推送工单"),
    "directory:read": _("读取名录"),
    "directory:write": _("维护名录"),
    "notifications": _("通知"),
    "figures": _("统计与考核"),
}


def client_of(request):
    """The API client calling, or None for a person."""
    return getattr(request.user, "api_client", None) if request.user.is_authenticated else None


class SignedIn(permissions.BasePermission):
    """Signed in (token, client secret or session) and, for a client, holding the view's
    `required_scope` (a view without one is open to people only)."""

    message = _("需要登录。")

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated and request.user.is_active):
            return False
        client = client_of(request)
        if client is None:
            return True
        scope = getattr(view, "required_scope", None)
        if scope is None or scope not in client.scopes:
            self.message = _("此客户端的权限范围不含该接口。")
            return False
        return True
