"""Background work of ledger.notify (Django's tasks framework; django-tasks-db in production).

- notification_email_send: one e-mail for one notification, in the recipient's language,
  retried with backoff when the mailer fails. Delivery state is kept on the Notification
  (admin → 通知) so a failure is visible; it never touches the action it reports.
- reminders_daily: send_reminders as a task that enqueues itself for the next day, for
  deployments that prefer the worker to a cron job or systemd timer.

Django's tasks framework does not retry by itself: a retry is a new enqueue with
`run_after` (backoff RETRY_SECONDS × 2^(attempt−1)). A backend without `run_after` (the
immediate backend used in development and tests) runs the retry at once instead.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ledger.services import single_line
from ledger.site_url import absolute_url

from .models import Notification

logger = logging.getLogger(__name__)


def _email_build(notification: Notification) -> EmailMessage:
    from .services import _preference, notification_target, notification_text

    recipient = notification.recipient
    issue = notification.issue
    language = _preference(recipient).language or settings.LANGUAGE_CODE
    with translation.override(language):
        link = absolute_url(notification_target(notification))
        preferences = absolute_url(reverse("notify:notification_preferences"))
        subject = _("【中站问题台账】%(number)s %(kind)s：%(title)s") % {
            "number": issue.number,
            "kind": notification.get_kind_display(),
            "title": issue.title,
        }
        lines = [
            _("%(name)s，您好：") % {"name": recipient},
            "",
            notification_text(notification),
            "",
            _("问题：%(number)s %(title)s") % {"number": issue.number, "title": issue.title},
            _("查看：%(link)s") % {"link": link},
            "",
            _("不想收到此类邮件，可在通知设置中关闭：%(link)s") % {"link": preferences},
        ]
    return EmailMessage(
        # one line whatever the title holds: a CR, LF or other control character in a header
        # is refused by the mailer (BadHeaderError) on every attempt
        subject=single_line(subject)[:200],
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
    )


@task
def notification_email_send(notification_id: int) -> str:
    """Send one notification's e-mail; on failure schedule a retry or give up."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient__notify_preference", "issue", "actor")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.email_state not in (
            Notification.Email.PENDING,
            Notification.Email.RETRYING,
        ):
            return "skipped"
        notification.email_attempts += 1
        try:
            _email_build(notification).send(using=settings.NOTIFY["MAILER"])
        except Exception as error:
            _failure_record(notification, error)
        else:
            notification.email_state = Notification.Email.SENT
            notification.email_sent_at = timezone.now()
            notification.email_next_attempt_at = None
            notification.email_error = ""
        notification.save(
            update_fields=[
                "email_state",
                "email_attempts",
                "email_sent_at",
                "email_next_attempt_at",
                "email_error",
            ]
        )
        state = notification.email_state
        if state == Notification.Email.RETRYING:
            run_after = notification.email_next_attempt_at
            transaction.on_commit(lambda: _retry_enqueue(notification_id, run_after))
    return state


def _failure_record(notification: Notification, error: Exception) -> None:
    attempts = notification.email_attempts
    notification.email_error = f"{type(error).__name__}: {error}"[:2000]
    logger.warning(
        "e-mail for notification %s failed (attempt %s): %s",
        notification.pk,
        attempts,
        notification.email_error,
    )
    if attempts >= settings.NOTIFY["EMAIL_MAX_ATTEMPTS"]:
        notification.email_state = Notification.Email.FAILED
        notification.email_next_attempt_at = None
        return
    delay = settings.NOTIFY["EMAIL_RETRY_SECONDS"] * 2 ** (attempts - 1)
    notification.email_state = Notification.Email.RETRYING
    notification.email_next_attempt_at = timezone.now() + datetime.timedelta(seconds=delay)


def _retry_enqueue(notification_id: int, run_after: datetime.datetime) -> None:
    if notification_email_send.get_backend().supports_defer:
        notification_email_send.using(run_after=run_after).enqueue(notification_id)
    else:
        notification_email_send.enqueue(notification_id)


@task
def reminders_daily() -> dict:
    """Run today's reminders, then enqueue this task again for the next day's REMINDER_HOUR."""
    from .reminders import reminders_send

    counts = reminders_send(today=timezone.localdate())
    reminders_schedule_next()
    return counts


def next_run_at(now: datetime.datetime | None = None) -> datetime.datetime:
    """The next REMINDER_HOUR o'clock (local time) after `now`."""
    now = timezone.localtime(now or timezone.now())
    hour = settings.NOTIFY["REMINDER_HOUR"]
    run = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if run <= now:
        run = timezone.make_aware(
            datetime.datetime.combine(run.date() + datetime.timedelta(days=1), run.time())
        )
    return run


def reminders_schedule_next() -> bool:
    """Enqueue reminders_daily for the next run; False if the backend cannot defer."""
    if not reminders_daily.get_backend().supports_defer:
        return False
    reminders_daily.using(run_after=next_run_at()).enqueue()
    return True
