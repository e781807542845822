"""The summary rows (ledger.summaries) give exactly the figures a fresh count of the issues
gives — home cards, leader cards, dashboard tiles — on the demo data and on random workflow
histories, on any later day (health is read from the stored day, nothing rolls over); they
are checked by summaries_verify (a corrupted row is caught), rebuilt by summaries_rebuild,
kept right by imports, seed_bench and concurrent writers, and the cached figures are never
older than the last event."""

import datetime
import io
import random
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ledger import summaries, workflow
from ledger.models import Enterprise, Issue, SummaryCount, SummaryMark
from ledger.models.summaries import PAST_DAY
from ledger.oversight import facts
from ledger.oversight.models import DayFact
from ledger.oversight.selectors import dashboard as dashboard_selectors
from ledger.selectors import leader_subject_cards, visible_to
from ledger.selectors.home import (
    _home_card_definitions,
    home_card_counts,
    home_card_counts_from_issues,
)
from ledger.workflow import TransitionRefused
from tests import factories as f
from tests.profiles import examples

LATER = [0, 1, 3, 4, 8, 15, 40]  # days after today the figures are compared on


def _users(world):
    return [
        world.supervisor,
        world.admin,
        world.staff_a,
        world.staff_b,
        world.staff_c,
        world.leader.user,
        world.other_leader.user,
    ]


def assert_figures_agree(world, days=LATER, *, subjects=True, today=None):
    """Every user's home cards and dashboard tiles, from the rows and from the issues, on
    today and later days; the leaders' subject cards today."""
    today = today or timezone.localdate()
    for user in _users(world):
        user.refresh_from_db()
        definitions = _home_card_definitions(user)
        for later in days:
            day = today + datetime.timedelta(days=later)
            assert home_card_counts(user, definitions, day) == home_card_counts_from_issues(
                user, definitions, day
            ), (user, later)
            assert dashboard_selectors.tiles(user, day) == dashboard_selectors.tiles_from_issues(
                visible_to(user).order_by(), day
            ), (user, later)
    for leader in (world.leader, world.other_leader) if subjects else ():
        enterprises, projects = leader_subject_cards(leader.user, preview=0, cards=1000)
        for subjects, field in ((enterprises, "enterprise"), (projects, "project")):
            for subject in subjects:
                issues = Issue.objects.open().filter(**{field: subject})
                assert subject.open_count == issues.count(), subject
                assert subject.overdue_count == issues.overdue(today).count(), subject
    assert summaries.verify() == []


def _try(issue, action, actors, **data):
    """Perform `action` as the first of `actors` who may; a refusal by all is no error (a
    random history asks for impossible things too)."""
    for actor in actors:
        try:
            return workflow.transition(issue, actor=actor, action=action, **data)
        except TransitionRefused:
            continue
    return None


