"""The counts the home cards, leader cards and dashboard tiles show, kept as summary rows
(models.SummaryCount) by the workflow's own signal, in the transaction of every event.

Each counted issue adds 1 to one row per set it lies in (the district, its leader, its
牵头/配合/登记 departments, its enterprise and project), keyed by its status, the day its
health is read from and whether an extension request waits. Its keys are kept on a
SummaryMark, so a change takes back exactly what was added (the signal carries the issue
after the change). Health is computed from `day` at read time: nothing rolls over at
midnight. `rebuild()` recounts everything from the issues; `verify()` compares.

A shared cache (Django's, Redis when configured) holds per-user figures under a generation
number that every committed event, rebuild and directory change moves on, so a cached count
is never older than the last event.
"""

import datetime
from collections import Counter

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Case, DateField, Exists, F, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from ledger.models import (
    Enterprise,
    ExtensionRequest,
    Issue,
    KeyProject,
    SummaryClock,
    SummaryCount,
    SummaryMark,
)
from ledger.models.issues import NOT_FINAL_VALUES, raised_flag_cutoff
from ledger.models.summaries import NO_DAY, PAST_DAY, SETTLED_AGE
from ledger.replica import is_reading_replica
from ledger.states import Status

K = SummaryCount.Kind
RUNNING = [Status.ASSIGNED.value, Status.IN_PROGRESS.value]
KEY_FIELDS = ("kind", "unit", "status", "day", "pending_extension", "leader", "enterprise")
# what an issue's keys are computed from
STATE_FIELDS = (
    "pk",
    "status",
    "deadline",
    "raised_at",
    "leader_id",
    "lead_department_id",
    "raising_department_id",
    "enterprise_id",
    "project_id",
)


# -- which rows an issue counts in ---------------------------------------------------------


def _day(state) -> datetime.date:
    """The day an issue's health is read from (see SummaryCount)."""
    if state["status"] in RUNNING:
        return state["deadline"] or NO_DAY
    if state["status"] == Status.RAISED:
        # the local calendar day: raised_flag_cutoff() is a local midnight
        return timezone.localtime(state["raised_at"], timezone.get_default_timezone()).date()
    return NO_DAY


def issue_keys(state, co_departments, pending: bool) -> list[tuple]:
    """The SummaryCount keys of an issue (`state`: STATE_FIELDS values), sorted; none when it
    is not counted (closed or withdrawn without a pending extension request)."""
    if state["status"] not in NOT_FINAL_VALUES and not pending:
        return []
    status, day = state["status"], _day(state).isoformat()
    leader = state["leader_id"] or 0
    enterprise = state["enterprise_id"] or 0

    def key(kind, unit, with_leader=0, with_enterprise=0):
        return (kind, unit, status, day, pending, with_leader, with_enterprise)

    keys = [key(K.ALL, 0)]
    if leader:
        keys.append(key(K.LEADER, leader))
    if state["lead_department_id"]:
        keys.append(key(K.LEAD, state["lead_department_id"]))
    keys += [key(K.CO, d) for d in sorted(set(co_departments))]
    keys.append(key(K.RAISED, state["raising_department_id"]))
    involved = {state["raising_department_id"], state["lead_department_id"], *co_departments}
    keys += [key(K.INVOLVED, d) for d in sorted(involved - {None})]
    if enterprise:
        keys.append(key(K.ENTERPRISE, enterprise, leader))
    if state["project_id"]:
        keys.append(key(K.PROJECT, state["project_id"], leader, enterprise))
    return sorted(keys)


def _keys_of(issue_ids) -> dict[int, list[tuple]]:
    """issue id -> its keys now, read from the database in three queries."""
    ids = list(issue_ids)
    co = {}
    for issue_id, department_id in Issue.co_departments.through.objects.filter(
        issue_id__in=ids
    ).values_list("issue_id", "department_id"):
        co.setdefault(issue_id, []).append(department_id)
    pending = set(
        ExtensionRequest.objects.filter(
            issue_id__in=ids, state=ExtensionRequest.State.PENDING
        ).values_list("issue_id", flat=True)
    )
    return {
        state["pk"]: issue_keys(state, co.get(state["pk"], []), state["pk"] in pending)
        for state in Issue.objects.filter(pk__in=ids).order_by().values(*STATE_FIELDS)
    }


