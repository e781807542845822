"""重办: a resolved or closed issue is handled again, with a reason and a new deadline."""

from ledger.models import IssueDeadline
from ledger.states import Action, Party

from .core import UNSET, ActionSpec, _check_deadline, _deadline_record, declare


def apply(change, *, actor, note, today, at, deadline=None, is_long_term=UNSET):
    issue = change.issue
    # a long-term item may be reopened as one (no deadline), or given a deadline
    if is_long_term is UNSET:
        is_long_term = issue.is_long_term and not deadline
    long_term = bool(is_long_term)
    if not long_term:
        _check_deadline(deadline, today)
    previous = issue.deadline
    change.set("is_long_term", long_term)
    change.set("deadline", None if long_term else deadline)
    change.set("resolved_at", None)
    change.set("resolved_on_time", None)
    change.set("closed_at", None)
    change.set("satisfaction", "")
    change.set("satisfaction_note", "")
    # the last resolution and progress are history now (the event's changes keep them, the
    # issue page shows them as 上次办结); the issue reads as being handled again
    change.set("resolution", "")
    change.set("progress", "")
    change.set("progress_note", "")
    if long_term:
        return []
    return [
        _deadline_record(
            issue,
            deadline=deadline,
            previous=previous,
            reason=IssueDeadline.Reason.REOPENED,
            actor=actor,
            at=at,
        )
    ]


SPEC = declare(
    ActionSpec(Action.REOPEN, apply, concerns=frozenset({Party.LEAD, Party.CO, Party.RAISING}))
)
