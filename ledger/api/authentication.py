"""Who is calling: `Authorization: Bearer <secret>` (a person's token or a client's secret),
or the browser session for same-origin use (CSRF enforced as on the screens)."""

from __future__ import annotations

import ipaddress

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from ledger.auditing import Kind, Outcome, record
from ledger.client_ip import client_ip

from .models import ClientSecret, PersonalToken
from .secrets import CLIENT, PERSONAL, secret_matches, secret_parse


def address_allowed(allowed: str, address: str) -> bool:
    """Whether `address` is in the client's allow-list (one address or network per line;
    an empty list allows every address)."""
    lines = [line.strip() for line in allowed.splitlines() if line.strip()]
    if not lines:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for line in lines:
        try:
            if ip in ipaddress.ip_network(line, strict=False):
                return True
        except ValueError:
            continue
    return False


def _refused(request, presented: str, reason: str, error: exceptions.APIException):
    """Put a refused bearer credential on the security audit trail, then refuse it. The
    trail names the credential by its public prefix (never the secret part)."""
    record(
        Kind.API_AUTH_FAILED,
        username=presented,
        request=request._request,
        target=f"api {request._request.path}"[:200],
        outcome=Outcome.FAILURE,
        detail={"reason": reason},
    )
    return error


def _token_refusal(token, secret_part: str, now) -> str | None:
    """Why a person's token is refused (for the audit trail), or None when it is good."""
    if token is None:
        return "unknown"
    if not secret_matches(secret_part, token.digest):
        return "wrong_secret"
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= now:
        return "expired"
    if not token.user.is_active:
        return "inactive_user"
    return None


def _secret_refusal(secret, secret_part: str, now) -> str | None:
    """Why a client's secret is refused (for the audit trail), or None when it is good."""
    if secret is None:
        return "unknown"
    if not secret_matches(secret_part, secret.digest):
        return "wrong_secret"
    if secret.revoked_at is not None:
        return "revoked"
    if secret.expires_at is not None and secret.expires_at <= now:
        return "expired"
    if not secret.client.is_active or not secret.client.account.is_active:
        return "inactive_client"
    return None


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _sep, presented = header.partition(" ")
        if keyword != self.keyword:
            return None
        parsed = secret_parse(presented.strip())
        if parsed is None:
            raise _refused(
                request, "", "malformed", exceptions.AuthenticationFailed(_("令牌无效。"))
            )
        kind, prefix, secret_part = parsed
        named = f"{kind}_{prefix}"
        now = timezone.now()
        if kind == PERSONAL:
            token = PersonalToken.objects.select_related("user").filter(prefix=prefix).first()
            reason = _token_refusal(token, secret_part, now)
            if reason is not None:
                refusal = exceptions.AuthenticationFailed(_("令牌无效、已过期或已吊销。"))
                raise _refused(request, named, reason, refusal)
            PersonalToken.objects.filter(pk=token.pk).update(last_used_at=now)
            return token.user, token
        assert kind == CLIENT
        secret = (
            ClientSecret.objects.select_related("client__account").filter(prefix=prefix).first()
        )
        reason = _secret_refusal(secret, secret_part, now)
        if reason is not None:
            refusal = exceptions.AuthenticationFailed(_("客户端密钥无效、已过期或已吊销。"))
            raise _refused(request, named, reason, refusal)
        if not address_allowed(secret.client.allowed_ips, client_ip(request._request)):
            refusal = exceptions.PermissionDenied(_("此客户端不允许从该地址调用。"))
            raise _refused(request, named, "address_not_allowed", refusal)
        ClientSecret.objects.filter(pk=secret.pk).update(last_used_at=now)
        return secret.client.account, secret

    def authenticate_header(self, request):
        return self.keyword


class SessionAuthentication(authentication.SessionAuthentication):
    """The signed-in browser session, with CSRF as on the screens."""