def _fold(key: tuple, rolled_to: datetime.date) -> tuple:
    """`key` with its day folded into PAST_DAY when the roll has passed it (models.summaries:
    a running issue's deadline before `rolled_to`, a raise day more than SETTLED_AGE days
    before it): the row it was counted in has been folded there."""
    if rolled_to <= PAST_DAY:  # never rolled: nothing folded
        return key
    status, day = key[2], datetime.date.fromisoformat(key[3])
    if (status in RUNNING and NO_DAY < day < rolled_to) or (
        status == Status.RAISED and day < rolled_to - datetime.timedelta(days=SETTLED_AGE)
    ):
        return (*key[:3], PAST_DAY.isoformat(), *key[4:])
    return key


def _folded(keys, rolled_to) -> list[tuple]:
    return sorted(_fold(tuple(key), rolled_to) for key in keys)


def _rolled_to(*, share: bool = False) -> datetime.date:
    """The day the rows are folded to (NO_DAY: nothing folded yet). With `share`, held until
    the transaction ends, so the daily roll never folds between an event's reading of it and
    its writing (PostgreSQL FOR SHARE: events do not wait on each other; SQLite has one
    writer anyway)."""
    table = connection.ops.quote_name(SummaryClock._meta.db_table)
    lock = " FOR SHARE" if share and connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rolled_to FROM {table} ORDER BY id LIMIT 1{lock}")  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return NO_DAY
    value = row[0]
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


# -- writing -------------------------------------------------------------------------------


def _as_key(stored) -> tuple:
    return tuple(stored)


def _counts_add(deltas: Counter) -> None:
    """Add each delta to its row, atomically (INSERT … ON CONFLICT DO UPDATE SET n = n + …,
    on SQLite and PostgreSQL): two transactions counting into the same row both land. Keys
    are written in one order, so two writers never wait on each other crosswise."""
    rows = [(key, n) for key, n in sorted(deltas.items()) if n]
    if not rows:
        return
    table = connection.ops.quote_name(SummaryCount._meta.db_table)
    columns = ", ".join(KEY_FIELDS)
    ops = connection.ops
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        values, params = [], []
        for (kind, unit, status, day, pending, leader, enterprise), n in chunk:
            values.append("(%s, %s, %s, %s, %s, %s, %s, %s)")
            params += [
                kind,
                unit,
                status,
                ops.adapt_datefield_value(datetime.date.fromisoformat(day)),
                pending,
                leader,
                enterprise,
                n,
            ]
        # the table and columns are this module's constants; every value is a parameter
        sql = (
            f"INSERT INTO {table} ({columns}, n) VALUES {', '.join(values)} "  # noqa: S608
            f"ON CONFLICT ({columns}) DO UPDATE SET n = {table}.n + excluded.n"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def issues_recount(issue_ids) -> None:
    """Bring the summary rows of these issues up to date: take back the keys each was
    counted under (its SummaryMark) and add its keys now. Runs in the caller's transaction
    (the workflow holds each issue's row lock, so one issue is never recounted twice at once)."""
    ids = sorted(set(issue_ids))
    if not ids:
        return
    rolled_to = _rolled_to(share=True)
    now = {pk: _folded(keys, rolled_to) for pk, keys in _keys_of(ids).items()}
    # a mark's keys as the rows hold them now (the roll may have folded some since)
    marks = {
        mark.issue_id: _folded(mark.keys, rolled_to)
        for mark in SummaryMark.objects.filter(issue_id__in=ids)
    }
    deltas = Counter()
    changed, gone = [], []
    for issue_id in ids:
        before, after = marks.get(issue_id, []), now.get(issue_id, [])
        if before == after:
            continue
        for key in before:
            deltas[key] -= 1
        for key in after:
            deltas[key] += 1
        if after:
            changed.append(SummaryMark(issue_id=issue_id, keys=[list(k) for k in after]))
        elif issue_id in marks:
            gone.append(issue_id)
    _counts_add(deltas)
    if gone:
        SummaryMark.objects.filter(issue_id__in=gone).delete()
    if changed:
        SummaryMark.objects.bulk_create(
            changed, update_conflicts=True, unique_fields=["issue"], update_fields=["keys"]
        )


def on_events_written(sender, events, **kwargs):
    """Receiver of ledger.signals.issue_event_written: recount the events' issues in the
    events' transaction, and let the cached figures go once it commits."""
    issues_recount({event.issue_id for event in events})
    # now, for this process's own next read, and again once committed, for everyone's: a
    # figure cached in between (read before the commit) is under the older generation
    generation_bump()
    transaction.on_commit(generation_bump)


def _fresh(rolled_to: datetime.date, batch: int = 5000):
    """(counts, marks) computed from the issues alone: every issue that may be counted
    (not closed or withdrawn, or with an extension request pending), in batches."""
    pending_ids = ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING).values(
        "issue_id"
    )
    candidates = Issue.objects.filter(Q(status__in=NOT_FINAL_VALUES) | Q(pk__in=pending_ids))
    ids = list(candidates.order_by("pk").values_list("pk", flat=True))
    counts, marks = Counter(), {}
    for start in range(0, len(ids), batch):
        for issue_id, keys in _keys_of(ids[start : start + batch]).items():
            keys = _folded(keys, rolled_to)
            if keys:
                marks[issue_id] = keys
                counts.update(keys)
    return counts, marks


