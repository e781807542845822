"""The first authentication backend: django-axes' lockout check, failing closed.

axes' AxesStandaloneBackend raises a ValueError when authenticate() is called without
the request (it needs the client's address). Here such a call is refused instead, as
a wrong password would be: every sign-in through the web passes the request (Django's
login and admin login views do), and a code path that forgets it must not sign anyone
in unchecked, nor crash. Tests sign in with force_login, or pass request=HttpRequest().

It refuses every sign-in as one of the system accounts (settings.SYSTEM_ACCOUNTS) or as the
service account of a registered API client (ledger/api: it calls only with its secret), and
every sign-in from an address with too many failed ones across user names
(security/throttle.py: password spraying), before axes or any password is checked.
"""

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from .throttle import sign_in_address_refused


class LockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            raise AxesBackendPermissionDenied("sign-in without a request is refused")
        if str(username or "").strip().lower() in settings.SYSTEM_ACCOUNTS:
            # the accounts the system acts under never sign in, even if someone gave one a
            # password: refused as a wrong password would be
            raise PermissionDenied("a system account never signs in")
        if _is_api_client_account(username):
            # an API client's service account calls the API with its secret and never signs
            # in on a screen: its password is unusable, and it is refused here even if
            # someone set one
            raise PermissionDenied("an API client's account never signs in")
        if sign_in_address_refused(request):
            # too many failures from this address across user names (password spraying):
            # the lockout page (AxesMiddleware), whatever the password
            request.axes_locked_out = True
            request.address_throttled = True
            raise AxesBackendPermissionDenied("too many failed sign-ins from this address")
        return super().authenticate(request, username=username, password=password, **kwargs)


def _is_api_client_account(username) -> bool:
    """Whether `username` is the service account of an API client. The API room's one-to-one
    `api_client` is looked up by name (hasattr), not imported: rooms never import each other,
    and without that room the accessor does not exist and nobody is refused for it. A naming
    rule (`api_…`) would also refuse a person who happened to be called so, and miss an account
    renamed in the admin."""
    if not username:
        return False
    User = get_user_model()
    user = User._default_manager.filter(**{User.USERNAME_FIELD: str(username)}).first()
    return user is not None and hasattr(user, "api_client")
