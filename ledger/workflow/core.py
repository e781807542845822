"""The machinery every action shares: the declarations' registry, the locked transition
loop, the signed event write, attachments, notifications after the commit and the messages.

transition() locks the issue row, re-checks the status (states.RULEBOOK), the actor's right
(rules.py) and the action's precondition inside the transaction, applies the change through
the action's declared applier, writes an append-only IssueEvent and schedules notifications
for after the commit. Refusals are TransitionRefused with a message in the user's language.
"""

import datetime
import hashlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ledger.models import Attachment, Department, ExtensionRequest, Issue, IssueDeadline, IssueEvent
from ledger.services import attachment_validate, attachments_validate_batch
from ledger.signals import issue_event_committed, issue_event_written
from ledger.states import RULEBOOK, TRANSITIONS, Action, Party, Status, Transition
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


class _Unset:
    """The default of an input left out (not the same as one given as None)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


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


# -- the declarations ------------------------------------------------------------------------

# what every applier is given besides its own input
_COMMON = frozenset({"actor", "note", "today", "at"})


@dataclass(frozen=True)
class ActionSpec:
    """All the workflow knows of one action, declared once by its module.

    `apply(change, *, actor, note, today, at, **input)` changes the locked issue through
    `change` and returns callbacks to run after the save (or None); its keyword-only
    parameters beyond the common four are the action's typed input (`inputs` names them when
    the applier takes **fields). `precondition(issue, *, extension_pending, today)` says why
    the action cannot be taken on the issue as it stands, whatever the input. `concerns` are
    the groups ledger.notify tells of it.
    """

    action: Action
    apply: Callable[..., list | None]
    concerns: frozenset[Party] = frozenset()
    precondition: Callable[..., str | None] | None = None
    # the precondition reads whether an extension request is pending (looked up, locked)
    reads_pending_extension: bool = False
    inputs: frozenset[str] | None = None

    def __post_init__(self):
        if self.inputs is None:
            params = inspect.signature(self.apply).parameters.values()
            if any(p.kind is p.VAR_KEYWORD for p in params):
                raise ImproperlyConfigured(f"{self.action}: an applier taking **, without inputs")
            names = {p.name for p in params if p.kind is p.KEYWORD_ONLY} - _COMMON
            object.__setattr__(self, "inputs", frozenset(names))

    @property
    def rule(self) -> Transition:
        return RULEBOOK[self.action]

    def input_check(self, data: dict) -> None:
        """A keyword the action does not take is a programming error, refused before anything
        is read or written (a misspelt argument would otherwise be silently lost)."""
        unknown = set(data) - self.inputs
        if unknown:
            raise TypeError(
                f"workflow action {self.action.value!r} got unexpected input "
                f"{', '.join(sorted(unknown))} (it takes: {', '.join(sorted(self.inputs))})"
            )


SPECS: dict[Action, ActionSpec] = {}
# actions that create an issue rather than move one (issue_raise, issues_import): no row
CREATIONS: dict[Action, frozenset[Party]] = {}


def declare(spec: ActionSpec) -> ActionSpec:
    """Register an action module's declaration; each row of the rulebook has exactly one."""
    if spec.action in SPECS:
        raise ImproperlyConfigured(f"{spec.action} is declared twice")
    if spec.action not in RULEBOOK:
        raise ImproperlyConfigured(f"{spec.action} has no row in states.RULEBOOK")
    SPECS[spec.action] = spec
    return spec


def registry_check() -> None:
    """Every row of states.RULEBOOK has its module, in the rulebook's order."""
    missing = set(RULEBOOK) - set(SPECS)
    if missing:
        raise ImproperlyConfigured(f"rows without an action module: {sorted(missing)}")
    ordered = {action: SPECS[action] for action in RULEBOOK}
    SPECS.clear()
    SPECS.update(ordered)


def concerns() -> dict[Action, frozenset[Party]]:
    """Whom each action concerns (ledger.notify's action rows); silent actions map to {}."""
    table = dict(CREATIONS)
    table.update({action: spec.concerns for action, spec in SPECS.items()})
    return table


