"""The idle session timeout: a session ends SESSION_COOKIE_AGE after its last request.

Django's SESSION_SAVE_EVERY_REQUEST would do it by writing the session row on every
request (three queries each time, inside a transaction). Here a signed-in session is
renewed — its expiry moved to now + SESSION_COOKIE_AGE and the cookie re-sent — at most
once per SESSION_RENEW_SECONDS, so the timeout is exact to within that interval and a
busy page costs no write. Anonymous visitors get no session row at all.

The same middleware ends any session of a system account (the 系统账号 role: zz_system,
zz_enterprise), however it was made (a forged or restored session row, force_login): such
a request goes on as an anonymous one, and the session is flushed. The sign-in itself is
refused earlier (backends.LockoutBackend).
"""

import logging
import time

from django.conf import settings
from django.contrib.auth import logout

logger = logging.getLogger(__name__)

RENEWED_AT = "_zz_session_renewed_at"


def session_mark_renewed(sender, request, user, **kwargs):
    """user_logged_in receiver: the login itself writes the session, so it counts."""
    if request is not None and hasattr(request, "session"):
        request.session[RENEWED_AT] = int(time.time())


class SessionIdleRenewMiddleware:
    """After AuthenticationMiddleware: renews a signed-in session when it is due, and
    ends a system account's session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and _is_system_account(user):
            logger.warning("session of the system account %s refused", user.username)
            logout(request)  # flushes the session and makes request.user anonymous
            user = request.user
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(RENEWED_AT)
            if not isinstance(last, int) or now - last >= settings.SESSION_RENEW_SECONDS:
                request.session[RENEWED_AT] = now  # modified: saved and re-sent on response
        return self.get_response(request)


def _is_system_account(user) -> bool:
    return getattr(user, "role", None) == "system" or (
        user.get_username().lower() in settings.SYSTEM_ACCOUNTS
    )
