"""Background work of the API room: sending one webhook delivery, with retries.

Like ledger/notify/tasks.py: Django's tasks framework does not retry by itself, so a failed
attempt enqueues the next one with `run_after` (API_WEBHOOK_RETRY_SECONDS × 2^(n−1)); a
backend without `run_after` (the immediate one of development and tests) runs it at once.
After API_WEBHOOK_ATTEMPTS failed attempts the delivery is dead (the admin can re-send it).
"""

import datetime
import logging
import time

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from .webhooks_models import WebhookAttempt, WebhookDelivery
from .webhooks_send import attempt_send, delay_after, url_refused

logger = logging.getLogger(__name__)


@task
def webhook_deliver(delivery_id: int) -> str:
    """Try one delivery once; on failure schedule the next try or give up."""
    # the row stays locked while the receiver answers (at most API_WEBHOOK_TIMEOUT_SECONDS):
    # two workers never post the same delivery at once
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state not in (
            WebhookDelivery.State.PENDING,
            WebhookDelivery.State.FAILED,
        ):
            return "skipped"
        delivery.attempts += 1
        started = time.monotonic()
        status, error = attempt_send(delivery)
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempt_log.count() + 1,
            status=status,
            error=error,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        delivery.last_status = status
        delivery.last_error = error
        if not error:
            delivery.state = WebhookDelivery.State.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
        elif delivery.attempts >= settings.API_WEBHOOK_ATTEMPTS or url_refused(
            delivery.subscription.url
        ):
            # the last attempt, or an address no retry can fix
            delivery.state = WebhookDelivery.State.DEAD
            delivery.next_attempt_at = None
            logger.warning("webhook delivery %s is dead: %s", delivery.pk, error)
        else:
            delivery.state = WebhookDelivery.State.FAILED
            delivery.next_attempt_at = timezone.now() + datetime.timedelta(
                seconds=delay_after(delivery.attempts)
            )
        delivery.save(
            update_fields=[
                "attempts",
                "state",
                "last_status",
                "last_error",
                "delivered_at",
                "next_attempt_at",
            ]
        )
        if delivery.state == WebhookDelivery.State.FAILED:
            run_after = delivery.next_attempt_at
            transaction.on_commit(lambda: retry_enqueue(delivery_id, run_after))
    return delivery.state


def retry_enqueue(delivery_id: int, run_after: datetime.datetime) -> None:
    try:
        if webhook_deliver.get_backend().supports_defer:
            webhook_deliver.using(run_after=run_after).enqueue(delivery_id)
        else:
            webhook_deliver.enqueue(delivery_id)
    except Exception:
        logger.exception("could not enqueue the retry of webhook delivery %s", delivery_id)
