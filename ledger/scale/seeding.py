"""seed_bench's database side: the directory (ORM), then COPY of the generated rows.

Run on PostgreSQL after `migrate`, into a ledger without issues. The big tables' secondary
indexes (anything that is not a primary key or constraint) are dropped for the load and
rebuilt after it, which is several times faster than maintaining them row by row. Foreign-key
checks are skipped for the COPY (session_replication_role = replica) unless ledger_issue has
triggers of its own (a search column kept by a trigger, say): then that table is loaded with
triggers on. After the load, DERIVED_HOOKS run (management commands that recompute derived
columns, if the project has them), the chain heads are written if their state covers columns
the generator does not write, and ANALYZE runs.
"""

import datetime
import io
import multiprocessing
import random
import threading
import time
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command, get_commands
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from ledger.models import (
    Category,
    Department,
    Enterprise,
    Issue,
    KeyProject,
    Leader,
    LedgerCounter,
    Source,
    User,
)
from ledger.models.issues import STATE_FIELDS, issue_state
from ledger.validators import credit_code_check_char

from . import generator, words
from .generator import World

PASSWORD = "bench-pass-2026"  # every bench_* account; a benchmark database only
SUPERVISOR = "bench_supervisor"
ADMIN = "bench_admin"
LEADER = "bench_leader_01"  # the leader with the most enterprises
STAFF = "bench_staff_01"  # staff of the busiest department

# commands that (re)compute derived columns of ledger_issue after a bulk load, run in this
# order when the project has them (a page helper's search column, a stored health bucket …)
DERIVED_HOOKS = ("issues_reindex", "search_reindex", "issues_derive", "health_refresh")
# hooks whose columns the generator writes itself (generator.DERIVED_COLUMNS): skipped, as
# issues_reindex would rewrite every row of ledger_issue a second time (half the load at 1M)
HOOKS_DONE_BY_GENERATOR = frozenset({"issues_reindex"})

BIG_TABLES = (
    "ledger_issue",
    "ledger_issueevent",
    "ledger_issuedeadline",
    "ledger_extensionrequest",
    "ledger_attachment",
    "ledger_issue_co_departments",
    "integrity_issuehead",
)


class SeedRefused(Exception):
    pass


def log(stdout, text):
    if stdout is not None:
        stdout.write(text)
        stdout.flush()


# -- the directory ----------------------------------------------------------------------


def _credit_code(rng) -> str:
    digits = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    first = "91" + "410700" + "".join(rng.choice(digits) for _ in range(9))
    return first + credit_code_check_char(first)