class History:
    """Random steps on a small world: every workflow action, a subject changing hands (no
    event) and a staff member moving department (no event)."""

    def __init__(self, world):
        self.w = world
        self.other_enterprise = f.EnterpriseFactory(leader=world.other_leader)
        self.shared_project = f.KeyProjectFactory(leader=world.leader)
        self.departments = [world.dept_a, world.dept_b, world.dept_c]
        self.issues = []

    def _issue(self, p):
        return Issue.objects.get(pk=self.issues[p % len(self.issues)].pk) if self.issues else None

    def _actors(self, issue):
        w = self.w
        lead = [
            u for u in (w.staff_a, w.staff_b, w.staff_c) if u.department == issue.lead_department
        ]
        return [*lead, w.supervisor, w.leader.user, w.other_leader.user, w.admin]

    def step(self, choice, p):
        w, today = self.w, timezone.localdate()
        if choice == 0 or not self.issues:
            actor = [w.staff_a, w.staff_b, w.staff_c, w.supervisor][p % 4]
            subject = [
                {},
                {"enterprise": w.enterprise},
                {"enterprise": self.other_enterprise},
                {"project": w.project},
                {"project": self.shared_project, "enterprise": self.other_enterprise},
            ][p % 5]
            at = timezone.now() - datetime.timedelta(days=p % 6)
            self.issues.append(w.raise_issue(actor=actor, at=at, **subject))
            return
        issue = self._issue(p)
        actors = self._actors(issue)
        deadline = today + datetime.timedelta(days=p % 12)
        if choice in (1, 4):
            co = [d for i, d in enumerate(self.departments) if (p >> i) & 1]
            _try(
                issue,
                "assign" if choice == 1 else "reassign",
                actors,
                leader=[w.leader, w.other_leader][p % 2],
                lead_department=self.departments[p % 3],
                co_departments=co,
                deadline=None if p % 7 == 0 else deadline,
                is_long_term=p % 7 == 0,
                note="改派原因" if choice == 4 else "",
            )
        elif choice == 2:
            _try(issue, "accept", actors)
        elif choice == 3:
            _try(issue, "return", actors, note="不属于本单位职责")
        elif choice == 5 and issue.deadline:
            _try(
                issue,
                "extension_request",
                actors,
                new_deadline=issue.deadline + datetime.timedelta(days=1 + p % 9),
                note="需要协调",
            )
        elif choice == 6:
            _try(issue, "extension_approve", actors)
        elif choice == 7:
            _try(issue, "extension_reject", actors, note="理由不充分")
        elif choice == 8:
            _try(issue, "resolve", actors, resolution="已办结")
        elif choice == 9:
            _try(issue, "close", actors, satisfaction=Issue.Satisfaction.SATISFIED)
        elif choice == 10:
            _try(issue, "reopen", actors, deadline=deadline, note="企业反映仍未解决")
        elif choice == 11:
            _try(issue, "withdraw", actors, note="重复登记")
        elif choice == 12:
            # a subject changes hands: no event, no row moves (read-time union)
            enterprise = [w.enterprise, self.other_enterprise][p % 2]
            Enterprise.objects.filter(pk=enterprise.pk).update(
                leader=[w.leader, w.other_leader][(p >> 1) % 2]
            )
            summaries.generation_bump()  # what post_save does for a form's save
        elif choice == 13:
            w.staff_c.department = [w.dept_c, w.dept_a][p % 2]
            w.staff_c.save(update_fields=["department"])


STEPS = st.lists(st.tuples(st.integers(0, 13), st.integers(0, 200)), min_size=5, max_size=30)


@hsettings(
    max_examples=examples(6),  # fewer under CI (tests/profiles.py)
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS)
def test_random_histories_give_the_same_figures_from_the_rows_as_from_the_issues(world, steps):
    history = History(world)
    for choice, p in steps:
        history.step(choice, p)
    assert_figures_agree(world)
    # the set-based SQL rebuild counts what the Python definition (verify) counts
    summaries.rebuild()
    assert summaries.verify() == []
    assert_figures_agree(world, days=[0])


def test_a_longer_random_history_agrees_on_every_day(world):
    rng = random.Random(19)
    history = History(world)
    for _n in range(120):
        history.step(rng.randrange(14), rng.randrange(500))
    assert Issue.objects.count() >= 5
    # the history went somewhere: issues in several statuses
    assert len(set(Issue.objects.values_list("status", flat=True))) >= 3
    assert SummaryCount.objects.filter(n__gt=0).exists()
    assert_figures_agree(world, days=range(0, 20))
    summaries.rebuild()
    assert summaries.verify() == []
    assert_figures_agree(world, days=range(0, 20, 3))


def test_the_daily_roll_folds_the_settled_days_and_every_figure_stays(world):
    rng = random.Random(7)
    history = History(world)
    for _n in range(60):
        history.step(rng.randrange(14), rng.randrange(500))
    today = timezone.localdate()
    for later in (1, 4, 12, 45):
        day = today + datetime.timedelta(days=later)
        rows = SummaryCount.objects.count()
        summaries.day_roll(day)
        assert SummaryCount.objects.count() <= rows
        assert summaries.verify() == []
        # as of that day and after (the rows folded up to it)
        assert_figures_agree(world, days=[0, 2, 9], subjects=False, today=day)
        for _n in range(8):  # events after the roll take back folded keys
            history.step(rng.randrange(1, 14), rng.randrange(500))
        assert summaries.verify() == []
    assert SummaryCount.objects.filter(day=PAST_DAY).exists()


def test_health_moves_with_the_calendar_without_any_write(world):
    issue = world.in_progress_issue(deadline_days=5)
    user = world.staff_b
    definitions = _home_card_definitions(user)
    rows_before = list(SummaryCount.objects.values_list("pk", "n"))
    today = timezone.localdate()
    seen = {}
    for later in (0, 2, 5, 6):
        counts = home_card_counts(user, definitions, today + datetime.timedelta(days=later))
        seen[later] = (counts["due_soon"], counts["overdue"])
    assert seen == {0: (0, 0), 2: (1, 0), 5: (1, 0), 6: (0, 1)}
    assert list(SummaryCount.objects.values_list("pk", "n")) == rows_before
    assert issue.pk in set(SummaryMark.objects.values_list("issue_id", flat=True))


