"""The password-reset form's throttle, counted by the core's `ledger.throttle.throttle_hit`."""

import datetime
import hashlib

from django.conf import settings
from django.shortcuts import render

from ledger.client_ip import client_ip
from ledger.throttle import throttle_hit


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
