"""The one door through which an issue changes: raise it, then transition() it.

transition() locks the issue row, re-checks the status (states.TRANSITIONS), the
actor's right (rules.py) and unmet_precondition() inside the transaction, applies
the change, writes an append-only IssueEvent and schedules notifications for after
the commit.
Refusals are TransitionRefused with a message in the user's language.
"""

import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ledger.models import (
    Attachment,
    Department,
    ExtensionRequest,
    Issue,
    IssueDeadline,
    IssueEvent,
    Leader,
    LedgerCounter,
)
from ledger.models.issues import EDITABLE_FIELDS, SINGLE_LINE_FIELDS
from ledger.services import (
    attachment_validate,
    attachments_validate_batch,
    ledger_number_next,
    single_line,
)
from ledger.signals import issue_event_committed, issue_event_written, issues_imported
from ledger.states import TRANSITIONS, Action, Status, Transition
from ledger.uploads import name_shorten


class TransitionRefused(Exception):
    """A domain refusal: the action is not allowed now, or its input is wrong.

    `message` is for the user; `field_errors` maps form fields to messages.
    Nothing has been written when this is raised.
    """

    def __init__(self, message: str = "", *, field_errors: dict[str, str] | None = None):
        self.message = message or _("输入有误，请检查后重新提交。")
        self.field_errors = field_errors or {}
        super().__init__(self.message)


@dataclass
class _Change:
    """Collects what an action changes, for the event's `changes` and the save."""

    issue: Issue
    fields: dict[str, list[str]] = field(default_factory=dict)
    update_fields: set[str] = field(default_factory=set)
    m2m: dict[str, list[str]] = field(default_factory=dict)
    # the issue's pending request, locked, for the actions that decide it
    pending_extension: ExtensionRequest | None = None

    def set(self, name: str, value: Any) -> None:
        old = getattr(self.issue, name)
        if old == value:
            return
        self.fields[name] = [_display(old), _display(value)]
        setattr(self.issue, name, value)
        self.update_fields.add(name)


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _today(at: datetime.datetime) -> datetime.date:
    return timezone.localtime(at).date()


def _actor_department(actor) -> Department | None:
    return actor.department if actor.department_id else None


