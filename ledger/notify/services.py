"""Writes of ledger.notify: notifications for a committed event or a reminder, marking read,
preferences. E-mail goes out from a background task (tasks.py) enqueued after commit."""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ledger.models import Issue, IssueEvent

from .models import Kind, Notification, Preference
from .recipients import SYSTEM_USERNAME, recipients_for

logger = logging.getLogger(__name__)


def issue_for_notify(issue_id: int) -> Issue:
    """The issue with what the recipients table and the permission checks read."""
    return (
        Issue.objects.select_related(
            "enterprise", "project", "leader", "lead_department", "raising_department"
        )
        .prefetch_related("co_departments")
        .get(pk=issue_id)
    )


def notifications_create(
    *,
    kind: str,
    issue: Issue,
    actor=None,
    event: IssueEvent | None = None,
    data=None,
    at=None,
    email: bool = True,
) -> list[Notification]:
    """Tell the table's recipients of `kind` on `issue`; e-mail after the commit.

    The caller holds a transaction or not; the e-mail tasks are enqueued on commit, so
    nothing is sent for what did not commit. Recipients already told of `event` are skipped.
    """
    at = at or timezone.now()
    users = recipients_for(kind, issue, actor=actor)
    if event is not None:
        told = set(
            Notification.objects.filter(event=event, recipient__in=users).values_list(
                "recipient_id", flat=True
            )
        )
        users = [u for u in users if u.pk not in told]
    rows = []
    for user in users:
        wants = email and bool(user.email) and _preference(user).wants_email(kind)
        rows.append(
            Notification(
                recipient=user,
                issue=issue,
                event=event,
                kind=kind,
                actor=actor,
                data=data or {},
                created_at=at,
                email_state=Notification.Email.PENDING if wants else Notification.Email.NONE,
            )
        )
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows)
        pending = [n.pk for n in created if n.email_state == Notification.Email.PENDING]
        if pending:
            transaction.on_commit(lambda: _emails_enqueue(pending))
    return created


def _preference(user) -> Preference:
    try:
        return user.notify_preference
    except Preference.DoesNotExist:
        return Preference(user=user)


def _emails_enqueue(notification_ids: list[int]) -> None:
    from .tasks import notification_email_send

    for pk in notification_ids:
        try:
            notification_email_send.enqueue(pk)
        except Exception:
            # the queue itself is down: the notification stays `pending` and visible in the
            # admin; the user's action has committed and is not affected
            logger.exception("could not enqueue e-mail for notification %s", pk)


def event_notify(event_id: int) -> list[Notification]:
    """Notifications for one committed workflow event (the signal's receiver calls this)."""
    event = IssueEvent.objects.select_related("actor").filter(pk=event_id).first()
    if event is None or event.action not in Kind.values:
        return []
    issue = issue_for_notify(event.issue_id)
    return notifications_create(
        kind=event.action, issue=issue, actor=event.actor, event=event, at=event.created_at
    )


def on_event_committed(sender, *, event_id, **kwargs) -> None:
    """Receiver of ledger.signals.issue_event_committed. Never raises: the action it reports
    has committed already, and a failure here must not turn the user's success into an error."""
    try:
        event_notify(event_id)
    except Exception:
        logger.exception("notifications for event %s failed", event_id)


# -- reading and marking -----------------------------------------------------------------


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark the user's own notification read; Notification.DoesNotExist for anyone else's."""
    notification = Notification.objects.select_related("issue").get(
        pk=notification_id, recipient=user
    )
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).update(read_at=timezone.now())


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()


def preference_for(user) -> Preference:
    preference, _created = Preference.objects.get_or_create(
        user=user, defaults={"language": settings.LANGUAGE_CODE}
    )
    return preference


def preference_update(*, user, language: str, email_off: list[str]) -> Preference:
    preference = preference_for(user)
    preference.language = language
    preference.email_off = sorted(set(email_off) & set(Kind.values))
    preference.save(update_fields=["language", "email_off"])
    return preference


# -- what a notification says ------------------------------------------------------------------


def notification_text(notification: Notification) -> str:
    """One sentence in the current language (no query when actor is selected)."""
    actor = str(notification.actor) if notification.actor_id else _("系统")
    system = notification.actor is not None and notification.actor.username == SYSTEM_USERNAME
    kind = notification.kind
    data = notification.data or {}
    if kind == Kind.URGE and system:
        if notification.issue.is_long_term:  # no deadline to be late for: the cycle chase
            return _("长期坚持事项上一周期未报送进展，系统自动催办，请及时报送进展。")
        return _("该问题已逾期，系统自动催办，请抓紧办理。")
    if kind == Kind.ESCALATE and system:
        return _("该问题逾期仍未办结，系统已自动列为督办件。")
    if kind == Kind.DUE_SOON:
        return _("该问题将于%(deadline)s到期，请抓紧办理。") % {
            "deadline": _date(data.get("deadline"))
        }
    if kind == Kind.NOT_ACCEPTED:
        return _("该问题交办已超过%(days)s个工作日仍未签收，请尽快签收。") % {
            "days": data.get("days", "")
        }
    if kind == Kind.NOT_ASSIGNED:
        return _("该问题登记已超过%(days)s个工作日仍未交办，请尽快交办。") % {
            "days": data.get("days", "")
        }
    template = {
        Kind.RAISE: _("%(actor)s登记了新问题，请及时交办。"),
        Kind.ASSIGN: _("%(actor)s交办了该问题，请牵头单位及时签收办理。"),
        Kind.REASSIGN: _("%(actor)s改派了该问题。"),
        Kind.ACCEPT: _("%(actor)s已签收该问题。"),
        Kind.RETURN: _("%(actor)s退回了该问题，请重新交办。"),
        Kind.EXTENSION_REQUEST: _("%(actor)s申请延期，请审批。"),
        Kind.EXTENSION_APPROVE: _("%(actor)s批准了延期申请。"),
        Kind.EXTENSION_REJECT: _("%(actor)s驳回了延期申请。"),
        Kind.RESOLVE: _("%(actor)s已办结该问题，请审核销号。"),
        Kind.CLOSE: _("%(actor)s已对该问题销号。"),
        Kind.REOPEN: _("%(actor)s要求重办该问题。"),
        Kind.WITHDRAW: _("%(actor)s撤销了该问题。"),
        Kind.URGE: _("%(actor)s催办该问题，请抓紧办理。"),
        Kind.ESCALATE: _("%(actor)s将该问题列为督办件。"),
    }.get(kind)
    if template is None:
        return Kind(kind).label if kind in Kind.values else kind
    return template % {"actor": actor}


def _date(value) -> str:
    if not value:
        return ""
    try:
        return date_format(datetime.date.fromisoformat(value), "DATE_FORMAT")
    except (TypeError, ValueError):
        return str(value)