# -- verify, rebuild, corruption -------------------------------------------------------


def test_a_corrupted_count_is_caught_by_summaries_verify_and_mended_by_rebuild(world):
    world.assigned_issue()
    world.raise_issue()
    call_command("summaries_verify", stdout=io.StringIO())  # agrees: no error
    row = SummaryCount.objects.filter(kind=SummaryCount.Kind.ALL, n__gt=0).first()
    SummaryCount.objects.filter(pk=row.pk).update(n=row.n + 1)
    err = io.StringIO()
    with pytest.raises(CommandError, match="differ"):
        call_command("summaries_verify", stdout=io.StringIO(), stderr=err)
    assert "stored" in err.getvalue()
    out = io.StringIO()
    call_command("summaries_rebuild", stdout=out)
    assert "rebuilt" in out.getvalue()
    assert summaries.verify() == []


def test_a_lost_mark_or_a_missing_row_is_caught(world):
    issue = world.in_progress_issue()
    SummaryMark.objects.filter(issue_id=issue.pk).delete()
    assert any("mark" in p for p in summaries.verify())
    summaries.rebuild()
    SummaryCount.objects.filter(kind=SummaryCount.Kind.LEAD).delete()
    assert any("count" in p for p in summaries.verify())
    summaries.rebuild()
    assert summaries.verify() == []


def test_rebuild_writes_what_the_events_wrote(world):
    world.resolved_issue()
    world.in_progress_issue(deadline_days=1)
    world.raise_issue(actor=world.staff_c)
    kept = sorted(SummaryCount.objects.exclude(n=0).values_list(*summaries.KEY_FIELDS, "n"))
    marks = sorted(SummaryMark.objects.values_list("issue_id", "keys"))
    written = summaries.rebuild()
    assert written["marks"] == 3
    assert sorted(SummaryCount.objects.values_list(*summaries.KEY_FIELDS, "n")) == kept
    assert sorted(SummaryMark.objects.values_list("issue_id", "keys")) == marks


def test_a_closed_issue_is_counted_nowhere_and_comes_back_when_reopened(world):
    issue = world.resolved_issue()
    workflow.transition(
        issue, actor=world.supervisor, action="close", satisfaction=Issue.Satisfaction.SATISFIED
    )
    assert not SummaryMark.objects.filter(issue_id=issue.pk).exists()
    assert set(SummaryCount.objects.values_list("n", flat=True)) <= {0}
    workflow.transition(
        issue,
        actor=world.supervisor,
        action="reopen",
        deadline=timezone.localdate() + datetime.timedelta(days=3),
        note="仍未解决",
    )
    assert SummaryMark.objects.filter(issue_id=issue.pk).exists()
    assert_figures_agree(world, days=[0])


def test_the_daily_roll_drops_empty_rows_only(world):
    issue = world.assigned_issue()
    workflow.transition(issue, actor=world.staff_b, action="accept")
    assert SummaryCount.objects.filter(n=0).exists()  # the assigned rows emptied
    dropped = summaries.day_roll()
    assert dropped > 0
    assert not SummaryCount.objects.filter(n=0).exists()
    assert summaries.verify() == []


def test_the_reminder_run_calls_the_daily_roll(world, monkeypatch):
    from ledger.notify import reminders

    called = []
    monkeypatch.setattr(summaries, "day_roll", lambda: called.append(1) or 0)
    reminders.reminders_send(email=False, escalate=False)
    assert called == [1]


def test_an_import_is_counted_with_its_co_departments(world):
    def item(row, **fields):
        return {
            "row": row,
            "issue": None,
            "number": None,
            "fields": {
                "title": "导入的问题",
                "description": "描述",
                "category": world.category,
                "source": world.source,
                "raising_department": world.dept_a,
                "status": "assigned",
                "lead_department": world.dept_b,
                "leader": world.leader,
                "deadline": timezone.localdate() + datetime.timedelta(days=2),
                "assigned_at": timezone.now(),
                "raised_at": timezone.now(),
                **fields,
            },
            "note": "导入",
            "co_departments": [world.dept_c],
        }

    created = workflow.issues_import(
        actor=world.supervisor,
        at=timezone.now(),
        file_name="台账.xlsx",
        items=[item(2), item(3, enterprise=world.enterprise)],
    )
    assert len(created) == 2
    co = SummaryCount.objects.filter(kind=SummaryCount.Kind.CO, unit=world.dept_c.pk)
    assert sum(co.values_list("n", flat=True)) == 2
    assert_figures_agree(world, days=[0, 3])