# -- transitions -----------------------------------------------------------------------------


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

    `data` carries the action's input (its module's applier names it; anything else is a
    TypeError). `expected_version` is the issue version the user's form was built from: if
    someone else changed the issue meanwhile, the user is told what happened.
    `at` backdates the action (demo data and imports only). Only the rows people are offered
    (states.TRANSITIONS) are taken here; the system's rows have their own doors.
    """
    try:
        action = Action(action)
        TRANSITIONS[action]
    except (ValueError, KeyError):
        raise TransitionRefused(_("未知的操作。")) from None
    return _perform(
        issue,
        SPECS[action],
        actor=actor,
        note=note,
        expected_version=expected_version,
        at=at,
        files=files,
        data=data,
    )


def _perform(issue, spec: ActionSpec, *, actor, note, expected_version, at, files, data):
    """The locked loop: check, apply, save, sign the event, notify after the commit."""
    spec.input_check(data)
    at = at or timezone.now()
    note = (note or "").strip()
    for file in files:
        attachment_validate(file)
    attachments_validate_batch(files)
    pk = issue.pk if isinstance(issue, Issue) else issue

    with transaction.atomic():
        locked = _lock(pk)
        pending = _refuse_unless_allowed(
            locked, spec, actor=actor, note=note, expected_version=expected_version, at=at
        )
        change = _Change(locked, pending_extension=pending)
        from_status = locked.status
        extra = spec.apply(change, actor=actor, note=note, today=_today(at), at=at, **data)
        if spec.rule.target is not None:
            change.set("status", spec.rule.target)
        event = _record(
            change,
            extra,
            actor=actor,
            action=spec.action,
            from_status=from_status,
            note=note,
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


def _lock(pk) -> Issue:
    try:
        return (
            Issue.objects.select_for_update(of=("self",))
            .select_related("enterprise", "project", "leader", "lead_department")
            .get(pk=pk)
        )
    except Issue.DoesNotExist:
        raise TransitionRefused(_("该问题不存在或您无权查看。")) from None


def _refuse_unless_allowed(locked, spec, *, actor, note, expected_version, at):
    """Status, the actor's right, the form's version, the precondition and the note, in that
    order; returns the issue's pending extension request (locked) when the action reads it."""
    rule, action = spec.rule, spec.action
    # a system row (permission None) is authorised by its door's caller
    if rule.permission is not None and not actor.has_perm("ledger.view_issue", locked):
        raise TransitionRefused(_("该问题不存在或您无权查看。"))
    if locked.status not in rule.sources:
        raise TransitionRefused(_stale_message(locked, action))
    if rule.permission is not None and not actor.has_perm(rule.permission, locked):
        raise TransitionRefused(
            _("您没有权限对该问题执行“%(action)s”。") % {"action": action.label}
        )
    # every form is single-use: a resubmitted page (Back button) or a second click of the
    # same form carries a version that has moved on, comments and urges included
    if expected_version is not None and expected_version != locked.version:
        raise TransitionRefused(_changed_message(locked))
    pending = None
    if spec.reads_pending_extension:
        pending = (
            locked.extensions.select_for_update()
            .filter(state=ExtensionRequest.State.PENDING)
            .first()
        )
    if spec.precondition is not None:
        blocked = spec.precondition(locked, extension_pending=pending is not None, today=_today(at))
        if blocked:
            raise TransitionRefused(blocked)
    if rule.needs_note and not note:
        raise TransitionRefused(_("请填写理由或说明。"), field_errors={"note": _("此项为必填项。")})
    return pending


def _record(
    change: _Change,
    callbacks,
    *,
    actor,
    action,
    from_status,
    note,
    at,
    files=(),
    hidden=("version", "status"),
) -> IssueEvent:
    """Save the changed issue (its version moves on), run the applier's callbacks and write
    its event. The `hidden` fields are left out of the event's changes (its from/to status
    say the move)."""
    locked = change.issue
    change.set("version", locked.version + 1)
    locked.save(update_fields=sorted(change.update_fields | {"updated_at"}))
    for callback in callbacks or ():
        callback()
    changes = {k: v for k, v in change.fields.items() if k not in hidden}
    changes.update(change.m2m)
    return _event_write(
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


# -- what stands in the way, whatever is typed into the form ---------------------------------


def unmet_precondition(
    issue: Issue, action: Action, *, extension_pending: bool, today: datetime.date
) -> str | None:
    """Why `action` cannot be taken on `issue` as it stands, whatever the input; None if it can.

    These are the checks beyond the table's status and permission, declared by each action's
    module. transition() refuses with this message and available_actions() leaves the action
    out, so no button is offered for an action that would be refused before its form is read.
    `extension_pending` is only read by the actions that declare reads_pending_extension.
    """
    spec = SPECS.get(Action(action))
    if spec is None or spec.precondition is None:
        return None
    return spec.precondition(issue, extension_pending=extension_pending, today=today)


def has_pending_extension(issue: Issue) -> bool:
    # iterating .all() reads the page's prefetched extensions without a query
    return any(e.state == ExtensionRequest.State.PENDING for e in issue.extensions.all())


def available_actions(user, issue: Issue, *, check_preconditions: bool = True) -> list[Action]:
    """The actions `user` may take on `issue` now, in table order (for the buttons).

    Only the rows people are offered (states.TRANSITIONS): the enterprise's rating and the
    import's corrections never are. An action whose status and permission match is left out
    when its precondition says transition() would refuse it anyway; with
    `check_preconditions=False` the list is the table's alone. At most one query for the
    pending extension request, none when `issue.extensions` is prefetched.
    """
    today = timezone.localdate()
    pending = None  # looked up once, and only if an extension action is in reach
    actions = []
    for action, rule in TRANSITIONS.items():
        if issue.status not in rule.sources or not user.has_perm(rule.permission, issue):
            continue
        spec = SPECS[action]
        if check_preconditions and spec.precondition is not None:
            if pending is None and spec.reads_pending_extension:
                pending = has_pending_extension(issue)
            if spec.precondition(issue, extension_pending=bool(pending), today=today):
                continue
        actions.append(action)
    return actions


# -- messages --------------------------------------------------------------------------------


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


# -- checks and writes several actions share -------------------------------------------------


def _require(value, name: str, message: str | None = None):
    if value is UNSET or value in (None, "", [], ()):
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


# -- events, attachments, notifications ------------------------------------------------------


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
    file.seek(0)
    digest = hashlib.file_digest(file, "sha256")
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
