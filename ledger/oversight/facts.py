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
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, Max, Min, OuterRef
from django.db.models.functions import TruncDate
from django.utils import timezone

from ledger.models import Issue, IssueEvent
from ledger.states import RUNNING_STATUSES, Action, Status
from ledger.workdays import WorkdayCounter, add_working_days

from .models import COLUMNS, EVENT_DAY_COLUMNS, DayFact, Dimension, IssueFact
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


def rebuild() -> dict:
    """Recompute every IssueFact and DayFact from the issues and their events, set-based in
    SQL (one transaction; on PostgreSQL the two tables are locked so no event slips in
    between). seed_bench and any bulk load that bypasses the workflow call this afterwards.

    The SQL follows `snapshot` and `parts` line by line; `verify` recomputes both in Python
    (the definition) and the tests compare the two on random histories."""
    with transaction.atomic():
        fact_table = connection.ops.quote_name(IssueFact._meta.db_table)
        day_table = connection.ops.quote_name(DayFact._meta.db_table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"LOCK TABLE {fact_table}, {day_table} IN EXCLUSIVE MODE")
                # deferred foreign-key checks of this transaction run now: TRUNCATE refuses a
                # table with pending ones (an event written earlier in the same transaction)
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {fact_table}, {day_table}")
                # back to Django's foreign keys' own mode (DEFERRABLE INITIALLY DEFERRED)
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                cursor.execute(f"DELETE FROM {fact_table}")  # noqa: S608
                cursor.execute(f"DELETE FROM {day_table}")  # noqa: S608
            _calendar_table(cursor)
            try:
                issues = _issue_facts_insert(cursor)
                if connection.vendor != "postgresql":
                    _returners_fill(cursor)
                day_rows = _day_facts_insert(cursor)
            finally:
                cursor.execute(f"DROP TABLE IF EXISTS {CALENDAR_TABLE}")
    if connection.vendor == "postgresql":
        # the planner's estimates of the fresh rows
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {fact_table}")
            cursor.execute(f"ANALYZE {day_table}")
    return {"issues": issues, "day_rows": day_rows}


# -- the set-based rebuild's SQL ------------------------------------------------------------

# a temporary table of the working-day numbers: day -> W(day) and the last day a 签收 counts
# as in time after an assignment on that day (computed in Python from the one calendar)
CALENDAR_TABLE = "oversight_rebuild_calendar"


def _literals(values) -> str:
    """An SQL list of code constants (statuses, satisfaction values): never user input."""
    items = sorted(str(v.value if hasattr(v, "value") else v) for v in values)
    assert all(re.fullmatch(r"[a-z_]+", item) for item in items), items
    return "(" + ", ".join(f"'{item}'" for item in items) + ")"


def _calendar_table(cursor) -> None:
    """Create CALENDAR_TABLE over the local days the issues' assignments and resolutions span."""
    cursor.execute(f"DROP TABLE IF EXISTS {CALENDAR_TABLE}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {CALENDAR_TABLE} "
        "(day date PRIMARY KEY, w integer NOT NULL, accept_by date NOT NULL)"
    )
    bounds = Issue.objects.order_by().aggregate(
        first_assigned=Min("assigned_at"),
        last_assigned=Max("assigned_at"),
        last_resolved=Max("resolved_at"),
        first_resolved=Min("resolved_at"),
    )
    moments = [moment for moment in bounds.values() if moment is not None]
    if not moments:
        return
    first = min(map(_day, moments)) - datetime.timedelta(days=1)
    last = max(map(_day, moments)) + datetime.timedelta(days=1)
    calendar = Calendar()
    within = settings.LEDGER["ACCEPT_WITHIN_WORKING_DAYS"]
    rows = []
    day = first
    while day <= last:
        rows.append(
            (
                connection.ops.adapt_datefield_value(day),
                calendar.counter.upto(day),
                connection.ops.adapt_datefield_value(add_working_days(day, within)),
            )
        )
        day += datetime.timedelta(days=1)
    insert = f"INSERT INTO {CALENDAR_TABLE} (day, w, accept_by) VALUES (%s, %s, %s)"  # noqa: S608
    cursor.executemany(insert, rows)


