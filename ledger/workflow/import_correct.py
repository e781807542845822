"""导入更正 (Action.IMPORT_CORRECT): an imported sheet corrects an issue the system has.

A system row (states.SYSTEM_TRANSITIONS) with its own allowed status moves: forward only, or
撤销 of an issue not yet being handled. A correction that leaves the status as it is stays a
修改 (EDIT) event, as before; one that moves it is recorded as 导入更正, never as EDIT (EDIT
never changes the status). It tells nobody: the sheet is history, not news.
"""

from ledger.models import Issue, IssueDeadline
from ledger.states import Action

from . import core
from .core import ActionSpec, TransitionRefused, _Change, _deadline_record, _set_co_departments


def apply(change, *, actor, note, today, at, fields, co_departments=None):
    """`fields` are the changed values (the import compared them); `co_departments` a new
    list, or None to leave them."""
    issue = change.issue
    target = fields.get("status", issue.status)
    if not SPEC.rule.allows(issue.status, target):
        raise TransitionRefused(core._stale_message(issue, Action.IMPORT_CORRECT))
    previous = issue.deadline
    for name, value in fields.items():
        change.set(name, value)
    callbacks = []
    if co_departments is not None:
        callback = _set_co_departments(change, co_departments)
        if callback:
            callbacks.append(callback)
    if "deadline" in change.fields and issue.deadline:
        callbacks.append(
            _deadline_record(
                issue,
                deadline=issue.deadline,
                previous=previous,
                reason=IssueDeadline.Reason.CORRECTED,
                actor=actor,
                at=at,
            )
        )
    return callbacks


def correct(item: dict, *, actor, at) -> int | None:
    """Apply one matched row of a sheet (the caller holds the transaction and has checked
    ledger.import_ledger); returns the issue's pk, or None when the row changed nothing."""
    locked = Issue.objects.select_for_update(of=("self",)).get(pk=item["issue"])
    change = _Change(locked)
    from_status = locked.status
    callbacks = apply(
        change,
        actor=actor,
        note=item["note"],
        today=core._today(at),
        at=at,
        fields=item["fields"],
        co_departments=item.get("co_departments"),
    )
    if not change.fields and not change.m2m:
        return None
    # the status stays in the event's changes, as the import's events always had it
    core._record(
        change,
        callbacks,
        actor=actor,
        action=Action.IMPORT_CORRECT,
        from_status=from_status,
        note=item["note"],
        at=at,
        hidden=("version",),
    )
    return locked.pk


SPEC = core.declare(ActionSpec(Action.IMPORT_CORRECT, apply))
