"""Sending one webhook delivery: the body, its signature and the POST.

A delivery is a POST of JSON with three headers:

    X-Zhongzhan-Delivery:  the delivery's id (the same on every re-send: deduplicate on it)
    X-Zhongzhan-Timestamp: seconds since the epoch when this attempt was signed
    X-Zhongzhan-Signature: sha256=<hex HMAC-SHA-256 of "<timestamp>.<body>" under the
                           subscription's secret>
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .webhooks_models import WebhookDelivery

SIGNATURE_HEADER = "X-Zhongzhan-Signature"
TIMESTAMP_HEADER = "X-Zhongzhan-Timestamp"
DELIVERY_HEADER = "X-Zhongzhan-Delivery"
SCHEMES = ("http", "https")


def secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA-256 of "<timestamp>.<body>"."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()


def url_refused(url: str) -> str:
    """Why the ledger will not post to `url`, or "" (only http and https)."""
    scheme = urllib.parse.urlsplit(url or "").scheme.lower()
    if scheme not in SCHEMES or not urllib.parse.urlsplit(url).hostname:
        return str(_("推送地址须以 http:// 或 https:// 开头。"))
    return ""


def attempt_send(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POST the delivery once: (the receiver's status, or None; the error, or "")."""
    url = delivery.subscription.url
    refused = url_refused(url)
    if refused:
        return None, refused
    body = body_of(delivery)
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "zhongzhan-webhooks/1",
            DELIVERY_HEADER: str(delivery.pk),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: "sha256=" + signature(delivery.subscription.secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.API_WEBHOOK_TIMEOUT_SECONDS
        ) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, f"{type(error).__name__}: {error}"[:2000]
    if 200 <= status < 300:
        return status, ""
    return status, f"HTTP {status}"


def delay_after(attempts: int) -> int:
    """Seconds before the next try after `attempts` failed ones: doubling each time."""
    return settings.API_WEBHOOK_RETRY_SECONDS * 2 ** (attempts - 1)
