"""The first authentication backend: django-axes' lockout check, failing closed.

axes' AxesStandaloneBackend raises a ValueError when authenticate() is called without
the request (it needs the client's address). Here such a call is refused instead, as
a wrong password would be: every sign-in through the web passes the request (Django's
login and admin login views do), and a code path that forgets it must not sign anyone
in unchecked, nor crash. Tests sign in with force_login, or pass request=HttpRequest().
"""

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied


class LockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            raise AxesBackendPermissionDenied("sign-in without a request is refused")
        return super().authenticate(request, username=username, password=password, **kwargs)
