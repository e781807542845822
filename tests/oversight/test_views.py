"""The oversight screens on the demo data: each role sees only what visible_to allows,
every figure's count equals the total of the ledger its link opens, queries are bounded."""

import io
import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ledger.filters import IssueFilter, ledger_params
from ledger.models import Category, Issue, User
from ledger.oversight.selectors.dashboard import dashboard
from ledger.selectors import ledger_queryset, visible_to

ROLES = ["supervisor", "admin", "leader", "staff"]
FIGURE = re.compile(r'<a[^>]*class="[^"]*figure-link[^"]*"[^>]*>')
HREF = re.compile(r'href="([^"]+)"')
COUNT = re.compile(r'data-count="(\d+)"')


@pytest.fixture(scope="module")
def demo_seed(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_seed, db):
    return {name: User.objects.get(username=name) for name in ROLES}


def figures(html: str) -> list[tuple[str, int]]:
    """(ledger query, count) of every figure link on a page."""
    found = []
    for tag in FIGURE.findall(html):
        href = unescape(HREF.search(tag)[1])
        found.append((urlsplit(href).query, int(COUNT.search(tag)[1])))
        assert urlsplit(href).path == reverse("issue_list"), href
    return found


def ledger_total(user, query: str) -> int:
    """What the ledger page says (共 N 条问题) for this query, computed as its view does."""
    params = ledger_params(QueryDict(query))
    filterset = IssueFilter(params, queryset=ledger_queryset(user))
    assert filterset.is_valid(), (query, filterset.form.errors)
    return filterset.qs.count()


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", ["/dashboard/", "/reports/weekly/", "/reports/monthly/"])
def test_every_figure_equals_the_total_of_the_ledger_it_opens(client, demo, role, url):
    user = demo[role]
    html = page(client, user, url)
    found = figures(html)
    assert len(found) >= 10
    for query, count in found:
        assert ledger_total(user, query) == count, query


def test_dashboard_figures_match_the_ledger_page_itself(client, demo):
    """Following the links for real: the ledger page's own 共 N 条 line."""
    user = demo["supervisor"]
    html = page(client, user, "/dashboard/")
    found = figures(html)
    assert sum(count for _q, count in found) > 50  # the demo fills the dashboard
    for query, count in found[:25]:
        text = page(client, user, f"/issues/?{query}")
        assert f"共 {count} 条问题" in text, query


def test_assessment_figures_match_the_ledger(client, demo):
    user = demo["supervisor"]
    for url in ["/assessment/", "/assessment/?by=leader", "/assessment/?year=2026&quarter=4"]:
        found = figures(page(client, user, url))
        assert len(found) > 40
        for query, count in found:
            assert ledger_total(user, query) == count, query


def test_pace_board_issue_counts_match_the_ledger(client, demo):
    for role in ROLES:
        user = demo[role]
        found = figures(page(client, user, "/projects/pace/"))
        assert found
        for query, count in found:
            assert ledger_total(user, query) == count, query


@pytest.mark.parametrize("role", ["leader", "staff"])
def test_dashboard_counts_only_what_the_user_may_see(client, demo, role):
    user = demo[role]
    html = page(client, user, "/dashboard/")
    visible_open = visible_to(user).open().count()
    everything_open = Issue.objects.open().count()
    assert visible_open < everything_open
    statuses = re.search(r'data-testid="status-figures">(.*?)</div>', html, re.S)[1]
    counts = [int(n) for n in COUNT.findall(statuses)]
    # 待交办 + 已交办 + 办理中 (the fourth card is 待销号)
    assert sum(counts[:3]) == visible_open
    # no issue the user may not see is listed by number
    hidden = Issue.objects.exclude(pk__in=visible_to(user)).values_list("number", flat=True)
    assert not [number for number in hidden if f">{number}<" in html]


def test_report_lists_no_hidden_issue(client, demo):
    user = demo["staff"]
    hidden = set(Issue.objects.exclude(pk__in=visible_to(user)).values_list("number", flat=True))
    for url in ["/reports/weekly/", "/reports/monthly/"]:
        html = page(client, user, url)
        assert not [number for number in hidden if f">{number}<" in html]


@pytest.mark.parametrize("role", ["leader", "staff"])
def test_assessment_is_refused_to_leaders_and_staff_with_a_reason(client, demo, role):
    client.force_login(demo[role])
    for url in ["/assessment/", "/assessment/export.xlsx"]:
        response = client.get(url)
        assert response.status_code == 403
        assert "督查室" in response.content.decode()