def rebuild() -> dict:
    """Recount every summary row and mark from the issues (after a bulk load, or to repair),
    set-based in SQL: the keys of every counted issue into a temporary table (what
    `issue_keys` and `_fold` compute), then the rows grouped from it and the marks
    aggregated from it. `verify` recomputes them in Python. Returns how many rows and marks
    were written."""
    with transaction.atomic():
        ops = connection.ops
        count_table, mark_table = (
            ops.quote_name(m._meta.db_table) for m in (SummaryCount, SummaryMark)
        )
        with connection.cursor() as cursor:
            # no event may move an issue between the reading and the writing
            if connection.vendor == "postgresql":
                cursor.execute(f"LOCK TABLE {count_table}, {mark_table} IN EXCLUSIVE MODE")
            # everything is counted afresh: folded up to today
            rolled_to = timezone.localdate()
            SummaryClock.objects.all().delete()
            SummaryClock.objects.create(rolled_to=rolled_to)
            cursor.execute(f"DELETE FROM {count_table}")  # noqa: S608
            cursor.execute(f"DELETE FROM {mark_table}")  # noqa: S608
            cursor.execute(f"DROP TABLE IF EXISTS {KEYS_TABLE}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {KEYS_TABLE} (issue_id bigint NOT NULL, "
                "kind varchar(10) NOT NULL, unit bigint NOT NULL, status varchar(20) NOT NULL, "
                "day date NOT NULL, pending_extension boolean NOT NULL, leader bigint NOT NULL, "
                "enterprise bigint NOT NULL)"
            )
            try:
                _keys_insert(cursor, rolled_to)
                columns = ", ".join(KEY_FIELDS)
                cursor.execute(
                    f"INSERT INTO {count_table} ({columns}, n) "  # noqa: S608
                    f"SELECT {columns}, COUNT(*) FROM {KEYS_TABLE} GROUP BY {columns}"
                )
                # each mark's keys in issue_keys' order (sorted; within one issue only kind,
                # unit, leader and enterprise differ)
                order = 'kind COLLATE "C", unit, leader, enterprise'
                if connection.vendor == "postgresql":
                    key = (
                        "jsonb_build_array(kind, unit, status, day::text, pending_extension, "
                        "leader, enterprise)"
                    )
                    source = KEYS_TABLE
                    keys = f"jsonb_agg({key} ORDER BY {order})"
                else:
                    # SQLite before 3.44 has no ORDER BY inside an aggregate: it adds up the
                    # rows in the order of the sorted subquery
                    flag = "CASE WHEN pending_extension THEN json('true') ELSE json('false') END"
                    key = f"json_array(kind, unit, status, day, {flag}, leader, enterprise)"
                    keys = f"json_group_array(json({key}))"
                    order = order.replace(' COLLATE "C"', "")
                    source = f"(SELECT * FROM {KEYS_TABLE} ORDER BY issue_id, {order}) k"  # noqa: S608
                cursor.execute(
                    f"INSERT INTO {mark_table} (issue_id, keys) "  # noqa: S608
                    f"SELECT issue_id, {keys} FROM {source} GROUP BY issue_id"
                )
            finally:
                cursor.execute(f"DROP TABLE IF EXISTS {KEYS_TABLE}")
        generation_bump()
        transaction.on_commit(generation_bump)
    if connection.vendor == "postgresql":
        # the planner's estimates of the new rows (a bitmap over thousands, not "1 row")
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {count_table}")
            cursor.execute(f"ANALYZE {mark_table}")
    return {"rows": SummaryCount.objects.count(), "marks": SummaryMark.objects.count()}


