"""/leaders/me/: a leader's own items and the enterprises and projects they 分包."""

import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ledger.models import Health
from ledger.selectors import leader_items_ordered, ledger_queryset
from tests import factories as f
from tests.test_views_ledger import Ledger, user_of

URL = "/leaders/me/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ledger(world, settings):
    settings.LEDGER = {**settings.LEDGER, "PAGE_SIZE": 50}
    return Ledger(world)


def test_my_items_are_the_issues_i_am_responsible_for_open_first(client, ledger):
    client.force_login(ledger.w.leader.user)
    response = client.get(URL)
    assert response.status_code == 200
    numbers = [issue.number for issue in response.context["issues"]]
    assert ledger.keys(numbers) == {"raised_new", "due_soon", "overdue", "closed"}
    assert numbers[-1] == ledger.issues["closed"].number
    # open ones by deadline: overdue before due soon, the unassigned one (no deadline) last
    assert ledger.keys(numbers[:1]) == {"overdue"}


def test_another_leaders_items_are_not_mine(client, ledger):
    client.force_login(ledger.w.other_leader.user)
    numbers = [i.number for i in client.get(URL).context["issues"]]
    assert ledger.keys(numbers) == {"assigned", "resolved"}


def test_my_enterprises_and_projects_with_their_open_issues(client, ledger):
    w = ledger.w
    client.force_login(w.leader.user)
    response = client.get(URL)
    (enterprise,) = response.context["enterprises"]
    (project,) = response.context["projects"]
    assert enterprise == w.enterprise
    assert enterprise.open_count == 1
    assert enterprise.overdue_count == 0
    assert [i.number for i in enterprise.preview] == [ledger.issues["raised_new"].number]
    assert project == w.project
    assert project.open_count == 1
    assert project.overdue_count == 1
    html = response.content.decode()
    assert w.enterprise.name in html
    assert reverse("enterprise_detail", args=[w.enterprise.pk]) in html
    assert reverse("project_detail", args=[w.project.pk]) in html


def test_subject_counts_equal_the_ledger_rows_they_link_to(client, ledger):
    client.force_login(ledger.w.leader.user)
    response = client.get(URL)
    subjects = response.context["enterprises"] + response.context["projects"]
    for subject in subjects:
        for query, count in (
            (subject.open_query, subject.open_count),
            (subject.overdue_query, subject.overdue_count),
        ):
            rows = client.get(f"{reverse('issue_list')}?{query}").context["page_obj"]
            assert rows.paginator.count == count, (subject, query)


def test_other_leaders_enterprises_are_not_listed(client, ledger):
    client.force_login(ledger.w.other_leader.user)
    response = client.get(URL)
    assert [e.name for e in response.context["enterprises"]] == ["龙星化工有限公司"]
    assert response.context["projects"] == []
    assert ledger.w.enterprise.name not in response.content.decode()


def test_a_leader_without_enterprises_or_projects_is_told_so(client, world):
    lonely = f.LeaderFactory(user__username="leader3")
    client.force_login(lonely.user)
    response = client.get(URL)
    assert response.status_code == 200
    assert "您目前没有分包的企业或重点项目" in response.content.decode()


def _subject_with_issues(world, n):
    enterprise = f.EnterpriseFactory(leader=world.leader)
    project = f.KeyProjectFactory(leader=world.leader)
    for k in range(n):
        f.IssueFactory(raised_by=world.staff_a, enterprise=enterprise, leader=world.leader)
        f.IssueFactory(
            raised_by=world.staff_a,
            project=project,
            status="in_progress",
            leader=world.leader,
            lead_department=world.dept_b,
            deadline=f.days_from_today(k - 2),
        )


def _queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_enterprises_projects_or_issues(client, world):
    client.force_login(world.leader.user)
    client.get(URL)
    _subject_with_issues(world, 1)
    few = _queries(client)
    for _ in range(4):
        _subject_with_issues(world, 6)
    many = _queries(client)
    assert few == many


@pytest.mark.parametrize("who", ["staff_a", "supervisor", "admin"])
def test_people_who_are_not_leaders_are_refused_clearly(client, world, who):
    client.force_login(user_of(world, who))
    response = client.get(URL)
    assert response.status_code == 403
    assert "仅供区级领导使用" in response.content.decode()


def test_leader_role_without_a_leader_profile_is_refused(client, world):
    client.force_login(f.UserFactory(username="orphan", role="leader", department=None))
    assert client.get(URL).status_code == 403


def test_inactive_leader_user_cannot_sign_in_to_it(client, world):
    user = world.leader.user
    user.is_active = False
    user.save()
    client.force_login(user)
    assert client.get(URL).status_code in (302, 403)


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_bad_page_number_falls_back(client, ledger):
    client.force_login(ledger.w.leader.user)
    for page in ("abc", "999", "-1"):
        assert client.get(f"{URL}?page={page}").status_code == 200


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_leader_page_renders_in_both_languages(client, ledger, language):
    client.force_login(ledger.w.leader.user)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    lang = "zh-CN" if language == "zh-hans" else "en"
    assert f'<html lang="{lang}">' in response.content.decode()


@pytest.mark.parametrize("health", ["red", "yellow", "green", "unassigned_late", "pending", "none"])
def test_the_cards_health_badge_is_the_shared_one(health):
    """The subject card shows the health badge through the health_badge tag (it is rendered
    up to 120 times a page) instead of including ledger/_health_badge.html: the same markup
    for every light."""

    class Row:  # a preview row as the card reads it
        number, title, deadline, is_long_term = "ZZ-2026-0001", "标题", None, False

        def get_absolute_url(self):
            return "/issues/ZZ-2026-0001/"

    row = Row()
    row.health = Health(health)
    subject = type("Subject", (), {})()
    subject.pk, subject.name, subject.open_count, subject.overdue_count = 1, "企业", 9, 0
    subject.open_url = subject.overdue_url = "/issues/"
    subject.preview = [row]
    card = render_to_string(
        "ledger/_ledger_subject_card.html",
        {"subject": subject, "kind": "企业", "url_name": "enterprise_detail"},
    )
    badge = render_to_string("ledger/_health_badge.html", {"health": row.health}).strip()
    cell = re.search(r'<span class="text-nowrap small">.*?</span>(.*?)</li>', card, re.S)
    assert cell.group(1).strip() == badge
    assert (badge == "") == (health == "none")


def test_my_items_are_read_without_the_visibility_or(ledger):
    """A leader's own items are all theirs to see: the same rows as the ledger's visible set
    filtered by leader, read without visible_to's OR over their 分包 subjects (at a million
    issues that OR made the page's capped count read 550 pages instead of 7)."""
    for leader in (ledger.w.leader, ledger.w.other_leader):
        items = leader_items_ordered(leader.user)
        visible = ledger_queryset(leader.user).filter(leader_id=leader.pk)
        assert list(items.values_list("pk", flat=True)) == list(
            visible.order_by(*items.query.order_by).values_list("pk", flat=True)
        )
        assert items.exists()
        assert "ledger_enterprise" not in str(items.order_by().values("pk").query)
