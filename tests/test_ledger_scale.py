"""The ledger at a million issues (issue 11): the indexed paths give the same rows as the
plain ones. Runs on SQLite and on PostgreSQL (DATABASE_URL), where the triggers,
the GIN-indexed columns and the bigram search are in use."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ledger.filters import text_bigrams
from ledger.models import Health, Issue
from ledger.models.issues import health_q, raised_flag_cutoff
from ledger.selectors import visible_to
from ledger.views import ledger as ledger_view
from tests import factories as f

URL = "/issues/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _numbers(response):
    return [issue.number for issue in response.context["issues"]]


# -- health: the indexed conditions are the CASE's sets ----------------------------


def _boundary_rows(world, today):
    """Issues on every boundary of every health bucket, written directly."""
    yellow = world_yellow_days()
    deadlines = [
        today - datetime.timedelta(days=30),
        today - datetime.timedelta(days=1),
        today,
        today + datetime.timedelta(days=1),
        today + datetime.timedelta(days=yellow),
        today + datetime.timedelta(days=yellow + 1),
        today + datetime.timedelta(days=90),
    ]
    cutoff = raised_flag_cutoff(today)
    raised_times = [
        cutoff - datetime.timedelta(days=10),
        cutoff - datetime.timedelta(microseconds=1),
        cutoff,
        cutoff + datetime.timedelta(microseconds=1),
        timezone.now(),
    ]
    made = []
    for status in ("assigned", "in_progress"):
        for deadline in deadlines:
            made.append(
                f.IssueFactory(
                    raised_by=world.staff_a,
                    status=status,
                    leader=world.leader,
                    lead_department=world.dept_b,
                    deadline=deadline,
                )
            )
    for raised_at in raised_times:
        made.append(f.IssueFactory(raised_by=world.staff_a, raised_at=raised_at))
        # a raised issue sent back keeps its old deadline: health ignores it
        made.append(
            f.IssueFactory(
                raised_by=world.staff_a, raised_at=raised_at, deadline=today - datetime.timedelta(5)
            )
        )
    for status, extra in (
        ("resolved", {"resolution": "已办结"}),
        ("closed", {"resolution": "已办结", "satisfaction": "satisfied"}),
        ("withdrawn", {}),
    ):
        made.append(
            f.IssueFactory(
                raised_by=world.staff_a,
                status=status,
                leader=world.leader,
                lead_department=world.dept_b,
                deadline=today - datetime.timedelta(days=3),
                **extra,
            )
        )
    return made


def world_yellow_days():
    from django.conf import settings

    return settings.LEDGER["YELLOW_DAYS"]


@pytest.mark.parametrize("shift", [0, 1, 6])
def test_health_conditions_give_exactly_the_case_sets(world, shift):
    today = timezone.localdate() + datetime.timedelta(days=shift)
    _boundary_rows(world, today)
    by_case = {}
    for pk, code in Issue.objects.with_health(today).values_list("pk", "health_code"):
        by_case.setdefault(code, set()).add(pk)
    assert set(by_case) == {h.value for h in Health}, "every bucket has rows"
    for health in Health:
        indexed = set(Issue.objects.filter(health_q([health], today)).values_list("pk", flat=True))
        assert indexed == by_case[health.value], health
    both = set(Issue.objects.health_in(["red", "pending"], today).values_list("pk", flat=True))
    assert both == by_case["red"] | by_case["pending"]
    assert not Issue.objects.filter(health_q([], today)).exists()


@pytest.mark.parametrize("shift", [0, 1, 6])
def test_health_rank_on_is_the_rank_of_the_annotated_health(world, shift):
    # the leader's cards order their previews by health_rank_on (one CASE): the same rank
    # health_rank() gives over with_health's code, and what Issue.health_on says in Python
    from ledger.models.issues import HEALTH_ORDER, health_rank, health_rank_on

    today = timezone.localdate() + datetime.timedelta(days=shift)
    _boundary_rows(world, today)
    rows = Issue.objects.with_health(today).annotate(
        rank_case=health_rank(), rank_on=health_rank_on(today)
    )
    seen = set()
    for issue in rows:
        assert issue.rank_on == issue.rank_case == HEALTH_ORDER.index(issue.health_code)
        assert issue.health_on(today).value == issue.health_code
        seen.add(issue.rank_on)
    assert seen == set(range(len(HEALTH_ORDER))), "every rank has rows"


def test_health_filter_in_sql_has_no_case(world):
    sql = str(Issue.objects.health_in(["red", "yellow", "unassigned_late"]).query)
    assert "CASE" not in sql.upper()


def test_sort_by_health_is_running_by_deadline_then_unassigned_oldest_first(client, world):
    today = timezone.localdate()
    rows = {r.pk: r for r in _boundary_rows(world, today)}
    client.force_login(world.supervisor)
    shown = []
    page = 1
    while True:
        response = client.get(URL, {"sort": "health", "page": page})
        shown += list(response.context["issues"])
        if not response.context["page_obj"].has_next():
            break
        page += 1
    assert {i.pk for i in shown} == set(rows)
    tiers = [i.health_tier for i in shown]
    assert tiers == sorted(tiers)
    running = [i for i in shown if i.health_tier == 0]
    assert [i.deadline for i in running] == sorted(i.deadline for i in running)
    assert running[0].health == Health.RED
    raised = [i for i in shown if i.health_tier == 1]
    assert [i.raised_at for i in raised] == sorted(i.raised_at for i in raised)
    assert raised[0].health == Health.UNASSIGNED_LATE and raised[-1].health == Health.PENDING
    # reversed: exactly the other way round, ties by newest number
    response = client.get(URL, {"sort": "-health"})
    assert response.context["issues"][0].health_tier == 2


# -- free text: two Chinese characters, through the index on PostgreSQL ------------


def test_bigrams_of_a_query():
    assert text_bigrams("排污") == ["排污"]
    assert text_bigrams("打印机") == ["印机", "打印"]
    assert text_bigrams("a B") == []
    assert text_bigrams("用") == []


def test_search_finds_two_character_words_in_title_and_description(client, world):
    in_title = world.raise_issue(title="企业排污口整改", description="需要协调")
    in_text = world.raise_issue(title="厂区问题", description="二号车间打印机排放异味")
    world.raise_issue(title="污排无关", description="排 污 分开写")
    client.force_login(world.supervisor)
    assert set(_numbers(client.get(URL, {"q": "排污"}))) == {in_title.number}
    assert set(_numbers(client.get(URL, {"q": "打印机"}))) == {in_text.number}
    assert set(_numbers(client.get(URL, {"q": "车间打印机排放"}))) == {in_text.number}
    # one character: no bigram, still found
    assert in_text.number in _numbers(client.get(URL, {"q": "异"}))
    # case and the ledger number
    assert set(_numbers(client.get(URL, {"q": in_title.number.lower()}))) == {in_title.number}


def test_search_keeps_what_a_title_edit_says(client, world):
    issue = world.raise_issue(title="融资担保", description="说明")
    Issue.objects.filter(pk=issue.pk).update(title="用地指标")
    client.force_login(world.supervisor)
    assert _numbers(client.get(URL, {"q": "融资"})) == []
    assert _numbers(client.get(URL, {"q": "用地"})) == [issue.number]


def test_search_matches_names_of_enterprise_leader_and_departments(client, world):
    world.enterprise.name = "龙腾排污科技有限公司"
    world.enterprise.save()
    by_enterprise = world.raise_issue(title="甲", enterprise=world.enterprise)
    by_co = world.assigned_issue(title="乙", lead=world.dept_b)
    by_co.co_departments.set([world.dept_c])
    by_lead = world.assigned_issue(title="丙", lead=world.dept_c)
    other = world.assigned_issue(title="丁", lead=world.dept_b)
    client.force_login(world.supervisor)
    assert _numbers(client.get(URL, {"q": "排污"})) == [by_enterprise.number]
    found = set(_numbers(client.get(URL, {"q": "环保"})))
    assert found == {by_co.number, by_lead.number}
    assert other.number not in found
    leader_name = world.leader.user.name
    assert other.number in _numbers(client.get(URL, {"q": leader_name}))


# -- visibility through the derived department array -------------------------------


def test_staff_visibility_follows_co_department_changes(world):
    issue = world.assigned_issue(lead=world.dept_b)
    assert not visible_to(world.staff_c).filter(pk=issue.pk).exists()
    issue.co_departments.set([world.dept_c])
    assert visible_to(world.staff_c).filter(pk=issue.pk).exists()
    issue.co_departments.set([])
    assert not visible_to(world.staff_c).filter(pk=issue.pk).exists()
    # a change of lead department (the workflow saves the issue) moves it
    workflow_reassign = Issue.objects.get(pk=issue.pk)
    workflow_reassign.lead_department = world.dept_c
    workflow_reassign.save()
    assert visible_to(world.staff_c).filter(pk=issue.pk).exists()
    assert not visible_to(world.staff_b).filter(pk=issue.pk).exists() or (
        issue.raising_department_id == world.dept_b.pk
    )


def test_rows_written_behind_the_apps_back_are_visible_and_findable(world):
    """As a bulk COPY would: the database fills the derived columns itself."""
    issue = f.IssueFactory(raised_by=world.staff_b, title="供电线路迁改")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_issue SET description = %s, lead_department_id = %s WHERE id = %s",
            ["新增排污许可", world.dept_c.pk, issue.pk],
        )
    assert visible_to(world.staff_c).filter(pk=issue.pk).exists()
    from ledger.filters import IssueFilter

    found = IssueFilter({"q": "排污"}, queryset=Issue.objects.all()).qs
    assert list(found.values_list("pk", flat=True)) == [issue.pk]
    call_command("issues_reindex", verbosity=0)
    assert visible_to(world.staff_c).filter(pk=issue.pk).exists()
    if connection.vendor == "postgresql":
        issue.refresh_from_db()
        assert issue.involved == sorted({world.dept_b.pk, world.dept_c.pk})
        assert "排污" in issue.search_grams


# -- counting and paging a list larger than the ledger counts ----------------------


@pytest.fixture
def many(world, settings, monkeypatch):
    settings.LEDGER = {**settings.LEDGER, "PAGE_SIZE": 2}
    monkeypatch.setattr(ledger_view, "COUNT_CAP", 5)
    return [f.IssueFactory(raised_by=world.staff_a) for _ in range(9)]


def test_a_large_list_says_more_than_and_counts_on_demand(client, world, many):
    client.force_login(world.supervisor)
    response = client.get(URL)
    paginator = response.context["page_obj"].paginator
    assert paginator.count_capped
    html = response.content.decode()
    assert 'data-testid="count-capped"' in html and 'data-testid="count-exact"' in html
    assert "末页" not in html and "下一页" in html
    response = client.get(URL, {"count": "exact"})
    assert response.context["page_obj"].paginator.count == 9
    assert not response.context["page_obj"].paginator.count_capped


def test_pages_of_a_capped_list_never_overlap_and_end(client, world, many):
    client.force_login(world.supervisor)
    seen = []
    for page in range(1, 6):
        response = client.get(URL, {"page": page})
        seen += _numbers(response)
    expected = list(Issue.objects.order_by("-year", "-seq").values_list("number", flat=True))
    assert seen == expected
    assert not response.context["page_obj"].has_next()
    # past the end: the last page, and the note says so
    response = client.get(URL, {"page": 40})
    assert response.context["page_obj"].number == 5
    assert "40" in response.context["page_note"]


def test_deep_page_query_count_is_the_same_as_the_first(client, world, many):
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.supervisor)
    client.get(URL)
    with CaptureQueriesContext(connection) as first:
        client.get(URL, {"page": 1})
    with CaptureQueriesContext(connection) as deep:
        client.get(URL, {"page": 4})
    assert len(first) == len(deep)


@pytest.mark.parametrize("sort", ["-number", "number", "deadline", "-raised", "health", "-status"])
def test_a_date_range_keeps_every_sorts_order(world, sort):
    """Under a date-range filter the sort keys are written so no index serves them
    (ledger_order's `ranged`); the rows and their order are the same."""
    from ledger.filters import ledger_order

    now = timezone.now()
    for days, deadline in [(3, 5), (40, None), (10, 1), (10, 9), (70, 2), (1, None)]:
        issue = world.assigned_issue(deadline_days=deadline) if deadline else world.raise_issue()
        Issue.objects.filter(pk=issue.pk).update(raised_at=now - datetime.timedelta(days=days))
    issues = visible_to(world.supervisor).filter(raised_at__gte=now - datetime.timedelta(days=50))
    plain = list(ledger_order(issues, sort).values_list("number", flat=True))
    ranged_sql = str(ledger_order(issues, sort, ranged=True).query)
    assert "COALESCE" in ranged_sql
    assert list(ledger_order(issues, sort, ranged=True).values_list("number", flat=True)) == plain
    assert len(plain) == 5


def test_the_ledger_page_with_a_date_range_lists_by_number(client, world):
    numbers = [world.raise_issue(title=f"范围内{i}").number for i in range(3)]
    today = timezone.localdate().isoformat()
    client.force_login(world.supervisor)
    response = client.get(URL, {"raised_after": today, "raised_before": today})
    assert _numbers(response) == list(reversed(numbers))


def test_a_search_of_common_bigrams_asks_the_index_for_the_rarest_only(world):
    """issue 19: PostgreSQL multiplies the shares of a search's bigrams as if independent,
    so a common phrase was estimated rare and counted through the GIN index; when every bigram
    is common the index is asked for the rarest one alone (the same rows: ILIKE decides)."""
    from ledger import filters

    for n in range(30):
        f.IssueFactory(raised_by=world.staff_a, title=f"消防验收问题{n}")
    for n in range(30):
        f.IssueFactory(raised_by=world.staff_a, title=f"其他事项{n}", description="验收资料")
    f.IssueFactory(raised_by=world.staff_a, title="打印机故障")
    phrase = Issue.objects.filter(title__contains="消防验收").values_list("pk", flat=True)
    truth = {"消防验收": set(phrase), "打印纸": set()}

    def searched(text):
        return set(
            filters.IssueFilter({"q": text}, queryset=Issue.objects.all()).qs.values_list(
                "pk", flat=True
            )
        )

    if connection.vendor != "postgresql":
        # no bigram index off PostgreSQL: the ledger's search is ILIKE alone there
        for text, rows in truth.items():
            assert searched(text) == rows, text
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ledger_issue")
    filters._GRAM_STATS.clear()
    shares = filters.common_bigrams()
    grams = text_bigrams("消防验收")
    assert set(grams) <= set(shares), shares
    # 验收 is in every issue above, 消防 and 防验 in half: the rarest, ties by the bigram
    assert shares["验收"] > shares["消防"]
    assert filters.index_grams(grams) == [min(grams, key=lambda g: (shares[g], g))]
    assert filters.index_grams(grams)[0] in ("消防", "防验")
    # a bigram ANALYZE never saw (印纸): the search asks for every bigram, as before
    assert filters.index_grams(text_bigrams("打印纸")) == text_bigrams("打印纸")
    assert filters.index_grams(["消防"]) == ["消防"]
    for text, rows in truth.items():
        assert searched(text) == rows, text
    # the statistics are read once per GRAM_STATS_SECONDS, not on every search
    with CaptureQueriesContext(connection) as queries:
        filters.index_grams(grams)
    assert len(queries) == 0
