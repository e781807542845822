"""Keeps the day-level facts (models.DayFact) of the assessment and the reports.

Written by the same mechanism as the events: `facts_write` receives the core's
issue_event_written inside the event's transaction (the workflow holds the issue's row lock;
an import sends it once for all the issues it created). For each issue it works out the
issue's part in the day rows from the issue as just saved (`parts`), subtracts the part
stored in IssueFact and adds the new one, with UPDATE … SET n = n + delta (no lost update
when two issues move at once; rows are updated in key order so two writers cannot deadlock).

Nothing here needs a daily roll-over: "overdue open" is "running, with its deadline before
today", and the running issues are counted on their deadline's day, so the reader sums the
days before today. The calendar (working days) is applied when a part is written: a change
of the holiday table afterwards is picked up by `facts_rebuild` (and shown by
`facts_verify`).
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ledger.models import Issue, IssueEvent
from ledger.states import RUNNING_STATUSES, Action, Status
from ledger.workdays import WorkdayCounter

from .models import COLUMNS, DayFact, Dimension, IssueFact
from .selectors.metrics import COUNTED, DONE, NOT_WITHDRAWN, RATED, SATISFIED, accepted_on_time

T, D, L, C = (d.value for d in Dimension)
SNAPSHOT_FIELDS = [f.attname for f in IssueFact._meta.concrete_fields if f.attname != "issue_id"]
ISSUE_FIELDS = (
    "pk",
    "status",
    "deadline",
    "category_id",
    "lead_department_id",
    "leader_id",
    "raised_at",
    "assigned_at",
    "accepted_at",
    "resolved_at",
    "closed_at",
    "resolved_on_time",
    "satisfaction",
    "is_escalated",
)


def _day(moment) -> datetime.date | None:
    """The local calendar day (settings.TIME_ZONE) of an instant, as the periods count it."""
    if moment is None:
        return None
    return timezone.localdate(moment, timezone.get_default_timezone())


class History:
    """What the figures need from an issue's events: reopened?, returned?, by which units."""

    __slots__ = ("reopened", "returned", "returners")

    def __init__(self, reopened=False, returned=False, returners=()):
        self.reopened, self.returned, self.returners = reopened, returned, set(returners)

    def add(self, action, actor_department_id) -> None:
        if action == Action.REOPEN:
            self.reopened = True
        elif action == Action.RETURN:
            self.returned = True
            if actor_department_id is not None:
                self.returners.add(actor_department_id)


def histories(issue_ids: Iterable[int]) -> dict[int, History]:
    """The History of each issue from its events (one query)."""
    found = {pk: History() for pk in issue_ids}
    events = IssueEvent.objects.filter(
        issue_id__in=list(found), action__in=[Action.REOPEN, Action.RETURN]
    ).values_list("issue_id", "action", "actor_department_id")
    for issue_id, action, department_id in events.order_by():
        found[issue_id].add(action, department_id)
    return found


class Calendar:
    """The working-day calendar as one computation sees it: W(day) from one WorkdayCounter,
    and each (assigned, accepted) pair of days decided once (a rebuild meets each pair many
    times)."""

    def __init__(self):
        self.counter = WorkdayCounter()
        self.in_time: dict = {}

    def accepted_in_time(self, assigned_on, accepted_on) -> bool:
        key = (assigned_on, accepted_on)
        if key not in self.in_time:
            self.in_time[key] = accepted_on_time(assigned_on, accepted_on)
        return self.in_time[key]

    def working_days(self, start, end) -> int:
        """W(end) - W(start), negative when end is before start (as the old sum was)."""
        return self.counter.upto(end) - self.counter.upto(start)


def snapshot(values: dict, history: History, calendar: Calendar) -> IssueFact:
    """The IssueFact of an issue (its ISSUE_FIELDS as a dict) with the calendar applied now."""
    assigned_on, accepted_on = _day(values["assigned_at"]), _day(values["accepted_at"])
    resolved_on = _day(values["resolved_at"])
    in_time = None
    if assigned_on and accepted_on:
        in_time = calendar.accepted_in_time(assigned_on, accepted_on)
    working_days = None
    if assigned_on and resolved_on:
        working_days = calendar.working_days(assigned_on, resolved_on)
    return IssueFact(
        issue_id=values["pk"],
        status=values["status"],
        deadline=values["deadline"],
        category_id=values["category_id"],
        department_id=values["lead_department_id"],
        leader_id=values["leader_id"],
        raised_on=_day(values["raised_at"]),
        assigned_on=assigned_on,
        resolved_on=resolved_on,
        closed_on=_day(values["closed_at"]),
        resolved_on_time=values["resolved_on_time"],
        satisfaction=values["satisfaction"] or "",
        is_escalated=bool(values["is_escalated"]),
        reopened=history.reopened,
        returned=history.returned,
        returners=sorted(history.returners),
        accepted_in_time=in_time,
        working_days=working_days,
    )