# -- raising ---------------------------------------------------------------


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
    errors = {}
    for name in ("title", "description"):
        if not str(data.get(name) or "").strip():
            errors[name] = _("此项为必填项。")
    for name in ("category", "source"):
        if not data.get(name):
            errors[name] = _("此项为必填项。")
    if errors:
        raise TransitionRefused(_("请填写必填项。"), field_errors=errors)
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
        event = _event_write(
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
        _attachments_save(issue, event, actor, files, at)
        _notify_on_commit(event)
    return issue


def issues_import(*, actor, at: datetime.datetime, file_name: str, items: list[dict]) -> dict:
    """Write imported history (ledger.exchange): new issues in bulk, changes to matched ones.

    The caller (the import) has validated every row against the database constraints; the
    sheet's status, dates and deadlines are history, so past deadlines are allowed here
    (transition() refuses them). Each item is a dict:
    - a new issue: {"row", "fields", "co_departments", "number" (ours, free) or None, "note"};
      it gets a number (its own if given, else the next of its raise year), a RAISE event
      to its status naming the file and row, and its deadline in IssueDeadline;
    - a change: {"row", "issue" (pk), "fields" (changed values), "co_departments" or None,
      "note"}; an EDIT event lists the changed fields, a moved deadline is recorded.
    No notification per issue: this is history, not news; after the commit
    `issues_imported` lets ledger.notify send each lead department one digest of the new
    issues imported as 已交办. Returns {row: issue pk}.
    """
    if not actor.has_perm("ledger.import_ledger"):
        raise TransitionRefused(_("只有督查室和系统管理员可以导入问题台账。"))
    department = _actor_department(actor)
    created, result = [], {}
    with transaction.atomic():
        new = [item for item in items if item.get("issue") is None]
        # numbers: the sheet's own (ours, free) are kept; the counter moves past them
        kept: dict[int, int] = {}
        for item in new:
            if item.get("number"):
                year, seq = (int(part) for part in item["number"].rsplit("-", 2)[1:])
                item["_year_seq"] = (year, seq)
                kept[year] = max(kept.get(year, 0), seq)
        for year, seq in kept.items():
            if not LedgerCounter.objects.filter(year=year).exists():
                used = Issue.objects.filter(year=year).aggregate(last=Max("seq"))["last"] or 0
                LedgerCounter.objects.bulk_create(
                    [LedgerCounter(year=year, last=used)], ignore_conflicts=True
                )
            counter = LedgerCounter.objects.select_for_update().get(year=year)
            if counter.last < seq:
                counter.last = seq
                counter.save(update_fields=["last"])
        by_year: dict[int, list[dict]] = {}
        for item in new:
            if "_year_seq" not in item:
                year = _today(item["fields"]["raised_at"]).year
                by_year.setdefault(year, []).append(item)
        prefix = settings.LEDGER["NUMBER_PREFIX"]
        for year, group in by_year.items():
            first, _number = ledger_number_next(year)  # creates and locks the year's counter
            if len(group) > 1:
                LedgerCounter.objects.filter(year=year).update(last=F("last") + len(group) - 1)
            for offset, item in enumerate(group):
                item["_year_seq"] = (year, first + offset)
        for item in new:
            year, seq = item["_year_seq"]
            created.append(
                Issue(
                    number=f"{prefix}-{year}-{seq:04d}",
                    year=year,
                    seq=seq,
                    raised_by=actor,
                    **item["fields"],
                )
            )
        Issue.objects.bulk_create(created, batch_size=500)
        events, deadlines, links = [], [], []
        through = Issue.co_departments.through
        for item, issue in zip(new, created, strict=True):
            result[item["row"]] = issue.pk
            event = IssueEvent(
                issue=issue,
                seq=1,
                actor=actor,
                actor_department=department,
                action=Action.RAISE,
                from_status="",
                to_status=issue.status,
                note=item["note"],
                changes={},
                created_at=at,
            )
            _event_sign(event, "", number=issue.number)  # the first link of the issue's chain
            events.append(event)
            if issue.deadline:
                deadlines.append(
                    IssueDeadline(
                        issue=issue,
                        deadline=issue.deadline,
                        reason=IssueDeadline.Reason.ASSIGNED,
                        set_by=actor,
                        set_at=issue.assigned_at or at,
                    )
                )
            links += [
                through(issue_id=issue.pk, department_id=unit.pk)
                for unit in item.get("co_departments") or ()
                if unit.pk != issue.lead_department_id
            ]
        IssueEvent.objects.bulk_create(events, batch_size=500)
        issue_event_written.send(sender=IssueEvent, events=events)
        IssueDeadline.objects.bulk_create(deadlines, batch_size=500)
        through.objects.bulk_create(links, batch_size=500)

        for item in items:
            if item.get("issue") is None:
                continue
            locked = Issue.objects.select_for_update(of=("self",)).get(pk=item["issue"])
            change = _Change(locked)
            from_status, previous = locked.status, locked.deadline
            for name, value in item["fields"].items():
                change.set(name, value)
            callbacks = []
            if item.get("co_departments") is not None:
                callback = _set_co_departments(change, item["co_departments"])
                if callback:
                    callbacks.append(callback)
            if "deadline" in change.fields and locked.deadline:
                callbacks.append(
                    _deadline_record(
                        locked,
                        deadline=locked.deadline,
                        previous=previous,
                        reason=IssueDeadline.Reason.CORRECTED,
                        actor=actor,
                        at=at,
                    )
                )
            if not change.fields and not change.m2m:
                continue
            change.set("version", locked.version + 1)
            locked.save(update_fields=sorted(change.update_fields | {"updated_at"}))
            for callback in callbacks:
                callback()
            changes = {k: v for k, v in change.fields.items() if k != "version"}
            changes.update(change.m2m)
            _event_write(
                locked,
                actor=actor,
                action=Action.EDIT,
                from_status=from_status,
                to_status=locked.status,
                note=item["note"],
                changes=changes,
                at=at,
            )
            result[item["row"]] = locked.pk
        if created and settings.LEDGER.get("NOTIFY", True):
            # the new issues' history is not news, but work handed over is: the listeners
            # (ledger.notify) tell each lead department once, after the commit
            ids, actor_id = [issue.pk for issue in created], actor.pk
            transaction.on_commit(
                lambda: issues_imported.send(sender=Issue, issue_ids=ids, actor_id=actor_id)
            )
    return result


# -- transitions -------------------------------------------------------------


def transition(
    issue: Issue | int,
    *,
    actor,
    action: Action | str,
    note: str = "",
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
    files=(),
    **data,
) -> IssueEvent:
    """Perform `action` on the issue as `actor`. Returns the event written.

    `data` carries what the action needs (see the _apply_* functions below).
    `expected_version` is the issue version the user's form was built from: if
    someone else changed the issue meanwhile, the user is told what happened.
    `at` backdates the action (demo data and imports only).
    """
    try:
        action = Action(action)
        rule: Transition = TRANSITIONS[action]
    except (ValueError, KeyError):
        raise TransitionRefused(_("未知的操作。")) from None
    at = at or timezone.now()
    note = (note or "").strip()
    for file in files:
        attachment_validate(file)
    attachments_validate_batch(files)
    pk = issue.pk if isinstance(issue, Issue) else issue

    with transaction.atomic():
        try:
            locked = (
                Issue.objects.select_for_update(of=("self",))
                .select_related("enterprise", "project", "leader", "lead_department")
                .get(pk=pk)
            )
        except Issue.DoesNotExist:
            raise TransitionRefused(_("该问题不存在或您无权查看。")) from None
        if not actor.has_perm("ledger.view_issue", locked):
            raise TransitionRefused(_("该问题不存在或您无权查看。"))
        if locked.status not in rule.sources:
            raise TransitionRefused(_stale_message(locked, action))
        if not actor.has_perm(rule.permission, locked):
            raise TransitionRefused(
                _("您没有权限对该问题执行“%(action)s”。") % {"action": action.label}
            )
        # every form is single-use: a resubmitted page (Back button) or a second click of the
        # same form carries a version that has moved on, comments and urges included
        if expected_version is not None and expected_version != locked.version:
            raise TransitionRefused(_changed_message(locked))
        pending = None
        if action in PENDING_EXTENSION_MATTERS:
            pending = (
                locked.extensions.select_for_update()
                .filter(state=ExtensionRequest.State.PENDING)
                .first()
            )
        blocked = unmet_precondition(
            locked, action, extension_pending=pending is not None, today=_today(at)
        )
        if blocked:
            raise TransitionRefused(blocked)
        if rule.needs_note and not note:
            raise TransitionRefused(
                _("请填写理由或说明。"), field_errors={"note": _("此项为必填项。")}
            )

        change = _Change(locked, pending_extension=pending)
        from_status = locked.status
        extra = _APPLY[action](change, actor=actor, note=note, today=_today(at), at=at, **data)
        if rule.target is not None:
            change.set("status", rule.target)
        change.set("version", locked.version + 1)
        locked.save(update_fields=sorted(change.update_fields | {"updated_at"}))
        for callback in extra or ():
            callback()
        changes = {k: v for k, v in change.fields.items() if k not in ("version", "status")}
        changes.update(change.m2m)
        event = _event_write(
            locked,
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=locked.status,
            note=note,
            changes=changes,
            at=at,
            files=files,
        )
        if files:
            attachments_validate_batch(files, already=locked.attachments.count())
        _attachments_save(locked, event, actor, files, at)
        _notify_on_commit(event)

    if isinstance(issue, Issue):
        issue.refresh_from_db()
    return event


def feedback_record(
    issue: Issue | int, *, actor, satisfaction: str, note: str, at: datetime.datetime | None = None
) -> IssueEvent:
    """Write a 回访 event: the enterprise's own rating of a resolved issue (满意/基本满意/不满意).

    Not in TRANSITIONS, so no user is offered it: the enterprise rates through its link
    (ledger.service.feedback), which checks the link and passes its service account as
    `actor`. The status does not change; 销号 still records the office's satisfaction. Like
    every event it bumps the version (open forms become stale) and joins the signed chain.
    """
    if satisfaction not in Issue.Satisfaction.values:
        raise TransitionRefused(
            _("请选择满意度。"), field_errors={"satisfaction": _("请选择满意度。")}
        )
    note = (note or "").strip()
    if not note:
        raise TransitionRefused(_("请填写理由或说明。"), field_errors={"note": _("此项为必填项。")})
    at = at or timezone.now()
    pk = issue.pk if isinstance(issue, Issue) else issue
    with transaction.atomic():
        try:
            locked = Issue.objects.select_for_update(of=("self",)).get(pk=pk)
        except Issue.DoesNotExist:
            raise TransitionRefused(_("该问题不存在或您无权查看。")) from None
        if locked.status != Status.RESOLVED:
            raise TransitionRefused(_stale_message(locked, Action.FEEDBACK))
        locked.version += 1
        locked.save(update_fields=["version", "updated_at"])
        label = str(Issue.Satisfaction(satisfaction).label)
        event = _event_write(
            locked,
            actor=actor,
            action=Action.FEEDBACK,
            from_status=locked.status,
            to_status=locked.status,
            note=note,
            changes={"enterprise_rating": ["", label]},
            at=at,
        )
        _notify_on_commit(event)
    if isinstance(issue, Issue):
        issue.refresh_from_db()
    return event


# -- what stands in the way, whatever is typed into the form ---------------------

# actions whose precondition is whether an extension request is pending
PENDING_EXTENSION_MATTERS = frozenset(
    {Action.EXTENSION_REQUEST, Action.EXTENSION_APPROVE, Action.EXTENSION_REJECT}
)


def unmet_precondition(
    issue: Issue, action: Action, *, extension_pending: bool, today: datetime.date
) -> str | None:
    """Why `action` cannot be taken on `issue` as it stands, whatever the input; None if it can.

    These are the checks beyond the table's status and permission. transition() refuses
    with this message and available_actions() leaves the action out, so no button is
    offered for an action that would be refused before its form is read.
    `extension_pending` is only read for the actions in PENDING_EXTENSION_MATTERS.
    """
    if action == Action.EXTENSION_REQUEST:
        if issue.is_long_term:
            return _("长期坚持事项没有完成时限，无需申请延期；请按周期报送进展。")
        if extension_pending:
            return _("该问题已有一项待审批的延期申请。")
        if issue.deadline is not None and issue.deadline < today:
            return _("延期须在完成时限（%(deadline)s）之前申请，该问题已逾期。") % {
                "deadline": issue.deadline.isoformat()
            }
    if action in (Action.EXTENSION_APPROVE, Action.EXTENSION_REJECT) and not extension_pending:
        return _("该问题没有待审批的延期申请，可能已由他人处理。")
    if action == Action.ESCALATE and issue.is_escalated:
        return _("该问题已是督办件。")
    return None


def has_pending_extension(issue: Issue) -> bool:
    # iterating .all() reads the page's prefetched extensions without a query
    return any(e.state == ExtensionRequest.State.PENDING for e in issue.extensions.all())


def available_actions(user, issue: Issue, *, check_preconditions: bool = True) -> list[Action]:
    """The actions `user` may take on `issue` now, in table order (for the buttons).

    An action whose status and permission match is left out when unmet_precondition()
    says transition() would refuse it anyway; with `check_preconditions=False` the list
    is the table's alone. At most one query for the pending extension request, none when
    `issue.extensions` is prefetched.
    """
    today = timezone.localdate()
    pending = None  # looked up once, and only if an extension action is in reach
    actions = []
    for action, rule in TRANSITIONS.items():
        if issue.status not in rule.sources or not user.has_perm(rule.permission, issue):
            continue
        if check_preconditions:
            if pending is None and action in PENDING_EXTENSION_MATTERS:
                pending = has_pending_extension(issue)
            if unmet_precondition(issue, action, extension_pending=bool(pending), today=today):
                continue
        actions.append(action)
    return actions


# -- messages ------------------------------------------------------------------


def _last_status_event(issue: Issue) -> IssueEvent | None:
    return (
        issue.events.select_related("actor")
        .exclude(from_status="")
        .exclude(from_status=F("to_status"))
        .order_by("-seq")
        .first()
    )


def _stale_message(issue: Issue, action: Action) -> str:
    event = _last_status_event(issue)
    status = Status(issue.status).label
    if event is None:
        return _("该问题当前状态为“%(status)s”，不能执行“%(action)s”。") % {
            "status": status,
            "action": action.label,
        }
    return _(
        "该问题已由%(actor)s于%(time)s执行“%(done)s”，当前状态为“%(status)s”，"
        "不能再执行“%(action)s”。"
    ) % {
        "actor": event.actor,
        "time": date_format(timezone.localtime(event.created_at), "DATETIME_FORMAT"),
        "done": Action(event.action).label,
        "status": status,
        "action": action.label,
    }


def _changed_message(issue: Issue) -> str:
    event = issue.events.select_related("actor").order_by("-seq").first()
    return _(
        "您打开页面后，%(actor)s于%(time)s对该问题执行了“%(done)s”。"
        "请查看最新情况后重新提交，您填写的内容已保留。"
    ) % {
        "actor": event.actor if event else "",
        "time": date_format(timezone.localtime(event.created_at), "DATETIME_FORMAT")
        if event
        else "",
        "done": Action(event.action).label if event else "",
    }


# -- the actions ---------------------------------------------------------------


def _require(data: dict, name: str, message: str | None = None):
    value = data.get(name)
    if value in (None, "", [], ()):
        raise TransitionRefused(
            message or _("请填写必填项。"),
            field_errors={name: message or _("此项为必填项。")},
        )
    return value


def _check_deadline(deadline, today: datetime.date, name: str = "deadline") -> None:
    if not isinstance(deadline, datetime.date):
        raise TransitionRefused(_("请填写完成时限。"), field_errors={name: _("此项为必填项。")})
    if deadline < today:
        message = _("完成时限不能早于今天（%(today)s）。") % {"today": today.isoformat()}
        raise TransitionRefused(message, field_errors={name: message})
    _check_horizon(deadline, today, name)


def deadline_horizon(today: datetime.date) -> datetime.date:
    """The latest deadline allowed: LEDGER["DEADLINE_HORIZON_YEARS"] years after today.

    A deadline in the year 9999 is a typing slip, and the day after it does not exist
    (the extension form adds a day to the deadline in force)."""
    years = settings.LEDGER["DEADLINE_HORIZON_YEARS"]
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February, in a year that has none
        return today.replace(year=today.year + years, day=28)


def _check_horizon(deadline, today: datetime.date, name: str) -> None:
    latest = deadline_horizon(today)
    if deadline > latest:
        message = _("日期不能晚于 %(latest)s（今天起 %(years)s 年内）。") % {
            "latest": latest.isoformat(),
            "years": settings.LEDGER["DEADLINE_HORIZON_YEARS"],
        }
        raise TransitionRefused(message, field_errors={name: message})


def _deadline_record(issue, *, deadline, previous, reason, actor, at):
    return lambda: IssueDeadline.objects.create(
        issue=issue, deadline=deadline, previous=previous, reason=reason, set_by=actor, set_at=at
    )


def _set_co_departments(change: _Change, departments):
    issue = change.issue
    new = {d.pk: d for d in departments or []}
    new.pop(issue.lead_department_id, None)
    old = {d.pk: d for d in issue.co_departments.all()}
    if set(new) == set(old):
        return None
    change.m2m = {
        "co_departments": [
            "、".join(str(d) for d in old.values()),
            "、".join(str(d) for d in new.values()),
        ]
    }
    return lambda: issue.co_departments.set(list(new.values()))


def _apply_edit(change, *, actor, note, today, at, **data):
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise TransitionRefused(_("无法识别的字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    # strip first: a title of spaces is as empty as no title (and the database refuses it)
    data = {name: v.strip() if isinstance(v, str) else v for name, v in data.items()}
    data.update({name: single_line(data[name]) for name in SINGLE_LINE_FIELDS if name in data})
    for name in ("title", "description", "category", "source"):
        if name in data and not data[name]:
            raise TransitionRefused(_("请填写必填项。"), field_errors={name: _("此项为必填项。")})
    for name, value in data.items():
        change.set(name, value)
    if not change.fields:
        raise TransitionRefused(_("没有任何修改。"))


def _apply_assign(change, *, actor, note, today, at, reason=IssueDeadline.Reason.ASSIGNED, **data):
    issue = change.issue
    leader = _require(data, "leader", _("请选择责任领导。"))
    lead = _require(data, "lead_department", _("请选择牵头单位。"))
    # 长期坚持 instead of a deadline: progress on a cycle, no date to fall due on
    long_term = bool(data.get("is_long_term"))
    deadline = None if long_term else data.get("deadline")
    if not long_term:
        _check_deadline(deadline, today)
    if not isinstance(leader, Leader) or not leader.is_active:
        raise TransitionRefused(
            _("所选责任领导无效。"), field_errors={"leader": _("所选责任领导无效。")}
        )
    if not isinstance(lead, Department) or not lead.is_active:
        raise TransitionRefused(
            _("所选牵头单位无效。"), field_errors={"lead_department": _("所选牵头单位无效。")}
        )
    previous = issue.deadline
    change.set("leader", leader)
    change.set("lead_department", lead)
    for name in ("measures", "responsible_person"):
        if name in data and data[name] is not None:
            clean = single_line if name in SINGLE_LINE_FIELDS else str.strip
            change.set(name, clean(data[name]))
    callbacks = []
    # without a new list the current co-departments stay, less the (new) lead department
    co_departments = data.get("co_departments", issue.co_departments.all())
    callback = _set_co_departments(change, co_departments)
    if callback:
        callbacks.append(callback)
    change.set("is_long_term", long_term)
    if long_term:
        change.set("deadline", None)
    elif deadline != previous or reason == IssueDeadline.Reason.ASSIGNED:
        change.set("deadline", deadline)
        callbacks.append(
            _deadline_record(
                issue, deadline=deadline, previous=previous, reason=reason, actor=actor, at=at
            )
        )
    change.set("assigned_at", at)
    change.set("accepted_at", None)
    return callbacks


def _apply_reassign(change, *, actor, note, today, at, **data):
    issue = change.issue
    data.setdefault("leader", issue.leader)
    data.setdefault("lead_department", issue.lead_department)
    data.setdefault("deadline", issue.deadline)
    # a new deadline makes a long-term item a dated one; without one it stays long-term
    data.setdefault("is_long_term", issue.is_long_term and not data["deadline"])
    callbacks = _apply_assign(
        change,
        actor=actor,
        note=note,
        today=today,
        at=at,
        reason=IssueDeadline.Reason.REASSIGNED,
        **data,
    )
    if not change.fields.keys() - {"assigned_at", "accepted_at"} and not change.m2m:
        raise TransitionRefused(_("改派未作任何变更：请修改责任领导、牵头单位、配合单位或时限。"))
    if change.fields.keys() & {"lead_department", "deadline", "is_long_term"}:
        # a pending request was made by the old lead department against the old deadline;
        # approving it later would move the new deadline back
        callbacks += _cancel_pending_extension(issue, actor, at, gettext_noop("问题已改派"))
    return callbacks


def _apply_accept(change, *, actor, note, today, at, **data):
    change.set("accepted_at", at)


def _apply_return(change, *, actor, note, today, at, **data):
    # back to the office that assigns; the lead department is no longer responsible
    change.set("lead_department", None)
    change.set("assigned_at", None)
    change.set("accepted_at", None)
    callbacks = _cancel_pending_extension(change.issue, actor, at, gettext_noop("问题已退回"))
    clear = _set_co_departments(change, [])
    return callbacks + [clear] if clear else callbacks


def _apply_progress(change, *, actor, note, today, at, progress=None, **data):
    if progress not in Issue.Progress.values:
        raise TransitionRefused(
            _("请选择进展情况。"), field_errors={"progress": _("请选择进展情况。")}
        )
    change.set("progress", progress)
    change.set("progress_note", note)
    if "measures" in data and data["measures"]:
        change.set("measures", data["measures"].strip())


def _apply_extension_request(change, *, actor, note, today, at, new_deadline=None, **data):
    issue = change.issue
    if not isinstance(new_deadline, datetime.date):
        raise TransitionRefused(
            _("请填写申请延至的日期。"), field_errors={"new_deadline": _("此项为必填项。")}
        )
    # overdue and already pending are refused in unmet_precondition()
    _check_horizon(new_deadline, today, "new_deadline")
    if new_deadline <= issue.deadline:
        message = _("申请延至的日期须晚于当前时限（%(deadline)s）。") % {
            "deadline": issue.deadline.isoformat()
        }
        raise TransitionRefused(message, field_errors={"new_deadline": message})
    change.fields["extension_requested"] = ["", new_deadline.isoformat()]
    return [
        lambda: ExtensionRequest.objects.create(
            issue=issue,
            requested_by=actor,
            requested_at=at,
            current_deadline=issue.deadline,
            requested_deadline=new_deadline,
            reason=note,
        )
    ]


def _apply_extension_approve(change, *, actor, note, today, at, granted_deadline=None, **data):
    """批准延期: to the requested date, or to `granted_deadline` when the approver grants
    another one (not before today, later than the deadline in force); the event records
    the date asked for next to the one granted."""
    issue = change.issue
    pending = change.pending_extension  # unmet_precondition() saw that there is one
    previous = issue.deadline
    granted = granted_deadline or pending.requested_deadline
    _check_horizon(granted, today, "granted_deadline")
    if granted != pending.requested_deadline:
        _check_deadline(granted, today, "granted_deadline")
        if previous is not None and granted <= previous:
            message = _("批准的日期须晚于当前时限（%(deadline)s）。") % {
                "deadline": previous.isoformat()
            }
            raise TransitionRefused(message, field_errors={"granted_deadline": message})
        change.fields["extension_granted"] = [
            pending.requested_deadline.isoformat(),
            granted.isoformat(),
        ]
    change.set("deadline", granted)

    def save():
        pending.state = ExtensionRequest.State.APPROVED
        pending.decided_by, pending.decided_at, pending.decision_note = actor, at, note
        pending.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        IssueDeadline.objects.create(
            issue=issue,
            deadline=granted,
            previous=previous,
            reason=IssueDeadline.Reason.EXTENDED,
            set_by=actor,
            set_at=at,
        )

    return [save]


def _apply_extension_reject(change, *, actor, note, today, at, **data):
    pending = change.pending_extension  # unmet_precondition() saw that there is one
    change.fields["extension_rejected"] = [pending.requested_deadline.isoformat(), ""]

    def save():
        pending.state = ExtensionRequest.State.REJECTED
        pending.decided_by, pending.decided_at, pending.decision_note = actor, at, note
        pending.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])

    return [save]


def _cancel_pending_extension(issue, actor, at, why):
    def cancel():
        issue.extensions.filter(state=ExtensionRequest.State.PENDING).update(
            state=ExtensionRequest.State.CANCELLED,
            decided_by=actor,
            decided_at=at,
            # stored in the source language (a msgid), shown in each reader's at display
            decision_note=why,
        )

    return [cancel]


def _apply_resolve(change, *, actor, note, today, at, resolution=None, **data):
    resolution = (resolution or "").strip()
    if not resolution:
        raise TransitionRefused(
            _("请填写办结情况。"), field_errors={"resolution": _("办结须填写办结情况。")}
        )
    change.set("resolution", resolution)
    change.set("resolved_at", at)
    # a long-term item has no deadline to be on time for: neither on time nor late
    deadline = change.issue.deadline
    change.set("resolved_on_time", None if deadline is None else today <= deadline)
    change.set("progress", Issue.Progress.DONE)
    return _cancel_pending_extension(change.issue, actor, at, gettext_noop("问题已办结"))


def _apply_close(change, *, actor, note, today, at, satisfaction=None, **data):
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


def _apply_reopen(change, *, actor, note, today, at, deadline=None, **data):
    issue = change.issue
    # a long-term item may be reopened as one (no deadline), or given a deadline
    long_term = bool(data.get("is_long_term", issue.is_long_term and not deadline))
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


def _apply_withdraw(change, *, actor, note, today, at, **data):
    return _cancel_pending_extension(change.issue, actor, at, gettext_noop("问题已撤销"))


def _apply_urge(change, *, actor, note, today, at, **data):
    change.set("urge_count", change.issue.urge_count + 1)
    change.set("last_urged_at", at)


def _apply_escalate(change, *, actor, note, today, at, **data):
    # escalating twice is refused in unmet_precondition()
    change.set("is_escalated", True)


def _apply_comment(change, *, actor, note, today, at, **data):
    return None


_APPLY = {
    Action.EDIT: _apply_edit,
    Action.ASSIGN: _apply_assign,
    Action.ACCEPT: _apply_accept,
    Action.RETURN: _apply_return,
    Action.REASSIGN: _apply_reassign,
    Action.PROGRESS: _apply_progress,
    Action.EXTENSION_REQUEST: _apply_extension_request,
    Action.EXTENSION_APPROVE: _apply_extension_approve,
    Action.EXTENSION_REJECT: _apply_extension_reject,
    Action.RESOLVE: _apply_resolve,
    Action.CLOSE: _apply_close,
    Action.REOPEN: _apply_reopen,
    Action.WITHDRAW: _apply_withdraw,
    Action.URGE: _apply_urge,
    Action.ESCALATE: _apply_escalate,
    Action.COMMENT: _apply_comment,
}
assert set(_APPLY) == set(TRANSITIONS), "every action in the table needs its apply function"


# -- events, attachments, notifications ---------------------------------------


def _event_write(
    issue, *, actor, action, from_status, to_status, note, changes, at, files=()
) -> IssueEvent:
    """Append an event to the issue's chain, signed with the current EVENTS_KEY (the SHA-256
    of each file it brings is signed with it). The caller holds the issue row lock.

    `issue_event_written` is sent in the same transaction (ledger.integrity writes the
    issue's head: one small upsert)."""
    previous = issue.events.order_by("-seq").values_list("seq", "digest").first()
    seq, prev_digest = previous if previous else (0, "")
    event = IssueEvent(
        issue=issue,
        seq=seq + 1,
        actor=actor,
        actor_department=_actor_department(actor),
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        changes=changes,
        created_at=at,
    )
    event.file_records = [_file_record(file) for file in files]
    _event_sign(event, prev_digest, number=issue.number)
    event.save()
    issue_event_written.send(sender=IssueEvent, events=[event])
    return event


def _event_sign(event: IssueEvent, prev_digest: str, *, number: str) -> None:
    if not settings.EVENTS_KEY:
        raise ImproperlyConfigured("EVENTS_KEY is not set: events cannot be signed.")
    event.key_id = settings.EVENTS_KEY_ID
    event.digest = event.compute_digest(
        prev_digest, files=getattr(event, "file_records", ()), number=number
    )


def _file_record(file) -> tuple[str, str, int]:
    """[stored name, SHA-256 of the content, size] of an upload, as its event signs it."""
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return name_shorten(file.name), digest.hexdigest(), file.size


def _attachments_save(issue, event, actor, files, at) -> None:
    records = getattr(event, "file_records", None) or [_file_record(file) for file in files]
    for file, (name, sha256, size) in zip(files, records, strict=True):
        Attachment.objects.create(
            issue=issue,
            event=event,
            file=file,
            original_name=name,
            content_type=getattr(file, "content_type", "") or "",
            size=size,
            uploaded_by=actor,
            uploaded_at=at,
            sha256=sha256,
        )


def _notify_on_commit(event: IssueEvent) -> None:
    """Tell the listeners (ledger.notify) about the event once it has committed."""
    if not settings.LEDGER.get("NOTIFY", True):
        return
    event_id = event.pk
    transaction.on_commit(lambda: issue_event_committed.send(sender=IssueEvent, event_id=event_id))
