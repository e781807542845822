"""The address that links handed outside are built on: e-mails, the enterprise's link and QR code.

- SITE_URL, when set, always (production sets it; notify.W001 in `check --deploy` says so
  when it is missing).
- Without it, a page builds its links on the address its own request reached the server at:
  the host and port actually served (`make run PORT=8801 HOST=0.0.0.0` opened from a phone at
  http://192.168.1.5:8801/ hands out that address, not 127.0.0.1:8000).
- E-mails are built in tasks, which have no request. In DEBUG the tasks backend is the
  immediate one: a task runs inside the request that enqueued it, so ServedAddressMiddleware
  keeps that request's address for it (a context variable, so concurrent requests of the
  threaded runserver never mix). A task run outside any request (a management command) uses
  the last address this process served, or nothing (a bare path). Outside DEBUG there is no
  guessing: the address comes from SITE_URL only.
"""

from contextvars import ContextVar

from django.conf import settings

_served: ContextVar[str] = ContextVar("ledger_served_address", default="")
_last_served = {"address": ""}


def request_address(request) -> str:
    """scheme://host[:port] the request came in at (the host already checked against
    ALLOWED_HOSTS by get_host())."""
    return f"{request.scheme}://{request.get_host()}"


def site_url(request=None) -> str:
    """The base of absolute links, without a trailing slash ("" when none is known)."""
    if settings.SITE_URL:
        return settings.SITE_URL
    if request is not None:
        return request_address(request)
    if settings.DEBUG:
        return _served.get() or _last_served["address"]
    return ""


def absolute_url(path: str, request=None) -> str:
    return site_url(request) + path


class ServedAddressMiddleware:
    """DEBUG without SITE_URL: remember the address each request reached the server at, for
    the links that tasks run during it (and after it, in this process) write into e-mails."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SITE_URL or not settings.DEBUG:
            return self.get_response(request)
        address = request_address(request)
        _last_served["address"] = address
        token = _served.set(address)
        try:
            return self.get_response(request)
        finally:
            _served.reset(token)
