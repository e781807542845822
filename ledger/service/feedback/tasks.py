"""Background e-mail of the feedback room, through the same tasks framework and MAILERS alias
as ledger.notify (settings.NOTIFY["MAILER"]); the arguments are ids, never the token, so the
task queue's table holds no working link."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _

from ledger.services import single_line

from . import links
from .models import FeedbackLink


@task
def link_email_send(link_id: int) -> str:
    """The link, to its contact's e-mail address (in the source language)."""
    link = (
        FeedbackLink.objects.select_related("issue", "issue__enterprise", "contact")
        .filter(pk=link_id)
        .first()
    )
    if link is None or not link.is_live() or not (link.contact_id and link.contact.email):
        return "skipped"
    issue = link.issue
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("【中站区】您反映的问题 %(number)s 办理情况查询与评价") % {
            "number": issue.number
        }
        body = "\n".join(
            [
                _("%(name)s，您好：") % {"name": link.contact_name},
                "",
                _(
                    "您企业反映的问题“%(title)s”（编号 %(number)s）可通过以下链接查看办理进展；"
                    "办结后，请对办理结果作出评价。"
                )
                % {"title": issue.title, "number": issue.number},
                "",
                links.link_url(link),
                "",
                _("此链接仅供贵企业使用，请勿转发。"),
            ]
        )
    EmailMessage(
        subject=single_line(subject)[:200],
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[link.contact.email],
    ).send(using=settings.NOTIFY["MAILER"])
    return "sent"
