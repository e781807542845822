"""Per-token and per-client request limits (429 with Retry-After)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .permissions import client_of


class CallerRateThrottle(SimpleRateThrottle):
    """One bucket per caller per minute: a client by its own limit (or
    API_CLIENT_RATE_PER_MINUTE), a person by API_TOKEN_RATE_PER_MINUTE. Counted in the
    default cache, which is shared across hosts when CACHE_URL is set."""

    scope = "caller"

    def allow_request(self, request, view):
        client = client_of(request)
        if client is not None:
            per_minute = client.rate_per_minute or settings.API_CLIENT_RATE_PER_MINUTE
        else:
            per_minute = settings.API_TOKEN_RATE_PER_MINUTE
        # SimpleRateThrottle lets everything through while `rate` is None
        self.rate = f"{per_minute}/min"
        self.num_requests, self.duration = per_minute, 60
        return super().allow_request(request, view)

    def get_rate(self):
        return None  # set per request in allow_request

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"addr-{self.get_ident(request)}"
        return f"api-throttle:{ident}"
