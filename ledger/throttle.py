"""A small sliding-window throttle counted in the database (the password-reset form, the
enterprise's rating page): `throttle_hit(scope, limits, window=…)` records one request under
each key and says whether any key has now gone over its limit within the window. Old rows
are pruned as new ones are written, so the table stays small. In the core, so that every
room throttles the same way without importing another room."""

import datetime

from django.db import transaction
from django.utils import timezone

from ledger.models import ThrottleHit


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


def throttle_used(scope: str, key: str, *, window: datetime.timedelta) -> int:
    """How many requests are counted under `key` within the window (nothing is recorded):
    for a limit checked before the request and counted only when it fails (sign-in)."""
    since = timezone.now() - window
    return ThrottleHit.objects.filter(scope=scope, key=key, at__gte=since).count()
