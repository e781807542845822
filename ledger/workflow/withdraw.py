"""撤销: a duplicate or invalid entry is withdrawn (who may: rules.py)."""

from django.utils.translation import gettext_noop

from ledger.states import Action, Party

from .core import ActionSpec, _cancel_pending_extension, declare


def apply(change, *, actor, note, today, at):
    return _cancel_pending_extension(change.issue, actor, at, gettext_noop("问题已撤销"))


SPEC = declare(ActionSpec(Action.WITHDRAW, apply, concerns=frozenset({Party.LEAD, Party.RAISING})))
