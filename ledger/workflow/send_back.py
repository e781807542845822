"""退回 (Action.RETURN; `return` is Python's word): not our remit, back to the office."""

from django.utils.translation import gettext_noop

from ledger.states import Action, Party

from .core import ActionSpec, _cancel_pending_extension, _set_co_departments, declare


def apply(change, *, actor, note, today, at):
    # back to the office that assigns; the lead department is no longer responsible
    change.set("lead_department", None)
    change.set("assigned_at", None)
    change.set("accepted_at", None)
    callbacks = _cancel_pending_extension(change.issue, actor, at, gettext_noop("问题已退回"))
    clear = _set_co_departments(change, [])
    return callbacks + [clear] if clear else callbacks


SPEC = declare(
    ActionSpec(Action.RETURN, apply, concerns=frozenset({Party.OVERSIGHT, Party.RAISING}))
)
