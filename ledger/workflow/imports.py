"""Imported history (ledger.exchange): new issues in bulk, corrections of matched ones."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from ledger.models import Issue, IssueDeadline, IssueEvent, LedgerCounter
from ledger.services import ledger_number_next
from ledger.signals import issue_event_written, issues_imported
from ledger.states import Action

from . import core, import_correct
from .core import TransitionRefused, _actor_department, _today


def issues_import(*, actor, at: datetime.datetime, file_name: str, items: list[dict]) -> dict:
    """Write imported history: new issues in bulk, changes to matched ones.

    The caller (the import) has validated every row against the database constraints; the
    sheet's status, dates and deadlines are history, so past deadlines are allowed here
    (transition() refuses them). Each item is a dict:
    - a new issue: {"row", "fields", "co_departments", "number" (ours, free) or None, "note"};
      it gets a number (its own if given, else the next of its raise year), a RAISE event
      to its status naming the file and row, and its deadline in IssueDeadline;
    - a change: {"row", "issue" (pk), "fields" (changed values), "co_departments" or None,
      "note"}: see import_correct (an EDIT event lists the changed fields, or an
      IMPORT_CORRECT one when the status moves; a moved deadline is recorded).
    No notification per issue: this is history, not news; after the commit
    `issues_imported` lets ledger.notify send each lead department one digest of the new
    issues imported as 已交办. Returns {row: issue pk}.
    """
    if not actor.has_perm("ledger.import_ledger"):
        raise TransitionRefused(_("只有督查室和系统管理员可以导入问题台账。"))
    result = {}
    with transaction.atomic():
        new = [item for item in items if item.get("issue") is None]
        _numbers_give(new)
        created = _issues_create(new, actor=actor, at=at)
        for item, issue in zip(new, created, strict=True):
            result[item["row"]] = issue.pk
        for item in items:
            if item.get("issue") is None:
                continue
            pk = import_correct.correct(item, actor=actor, at=at)
            if pk is not None:
                result[item["row"]] = pk
        if created and settings.LEDGER.get("NOTIFY", True):
            # the new issues' history is not news, but work handed over is: the listeners
            # (ledger.notify) tell each lead department once, after the commit
            ids, actor_id = [issue.pk for issue in created], actor.pk
            transaction.on_commit(
                lambda: issues_imported.send(sender=Issue, issue_ids=ids, actor_id=actor_id)
            )
    return result


def _numbers_give(new: list[dict]) -> None:
    """Set each new item's (year, seq): the sheet's own numbers (ours, free) are kept and the
    counter moves past them; the others take the next ones of their raise year."""
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
    for year, group in by_year.items():
        first, _number = ledger_number_next(year)  # creates and locks the year's counter
        if len(group) > 1:
            LedgerCounter.objects.filter(year=year).update(last=F("last") + len(group) - 1)
        for offset, item in enumerate(group):
            item["_year_seq"] = (year, first + offset)


def _issues_create(new: list[dict], *, actor, at) -> list[Issue]:
    """The new issues in bulk, each with its signed RAISE event (to its status), its deadline
    and its co-departments."""
    prefix = settings.LEDGER["NUMBER_PREFIX"]
    created = []
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
    department = _actor_department(actor)
    events, deadlines, links = [], [], []
    through = Issue.co_departments.through
    for item, issue in zip(new, created, strict=True):
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
        core._event_sign(event, "", number=issue.number)  # the first link of the issue's chain
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
    IssueDeadline.objects.bulk_create(deadlines, batch_size=500)
    through.objects.bulk_create(links, batch_size=500)
    # sent once the issues are whole (their co-departments too): ledger.summaries counts them
    issue_event_written.send(sender=IssueEvent, events=events)
    return created