@pytest.mark.django_db
def test_seed_bench_leaves_the_summary_rows_right():
    if connection.vendor != "postgresql":
        # seed_bench loads PostgreSQL only: it refuses here, and leaves no rows
        with pytest.raises(CommandError, match="PostgreSQL"):
            call_command("seed_bench", "--issues", "50", stdout=io.StringIO())
        assert not SummaryCount.objects.exists()
        return
    out = io.StringIO()
    call_command("seed_bench", "--issues", "300", "--processes", "1", "--chunk", "100", stdout=out)
    assert "summary rows" in out.getvalue()
    assert SummaryMark.objects.exists()
    assert summaries.verify() == []
    # the oversight room's day facts are rebuilt through issues_bulk_loaded (rooms are not
    # imported by the scale room): they too equal a fresh count
    assert "day facts" in out.getvalue()
    assert DayFact.objects.exists()
    assert facts.verify() == []


# -- the cache -------------------------------------------------------------------------


def test_a_cached_count_is_never_stale_after_an_event(world, django_capture_on_commit_callbacks):
    user = world.staff_b
    definitions = _home_card_definitions(user)
    assert home_card_counts(user, definitions)["to_accept"] == 0
    issue = world.assigned_issue()  # an event in this process: the generation moves at once
    assert home_card_counts(user, definitions)["to_accept"] == 1
    # another process's figure cached before the commit is gone once the event commits
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.transition(issue, actor=world.staff_b, action="accept")
    assert callbacks
    generation = summaries.generation()
    for callback in callbacks:
        callback()
    assert summaries.generation() > generation
    counts = home_card_counts(user, definitions)
    assert (counts["to_accept"], counts["to_progress"]) == (0, 1)


def test_the_leaders_cards_are_cached_and_never_stale(world):
    """Which subjects get a card and their counts are kept in the shared cache: a second
    read does not count again, and an event or a subject changing hands is seen at once."""
    from django.test.utils import CaptureQueriesContext

    user = world.leader.user

    def enterprise_card():
        enterprises, _projects = leader_subject_cards(user)
        return {card.pk: card for card in enterprises}.get(world.enterprise.pk)

    with CaptureQueriesContext(connection) as cold:
        before = enterprise_card().open_count
    with CaptureQueriesContext(connection) as warm:
        assert enterprise_card().open_count == before

    # the summary rows are not read again, nor the subjects counted
    def counting(context):
        return [
            q["sql"]
            for q in context.captured_queries
            if "ledger_summarycount" in q["sql"] or "COUNT(*)" in q["sql"]
        ]

    assert counting(cold) and not counting(warm)
    assert len(warm.captured_queries) < len(cold.captured_queries)
    # nor the previews' issues
    assert any('"ledger_issue"' in q["sql"] for q in cold.captured_queries)
    assert not any('"ledger_issue"' in q["sql"] for q in warm.captured_queries)
    raised = world.raise_issue(enterprise=world.enterprise)
    card = enterprise_card()
    assert card.open_count == before + 1
    assert raised.pk in {issue.pk for issue in card.preview}
    world.enterprise.leader = world.other_leader
    world.enterprise.save()
    assert enterprise_card() is None


def test_the_cache_serves_a_second_read_without_a_query(world, django_assert_num_queries):
    world.assigned_issue()
    user = world.supervisor
    definitions = _home_card_definitions(user)
    first = home_card_counts(user, definitions)
    with django_assert_num_queries(0):
        assert home_card_counts(user, definitions) == first


def test_a_subject_changing_hands_lets_the_cached_leader_figures_go(world):
    issue = world.raise_issue(enterprise=world.enterprise)
    assert issue.leader_id == world.leader.pk  # 登记 names the enterprise's leader
    user = world.other_leader.user
    definitions = _home_card_definitions(user)
    assert home_card_counts(user, definitions)["to_assign"] == 0
    world.enterprise.leader = world.other_leader
    world.enterprise.save()
    assert home_card_counts(user, definitions)["to_assign"] == 1


def test_the_cache_is_redis_when_configured_and_local_memory_otherwise(monkeypatch):
    import importlib

    import zhongzhan.settings as project_settings

    try:
        monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
        backend = importlib.reload(project_settings).CACHES["default"]["BACKEND"]
        assert backend == "django.core.cache.backends.redis.RedisCache"
        monkeypatch.delenv("REDIS_URL")
        monkeypatch.delenv("CACHE_URL", raising=False)
        backend = importlib.reload(project_settings).CACHES["default"]["BACKEND"]
        assert backend == "django.core.cache.backends.locmem.LocMemCache"
    finally:
        monkeypatch.undo()
        importlib.reload(project_settings)


