"""Writes of the feedback room: hand out, withdraw and e-mail a link; record a rating.

A rating goes into the issue's timeline as a 回访 event through the core's door for it
(workflow.feedback_record) under the enterprise account `zz_enterprise` (migration 0002): the
event is signed into the issue's digest chain, the issue's version moves (so a 销号 form
opened before the rating is refused and shows it) and the core's signals are sent. The
event's note names the contact; FeedbackRating keeps the figures.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ledger import workflow
from ledger.models import Contact, Issue, User
from ledger.services import single_line
from ledger.states import Status

from . import links
from .models import FeedbackLink, FeedbackRating
from .tasks import link_email_send

logger = logging.getLogger(__name__)

ENTERPRISE_USERNAME = "zz_enterprise"
# its name as migration 0002 stores it; listed for the catalog, so the timeline translates it
ENTERPRISE_ACCOUNT_NAME = gettext_noop("企业（评价链接）")
COMMENT_MAX = 1000


class FeedbackRefused(Exception):
    """A refusal with a message for the person; nothing has been written."""

    def __init__(self, message: str, *, field: str | None = None):
        self.message = message
        self.field = field
        super().__init__(message)


def enterprise_account() -> User:
    """The account that signs the enterprise's ratings into the timeline (never signs in)."""
    return User.objects.get(username=ENTERPRISE_USERNAME)


def issue_may_have_link(issue: Issue) -> bool:
    return bool(issue.enterprise_id) and issue.status != Status.WITHDRAWN


# -- links -------------------------------------------------------------------------------


def link_create(*, actor, issue: Issue, contact: Contact | None = None, contact_name: str = ""):
    """Hand out a link for the issue's enterprise contact; the link in force is replaced."""
    if not actor.has_perm("feedback.manage_link", issue):
        raise PermissionDenied
    if not issue_may_have_link(issue):
        raise FeedbackRefused(_("只有涉及企业、未撤销的问题可以生成企业评价链接。"))
    if contact is not None:
        if contact.enterprise_id != issue.enterprise_id:
            raise FeedbackRefused(_("所选联系人不属于该问题的企业。"), field="contact")
        contact_name = contact.name
    contact_name = single_line(contact_name or "").strip()
    if not contact_name:
        raise FeedbackRefused(_("请选择企业联系人，或填写联系人姓名。"), field="contact_name")
    if len(contact_name) > 50:
        raise FeedbackRefused(_("联系人姓名不能超过 50 个字。"), field="contact_name")
    now = timezone.now()
    with transaction.atomic():
        Issue.objects.select_for_update(of=("self",)).filter(pk=issue.pk).first()
        FeedbackLink.objects.filter(issue=issue, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=actor
        )
        return FeedbackLink.objects.create(
            issue=issue,
            nonce=links.nonce_new(),
            contact=contact,
            contact_name=contact_name,
            created_by=actor,
            created_at=now,
        )


def link_revoke(*, actor, link: FeedbackLink) -> FeedbackLink:
    if not actor.has_perm("feedback.manage_link", link.issue):
        raise PermissionDenied
    with transaction.atomic():
        locked = FeedbackLink.objects.select_for_update().get(pk=link.pk)
        if locked.revoked_at is not None:
            raise FeedbackRefused(_("该链接已作废。"))
        locked.revoked_at, locked.revoked_by = timezone.now(), actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
    return locked


def link_email(*, actor, link: FeedbackLink) -> str:
    """E-mail the link to its contact (a background task, after the commit)."""
    if not actor.has_perm("feedback.manage_link", link.issue):
        raise PermissionDenied
    if link.revoked_at is not None or not link.is_live():
        raise FeedbackRefused(_("该链接已作废或已过期，不能发送。"))
    address = link.contact.email if link.contact_id else ""
    if not address:
        raise FeedbackRefused(_("该联系人没有登记电子邮箱，请通过微信或短信发送链接。"))
    link_id = link.pk
    transaction.on_commit(lambda: _enqueue(link_email_send, link_id))
    return address


def _enqueue(task, *args) -> None:
    try:
        task.enqueue(*args)
    except Exception:
        # the queue is down: the person's action stands; the log says what was not sent
        logger.exception("could not enqueue %s%s", task.name, args)


# -- the enterprise's page ------------------------------------------------------------------


def link_for_token(token: str) -> FeedbackLink | None:
    """The live link a genuine token names; None for a tampered, unknown, revoked or expired one."""
    nonce = links.nonce_from(token)
    if nonce is None:
        return None
    link = (
        FeedbackLink.objects.select_related("issue", "issue__lead_department", "issue__enterprise")
        .filter(nonce=nonce)
        .first()
    )
    if link is None or not link.is_live():
        return None
    return link


def rating_submit(*, link: FeedbackLink, rating: str, comment: str = "", at=None):
    """Record the enterprise's rating of a resolved issue: a 回访 event and a FeedbackRating.

    Allowed while the issue is 已办结（待销号）; a new rating replaces the current one (both
    stay in the timeline). A 不满意 reaches the responsible leader's and the office's bell and
    e-mail through ledger.notify, like any event (its recipients table has the rule)."""
    if rating not in Issue.Satisfaction.values:
        raise FeedbackRefused(_("请选择您的评价。"), field="rating")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise FeedbackRefused(_("意见不能超过 %(n)s 个字。") % {"n": COMMENT_MAX}, field="comment")
    if rating == Issue.Satisfaction.DISSATISFIED and not comment:
        raise FeedbackRefused(
            _("选择“不满意”时，请写明哪里不满意，以便重新办理。"), field="comment"
        )
    at = at or timezone.now()
    account = enterprise_account()
    with transaction.atomic():
        issue = Issue.objects.select_for_update(of=("self",)).get(pk=link.issue_id)
        live = FeedbackLink.objects.select_for_update().get(pk=link.pk)
        live.issue = issue
        if not live.is_live(at):
            raise FeedbackRefused(_("该链接已失效。"))
        if issue.status != Status.RESOLVED:
            raise FeedbackRefused(_("该问题当前不能评价：办结后、销号前可以评价。"))
        try:
            # the event keeps the rating's label in the source language, like every stored
            # text, whatever language the enterprise's browser asked for
            with translation.override(settings.LANGUAGE_CODE):
                event = workflow.feedback_record(
                    issue,
                    actor=account,
                    satisfaction=rating,
                    note=_event_note(issue, live, rating, comment),
                    at=at,
                )
        except workflow.TransitionRefused as refusal:
            raise FeedbackRefused(refusal.message) from None
        FeedbackRating.objects.filter(issue=issue, is_current=True).update(is_current=False)
        created = FeedbackRating.objects.create(
            link=live,
            issue=issue,
            rating=rating,
            comment=comment,
            contact_name=live.contact_name,
            event=event,
            rated_at=at,
        )
    return created


def _event_note(issue, link, rating, comment) -> str:
    """The timeline's words, in the source language like every stored note."""
    with translation.override(settings.LANGUAGE_CODE):
        note = _(
            "企业回访（企业服务评价链接）：%(rating)s。评价人：%(name)s（%(enterprise)s）。"
        ) % {
            "rating": Issue.Satisfaction(rating).label,
            "name": link.contact_name,
            "enterprise": issue.enterprise.name if issue.enterprise_id else "",
        }
        if comment:
            note += _("企业意见：%(comment)s") % {"comment": comment}
    return note
