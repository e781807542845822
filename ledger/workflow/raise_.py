"""登记 (Action.RAISE): a new issue for the actor's department, with its first event.

Not a row of the rulebook: it creates the issue the rows then move (every issue starts 待交办).
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger.models import Issue
from ledger.models.issues import EDITABLE_FIELDS, SINGLE_LINE_FIELDS
from ledger.services import (
    attachment_validate,
    attachments_validate_batch,
    ledger_number_next,
    single_line,
)
from ledger.states import Action, Party, Status

from . import core
from .core import TransitionRefused, _actor_department, _today

# the office hears of every new issue: it assigns them
core.CREATIONS[Action.RAISE] = frozenset({Party.OVERSIGHT})


def issue_raise(*, actor, at: datetime.datetime | None = None, files=(), **data) -> Issue:
    """登记: log a new issue for the actor's department, with its first event.

    `data` holds the fields in EDITABLE_FIELDS (title, description, category and
    source are required); `raising_department` defaults to the actor's department.
    """
    if not actor.has_perm("ledger.add_issue"):
        raise TransitionRefused(_("您没有登记问题的权限。"))
    at = at or timezone.now()
    department = data.pop("raising_department", None) or _actor_department(actor)
    if department is None:
        raise TransitionRefused(
            _("请选择登记单位。"), field_errors={"raising_department": _("请选择登记单位。")}
        )
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise TransitionRefused(_("无法识别的字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    _required_check(data)
    for file in files:
        attachment_validate(file)
    attachments_validate_batch(files)
    # one line: a CR/LF in a title would end up in every e-mail subject about the issue
    for name in SINGLE_LINE_FIELDS:
        if name in data:
            data[name] = single_line(data[name])
    if data.get("leader") is None:
        subject = data.get("enterprise") or data.get("project")
        if subject is not None and subject.leader_id:
            data["leader"] = subject.leader
    with transaction.atomic():
        year = _today(at).year
        seq, number = ledger_number_next(year)
        issue = Issue.objects.create(
            number=number,
            year=year,
            seq=seq,
            raised_by=actor,
            raising_department=department,
            raised_at=at,
            **data,
        )
        # through the module: tests slow or break the event write to see what is rolled back
        event = core._event_write(
            issue,
            actor=actor,
            action=Action.RAISE,
            from_status="",
            to_status=Status.RAISED,
            note="",
            changes={},
            at=at,
            files=files,
        )
        core._attachments_save(issue, event, actor, files, at)
        core._notify_on_commit(event)
    return issue


def _required_check(data: dict) -> None:
    errors = {}
    for name in ("title", "description"):
        if not str(data.get(name) or "").strip():
            errors[name] = _("此项为必填项。")
    for name in ("category", "source"):
        if not data.get(name):
            errors[name] = _("此项为必填项。")
    if errors:
        raise TransitionRefused(_("请填写必填项。"), field_errors=errors)