def _issue_facts_insert(cursor) -> int:
    """INSERT … SELECT every issue's IssueFact (what `snapshot` computes); returns the count."""
    tz = timezone.get_default_timezone()
    days = {
        f"f_{name}_on": TruncDate(f"{name}_at", tzinfo=tz)
        for name in ("raised", "assigned", "accepted", "resolved", "closed")
    }
    fields = (
        "status",
        "deadline",
        "category_id",
        "lead_department_id",
        "leader_id",
        "resolved_on_time",
        "satisfaction",
        "is_escalated",
    )
    # every column under an alias of its own, so the outer SELECT can name it on both databases
    base = (
        Issue.objects.order_by()
        .annotate(**days)
        .values(
            f_id=F("pk"), **{f"f_{name}": F(name) for name in fields}, **{d: F(d) for d in days}
        )
    )
    base_sql, params = base.query.sql_with_params()
    events = connection.ops.quote_name(IssueEvent._meta.db_table)
    reopen, back = Action.REOPEN.value, Action.RETURN.value
    if connection.vendor == "postgresql":
        history = f"""
            SELECT issue_id,
                   bool_or(action = '{reopen}') AS reopened,
                   bool_or(action = '{back}') AS returned,
                   jsonb_agg(DISTINCT actor_department_id ORDER BY actor_department_id)
                       FILTER (WHERE action = '{back}' AND actor_department_id IS NOT NULL)
                       AS returners
            FROM {events} WHERE action IN ('{reopen}', '{back}') GROUP BY issue_id"""  # noqa: S608
        no_returners = "'[]'::jsonb"
    else:  # SQLite: the returners are filled afterwards (_returners_fill)
        history = f"""
            SELECT issue_id,
                   MAX(action = '{reopen}') AS reopened,
                   MAX(action = '{back}') AS returned,
                   NULL AS returners
            FROM {events} WHERE action IN ('{reopen}', '{back}') GROUP BY issue_id"""  # noqa: S608
        no_returners = "'[]'"
    table = connection.ops.quote_name(IssueFact._meta.db_table)
    columns = ", ".join(["issue_id", *SNAPSHOT_FIELDS])
    select = {
        "status": "b.f_status",
        "deadline": "b.f_deadline",
        "category_id": "b.f_category_id",
        "department_id": "b.f_lead_department_id",
        "leader_id": "b.f_leader_id",
        "raised_on": "b.f_raised_on",
        "assigned_on": "b.f_assigned_on",
        "resolved_on": "b.f_resolved_on",
        "closed_on": "b.f_closed_on",
        "resolved_on_time": "b.f_resolved_on_time",
        "satisfaction": "COALESCE(b.f_satisfaction, '')",
        "is_escalated": "COALESCE(b.f_is_escalated, FALSE)",
        "reopened": "COALESCE(h.reopened, FALSE)",
        "returners": f"COALESCE(h.returners, {no_returners})",
        "returned": "COALESCE(h.returned, FALSE)",
        # NULL unless both days are known (ca is NULL without an assignment)
        "accepted_in_time": "CASE WHEN b.f_accepted_on IS NULL THEN NULL "
        "ELSE b.f_accepted_on <= ca.accept_by END",
        "working_days": "cr.w - ca.w",
    }
    assert set(select) == set(SNAPSHOT_FIELDS), set(select) ^ set(SNAPSHOT_FIELDS)
    sql = f"""
        INSERT INTO {table} ({columns})
        SELECT b.f_id, {", ".join(select[name] for name in SNAPSHOT_FIELDS)}
        FROM ({base_sql}) b
        LEFT JOIN ({history}) h ON h.issue_id = b.f_id
        LEFT JOIN {CALENDAR_TABLE} ca ON ca.day = b.f_assigned_on
        LEFT JOIN {CALENDAR_TABLE} cr ON cr.day = b.f_resolved_on"""  # noqa: S608
    cursor.execute(sql, params)
    return IssueFact.objects.count()


def _returners_fill(cursor) -> None:
    """SQLite (no ordered JSON aggregate before 3.44): each returned issue's sorted returners."""
    returners: dict = defaultdict(set)
    found = (
        IssueEvent.objects.filter(action=Action.RETURN, actor_department__isnull=False)
        .order_by()
        .values_list("issue_id", "actor_department_id")
        .distinct()
    )
    for issue_id, department_id in found.iterator(chunk_size=5000):
        returners[issue_id].add(department_id)
    table = connection.ops.quote_name(IssueFact._meta.db_table)
    cursor.executemany(
        f"UPDATE {table} SET returners = %s WHERE issue_id = %s",  # noqa: S608
        [(json.dumps(sorted(units)), pk) for pk, units in returners.items()],
    )