def parts(fact: IssueFact | None) -> Counter:
    """The issue's part in the day rows: (day, dimension, unit, column) -> count.

    Each line mirrors one figure of selectors/metrics.py (assessment_by_query) or
    selectors/reports.py (report_by_query); tests compare both ways on random histories."""
    out: Counter = Counter()
    if fact is None:
        return out
    status = fact.status
    everywhere = [(T, 0)]
    if fact.category_id is not None:
        everywhere.append((C, fact.category_id))
    if fact.department_id is not None:
        everywhere.append((D, fact.department_id))
    units = []  # the assessment's: lead department and leader
    if fact.department_id is not None:
        units.append((D, fact.department_id))
    if fact.leader_id is not None:
        units.append((L, fact.leader_id))

    def add(day, dims, column, n=1):
        for dim, unit in dims:
            out[day, dim, unit, column] += n

    # the reports: what happened on each day
    for column, day in (
        ("raised", fact.raised_on),
        ("assigned", fact.assigned_on),
        ("resolved", fact.resolved_on),
        ("closed", fact.closed_on),
    ):
        if day is not None:
            add(day, everywhere, column)
    deadline = fact.deadline
    if deadline is None:
        return out
    # by the deadline's day, as the issue stands now
    if status in RUNNING_STATUSES:
        leader = [(L, fact.leader_id)] if fact.leader_id is not None else []
        add(deadline, everywhere + leader, "running")
    done = status in DONE
    if done and fact.resolved_on_time is False:
        add(deadline, everywhere, "late_done")
    if status in COUNTED:
        add(deadline, units, "due")
        if done:
            add(deadline, units, "done")
            if fact.resolved_on_time is True:
                add(deadline, units, "on_time")
            if fact.working_days is not None:
                add(deadline, units, "wd_count")
                add(deadline, units, "wd_total", fact.working_days)
        if fact.reopened:
            add(deadline, units, "reopened")
        if done or fact.reopened:
            add(deadline, units, "resolved_ever")
        if fact.satisfaction in RATED:
            add(deadline, units, "rated")
        if fact.satisfaction in SATISFIED:
            add(deadline, units, "satisfied")
        if fact.is_escalated:
            add(deadline, units, "escalated")
        if fact.accepted_in_time:
            add(deadline, units, "accepted")
    if status in NOT_WITHDRAWN:
        for unit in fact.returners:
            add(deadline, [(D, unit)], "returned")
            if fact.department_id != unit:
                add(deadline, [(D, unit)], "returned_away")
        if fact.returned and fact.leader_id is not None:
            add(deadline, [(L, fact.leader_id)], "returned")
            if status == Status.RAISED:
                add(deadline, [(L, fact.leader_id)], "returned_away")
    return out


def _values(issue: Issue) -> dict:
    return {name: (issue.pk if name == "pk" else getattr(issue, name)) for name in ISSUE_FIELDS}


def _deltas_apply(delta: Counter) -> None:
    """Add `delta` to the day rows: create the missing rows (empty), then one
    UPDATE … SET column = column + n per row, in key order."""
    rows: dict = defaultdict(dict)
    for (day, dim, unit, column), n in delta.items():
        if n:
            rows[day, dim, unit][column] = n
    if not rows:
        return
    DayFact.objects.bulk_create(
        [DayFact(day=day, dimension=dim, unit=unit) for day, dim, unit in sorted(rows)],
        ignore_conflicts=True,
        batch_size=500,
    )
    for (day, dim, unit), columns in sorted(rows.items()):
        DayFact.objects.filter(dimension=dim, unit=unit, day=day).update(
            **{column: F(column) + n for column, n in columns.items()}
        )


