"""The idle session timeout: a session ends SESSION_COOKIE_AGE after its last request.

Django's SESSION_SAVE_EVERY_REQUEST would do it by writing the session row on every
request (three queries each time, inside a transaction). Here a signed-in session is
renewed — its expiry moved to now + SESSION_COOKIE_AGE and the cookie re-sent — at most
once per SESSION_RENEW_SECONDS, so the timeout is exact to within that interval and a
busy page costs no write. Anonymous visitors get no session row at all.
"""

import time

from django.conf import settings

RENEWED_AT = "_zz_session_renewed_at"


def session_mark_renewed(sender, request, user, **kwargs):
    """user_logged_in receiver: the login itself writes the session, so it counts."""
    if request is not None and hasattr(request, "session"):
        request.session[RENEWED_AT] = int(time.time())


class SessionIdleRenewMiddleware:
    """After AuthenticationMiddleware: renews a signed-in session when it is due."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(RENEWED_AT)
            if not isinstance(last, int) or now - last >= settings.SESSION_RENEW_SECONDS:
                request.session[RENEWED_AT] = now  # modified: saved and re-sent on response
        return self.get_response(request)
