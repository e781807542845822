"""Every list page costs the same number of queries for 5 and for 50 rows, for each role.

The ledger (tests/test_views_ledger.py), the admin issue list (tests/test_admin.py), the
enterprise list for staff (tests/test_views_directory.py), the oversight pages
(tests/oversight/test_queries_and_periods.py), the notification list and the exports have
their own; these cover the rest: home, /leaders/me/, the key-project ledger, the enterprise
list for the other roles, and the issue history on enterprise and project pages.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ledger import workflow
from tests import factories as f

ROLES = ["supervisor", "leader", "staff_a", "staff_b", "staff_c", "admin"]


@pytest.fixture(autouse=True)
def _calendar_read_once(settings):
    # the working-day calendar is re-read once a minute (one query): on a slow machine that
    # minute could end between the warm-up request and the counted one
    settings.LEDGER = {**settings.LEDGER, "CALENDAR_CACHE_SECONDS": 3600}


def _user(world, role):
    return world.leader.user if role == "leader" else getattr(world, role)


def _rows(world, copies: int) -> None:
    """Five issues per copy, over an enterprise and a project each of their own (so the
    directories grow too), in every state a list shows: raised (one long ago), assigned
    with a co-department, in progress and overdue, resolved, and one with a pending
    extension request."""
    sup, staff_b = world.supervisor, world.staff_b
    # the overdue one is raised and assigned ten days ago (a deadline is never set in the past)
    past = timezone.now() - datetime.timedelta(days=10)
    for n in range(copies):
        leader = world.leader if n % 2 else world.other_leader
        enterprise = f.EnterpriseFactory(leader=leader)
        f.ContactFactory(enterprise=enterprise, is_primary=True)
        project = f.KeyProjectFactory(leader=leader, owner=enterprise)
        world.raise_issue(title=f"待交办{n}", enterprise=enterprise)
        for kind, days in (("assigned", 3), ("overdue", -2), ("resolved", 20), ("extend", 6)):
            at = past if kind == "overdue" else None
            issue = world.raise_issue(
                title=f"{kind}{n}",
                enterprise=enterprise if n % 3 else None,
                project=project,
                at=at,
            )
            workflow.transition(
                issue,
                actor=sup,
                action="assign",
                at=at,
                leader=world.leader if kind != "assigned" else leader,
                lead_department=world.dept_b,
                deadline=f.days_from_today(days),
                co_departments=[world.dept_c],
            )
            if kind == "assigned":
                continue
            workflow.transition(issue, actor=staff_b, action="accept", at=at)
            if kind == "resolved":
                workflow.transition(issue, actor=staff_b, action="resolve", resolution="已办结")
            elif kind == "extend":
                workflow.transition(
                    issue,
                    actor=staff_b,
                    action="extension_request",
                    new_deadline=f.days_from_today(30),
                    note="需要更多时间",
                )


def _count(client, user, url) -> int:
    client.force_login(user)
    client.get(url)  # warm caches (slots, the holiday calendar, sessions)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def _pages(world) -> list[str]:
    return [
        "/",
        "/projects/",
        "/enterprises/",
        f"/enterprises/{world.enterprise.pk}/",
        f"/projects/{world.project.pk}/",
    ]


def _on_the_main_subjects(world, copies: int) -> None:
    """Issues of world.enterprise and world.project, whose pages list them."""
    for n in range(copies):
        world.raise_issue(title=f"企业问题{n}", enterprise=world.enterprise)
        world.assigned_issue(title=f"项目问题{n}", project=world.project, deadline_days=n % 5)


@pytest.mark.parametrize("role", ROLES)
def test_list_pages_cost_the_same_for_5_and_50_rows(client, world, role):
    user = _user(world, role)
    _rows(world, 1)
    _on_the_main_subjects(world, 1)
    few = {url: _count(client, user, url) for url in _pages(world)}
    _rows(world, 9)
    _on_the_main_subjects(world, 24)
    many = {url: _count(client, user, url) for url in _pages(world)}
    assert many == few


def test_leader_page_costs_the_same_for_5_and_50_rows(client, world):
    url = "/leaders/me/"
    _rows(world, 1)
    few = _count(client, world.leader.user, url)
    _rows(world, 9)
    assert _count(client, world.leader.user, url) == few


def test_home_counts_every_card_in_two_queries_at_most(world, django_assert_max_num_queries):
    from ledger.selectors.home import _home_card_definitions, home_card_counts

    _rows(world, 2)
    for role in ROLES:
        user = _user(world, role)
        definitions = _home_card_definitions(user)
        assert definitions
        home_card_counts(user, definitions)  # warm the working-day calendar (health cut-off)
        with django_assert_max_num_queries(2):
            counts = home_card_counts(user, definitions)
        assert set(counts) == {key for key, *_rest in definitions}


def test_leader_page_shows_the_most_pressing_subjects_and_links_the_rest(
    client, world, monkeypatch
):
    monkeypatch.setattr("ledger.views.leaders.SUBJECT_CARDS", 2)
    calm = [f.EnterpriseFactory(leader=world.leader, name=f"平稳企业{n}") for n in range(3)]
    busy = f.EnterpriseFactory(leader=world.leader, name="问题最多企业")
    for n in range(3):
        world.raise_issue(title=f"待办{n}", enterprise=busy)
    client.force_login(world.leader.user)
    html = client.get("/leaders/me/").content.decode()
    # the cards only (rooms add their own lists of enterprises below, through the slot)
    cards = html[html.index('id="my-subjects"') : html.index('data-testid="subjects-cut"')]
    assert "问题最多企业" in cards
    assert cards.count('data-testid="subject-card"') == 3  # 2 enterprises + world.project
    assert sum(e.name in cards for e in calm) <= 1  # the busy one and one more
    assert 'data-testid="subjects-cut"' in html
    assert f"/enterprises/?leader={world.leader.pk}" in html
