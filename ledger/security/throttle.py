"""A small sliding-window throttle counted in the database, for the password-reset form.

`throttle_hit(scope, limits, window=…)` records one request under each key and says
whether any key has now gone over its limit within the window. Old rows are pruned as
new ones are written, so the table stays small.
"""

import datetime
import hashlib

from django.conf import settings
from django.db import transaction
from django.shortcuts import render
from django.utils import timezone

from ledger.client_ip import client_ip

from .models import ThrottleHit


def email_key(address: str) -> str:
    digest = hashlib.sha256(address.strip().lower().encode()).hexdigest()
    return f"email:{digest}"


def throttle_hit(scope: str, limits: dict[str, int], *, window: datetime.timedelta) -> bool:
    """Count one request under each key of `limits`; True when any key is over its limit."""
    now = timezone.now()
    since = now - window
    with transaction.atomic():
        ThrottleHit.objects.filter(scope=scope, at__lt=since).delete()
        over = False
        for key, limit in limits.items():
            used = ThrottleHit.objects.filter(scope=scope, key=key, at__gte=since).count()
            if used >= limit:
                over = True
        if not over:
            ThrottleHit.objects.bulk_create(
                [ThrottleHit(scope=scope, key=key, at=now) for key in limits]
            )
    return over


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
