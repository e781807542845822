"""销号: verified, with the enterprise's (the public's) satisfaction."""

from django.utils.translation import gettext as _

from ledger.models import Issue
from ledger.states import Action, Party

from .core import ActionSpec, TransitionRefused, declare


def apply(change, *, actor, note, today, at, satisfaction=None):
    if satisfaction not in Issue.Satisfaction.values:
        raise TransitionRefused(
            _("销号须记录企业（群众）满意度。"),
            field_errors={"satisfaction": _("请选择满意度。")},
        )
    if satisfaction == Issue.Satisfaction.DISSATISFIED and not note:
        # closing over the enterprise's dissatisfaction is allowed, but never silently
        message = _("企业（群众）不满意时销号，须说明原因；也可以改为重办。")
        raise TransitionRefused(message, field_errors={"note": _("请说明企业不满意的原因。")})
    change.set("satisfaction", satisfaction)
    change.set("satisfaction_note", note)
    change.set("closed_at", at)


SPEC = declare(
    ActionSpec(Action.CLOSE, apply, concerns=frozenset({Party.LEAD, Party.CO, Party.RAISING}))
)
