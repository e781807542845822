"""The password-reset form's throttle and the sign-in limit per client address (password
spraying: many user names from one address), both counted by the core's `ledger.throttle`."""

import datetime
import hashlib

from django.conf import settings
from django.shortcuts import render

from ledger.client_ip import client_ip
from ledger.models import ThrottleHit
from ledger.throttle import throttle_hit, throttle_used


def email_key(address: str) -> str:
    digest = hashlib.sha256(address.strip().lower().encode()).hexdigest()
    return f"email:{digest}"


def password_reset_refusal(request):
    """The 429 page when a password-reset POST goes over a limit; None otherwise.

    Counted per client address and per e-mail address entered. A refused request is
    not counted, so someone who keeps trying is let through again once the window has
    passed since their last accepted requests.
    """
    if request.method != "POST":
        return None
    conf = settings.PASSWORD_RESET_THROTTLE
    limits = {f"ip:{client_ip(request)}": conf["PER_ADDRESS"]}
    email = request.POST.get("email", "")
    if email.strip():
        limits[email_key(email[:254])] = conf["PER_EMAIL"]
    window = datetime.timedelta(minutes=conf["WINDOW_MINUTES"])
    if not throttle_hit("password_reset", limits, window=window):
        return None
    return render(
        request,
        "security/throttled.html",
        {"window_minutes": conf["WINDOW_MINUTES"]},
        status=429,
    )


class PasswordResetThrottleMiddleware:
    """Throttles whichever view serves the URL names in THROTTLED_URL_NAMES.

    A middleware rather than a wrapped URL, so it holds whoever defines the password-reset
    view (Django's auth URLs, or a restyled view of our own). It sits after the CSRF
    middleware: a forged request is refused there and never counted.
    """

    THROTTLED_URL_NAMES = {"password_reset", "admin_password_reset"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.url_name not in self.THROTTLED_URL_NAMES:
            return None
        return password_reset_refusal(request)


# -- sign-in failures per client address (spraying) ------------------------------------------
#
# django-axes locks a user name + address after AXES_FAILURE_LIMIT failures; it has one limit
# for all its lockout parameters, so the looser limit per address across user names is
# counted here: every failed sign-in with a request adds one hit under the address, and
# while the address has LOGIN_ADDRESS_FAILURE_LIMIT hits within the window, every sign-in
# from it is refused before any password is checked (LockoutBackend), with the lockout page.
# A refused attempt is not counted (the window then ends 15 minutes after the last counted
# failure), and a successful sign-in does not clear the count (one valid account must not
# let an attacker go on guessing the others).

SIGN_IN_SCOPE = "sign_in_address"


def _address_key(request) -> str:
    return address_key(client_ip(request))


def address_key(address: str) -> str:
    return f"ip:{address}"


def _address_window() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.LOGIN_ADDRESS_WINDOW_MINUTES)


def sign_in_address_refused(request) -> bool:
    """True while the request's address has too many failed sign-ins within the window."""
    used = throttle_used(SIGN_IN_SCOPE, _address_key(request), window=_address_window())
    return used >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


def sign_in_failure_count(sender, credentials=None, request=None, **kwargs):
    """user_login_failed: one more failure for the address (a refusal by a lock is not one)."""
    if request is None or getattr(request, "axes_locked_out", False):
        return
    key = _address_key(request)
    throttle_hit(
        SIGN_IN_SCOPE, {key: settings.LOGIN_ADDRESS_FAILURE_LIMIT}, window=_address_window()
    )


def sign_in_address_failures(address: str) -> int:
    """The failures counted against `address` within the window (the admin shows them)."""
    return throttle_used(SIGN_IN_SCOPE, address_key(address), window=_address_window())


def sign_in_address_clear(address: str) -> int:
    """Lift an address's sign-in limit at once (the security administrator's admin action,
    e.g. for an office's NAT address after a colleague's script went wrong): its counted
    failures are deleted; the per user name locks (django-axes) are not touched. Returns
    how many failures were counted within the window."""
    counted = sign_in_address_failures(address)
    ThrottleHit.objects.filter(scope=SIGN_IN_SCOPE, key=address_key(address)).delete()
    return counted
