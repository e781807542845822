"""Results out: queueing a client's webhook deliveries and re-sending failed ones.

Rows are written inside the transaction that wrote the issue's event (so they exist only if
it commits) and handed to the tasks worker after the commit (ledger/api/tasks.py, which
sends them through webhooks_send.py).
"""

from __future__ import annotations

import logging

from django.db import transaction

from .tasks import webhook_deliver
from .webhooks_models import WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)


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
    for pk in ids:
        try:
            webhook_deliver.enqueue(pk)
        except Exception:
            # the queue itself is down: the delivery stays pending, visible in the admin,
            # and can be re-sent from there; the action that caused it has committed
            logger.exception("could not enqueue webhook delivery %s", pk)


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