def test_assessment_nav_link_only_for_the_office(client, demo):
    assert 'href="/assessment/"' in page(client, demo["supervisor"], "/dashboard/")
    assert 'href="/assessment/"' not in page(client, demo["staff"], "/dashboard/")
    assert 'href="/dashboard/"' in page(client, demo["staff"], "/")


def test_red_and_black_boards_are_meaningful_on_the_demo(client, demo):
    html = page(client, demo["supervisor"], "/assessment/")
    assert "统计口径与计算公式" in html and "得分 = 100 × 各比率的加权平均" in html
    red = re.search(r'data-testid="red-board">(.*?)</ol>', html, re.S)[1]
    black = re.search(r'data-testid="black-board">(.*?)</ol>', html, re.S)[1]
    assert red.count("<li>") == 5 and black.count("<li>") == 5
    scores = [float(s) for s in re.findall(r'board-score">([\d.]+)<', red + black)]
    assert max(scores) - min(scores) >= 20  # the boards tell units apart


@pytest.mark.parametrize(
    "query",
    [
        "year=abc",
        "year=2026&month=13",
        "year=2026&quarter=0",
        "year=2026&month=1&quarter=1",
        "start=2026-02-30&end=2026-03-01",
        "start=2026-03-01",
        "start=2026-03-02&end=2026-03-01",
        "month=5",
        "year=99999999999999999999",
        "start=%00&end=x",
    ],
)
def test_bad_assessment_period_is_a_message_never_a_500(client, demo, query):
    html = page(client, demo["supervisor"], f"/assessment/?{query}")
    assert 'data-testid="period-error"' in html
    client.force_login(demo["supervisor"])
    assert client.get(f"/assessment/export.xlsx?{query}").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/reports/weekly/?week=2026-W60",
        "/reports/weekly/?week=x",
        "/reports/monthly/?month=2026-13",
    ],
)
def test_bad_report_period_is_a_message(client, demo, url):
    assert 'data-testid="period-error"' in page(client, demo["supervisor"], url)


def test_report_month_is_named_as_the_month_input_expects(client, demo):
    html = page(client, demo["supervisor"], "/reports/monthly/?month=2026-3")
    assert 'name="month" value="2026-03"' in html


def _count_queries(client, user, url) -> int:
    client.force_login(user)
    client.get(url)  # warm caches (calendar, content types)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ROLES)
def test_pages_use_a_bounded_number_of_queries(client, demo, role):
    # an export also writes its security audit record (ledger.audit): lock the chain's head,
    # insert the record, move the head
    audit = 3
    limits = {
        "/dashboard/": 20,
        "/reports/weekly/": 14,
        "/reports/monthly/": 14,
        "/projects/pace/": 10,
        "/projects/pace/export.xlsx": 10 + audit,
        "/reports/weekly/export.xlsx": 14 + audit,
    }
    if demo[role].sees_everything:
        limits.update(
            # the page: 14, plus one for the service room's visit coverage table (its slot) and
            # one for the feedback room's enterprise ratings, counted from their own table
            {
                "/assessment/": 16,
                "/assessment/?by=leader": 16,
                "/assessment/export.xlsx": 14 + audit,
            }
        )
    for url, limit in limits.items():
        assert _count_queries(client, demo[role], url) <= limit, url


def test_dashboard_bars_count_open_issues_and_running_ones_by_department(world):
    """The category, source and lead-department bars (one grouped query since issue 19):
    open issues by category and by source, running ones only by lead department — a
    待交办 issue that still names a lead department (as after a 退回) is not counted there,
    nor is a 已办结 one anywhere."""

    def values(chart):
        return {bar.label: bar.value for bar in chart["bars"]}

    def bars():  # (the module's demo data may be there too: what the issues below add)
        data = dashboard(world.supervisor)
        return [values(data[name]) for name in ("by_category", "by_source", "by_department")]

    w = world
    before = bars()
    other = Category.objects.create(name="其他类别", order=99)
    w.assigned_issue(lead=w.dept_a)
    w.in_progress_issue(lead=w.dept_b)
    w.resolved_issue(lead=w.dept_b)
    returned = w.raise_issue(category=other)
    Issue.objects.filter(pk=returned.pk).update(lead_department=w.dept_c)
    added = [
        {k: v - old.get(k, 0) for k, v in new.items() if v != old.get(k, 0)}
        for old, new in zip(before, bars(), strict=True)
    ]
    assert added == [
        {w.category.name: 2, other.name: 1},
        {w.source.name: 3},
        {w.dept_a.label: 1, w.dept_b.label: 1},
    ]
