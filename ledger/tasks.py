"""Background work through Django's tasks framework (django-tasks-db worker in production)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _

from ledger.models import IssueEvent, User
from ledger.states import Action

# who hears about which action (in-app notifications come in a later issue)
_TELL_LEAD_DEPARTMENT = {
    Action.ASSIGN,
    Action.REASSIGN,
    Action.URGE,
    Action.ESCALATE,
    Action.EXTENSION_APPROVE,
    Action.EXTENSION_REJECT,
    Action.REOPEN,
}
_TELL_LEADER = {Action.RESOLVE, Action.EXTENSION_REQUEST, Action.ESCALATE, Action.RETURN}
_TELL_OVERSIGHT = {Action.RESOLVE, Action.RETURN}


def event_recipients(event: IssueEvent) -> list[str]:
    """E-mail addresses of the people an event concerns, never the actor themself."""
    issue = event.issue
    users = User.objects.none()
    action = Action(event.action)
    if action in _TELL_LEAD_DEPARTMENT and issue.lead_department_id:
        users |= User.objects.filter(department_id=issue.lead_department_id, role="staff")
    if action in _TELL_LEADER and issue.leader_id:
        users |= User.objects.filter(leader_profile=issue.leader_id)
    if action in _TELL_OVERSIGHT:
        users |= User.objects.filter(role="supervisor")
    return sorted(
        set(
            users.filter(is_active=True)
            .exclude(pk=event.actor_id)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


@task()
def issue_event_notify(event_id: int) -> int:
    """Mail the people concerned by one event. Returns how many were told."""
    event = IssueEvent.objects.select_related("issue", "actor").get(pk=event_id)
    recipients = event_recipients(event)
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("【问题台账】%(number)s %(action)s：%(title)s") % {
            "number": event.issue.number,
            "action": Action(event.action).label,
            "title": event.issue.title,
        }
        body = _("%(actor)s 对问题 %(number)s 执行了“%(action)s”。\n\n%(note)s") % {
            "actor": event.actor,
            "number": event.issue.number,
            "action": Action(event.action).label,
            "note": event.note,
        }
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients).send(using="default")
    return len(recipients)
