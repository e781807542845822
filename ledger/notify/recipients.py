"""Who hears what: the notification recipients, as data.

Each kind of notification names the groups of people told. A workflow action's groups are
declared by its module in ledger.workflow (ActionSpec.concerns); the reminders written by
send_reminders and the import digest are declared here. recipients_for() turns the groups
into users and then drops the actor, inactive users, the system account and anyone who
cannot open the issue (`ledger.view_issue`). docs/notifications.md writes the table out; a
test compares every action's recipients with it.
"""

from django.conf import settings
from django.db.models import Q
from django.utils import translation

from ledger import workflow
from ledger.models import Issue, User
from ledger.rooms import people_only
from ledger.states import Action
from ledger.states import Party as To

from .models import Kind

SYSTEM_USERNAME = "zz_system"

# the actions' rows, from the workflow's declarations; the silent ones (修改, 进展反馈, 备注,
# 导入更正) are on the issue page and tell nobody
_ACTION_CONCERNS = workflow.concerns()
SILENT_ACTIONS = frozenset(action for action, groups in _ACTION_CONCERNS.items() if not groups)

RECIPIENTS: dict[str, frozenset[To]] = {
    **{Kind(action.value): groups for action, groups in _ACTION_CONCERNS.items() if groups},
    # reminders written by send_reminders
    Kind.DUE_SOON: frozenset({To.LEAD}),
    Kind.NOT_ACCEPTED: frozenset({To.LEAD}),
    Kind.NOT_ASSIGNED: frozenset({To.OVERSIGHT}),
    # issues imported as 已交办: one digest per lead department (services.import_notify)
    Kind.IMPORTED: frozenset({To.LEAD}),
}
assert set(RECIPIENTS) | SILENT_ACTIONS == set(Kind.values) | set(Action.values), (
    "every action and reminder is either in the table or silent"
)


def _dissatisfied_labels() -> frozenset[str]:
    labels = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            labels.add(str(Issue.Satisfaction.DISSATISFIED.label))
    return frozenset(labels)


def event_is_told(event) -> bool:
    """Whether a committed event is news for anyone: every action in the table is, but a 回访
    only when the enterprise rated 不满意 (满意 and 基本满意 stay on the issue page). The event
    keeps the rating's label ({"enterprise_rating": ["", label]}), written in the source
    language; a label in any of the site's languages is recognised."""
    if event.action != Action.FEEDBACK:
        return True
    rating = (event.changes or {}).get("enterprise_rating") or [""]
    return rating[-1] in _dissatisfied_labels()


def _group_filter(group: To, issue: Issue) -> Q | None:
    staff = Q(role=User.Role.STAFF)
    if group == To.OVERSIGHT:
        return Q(role=User.Role.SUPERVISOR)
    if group == To.LEAD:
        if not issue.lead_department_id:
            return None
        return staff & Q(department_id=issue.lead_department_id)
    if group == To.CO:
        ids = [d.pk for d in issue.co_departments.all()]
        return staff & Q(department_id__in=ids) if ids else None
    if group == To.LEADER:
        if not issue.leader_id or not issue.leader.is_active:
            return None
        return Q(pk=issue.leader.user_id)
    if group == To.RAISING:
        return (staff & Q(department_id=issue.raising_department_id)) | Q(pk=issue.raised_by_id)
    raise ValueError(group)


# when one person belongs to several groups, the notification speaks to the first that applies
CAPACITY_ORDER = (To.LEAD, To.CO, To.LEADER, To.OVERSIGHT, To.RAISING)


def capacity_of(user: User, kind: str, issue: Issue) -> To | None:
    """In which of the kind's groups `user` is told (its wording depends on it): a
    co-department is not asked to 签收 like the lead department. Reads issue.co_departments
    (prefetched by issue_for_notify)."""
    groups = RECIPIENTS.get(kind, frozenset())
    is_staff = user.role == User.Role.STAFF
    for group in CAPACITY_ORDER:
        if group not in groups:
            continue
        if group == To.LEAD and is_staff and user.department_id == issue.lead_department_id:
            return group
        if (
            group == To.CO
            and is_staff
            and any(d.pk == user.department_id for d in issue.co_departments.all())
        ):
            return group
        if group == To.LEADER and issue.leader_id and issue.leader.user_id == user.pk:
            return group
        if group == To.OVERSIGHT and user.role == User.Role.SUPERVISOR:
            return group
        if group == To.RAISING:
            return group
    return None


def recipients_for(kind: str, issue: Issue, *, actor=None) -> list[User]:
    """The users told about `kind` on `issue`: the table's groups, less the actor, the
    inactive, the system accounts (and the rooms' ones: API clients' accounts, through
    `rooms.people_only`) and whoever cannot see the issue."""
    groups = RECIPIENTS.get(kind, frozenset())
    condition = Q()
    for group in sorted(groups):
        part = _group_filter(group, issue)
        if part is not None:
            condition |= part
    if not condition:
        return []
    users = (
        people_only(User.objects.filter(condition, is_active=True))
        .exclude(username=SYSTEM_USERNAME)
        .exclude(role=User.Role.SYSTEM)
        .select_related("leader_profile", "notify_preference")
        .order_by("pk")
    )
    if actor is not None:
        users = users.exclude(pk=actor.pk)
    return [user for user in users if user.has_perm("ledger.view_issue", issue)]
