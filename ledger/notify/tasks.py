"""Background work of ledger.notify (Django's tasks framework; django-tasks-db in production).

- notification_email_send: one e-mail for one notification, in the recipient's language,
  retried with backoff when the mailer fails. It is written when it is sent, not when it
  was queued: the issue's title and number as they are then, and nothing at all to a
  recipient who can no longer see the issue (reassigned away meanwhile, account disabled).
  Delivery state is kept on the Notification (admin → 通知) so a failure is visible; it
  never touches the action it reports.
- emails_enqueue: what notifications.services calls after a commit to queue those e-mails.

The daily reminder run's task (reminders_daily) lives with the run in reminders.py: the
run writes notifications, which enqueue e-mail here, so this module stays below both.

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
from .texts import notification_target, notification_text, preference_of

logger = logging.getLogger(__name__)


def _email_build(notification: Notification) -> EmailMessage:
    recipient = notification.recipient
    issue = notification.issue
    language = preference_of(recipient).language or settings.LANGUAGE_CODE
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
        if not notification.recipient.has_perm("ledger.view_issue", notification.issue):
            # the bell shows such a notice without the issue's title (views.py); the mail
            # would name it: not sent
            notification.email_state = Notification.Email.NONE
            notification.email_next_attempt_at = None
            notification.email_error = "not sent: the recipient no longer sees the issue"
            notification.save(update_fields=["email_state", "email_next_attempt_at", "email_error"])
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


def emails_enqueue(notification_ids: list[int]) -> None:
    """Queue the e-mail of each notification (called after the commit that wrote them)."""
    for pk in notification_ids:
        try:
            notification_email_send.enqueue(pk)
        except Exception:
            # the queue itself is down: the notification stays `pending` and visible in the
            # admin; the user's action has committed and is not affected
            logger.exception("could not enqueue e-mail for notification %s", pk)
