"""改派: a new lead department (and leader or deadline) that must accept again."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ledger.models import IssueDeadline
from ledger.states import Action, Party

from .assign import assignment_set
from .core import UNSET, ActionSpec, TransitionRefused, _cancel_pending_extension, declare


def apply(
    change,
    *,
    actor,
    note,
    today,
    at,
    leader=UNSET,
    lead_department=UNSET,
    co_departments=UNSET,
    deadline=UNSET,
    is_long_term=UNSET,
    measures=None,
    responsible_person=None,
):
    """As 交办's input; whatever is left out stays as the issue has it."""
    issue = change.issue
    leader = issue.leader if leader is UNSET else leader
    lead_department = issue.lead_department if lead_department is UNSET else lead_department
    deadline = issue.deadline if deadline is UNSET else deadline
    if is_long_term is UNSET:
        # a new deadline makes a long-term item a dated one; without one it stays long-term
        is_long_term = issue.is_long_term and not deadline
    callbacks = assignment_set(
        change,
        actor=actor,
        today=today,
        at=at,
        leader=leader,
        lead_department=lead_department,
        co_departments=co_departments,
        deadline=deadline,
        is_long_term=is_long_term,
        measures=measures,
        responsible_person=responsible_person,
        reason=IssueDeadline.Reason.REASSIGNED,
    )
    if not change.fields.keys() - {"assigned_at", "accepted_at"} and not change.m2m:
        raise TransitionRefused(_("改派未作任何变更：请修改责任领导、牵头单位、配合单位或时限。"))
    if change.fields.keys() & {"lead_department", "deadline", "is_long_term"}:
        # a pending request was made by the old lead department against the old deadline;
        # approving it later would move the new deadline back
        callbacks += _cancel_pending_extension(issue, actor, at, gettext_noop("问题已改派"))
    return callbacks


SPEC = declare(
    ActionSpec(
        Action.REASSIGN,
        apply,
        concerns=frozenset({Party.LEAD, Party.CO, Party.LEADER, Party.RAISING}),
    )
)