# the keys of every counted issue while `rebuild` runs (a temporary table)
KEYS_TABLE = "summary_rebuild_keys"


def _keys_insert(cursor, rolled_to: datetime.date) -> None:
    """INSERT … SELECT the keys `issue_keys` gives each counted issue, folded at `rolled_to`
    (`_fold`), into KEYS_TABLE: one SELECT per kind of set over the counted issues."""
    tz = timezone.get_default_timezone()
    pending = ExtensionRequest.objects.filter(
        issue_id=OuterRef("pk"), state=ExtensionRequest.State.PENDING
    )
    running = Q(status__in=RUNNING)
    raised = Q(status=Status.RAISED)
    day = Case(
        When(running & Q(deadline__isnull=True), then=Value(NO_DAY)),
        When(running & Q(deadline__gt=NO_DAY, deadline__lt=rolled_to), then=Value(PAST_DAY)),
        When(running, then=F("deadline")),
        When(
            raised & Q(raised_on__lt=rolled_to - datetime.timedelta(days=SETTLED_AGE)),
            then=Value(PAST_DAY),
        ),
        When(raised, then=F("raised_on")),
        default=Value(NO_DAY),
        output_field=DateField(),
    )
    counted = (
        Issue.objects.order_by()
        .annotate(raised_on=TruncDate("raised_at", tzinfo=tz), pending=Exists(pending))
        .filter(Q(status__in=NOT_FINAL_VALUES) | Q(pending=True))
        .values(
            k_id=F("pk"),
            k_status=F("status"),
            k_day=day,
            k_pending=F("pending"),
            k_leader=Coalesce("leader_id", 0),
            k_enterprise=Coalesce("enterprise_id", 0),
            k_lead=F("lead_department_id"),
            k_raising=F("raising_department_id"),
            k_project=F("project_id"),
        )
    )
    base, params = counted.query.sql_with_params()
    co = ops_name(Issue.co_departments.through._meta.db_table)

    def select(kind, unit, leader="0", enterprise="0", source="b", where="TRUE") -> str:
        # the kinds are SummaryCount.Kind's values and the rest this function's own SQL
        columns = f"b.k_id, b.k_status, b.k_day, b.k_pending, '{kind.value}', {unit}, {leader}"
        return f"SELECT {columns}, {enterprise} FROM {source} WHERE {where}"  # noqa: S608

    co_pairs = f"(SELECT DISTINCT issue_id, department_id FROM {co}) c"  # noqa: S608
    # {raising, lead, *co} without None, each once (UNION)
    pairs = f"SELECT issue_id, department_id FROM {co}"  # noqa: S608
    involved = f"(SELECT k_id AS unit_of, k_raising AS unit FROM b UNION SELECT k_id, k_lead FROM b UNION {pairs}) d"  # noqa: E501, S608
    branches = {
        K.ALL: select(K.ALL, "0"),
        K.LEADER: select(K.LEADER, "b.k_leader", where="b.k_leader <> 0"),
        K.LEAD: select(K.LEAD, "b.k_lead", where="b.k_lead IS NOT NULL"),
        K.CO: select(K.CO, "c.department_id", source=f"b JOIN {co_pairs} ON c.issue_id = b.k_id"),
        K.RAISED: select(K.RAISED, "b.k_raising"),
        K.INVOLVED: select(
            K.INVOLVED,
            "d.unit",
            source=f"b JOIN {involved} ON d.unit_of = b.k_id",
            where="d.unit IS NOT NULL",
        ),
        K.ENTERPRISE: select(
            K.ENTERPRISE, "b.k_enterprise", "b.k_leader", where="b.k_enterprise <> 0"
        ),
        K.PROJECT: select(
            K.PROJECT,
            "b.k_project",
            "b.k_leader",
            "b.k_enterprise",
            where="b.k_project IS NOT NULL",
        ),
    }
    assert set(branches) == set(K), set(K) - set(branches)
    cursor.execute(
        f"WITH b AS ({base}) INSERT INTO {KEYS_TABLE} (issue_id, status, day, "  # noqa: S608
        f"pending_extension, kind, unit, leader, enterprise) "
        f"{' UNION ALL '.join(branches.values())}",
        params,
    )


def ops_name(table: str) -> str:
    return connection.ops.quote_name(table)