# -- concurrent writers ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_writers_counting_into_the_same_row_at_once_lose_nothing():
    """Threads with their own connections (PostgreSQL) raise issues for one department at
    the same moment: every one lands in the same count rows. SQLite serialises writers."""
    world_department = f.DepartmentFactory(name="区商务局", short_name="商务局")
    staff = [f.StaffFactory(username=f"racer{n}", department=world_department) for n in range(6)]
    category, source = f.CategoryFactory(), f.SourceFactory()
    barrier = threading.Barrier(len(staff)) if connection.vendor == "postgresql" else None
    errors = []

    def raise_one(user):
        try:
            if barrier:
                barrier.wait(timeout=10)
            workflow.issue_raise(
                actor=user, title="同时登记", description="并发", category=category, source=source
            )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            if barrier:
                connection.close()

    if barrier:
        threads = [threading.Thread(target=raise_one, args=(u,)) for u in staff]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    else:
        for user in staff:
            raise_one(user)
    assert errors == []
    rows = SummaryCount.objects.filter(kind=SummaryCount.Kind.RAISED, unit=world_department.pk)
    assert sum(rows.values_list("n", flat=True)) == len(staff)
    assert summaries.verify() == []


# -- flat from 5 to 500 issues ---------------------------------------------------------


def _imported(world, count: int, start: int, enterprises=None) -> None:
    """`count` issues in every state the cards count, through the import door (bulk, with
    its event signal), over the world's departments, leaders and subjects (`enterprises`:
    those to spread them over, none every other issue by default)."""
    enterprises = enterprises or [None, world.enterprise]
    today, now = timezone.localdate(), timezone.now()
    departments = [world.dept_a, world.dept_b, world.dept_c]
    items = []
    for n in range(start, start + count):
        status = ["raised", "assigned", "in_progress", "resolved", "closed"][n % 5]
        fields = {
            "title": f"批量问题{n}",
            "description": "描述",
            "category": world.category,
            "source": world.source,
            "raising_department": departments[n % 3],
            "raised_at": now - datetime.timedelta(days=n % 9),
            "status": status,
            "enterprise": enterprises[n % len(enterprises)],
            "project": [None, world.project][(n // 2) % 2],
        }
        if status != "raised":
            fields.update(
                lead_department=departments[(n + 1) % 3],
                leader=[world.leader, world.other_leader][n % 2],
                deadline=today + datetime.timedelta(days=n % 11 - 4),
                assigned_at=now,
            )
        if status in ("resolved", "closed"):
            fields.update(resolved_at=now, resolution="已办结")
        if status == "closed":
            fields.update(closed_at=now, satisfaction="satisfied")
        items.append(
            {
                "row": n,
                "issue": None,
                "number": None,
                "fields": fields,
                "note": "导入",
                "co_departments": [departments[(n + 2) % 3]] if n % 4 == 0 else [],
            }
        )
    workflow.issues_import(actor=world.supervisor, at=now, file_name="台账.xlsx", items=items)


def _queries(client, user, url) -> int:
    from django.core.cache import cache
    from django.test.utils import CaptureQueriesContext

    client.force_login(user)
    client.get(url)  # warm: the calendar, the session
    cache.clear()  # the counts themselves are counted, not served from the cache
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured)


def test_counting_pages_cost_the_same_queries_for_5_and_500_issues(client, world, settings):
    # the working-day calendar is re-read once a minute (one query): on a slow machine that
    # minute could end between the warm-up request and the counted one
    settings.LEDGER = {**settings.LEDGER, "CALENDAR_CACHE_SECONDS": 3600}
    pages = [
        (world.supervisor, "/"),
        (world.supervisor, "/dashboard/"),
        (world.staff_b, "/"),
        (world.staff_b, "/dashboard/"),
        (world.leader.user, "/"),
        (world.leader.user, "/leaders/me/"),
        (world.leader.user, "/dashboard/"),
    ]
    _imported(world, 5, 0)
    few = [_queries(client, user, url) for user, url in pages]
    _imported(world, 495, 5)
    assert Issue.objects.count() == 500
    many = [_queries(client, user, url) for user, url in pages]
    assert many == few
    assert summaries.verify() == []
    assert_figures_agree(world, days=[0, 2, 6])


def test_without_a_shared_cache_figures_are_counted_fresh_each_time(world, settings):
    """Several gunicorn workers without Redis: nothing is kept in one worker's memory, so a
    figure another worker's event changed is never served (SUMMARIES_CACHE off)."""
    settings.SUMMARIES_CACHE = False
    calls = []
    assert summaries.cached("probe", lambda: calls.append(1) or len(calls)) == 1
    assert summaries.cached("probe", lambda: calls.append(1) or len(calls)) == 2
    settings.SUMMARIES_CACHE = True
    assert summaries.cached("probe2", lambda: calls.append(1) or len(calls)) == 3
    assert summaries.cached("probe2", lambda: calls.append(1) or len(calls)) == 3


def test_figures_read_from_the_replica_are_not_cached(world, settings):
    """A replica a moment behind the primary: its count, cached under the generation the
    event has just moved on, would be served until the next event."""
    from ledger.replica import replica_reading

    settings.SUMMARIES_CACHE = True
    settings.REPLICA_READS = True  # DATABASES has the "replica" alias (a mirror in tests)
    calls = []
    with replica_reading():
        assert summaries.cached("probe", lambda: calls.append(1) or len(calls)) == 1
        assert summaries.cached("probe", lambda: calls.append(1) or len(calls)) == 2
    # on the primary the same figure is kept
    assert summaries.cached("probe", lambda: calls.append(1) or len(calls)) == 3
    assert summaries.cached("probe", lambda: calls.append(1) or len(calls)) == 3


def test_leader_subject_cards_cut_to_the_most_pressing_cost_the_same_for_5_and_500_issues(
    client, world, settings, monkeypatch
):
    """More subjects than cards: the most pressing are ranked in SQL (issue 19 point 4), in
    the same number of queries for 5 and 500 issues, and they are those the issues give."""
    settings.LEDGER = {**settings.LEDGER, "CALENDAR_CACHE_SECONDS": 3600}
    monkeypatch.setattr("ledger.views.leaders.SUBJECT_CARDS", 3)
    mine = [world.enterprise]
    mine += [f.EnterpriseFactory(leader=world.leader, name=f"分包企业{k}") for k in range(7)]
    _imported(world, 5, 0, enterprises=mine)
    few = _queries(client, world.leader.user, "/leaders/me/")
    _imported(world, 495, 5, enterprises=[*mine, None])
    assert Issue.objects.count() == 500
    assert _queries(client, world.leader.user, "/leaders/me/") == few
    # the most open issues are not the most overdue: a subject with many issues on time and
    # one with a single overdue issue
    today, now = timezone.localdate(), timezone.now()
    calm = f.EnterpriseFactory(leader=world.leader, name="在办多未逾期企业")
    late = f.EnterpriseFactory(leader=world.leader, name="逾期企业")
    items = [
        {
            "row": n,
            "issue": None,
            "number": None,
            "note": "导入",
            "co_departments": [],
            "fields": {
                "title": f"排序问题{n}",
                "description": "描述",
                "category": world.category,
                "source": world.source,
                "raising_department": world.dept_a,
                "raised_at": now,
                "status": "in_progress",
                "enterprise": late if n == 0 else calm,
                "lead_department": world.dept_b,
                "leader": world.leader,
                "deadline": today + datetime.timedelta(days=-30 if n == 0 else 60),
                "assigned_at": now,
            },
        }
        for n in range(400)
    ]
    workflow.issues_import(actor=world.supervisor, at=now, file_name="排序.xlsx", items=items)
    in_name_order = list(Enterprise.objects.filter(leader=world.leader).order_by("name", "pk"))

    def pressing(enterprise):
        issues = Issue.objects.open().filter(enterprise=enterprise)
        overdue, total = issues.overdue(today).count(), issues.count()
        return (-overdue, -total, in_name_order.index(enterprise))

    assert pressing(calm)[1] < pressing(late)[1] < pressing(calm)[0] == 0 > pressing(late)[0]
    for cards in (1, 3, 5):
        enterprises, _projects = leader_subject_cards(world.leader.user, preview=0, cards=cards)
        expected = sorted(in_name_order, key=pressing)[:cards]
        assert [e.pk for e in enterprises] == [e.pk for e in expected], cards
        assert enterprises.total == len(in_name_order)
        for enterprise in enterprises:
            assert (-enterprise.overdue_count, -enterprise.open_count) == pressing(enterprise)[:2]