def directory(n: int, rng: random.Random, stdout=None) -> dict:
    """Departments, users, leaders, enterprises and projects for N issues (idempotent for the
    fixed rows; enterprises and projects are added only up to the wanted number)."""
    password = make_password(PASSWORD)
    oversight, _ = Department.objects.get_or_create(
        name="区委区政府督查室（基准）",
        defaults={"short_name": "督查室", "kind": Department.Kind.OVERSIGHT, "order": 1},
    )
    departments = []
    names = [(f"区{name}", "bureau") for name in words.DEPARTMENT_BUREAUS]
    names += [(f"{x}城街道办事处", "subdistrict") for x in words.DEPARTMENT_SUBDISTRICTS]
    names += [("高新技术产业开发区管委会", "committee"), ("经济技术开发区管委会", "committee")]
    # the busiest units first: Zipf rank = position (a bureau, a sub-district, a bureau …)
    bureaus = [x for x in names if x[1] != "subdistrict"]
    subs = [x for x in names if x[1] == "subdistrict"]
    ordered = []
    while bureaus or subs:
        for pool in (bureaus, bureaus, subs):
            if pool:
                ordered.append(pool.pop(0))
    for order, (name, kind) in enumerate(ordered, start=10):
        dept, _ = Department.objects.get_or_create(
            name=name, defaults={"kind": kind, "order": order, "short_name": name[:30]}
        )
        departments.append(dept)

    def user(username, name, role, department=None, **extra):
        account, created = User.objects.get_or_create(
            username=username,
            defaults={
                "name": name,
                "role": role,
                "department": department,
                "password": password,
                "email": f"{username}@bench.invalid",
                **extra,
            },
        )
        return account

    supervisor = user(SUPERVISOR, "督查员（基准）", "supervisor", oversight)
    user(ADMIN, "管理员（基准）", "admin", None, is_staff=True, is_superuser=True)
    staff = {}
    for i, dept in enumerate(departments, start=1):
        staff[dept.pk] = user(f"bench_staff_{i:02d}", _person(rng), "staff", dept).pk
    n_leaders = max(6, min(40, n // 25_000))
    leaders = []
    for i in range(1, n_leaders + 1):
        account = user(f"bench_leader_{i:02d}", _person(rng), "leader")
        leader, _ = Leader.objects.get_or_create(
            user=account,
            defaults={"title": words.LEADER_TITLES[min(i - 1, 2) if i < 3 else 2], "order": i},
        )
        leaders.append(leader)
    subdistricts = [d for d in departments if d.kind == "subdistrict"]
    n_enterprises = max(30, n // 50)
    have = Enterprise.objects.count()
    batch = []
    used = set(Enterprise.objects.values_list("name", flat=True))
    while have + len(batch) < n_enterprises:
        name = (
            "".join(rng.choices(words.ENTERPRISE_PLACES, k=2))
            + rng.choice(words.ENTERPRISE_WORDS)
            + rng.choice(words.ENTERPRISE_KINDS)
        )
        if name in used:
            name = name.replace("有限", f"第{len(batch) % 97 + 1}分公司有限", 1)
            if name in used:
                name = f"{name[:-4]}{have + len(batch)}有限公司"
        used.add(name)
        k = len(batch)
        batch.append(
            Enterprise(
                name=name,
                credit_code=_credit_code(rng),
                industry=rng.choice(words.INDUSTRIES),
                scale=rng.choice(["above", "below", "below", "micro"]),
                address=f"{rng.choice(subdistricts).name}{rng.randint(1, 300)}号",
                subdistrict=rng.choice(subdistricts),
                # leader 1 分包 the most enterprises; a fifth have no leader
                leader=None
                if k % 5 == 4
                else leaders[min(int(rng.paretovariate(1.2)) - 1, 39) % len(leaders)],
            )
        )
    Enterprise.objects.bulk_create(batch, batch_size=2000)
    n_projects = max(10, n // 500)
    have = KeyProject.objects.count()
    enterprises = list(Enterprise.objects.values_list("pk", flat=True)[:2000])
    projects = []
    for k in range(have, n_projects):
        year = timezone.localdate().year - rng.randint(0, 3)
        plan = Decimal(rng.randint(500, 200_000))
        projects.append(
            KeyProject(
                name=(
                    f"{rng.choice(words.ENTERPRISE_PLACES)}"
                    f"{rng.choice(words.PROJECT_WORDS)}（{k + 1}期）"
                ),
                level=rng.choice(["province", "city", "district", "district"]),
                sector=rng.choice(["industry", "services", "infrastructure", "livelihood"]),
                year=year,
                total_investment=plan * rng.randint(2, 6),
                annual_plan=plan,
                completed_this_year=(plan * Decimal(rng.randint(0, 100)) / 100).quantize(
                    Decimal("0.01")
                ),
                stage=rng.choice(["preparation", "construction", "construction", "completed"]),
                leader=leaders[k % len(leaders)],
                lead_department=departments[k % len(departments)],
                owner_id=rng.choice(enterprises) if enterprises else None,
                start_date=datetime.date(year, rng.randint(1, 12), 1),
            )
        )
    KeyProject.objects.bulk_create(projects, batch_size=2000)
    return {
        "oversight": oversight,
        "departments": departments,
        "supervisor": supervisor,
        "staff": staff,
        "leaders": leaders,
    }


def _person(rng) -> str:
    return rng.choice(words.SURNAMES) + "".join(rng.choices(words.GIVEN, k=rng.randint(1, 2)))


# -- the plan -----------------------------------------------------------------------------


def plan_years(n: int, years: int, now: datetime.datetime) -> list:
    """N issues over `years` calendar years ending now, growing ~15 % a year."""
    first = now.year - years + 1
    spans = []
    for year in range(first, now.year + 1):
        start = datetime.datetime(year, 1, 1)
        end = min(datetime.datetime(year + 1, 1, 1), now - datetime.timedelta(minutes=30))
        share = (end - start).total_seconds() / (366 * 86400) * 1.15 ** (year - first)
        spans.append((year, share, start, end))
    total = sum(share for _y, share, _s, _e in spans)
    plan, given = [], 0
    for i, (year, share, start, end) in enumerate(spans):
        count = n - given if i == len(spans) - 1 else round(n * share / total)
        given += count
        plan.append((year, count, start, end))
    return [p for p in plan if p[1] > 0]


def build_world(n: int, seed: int, years: int, people: dict, first_id: int) -> World:
    now = timezone.localtime().replace(tzinfo=None)
    sup = people["supervisor"]
    # long issues: a handful with 30 events, spread over the recent year
    long_count = 5 if n >= 500 else 1
    long_issues = frozenset(
        max(0, n - 1 - (k * 97 + 13) % max(1, min(n, 5000))) for k in range(long_count)
    )
    state_fields = (
        tuple(STATE_FIELDS) if set(STATE_FIELDS) <= set(generator.ISSUE_COLUMNS) else None
    )
    return World(
        seed=seed,
        first_id=first_id,
        now=now,
        prefix=settings.LEDGER["NUMBER_PREFIX"],
        key_id=settings.EVENTS_KEY_ID,
        key=settings.EVENTS_KEY,
        years=plan_years(n, years, now),
        departments=[(d.pk, str(d)) for d in people["departments"]],
        staff=people["staff"],
        supervisor=(sup.pk, sup.department_id),
        leaders=[(leader.pk, leader.user_id, str(leader)) for leader in people["leaders"]],
        enterprises=list(Enterprise.objects.order_by("pk").values_list("pk", "leader_id")),
        projects=list(KeyProject.objects.order_by("pk").values_list("pk", "leader_id")),
        categories=list(Category.objects.filter(is_active=True).values_list("pk", flat=True)),
        sources=list(Source.objects.filter(is_active=True).values_list("pk", flat=True)),
        long_issues=long_issues,
        state_fields=state_fields,
    )


# -- the load --------------------------------------------------------------------------------


def _secondary_indexes(cursor, tables) -> list[tuple[str, str]]:
    """(name, CREATE INDEX …) of the indexes that back no constraint."""
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(x.indexrelid)
          FROM pg_index x
          JOIN pg_class i ON i.oid = x.indexrelid
          JOIN pg_class t ON t.oid = x.indrelid
         WHERE t.relname = ANY(%s)
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        """,
        [list(tables)],
    )
    return cursor.fetchall()


def _insert_triggers(cursor, tables) -> dict[str, list[str]]:
    """The project's own triggers that fire on INSERT, per table (tgtype bit 2 = INSERT)."""
    cursor.execute(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relname = ANY(%s) AND NOT t.tgisinternal AND (t.tgtype & 4) <> 0",
        [list(tables)],
    )
    found = {}
    for table, name in cursor.fetchall():
        found.setdefault(table, []).append(name)
    return found


def _missing_columns(cursor) -> list[str]:
    """NOT NULL columns of ledger_issue without a default that the generator does not write."""
    cursor.execute(
        """
        SELECT column_name FROM information_schema.columns
         WHERE table_name = 'ledger_issue' AND is_nullable = 'NO' AND column_default IS NULL
           AND is_generated = 'NEVER'
        """
    )
    return [c for (c,) in cursor.fetchall() if c not in generator.ISSUE_COLUMNS]


def _copy(cursor, table, columns, text: str) -> None:
    if not text:
        return
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with cursor.copy(sql) as copy:
        data = text.encode()
        for start in range(0, len(data), 1 << 20):
            copy.write(data[start : start + (1 << 20)])


def seed(
    n: int,
    *,
    seed: int = 1,
    years: int = 5,
    chunk: int = 10_000,
    processes: int = 2,
    keep_indexes: bool = False,
    stdout=None,
) -> dict:
    """Fill the (empty) ledger with N issues; returns timings and counts."""
    if connection.vendor != "postgresql":
        raise SeedRefused(
            "seed_bench 只支持 PostgreSQL（使用 COPY）。请设置 DATABASE_URL=postgres://… "
            "/ seed_bench needs PostgreSQL (it loads with COPY)."
        )
    if n < 1:
        raise SeedRefused("--issues 须为正整数 / --issues must be at least 1.")
    if years < 1 or years > 30:
        raise SeedRefused("--years 须在 1 到 30 之间 / --years must be 1 to 30.")
    if Issue.objects.exists():
        raise SeedRefused(
            "台账中已有问题：seed_bench 只向空台账（migrate 之后）写入。"
            " / The ledger already holds issues: seed_bench fills an empty one (after migrate)."
        )
    if not settings.EVENTS_KEY:
        raise SeedRefused("EVENTS_KEY 未设置，无法签名办理记录 / EVENTS_KEY is not set.")
    timings = {}
    t0 = time.monotonic()
    rng = random.Random(seed)
    with transaction.atomic():
        people = directory(n, rng, stdout)
    with connection.cursor() as cursor:
        missing = _missing_columns(cursor)
        if missing:
            raise SeedRefused(
                "ledger_issue 有生成器不认识、且没有默认值的必填列："
                + ", ".join(missing)
                + "。请为其设置 db_default，或在 ledger/scale/generator.py 中补上。"
            )
        cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM ledger_issue")
        first_id = cursor.fetchone()[0]
        triggers = _insert_triggers(cursor, BIG_TABLES)
        if any(name in get_commands() for name in DERIVED_HOOKS):
            # a hook recomputes the derived columns in bulk afterwards: the row-by-row
            # triggers can stay off during the COPY
            triggers = {}
    world = build_world(n, seed, years, people, first_id)
    timings["directory"] = time.monotonic() - t0
    log(stdout, f"directory: {timings['directory']:.1f} s; insert triggers: {triggers or '—'}")

    t1 = time.monotonic()
    dropped = []
    counts = {"issues": 0, "events": 0}
    with connection.cursor() as cursor:
        if not keep_indexes:
            dropped = _secondary_indexes(cursor, BIG_TABLES)
            for name, _sql in dropped:
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        hooks = []
        try:
            counts = _load(cursor, world, n, chunk, processes, triggers, stdout)
            timings["copy"] = time.monotonic() - t1
            log(stdout, f"copy: {timings['copy']:.1f} s")
            # the derived columns before the secondary indexes come back: the bulk UPDATE
            # then maintains only the primary key, not twenty indexes. It writes derived
            # columns only, so no trigger (foreign keys, the row trigger) need fire for it
            cursor.execute("SET session_replication_role = replica")
            t4 = time.monotonic()
            hooks = derived_hooks(stdout)
            timings["hooks"] = time.monotonic() - t4
        finally:
            t2 = time.monotonic()
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("SET maintenance_work_mem = '512MB'")
            indexes_create(cursor, [sql for _name, sql in dropped])
            timings["indexes"] = time.monotonic() - t2
            log(stdout, f"indexes rebuilt ({len(dropped)}): {timings['indexes']:.1f} s")
        t3 = time.monotonic()
        _finish_rows(cursor, world)
        timings["attachments_counters"] = time.monotonic() - t3
    if world.state_fields is None:
        t5 = time.monotonic()
        heads_from_database(world, stdout)
        timings["heads"] = time.monotonic() - t5
    t6 = time.monotonic()
    with connection.cursor() as cursor:
        # VACUUM sets the visibility map after the bulk load (index-only scans for the home
        # page's counts depend on it; autovacuum would get there, later); it cannot run in a
        # transaction, as in the tests, where ANALYZE alone has to do
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    timings["analyze"] = time.monotonic() - t6
    timings["total"] = time.monotonic() - t0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ledger_issueevent")
        counts["events"] = cursor.fetchone()[0]
    return {"timings": timings, "counts": counts, "hooks": hooks, "world": world}


INDEX_CONNECTIONS = 2


def indexes_create(cursor, statements: list[str]) -> None:
    """Run the CREATE INDEX statements: on INDEX_CONNECTIONS connections at once when the
    load is committed (a GIN build uses one core; two builds keep both busy), the slowest
    kinds (GIN) first; inside a transaction (the tests) on this one connection, since
    another connection would not see the rows."""
    if connection.in_atomic_block or len(statements) < 2:
        for sql in statements:
            cursor.execute(sql)
        return
    pending = sorted(statements, key=lambda sql: " USING gin " not in sql.lower())
    lock = threading.Lock()
    failures: list[BaseException] = []

    def build() -> None:
        try:
            with connections[DEFAULT_DB_ALIAS].cursor() as own:
                own.execute("SET maintenance_work_mem = '512MB'")
                while not failures:
                    with lock:
                        if not pending:
                            return
                        sql = pending.pop(0)
                    own.execute(sql)
        except BaseException as exc:  # reported by the caller, in its thread
            failures.append(exc)
        finally:
            connections[DEFAULT_DB_ALIAS].close()

    threads = [threading.Thread(target=build) for _ in range(INDEX_CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def _load(cursor, world, n, chunk, processes, triggers, stdout) -> dict:
    bounds = [(start, min(start + chunk, n)) for start in range(0, n, chunk)]
    counts = {"issues": 0, "events": 0}
    connection.ensure_connection()
    mode = {"current": None}

    def copy(table, columns, text):
        # COPY without foreign-key checks (the generator writes only valid ids), except
        # into a table with INSERT triggers of the project's own: those must fire
        wanted = "DEFAULT" if table in triggers else "replica"
        if mode["current"] != wanted:
            cursor.execute(f"SET session_replication_role = {wanted}")
            mode["current"] = wanted
        _copy(cursor, table, columns, text)

    def write(result):
        copy("ledger_issue", generator.ISSUE_COLUMNS, result["issues"])
        copy("ledger_issueevent", generator.EVENT_COLUMNS, result["events"])
        copy("ledger_issuedeadline", generator.DEADLINE_COLUMNS, result["deadlines"])
        copy("ledger_extensionrequest", generator.EXTENSION_COLUMNS, result["extensions"])
        copy("bench_attachment", generator.ATTACHMENT_COLUMNS, result["attachments"])
        copy(
            "ledger_issue_co_departments",
            generator.CO_DEPARTMENT_COLUMNS,
            result["co_departments"],
        )
        copy("integrity_issuehead", generator.HEAD_COLUMNS, result["heads"])
        counts["issues"] += result["counts"]["issues"]
        counts["events"] += result["counts"]["events"]

    cursor.execute(
        "CREATE TEMP TABLE bench_attachment (issue_id bigint, event_seq int, file text,"
        " original_name text, content_type text, size bigint, uploaded_by_id bigint,"
        " uploaded_at timestamptz, sha256 text)"
    )
    started = time.monotonic()
    if processes > 1 and len(bounds) > 1:
        context = multiprocessing.get_context("fork")
        with context.Pool(processes, generator.worker_init, (world,)) as pool:
            for done, result in enumerate(pool.imap(generator.worker_chunk, bounds), 1):
                write(result)
                _progress(stdout, done, len(bounds), counts, started)
    else:
        for done, (start, stop) in enumerate(bounds, 1):
            write(generator.generate_chunk(world, start, stop))
            _progress(stdout, done, len(bounds), counts, started)
    cursor.execute("SET session_replication_role = DEFAULT")
    return counts


def _progress(stdout, done, total, counts, started):
    if stdout is None or (done % 10 and done != total):
        return
    elapsed = time.monotonic() - started
    log(
        stdout,
        f"  {counts['issues']:>9,} issues, {counts['events']:>10,} events"
        f"  ({done}/{total} chunks, {elapsed:.0f} s)",
    )


def _finish_rows(cursor, world) -> None:
    """Attachments onto their events, the per-year counters, the id sequences."""
    # a few rows against millions of events: an index lookup per row, not a scan of them all
    cursor.execute("SET enable_hashjoin = off")
    cursor.execute("SET enable_mergejoin = off")
    cursor.execute(
        """
        INSERT INTO ledger_attachment
               (issue_id, event_id, file, original_name, content_type, size,
                uploaded_by_id, uploaded_at, sha256)
        SELECT a.issue_id, e.id, a.file, a.original_name, a.content_type, a.size,
               a.uploaded_by_id, a.uploaded_at, a.sha256
          FROM bench_attachment a
          JOIN ledger_issueevent e ON e.issue_id = a.issue_id AND e.seq = a.event_seq
         ORDER BY a.issue_id, a.event_seq
        """
    )
    cursor.execute("RESET enable_hashjoin")
    cursor.execute("RESET enable_mergejoin")
    cursor.execute("DROP TABLE bench_attachment")
    for year, count, _start, _end in world.years:
        LedgerCounter.objects.update_or_create(year=year, defaults={"last": count})
    for table in BIG_TABLES:  # constants, not input
        sql = (
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT COALESCE(MAX(id), 1) FROM {}))"
        )
        cursor.execute(sql.format(connection.ops.quote_name(table)), [table])


def derived_hooks(stdout=None) -> list[str]:
    """Run the project's commands that recompute derived columns after a bulk load."""
    available = get_commands()
    ran = []
    for name in DERIVED_HOOKS:
        if name in available and name not in HOOKS_DONE_BY_GENERATOR:
            t = time.monotonic()
            call_command(name, stdout=io.StringIO())
            ran.append(name)
            log(stdout, f"hook {name}: {time.monotonic() - t:.1f} s")
    return ran


def heads_from_database(world: World, stdout=None) -> None:
    """Chain heads when the head's state covers columns the generator does not write: read
    the issues back (after the hooks) and hash them with issue_state(), as every head is."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE integrity_issuehead")
        cursor.execute(
            "SELECT DISTINCT ON (issue_id) issue_id, seq, digest FROM ledger_issueevent"
            " ORDER BY issue_id, seq DESC"
        )
        last = {issue_id: (seq, digest) for issue_id, seq, digest in cursor.fetchall()}
    lines = []
    rows = Issue.objects.order_by("pk").values("pk", "number", *STATE_FIELDS)
    with connection.cursor() as cursor:
        for row in rows.iterator(chunk_size=5000):
            seq, digest = last[row["pk"]]
            state = issue_state(row)
            lines.append(generator.head_line(world, row["pk"], row["number"], seq, digest, state))
            if len(lines) >= 20_000:
                _copy(cursor, "integrity_issuehead", generator.HEAD_COLUMNS, "".join(lines))
                lines = []
        _copy(cursor, "integrity_issuehead", generator.HEAD_COLUMNS, "".join(lines))
    log(stdout, "heads recomputed from the stored issues")
