"""Writes of ledger.notify: notifications for a committed event or a reminder, marking read,
preferences. E-mail goes out from a background task (tasks.py) enqueued after commit.

What a notification says and where it leads live in texts.py (the e-mail task reads them
too); they are re-exported here for the bell's views.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ledger.models import Issue, IssueEvent, User
from ledger.states import Action, Status

from .models import Kind, Notification, Preference
from .recipients import capacity_of, event_is_told, recipients_for
from .tasks import emails_enqueue
from .texts import notification_target, notification_text, preference_of

__all__ = [
    "emails_enqueue",
    "event_data",
    "event_notify",
    "import_notify",
    "issue_for_notify",
    "notification_mark_read",
    "notification_target",
    "notification_text",
    "notifications_create",
    "notifications_mark_all_read",
    "on_event_committed",
    "on_issues_imported",
    "preference_for",
    "preference_of",
    "preference_update",
    "requests_mark_done",
    "unread_count",
]

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
        wants = email and bool(user.email) and preference_of(user).wants_email(kind)
        capacity = capacity_of(user, kind, issue)
        rows.append(
            Notification(
                recipient=user,
                issue=issue,
                event=event,
                kind=kind,
                actor=actor,
                # the group the person is told as: the wording depends on it
                data={**(data or {}), **({"as": capacity.value} if capacity else {})},
                created_at=at,
                email_state=Notification.Email.PENDING if wants else Notification.Email.NONE,
            )
        )
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows)
        pending = [n.pk for n in created if n.email_state == Notification.Email.PENDING]
        if pending:
            transaction.on_commit(lambda: emails_enqueue(pending))
    return created


def event_notify(event_id: int) -> list[Notification]:
    """Notifications for one committed workflow event (the signal's receiver calls this)."""
    event = IssueEvent.objects.select_related("actor").filter(pk=event_id).first()
    if event is None or event.action not in Kind.values or not event_is_told(event):
        return []
    issue = issue_for_notify(event.issue_id)
    if event.action in REQUEST_DECIDED_BY:
        requests_mark_done(issue=issue, kinds=REQUEST_DECIDED_BY[event.action], at=event.created_at)
    return notifications_create(
        kind=event.action,
        issue=issue,
        actor=event.actor,
        event=event,
        at=event.created_at,
        data=event_data(event, issue),
    )


# NOTE_IN_TEXT characters of a reason are quoted in the notification (the page has it whole)
NOTE_IN_TEXT = 120


def event_data(event: IssueEvent, issue: Issue) -> dict:
    """What the notification's sentence needs from its event (the requested or new
    deadline, the reason, the enterprise's rating and comment), frozen as it was then."""
    changes = event.changes or {}

    def new(name):
        value = changes.get(name)
        return value[1] if isinstance(value, list | tuple) and len(value) == 2 else None

    data = {}
    if event.action == Kind.FEEDBACK:
        # the 回访's own words (rating, who, the enterprise's comment), as the timeline keeps them
        data["note"] = event.note
    elif event.action == Action.EXTENSION_REQUEST:
        data["requested"] = new("extension_requested")
        reason = (event.note or "").strip()
        data["reason"] = reason if len(reason) <= NOTE_IN_TEXT else reason[: NOTE_IN_TEXT - 1] + "…"
    elif event.action in (Action.EXTENSION_APPROVE, Action.REOPEN, Action.ASSIGN):
        data["deadline"] = new("deadline") or (issue.deadline and issue.deadline.isoformat())
    return {key: value for key, value in data.items() if value}


# a request the recipients were asked to decide (请审核销号, 申请延期) is done once
# anyone decides it: their unread notices of it are marked read
REQUEST_DECIDED_BY = {
    Action.CLOSE: (Kind.RESOLVE,),
    Action.REOPEN: (Kind.RESOLVE,),
    Action.EXTENSION_APPROVE: (Kind.EXTENSION_REQUEST,),
    Action.EXTENSION_REJECT: (Kind.EXTENSION_REQUEST,),
}


def requests_mark_done(*, issue: Issue, kinds, at) -> int:
    return Notification.objects.filter(issue=issue, kind__in=kinds, read_at=None).update(read_at=at)


def import_notify(*, issue_ids, actor_id=None, at=None) -> list[Notification]:
    """One digest per lead department for issues imported as 已交办 (not one per issue): on
    the department's first such issue, with the count and a link to the ledger filtered to
    the department."""
    issues = (
        Issue.objects.filter(pk__in=issue_ids, status=Status.ASSIGNED)
        .exclude(lead_department=None)
        .order_by("pk")
        .values_list("pk", "lead_department_id")
    )
    by_department: dict[int, list[int]] = {}
    for pk, department_id in issues:
        by_department.setdefault(department_id, []).append(pk)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    created = []
    for department_id, pks in by_department.items():
        created += notifications_create(
            kind=Kind.IMPORTED,
            issue=issue_for_notify(pks[0]),
            actor=actor,
            at=at,
            data={"count": len(pks), "department": department_id},
        )
    return created


def on_issues_imported(sender, *, issue_ids, actor_id=None, **kwargs) -> None:
    """Receiver of ledger.signals.issues_imported (sent after the import committed)."""
    try:
        import_notify(issue_ids=issue_ids, actor_id=actor_id)
    except Exception:
        logger.exception("notifications for an import of %s issues failed", len(issue_ids))


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
