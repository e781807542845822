"""Background e-mail of the feedback room, through the same tasks framework and MAILERS alias
as ledger.notify (settings.NOTIFY["MAILER"]); the arguments are ids, never the token, so the
task queue's table holds no working link."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ledger.models import User
from ledger.services import single_line
from ledger.site_url import absolute_url

from . import links
from .models import FeedbackLink, FeedbackRating

logger = logging.getLogger(__name__)


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


@task
def dissatisfied_alert_send(rating_id: int) -> int:
    """Tell the oversight office (active supervisors with an e-mail) of an 不满意 rating."""
    rating = (
        FeedbackRating.objects.select_related("issue", "issue__lead_department")
        .filter(pk=rating_id, is_current=True)
        .first()
    )
    if rating is None:
        return 0
    from .services import ENTERPRISE_USERNAME

    recipients = list(
        User.objects.filter(role=User.Role.SUPERVISOR, is_active=True)
        .exclude(email="")
        .exclude(username__in=["zz_system", ENTERPRISE_USERNAME])
        .values_list("email", flat=True)
    )
    if not recipients:
        return 0
    issue = rating.issue
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("【中站问题台账】企业不满意：%(number)s %(title)s") % {
            "number": issue.number,
            "title": issue.title,
        }
        body = "\n".join(
            [
                _("企业通过评价链接对以下问题表示不满意，请在销号前核实，必要时重办。"),
                "",
                _("问题：%(number)s %(title)s") % {"number": issue.number, "title": issue.title},
                _("牵头单位：%(unit)s")
                % {"unit": issue.lead_department.name if issue.lead_department_id else "—"},
                _("评价人：%(name)s") % {"name": rating.contact_name},
                _("企业意见：%(comment)s") % {"comment": rating.comment},
                "",
                _("查看：%(link)s")
                % {"link": absolute_url(reverse("issue_detail", args=[issue.number]))},
            ]
        )
    sent = 0
    for address in recipients:
        try:
            EmailMessage(
                subject=single_line(subject)[:200],
                body=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[address],
            ).send(using=settings.NOTIFY["MAILER"])
            sent += 1
        except Exception:
            logger.exception("dissatisfied alert for rating %s to one supervisor failed", rating_id)
    return sent
