"""Results out: signing, queueing and sending a client's webhook deliveries.

A delivery is a POST of JSON with three headers:

    X-Zhongzhan-Delivery:  the delivery's id (the same on every re-send: deduplicate on it)
    X-Zhongzhan-Timestamp: seconds since the epoch when this attempt was signed
    X-Zhongzhan-Signature: sha256=<hex HMAC-SHA-256 of "<timestamp>.<body>" under the
                           subscription's secret>

Rows are written inside the transaction that wrote the issue's event (so they exist only if
it commits) and handed to the tasks worker after the commit (ledger/api/tasks.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .webhooks_models import WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

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


def deliveries_queue(client, event: str, payload: dict) -> list[int]:
    """One delivery per active subscription of `client` to `event`, enqueued after commit."""
    ids = []
    for subscription in WebhookSubscription.objects.filter(client=client, is_active=True):
        if event not in (subscription.events or []):
            continue
        delivery = WebhookDelivery.objects.create(
            subscription=subscription, event=event, payload=payload
        )
        ids.append(delivery.pk)
    if ids:
        transaction.on_commit(lambda: deliveries_enqueue(ids))
    return ids


def deliveries_enqueue(ids: list[int]) -> None:
    # import here: the tasks module imports this one (the sending)
    from .tasks import webhook_deliver

    for pk in ids:
        try:
            webhook_deliver.enqueue(pk)
        except Exception:
            # the queue itself is down: the delivery stays pending, visible in the admin,
            # and can be re-sent from there; the action that caused it has committed
            logger.exception("could not enqueue webhook delivery %s", pk)


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


def resend(delivery_ids) -> int:
    """Put failed or dead deliveries back in the queue (the admin's 重新发送): a new round
    of attempts; the log keeps the earlier ones."""
    count = 0
    with transaction.atomic():
        rows = WebhookDelivery.objects.select_for_update().filter(
            pk__in=list(delivery_ids),
            state__in=[WebhookDelivery.State.FAILED, WebhookDelivery.State.DEAD],
        )
        ids = []
        for delivery in rows:
            delivery.state = WebhookDelivery.State.PENDING
            delivery.attempts = 0
            delivery.next_attempt_at = None
            delivery.save(update_fields=["state", "attempts", "next_attempt_at"])
            ids.append(delivery.pk)
            count += 1
        if ids:
            transaction.on_commit(lambda: deliveries_enqueue(ids))
    return count