def facts_write(sender=None, *, events, **kwargs) -> None:
    """Receiver of issue_event_written: bring each issue's part in the day rows up to the
    issue as just saved (inside the event's transaction)."""
    issues: dict = {}
    new_events: dict = defaultdict(list)
    for event in events:
        issues[event.issue_id] = event.issue
        new_events[event.issue_id].append(event)
    # FOR UPDATE: waits for a running facts_rebuild (it locks the table), then reads its rows
    stored = {
        fact.issue_id: fact
        for fact in IssueFact.objects.select_for_update().filter(issue_id__in=list(issues))
    }
    missing = [pk for pk in issues if pk not in stored]
    # an issue without a part yet (new, or loaded without one): its history from the events,
    # which already hold the new ones
    known = histories(missing) if missing else {}
    for pk, fact in stored.items():
        history = History(fact.reopened, fact.returned, fact.returners)
        for event in new_events[pk]:
            history.add(event.action, event.actor_department_id)
        known[pk] = history
    calendar = Calendar()
    delta: Counter = Counter()
    fresh = []
    for pk, issue in issues.items():
        new = snapshot(_values(issue), known[pk], calendar)
        delta.update(parts(new))
        delta.subtract(parts(stored.get(pk)))
        fresh.append(new)
    _deltas_apply(delta)
    IssueFact.objects.bulk_create(
        fresh,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["issue"],
        update_fields=SNAPSHOT_FIELDS,
    )


# -- rebuild and verify -------------------------------------------------------------------


def _computed(chunk: int = 5000):
    """(snapshots, day rows) recomputed from the issues and their events, chunk by chunk:
    yields (list of IssueFact, Counter of parts) per chunk."""
    calendar = Calendar()
    last = 0
    while True:
        rows = list(Issue.objects.filter(pk__gt=last).order_by("pk").values(*ISSUE_FIELDS)[:chunk])
        if not rows:
            return
        last = rows[-1]["pk"]
        found = histories(row["pk"] for row in rows)
        facts = [snapshot(row, found[row["pk"]], calendar) for row in rows]
        total: Counter = Counter()
        for fact in facts:
            total.update(parts(fact))
        yield facts, total


def _day_rows(total: Counter) -> dict:
    rows: dict = defaultdict(dict)
    for (day, dim, unit, column), n in total.items():
        if n:
            rows[day, dim, unit][column] = n
    return rows


def facts_after_bulk_load(sender, **kwargs) -> str:
    """Receiver of ledger.signals.issues_bulk_loaded: the loader bypassed the workflow, so the
    day facts are recomputed from what it wrote."""
    return "day facts: {issues:,} issues, {day_rows:,} day rows".format(**rebuild())


def rebuild(*, chunk: int = 5000) -> dict:
    """Recompute every IssueFact and DayFact from the issues and their events (one
    transaction; on PostgreSQL the two tables are locked so no event slips in between).
    seed_bench and any bulk load that bypasses the workflow call this afterwards."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {IssueFact._meta.db_table}, {DayFact._meta.db_table} "
                    "IN EXCLUSIVE MODE"
                )
        IssueFact.objects.all().delete()
        DayFact.objects.all().delete()
        total: Counter = Counter()
        issues = 0
        for facts, part in _computed(chunk):
            IssueFact.objects.bulk_create(facts, batch_size=2000)
            total.update(part)
            issues += len(facts)
        rows = _day_rows(total)
        DayFact.objects.bulk_create(
            [
                DayFact(day=day, dimension=dim, unit=unit, **columns)
                for (day, dim, unit), columns in sorted(rows.items())
            ],
            batch_size=2000,
        )
    return {"issues": issues, "day_rows": len(rows)}


def verify(*, chunk: int = 5000, limit: int = 20) -> list[str]:
    """Differences between the stored facts and a fresh computation from the issues and
    events ([] when they agree): the first `limit` of them, as lines a person can read."""
    problems: list[str] = []
    total: Counter = Counter()
    for facts, part in _computed(chunk):
        total.update(part)
        stored = IssueFact.objects.in_bulk([fact.issue_id for fact in facts])
        for fact in facts:
            have = stored.get(fact.issue_id)
            want = {name: getattr(fact, name) for name in SNAPSHOT_FIELDS}
            got = {name: getattr(have, name) for name in SNAPSHOT_FIELDS} if have else None
            if got != want:
                problems.append(f"issue {fact.issue_id}: stored {got}, computed {want}")
    if IssueFact.objects.exclude(issue_id__in=Issue.objects.values("pk")).exists():
        problems.append("issue facts without an issue")
    expected = _day_rows(total)
    found = {}
    for row in DayFact.objects.values("day", "dimension", "unit", *COLUMNS).order_by():
        key = (row.pop("day"), row.pop("dimension"), row.pop("unit"))
        columns = {name: n for name, n in row.items() if n}
        if columns:
            found[key] = columns
    for key in sorted(set(expected) | set(found)):
        if expected.get(key, {}) != found.get(key, {}):
            day, dim, unit = key
            problems.append(
                f"day {day} {dim}{unit}: stored {found.get(key, {})}, "
                f"computed {expected.get(key, {})}"
            )
    return problems[:limit] if limit else problems