def verify() -> list[str]:
    """How the stored rows and marks differ from a fresh count (empty: they agree)."""
    rolled_to = _rolled_to()
    counts, marks = _fresh(rolled_to)
    stored = Counter()
    for row in SummaryCount.objects.exclude(n=0).values_list(*KEY_FIELDS, "n"):
        *key, n = row
        key[3] = key[3].isoformat()
        stored[tuple(key)] += n
    problems = []
    for key in sorted(set(stored) | set(counts)):
        if stored[key] != counts[key]:
            problems.append(f"count {key}: stored {stored[key]}, counted {counts[key]}")
    stored_marks = {
        mark.issue_id: _folded(mark.keys, rolled_to) for mark in SummaryMark.objects.all()
    }
    for issue_id in sorted(set(stored_marks) | set(marks)):
        if stored_marks.get(issue_id, []) != marks.get(issue_id, []):
            problems.append(f"mark of issue {issue_id} differs from its state")
    return problems


def day_roll(today: datetime.date | None = None) -> int:
    """The reminder run's daily call. Health is read from each row's day, so no figure needs
    it; it keeps the rows few: the days no figure tells apart any more (deadlines passed,
    raises older than SETTLED_AGE days) are folded into PAST_DAY, and rows fallen to zero
    are dropped. Idempotent; a missed day is caught up by the next. Returns the rows gone."""
    today = today or timezone.localdate()
    with transaction.atomic():
        clock = SummaryClock.objects.select_for_update().order_by("pk").first()
        if clock is None:
            clock = SummaryClock.objects.create(rolled_to=NO_DAY)
        before = SummaryCount.objects.count()
        if today > clock.rolled_to:
            _fold_rows(today)
            clock.rolled_to = today
            clock.save(update_fields=["rolled_to"])
        SummaryCount.objects.filter(n=0).delete()
        gone = before - SummaryCount.objects.count()
        generation_bump()
        transaction.on_commit(generation_bump)
    return gone


