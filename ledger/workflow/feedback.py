"""回访: the enterprise's own rating of a resolved issue, through its link (a system row).

No one is offered it as a button (states.SYSTEM_TRANSITIONS): ledger.service.feedback checks
the link and passes its service account as `actor`. The status does not change; 销号 still
records the office's satisfaction. Like every event it bumps the version (open forms become
stale) and joins the signed chain.
"""

import datetime

from django.utils.translation import gettext as _

from ledger.models import Issue, IssueEvent
from ledger.states import Action, Party

from .core import ActionSpec, TransitionRefused, _perform, declare


def apply(change, *, actor, note, today, at, satisfaction=None):
    if satisfaction not in Issue.Satisfaction.values:
        raise TransitionRefused(
            _("请选择满意度。"), field_errors={"satisfaction": _("请选择满意度。")}
        )
    # the label in the language of the moment (the room records it in the source language)
    label = str(Issue.Satisfaction(satisfaction).label)
    change.fields["enterprise_rating"] = ["", label]


def feedback_record(
    issue: Issue | int, *, actor, satisfaction: str, note: str, at: datetime.datetime | None = None
) -> IssueEvent:
    """Write a 回访 event: 满意/基本满意/不满意, with the note naming who rated."""
    return _perform(
        issue,
        SPEC,
        actor=actor,
        note=note,
        expected_version=None,
        at=at,
        files=(),
        data={"satisfaction": satisfaction},
    )


SPEC = declare(
    ActionSpec(
        Action.FEEDBACK,
        apply,
        # only when 不满意 (notify's event_is_told): the responsible leader and the office hear
        # it before 销号, to check and perhaps 重办
        concerns=frozenset({Party.LEADER, Party.OVERSIGHT}),
    )
)