def _day_facts_insert(cursor) -> int:
    """INSERT … SELECT the DayFact rows from the IssueFacts just written: one grouped SELECT
    per (day it is counted on, dimension), added up by key (what `parts` computes)."""
    fact = connection.ops.quote_name(IssueFact._meta.db_table)
    events = connection.ops.quote_name(IssueEvent._meta.db_table)
    running, done = _literals(RUNNING_STATUSES), _literals(DONE)
    counted, not_withdrawn = _literals(COUNTED), _literals(NOT_WITHDRAWN)
    rated, satisfied = _literals(RATED), _literals(SATISFIED)
    raised = _literals([Status.RAISED])
    everywhere = {T: "0", C: "f.category_id", D: "f.department_id"}

    def when(condition, value="1"):
        return f"SUM(CASE WHEN {condition} THEN {value} ELSE 0 END)"

    def branch(day, dim, unit, sums, source=f"{fact} f", where="TRUE"):
        cells = ", ".join(f"{sums.get(column, '0')} AS {column}" for column in COLUMNS)
        group = f"{day}" if unit == "0" else f"{day}, {unit}"
        return (
            f"SELECT {day} AS day, '{dim}' AS dimension, {unit} AS unit, {cells} "  # noqa: S608
            f"FROM {source} WHERE {day} IS NOT NULL AND {unit} IS NOT NULL AND {where} "
            f"GROUP BY {group}"
        )

    branches = []
    # the reports: what happened on each day, for the whole ledger, its category, its lead
    for column in EVENT_DAY_COLUMNS:
        for dim, unit in everywhere.items():
            branches.append(branch(f"f.{column}_on", dim, unit, {column: "COUNT(*)"}))
    # by the deadline's day, as the issue stands now
    is_counted = f"f.status IN {counted}"
    is_done = f"f.status IN {done}"
    units = {
        "due": when(is_counted),
        "done": when(f"{is_counted} AND {is_done}"),
        "on_time": when(f"{is_counted} AND {is_done} AND f.resolved_on_time"),
        "wd_count": when(f"{is_counted} AND {is_done} AND f.working_days IS NOT NULL"),
        "wd_total": when(
            f"{is_counted} AND {is_done} AND f.working_days IS NOT NULL", "f.working_days"
        ),
        "reopened": when(f"{is_counted} AND f.reopened"),
        "resolved_ever": when(f"{is_counted} AND ({is_done} OR f.reopened)"),
        "rated": when(f"{is_counted} AND f.satisfaction IN {rated}"),
        "satisfied": when(f"{is_counted} AND f.satisfaction IN {satisfied}"),
        "escalated": when(f"{is_counted} AND f.is_escalated"),
        "accepted": when(f"{is_counted} AND f.accepted_in_time"),
    }
    general = {
        "running": when(f"f.status IN {running}"),
        "late_done": when(f"{is_done} AND f.resolved_on_time = FALSE"),
    }
    for dim, unit in everywhere.items():
        branches.append(branch("f.deadline", dim, unit, general | (units if dim == D else {})))
    leader_returned = f"f.status IN {not_withdrawn} AND f.returned"
    branches.append(
        branch(
            "f.deadline",
            L,
            "f.leader_id",
            {"running": general["running"]}
            | units
            | {
                "returned": when(leader_returned),
                "returned_away": when(f"{leader_returned} AND f.status IN {raised}"),
            },
        )
    )
    # each department that returned the issue (the snapshot's returners, from the events)
    returns = (
        f"(SELECT DISTINCT issue_id, actor_department_id AS unit FROM {events} "  # noqa: S608
        f"WHERE action = '{Action.RETURN.value}' AND actor_department_id IS NOT NULL) r "
        f"JOIN {fact} f ON f.issue_id = r.issue_id"
    )
    branches.append(
        branch(
            "f.deadline",
            D,
            "r.unit",
            {
                "returned": "COUNT(*)",
                "returned_away": when("f.department_id IS NULL OR f.department_id <> r.unit"),
            },
            source=returns,
            where=f"f.status IN {not_withdrawn}",
        )
    )
    table = connection.ops.quote_name(DayFact._meta.db_table)
    sums = ", ".join(f"SUM({column})" for column in COLUMNS)
    nonzero = " OR ".join(f"SUM({column}) <> 0" for column in COLUMNS)
    union = " UNION ALL ".join(branches)
    cursor.execute(
        f"INSERT INTO {table} (day, dimension, unit, {', '.join(COLUMNS)}) "  # noqa: S608
        f"SELECT day, dimension, unit, {sums} FROM ({union}) u "
        f"GROUP BY day, dimension, unit HAVING {nonzero}"
    )
    return DayFact.objects.count()


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
    # an anti-join (NOT EXISTS): NOT IN over a million ids ran for minutes on PostgreSQL
    if IssueFact.objects.filter(~Exists(Issue.objects.filter(pk=OuterRef("issue_id")))).exists():
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