def _fold_rows(rolled_to: datetime.date) -> None:
    """Add the rows of the days folded at `rolled_to` (see _fold) into their PAST_DAY rows,
    then delete them, in one statement each (SQLite and PostgreSQL)."""
    ops = connection.ops
    table = ops.quote_name(SummaryCount._meta.db_table)
    rest = "kind, unit, status, pending_extension, leader, enterprise"
    folded = (
        "((status IN (%s, %s) AND day > %s AND day < %s AND day <> %s)"
        " OR (status = %s AND day < %s AND day <> %s))"
    )
    past = ops.adapt_datefield_value(PAST_DAY)
    params = [
        *RUNNING,
        ops.adapt_datefield_value(NO_DAY),
        ops.adapt_datefield_value(rolled_to),
        past,
        Status.RAISED.value,
        ops.adapt_datefield_value(rolled_to - datetime.timedelta(days=SETTLED_AGE)),
        past,
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (kind, unit, status, day, pending_extension, leader, "  # noqa: S608
            f"enterprise, n) SELECT kind, unit, status, %s, pending_extension, leader, "
            f"enterprise, SUM(n) FROM {table} WHERE {folded} GROUP BY {rest} "
            f"ON CONFLICT (kind, unit, status, day, pending_extension, leader, enterprise) "
            f"DO UPDATE SET n = {table}.n + excluded.n",
            [past, *params],
        )
        cursor.execute(f"DELETE FROM {table} WHERE {folded}", params)  # noqa: S608


# -- reading -------------------------------------------------------------------------------


def health_rows(healths, today: datetime.date) -> Q:
    """The summary rows whose issues have one of `healths` on `today`: models.issues.health_q
    branch by branch, on the stored day."""
    yellow_until = today + datetime.timedelta(days=settings.LEDGER["YELLOW_DAYS"])
    # raised_flag_cutoff() is the local midnight after the last late raise day
    late_until = timezone.localtime(
        raised_flag_cutoff(today), timezone.get_default_timezone()
    ).date() - datetime.timedelta(days=1)
    conditions = {
        "red": Q(status__in=RUNNING, day__gt=NO_DAY, day__lt=today),
        "yellow": Q(status__in=RUNNING, day__gte=today, day__lte=yellow_until),
        "green": Q(status__in=RUNNING) & (Q(day__gt=yellow_until) | Q(day=NO_DAY)),
        "unassigned_late": Q(status=Status.RAISED, day__lte=late_until),
        "pending": Q(status=Status.RAISED, day__gt=late_until),
        "none": ~Q(status__in=[*RUNNING, Status.RAISED.value]),
    }
    found = Q(pk__in=[])
    for health in dict.fromkeys(str(h) for h in healths):
        found |= conditions[health]
    return found


def day_bounds(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """(the last day a running issue is yellow, the last raise day that is late) on `today`."""
    yellow_until = today + datetime.timedelta(days=settings.LEDGER["YELLOW_DAYS"])
    # raised_flag_cutoff() is the local midnight after the last late raise day
    late_until = timezone.localtime(
        raised_flag_cutoff(today), timezone.get_default_timezone()
    ).date() - datetime.timedelta(days=1)
    return yellow_until, late_until


def row_health(status: str, day: datetime.date, today: datetime.date, bounds) -> str:
    """The health of the issues of a row (grouped()) on `today`: health_rows() in Python,
    for the few rows of one reader's sets (no per-card SQL to compile)."""
    yellow_until, late_until = bounds
    if status in RUNNING:
        if day == NO_DAY or day > yellow_until:
            return "green"
        return "red" if day < today else "yellow"
    if status == Status.RAISED:
        return "unassigned_late" if day <= late_until else "pending"
    return "none"


def grouped(rows: Q) -> list[tuple]:
    """(kind, status, day, pending_extension, n) of the rows matching `rows`, added up per
    those keys: a few hundred tuples for one reader's sets, in one simple query."""
    return list(
        SummaryCount.objects.filter(rows)
        .values("kind", "status", "day", "pending_extension")
        .annotate(total=Sum("n"))
        .filter(total__gt=0)
        .order_by()
        .values_list("kind", "status", "day", "pending_extension", "total")
    )


def subjects_rows(leader_id: int) -> Q:
    """The rows of a leader's 分包 set (visible_to a leader): the issues they are responsible
    for, those of the enterprises they 分包 (not already counted as theirs) and those of the
    projects they 分包 (in neither): a union added up without counting an issue twice, from
    whichever subjects are theirs now."""
    enterprises = Enterprise.objects.filter(leader_id=leader_id).order_by().values("pk")
    projects = KeyProject.objects.filter(leader_id=leader_id).order_by().values("pk")
    return (
        Q(kind=K.LEADER, unit=leader_id)
        | (Q(kind=K.ENTERPRISE, unit__in=enterprises) & ~Q(leader=leader_id))
        | (
            Q(kind=K.PROJECT, unit__in=projects)
            & ~Q(leader=leader_id)
            & ~Q(enterprise__in=enterprises)
        )
    )


def subject_counts(kind: str, units, today: datetime.date):
    """Rows (unit, open: open issues, overdue: red ones) of the enterprises or projects `units`
    with at least one open issue, as a queryset to order and cut."""
    return (
        SummaryCount.objects.filter(
            kind=kind, unit__in=units, status__in=[Status.RAISED.value, *RUNNING]
        )
        .values("unit")
        .annotate(open=Sum("n"), overdue=Coalesce(Sum("n", filter=health_rows(["red"], today)), 0))
        .filter(open__gt=0)
        .order_by()
    )


# -- the shared cache of per-user figures --------------------------------------------------

GENERATION_KEY = "summaries:generation"


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        # a fresh cache: any number not used before in it will do
        cache.add(GENERATION_KEY, int(timezone.now().timestamp() * 1000))
        value = cache.get(GENERATION_KEY, 0)
    return value


def generation_bump(**kwargs) -> None:
    """Every cached figure goes (an event committed, the rows were rebuilt, a subject or the
    calendar changed). Also a receiver of post_save/post_delete."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not in the cache (evicted, or never read): the next read starts anew
        cache.add(GENERATION_KEY, int(timezone.now().timestamp() * 1000))


def cached(name: str, compute, *, timeout: int = 300):
    """compute() under `name` for the current generation (the database is the truth: the
    cache only saves recounting between two events). Only with a cache every process shares
    (SUMMARIES_CACHE): a process's own memory would keep serving a figure another process's
    event has changed. Nor a figure read from the read replica: a replica a moment behind
    would leave its older count under the newer generation until the next event."""
    if not settings.SUMMARIES_CACHE or is_reading_replica():
        return compute()
    key = f"summaries:{generation()}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value
