"""备注: a note (and files) on the issue page, in any status; nobody is told."""

from ledger.states import Action

from .core import ActionSpec, declare


def apply(change, *, actor, note, today, at):
    return None


SPEC = declare(ActionSpec(Action.COMMENT, apply))
