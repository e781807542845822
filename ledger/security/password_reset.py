"""Password-reset e-mail through the task worker, with retries, on the notifications' mailer.

Django's own form sends the mail inside the request: with the mail server down the person
sees "sent" and the mail is lost. Here the form only queues `password_reset_email_send(user
id, language)`; the worker builds the link when it sends (so no token waits in the task
table) on SITE_URL (ledger/site_url.py), never on the Host header of the request, and a
failing mailer is tried again with the notifications' backoff (NOTIFY EMAIL_MAX_ATTEMPTS,
EMAIL_RETRY_SECONDS × 2^(attempt−1)).
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.tasks import task
from django.template import loader
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from ledger.site_url import absolute_url

logger = logging.getLogger(__name__)


class QueuedPasswordResetForm(PasswordResetForm):
    """The reset form whose save() queues the e-mail instead of sending it in the request.
    The page says the same whether or not the address belongs to an account."""

    def save(self, *args, **kwargs):
        language = translation.get_language() or settings.LANGUAGE_CODE
        for user in self.get_users(self.cleaned_data["email"]):
            try:
                password_reset_email_send.enqueue(user.pk, language)
            except Exception:
                # the queue itself is down: the same page, and the log says so
                logger.exception("could not queue the password-reset e-mail of user %s", user.pk)


def _message(user, language: str) -> EmailMessage:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    with translation.override(language):
        link = absolute_url(
            reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
        )
        context = {"user": user, "reset_url": link}
        subject = loader.render_to_string("registration/password_reset_subject.txt", context)
        body = loader.render_to_string("registration/password_reset_email.html", context)
    return EmailMessage(
        subject="".join(subject.splitlines()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )


@task
def password_reset_email_send(user_id: int, language: str, attempt: int = 1) -> str:
    """Send one reset e-mail; on failure queue the next attempt later, or give up and say so."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or not user.has_usable_password():
        return "skipped"
    try:
        _message(user, language).send(using=settings.NOTIFY["MAILER"])
    except Exception as error:
        if attempt >= settings.NOTIFY["EMAIL_MAX_ATTEMPTS"]:
            logger.error(
                "password-reset e-mail of user %s failed %s times, given up: %s: %s",
                user_id,
                attempt,
                type(error).__name__,
                error,
            )
            raise
        delay = settings.NOTIFY["EMAIL_RETRY_SECONDS"] * 2 ** (attempt - 1)
        logger.warning(
            "password-reset e-mail of user %s failed (attempt %s), tried again in %s s: %s: %s",
            user_id,
            attempt,
            delay,
            type(error).__name__,
            error,
        )
        retry = password_reset_email_send
        if retry.get_backend().supports_defer:
            retry = retry.using(run_after=timezone.now() + datetime.timedelta(seconds=delay))
        retry.enqueue(user_id, language, attempt + 1)
        return "retrying"
    return "sent"
