"""Home (工作台): each role's cards, and every card's count equals its ledger link's rows."""

from urllib.parse import urlencode

import pytest
from django.db.models import F
from django.http import QueryDict
from django.urls import reverse

from ledger.filters import IssueFilter
from ledger.models import Issue
from ledger.selectors import first_rows, home_cards, home_scopes, ledger_queryset
from tests import factories as f
from tests.test_views_ledger import Ledger, user_of


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ledger(world, settings):
    settings.LEDGER = {**settings.LEDGER, "PAGE_SIZE": 50}
    return Ledger(world)


# what waits for whom in the Ledger scenario (see tests/test_views_ledger.py)
EXPECTED = {
    "staff_a": {
        "to_accept": 0,
        "to_progress": 0,
        "due_soon": 0,
        "overdue": 0,
        "co_open": 0,
        "co_due_soon": 0,
        "co_overdue": 0,
        "raised_by_us": 1,
        "raised_late": 1,
        "raised_due_soon": 1,
        "raised_overdue": 0,
    },
    "staff_b": {
        "to_accept": 1,
        "to_progress": 1,
        "due_soon": 1,
        "overdue": 0,
        "co_open": 0,
        "co_due_soon": 0,
        "co_overdue": 0,
        "raised_by_us": 1,
        "raised_late": 0,
        "raised_due_soon": 0,
        "raised_overdue": 0,
    },
    "staff_c": {
        "to_accept": 0,
        "to_progress": 1,
        "due_soon": 0,
        "overdue": 1,
        "co_open": 1,
        "co_due_soon": 1,
        "co_overdue": 0,
        "raised_by_us": 0,
        "raised_late": 0,
        "raised_due_soon": 0,
        "raised_overdue": 1,
    },
    "leader": {
        "my_items": 3,
        "due_soon": 1,
        "overdue": 1,
        "awaiting_close": 0,
        "extensions": 0,
        "to_assign": 1,
        "subjects_due_soon": 1,
        "subjects_overdue": 1,
    },
    "other_leader": {
        "my_items": 1,
        "due_soon": 0,
        "overdue": 0,
        "awaiting_close": 1,
        "extensions": 1,
        "to_assign": 0,
        "subjects_due_soon": 0,
        "subjects_overdue": 0,
    },
    "supervisor": {
        "unassigned": 2,
        "unassigned_late": 1,
        "overdue": 1,
        "due_soon": 1,
        "awaiting_close": 1,
        "extensions": 1,
    },
}
EXPECTED["admin"] = EXPECTED["supervisor"]


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_home_shows_what_waits_for_each_role(client, ledger, who):
    client.force_login(user_of(ledger.w, who))
    response = client.get("/")
    assert response.status_code == 200
    cards = {card.key: card.count for card in response.context["cards"]}
    assert cards == EXPECTED[who]


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_card_count_equals_the_rows_of_the_ledger_it_links_to(client, ledger, who):
    user = user_of(ledger.w, who)
    client.force_login(user)
    html = client.get("/").content.decode()
    for card in home_cards(user):
        link = f"{reverse('issue_list')}?{card.query}"
        assert f'href="{link.replace("&", "&amp;")}"' in html
        response = client.get(link)
        assert response.status_code == 200
        assert not response.context["filter_errors"], card
        assert response.context["page_obj"].paginator.count == card.count, card


def test_card_counts_follow_the_ledger_as_issues_move(client, ledger):
    """A card and its ledger agree after a change, not only by construction of the scenario."""
    w = ledger.w
    w.assigned_issue(lead=w.dept_b)
    counts = {card.key: card.count for card in home_cards(w.staff_b)}
    assert counts["to_accept"] == 2


def test_most_urgent_open_issues_come_first(client, ledger):
    client.force_login(ledger.w.supervisor)
    response = client.get("/")
    numbers = [issue.number for issue in response.context["issues"]]
    assert numbers[:2] == [ledger.issues["overdue"].number, ledger.issues["due_soon"].number]
    assert ledger.issues["closed"].number not in numbers
    assert ledger.issues["withdrawn"].number not in numbers


def test_the_urgent_list_is_the_head_of_the_ledger_it_links_to(client, ledger):
    client.force_login(ledger.w.supervisor)
    response = client.get("/")
    shown = [issue.number for issue in response.context["issues"]]
    linked = client.get(f"{reverse('issue_list')}?{response.context['urgent_query']}")
    assert [issue.number for issue in linked.context["issues"]][: len(shown)] == shown
    assert linked.context["page_obj"].paginator.count == 5  # the open issues


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_every_urgent_row_is_counted_by_a_card_of_its_health(client, ledger, who):
    """Issue 9 item 2: staff_a saw 临期 0 while a due-soon issue their unit raised headed the
    list under the cards. Every overdue / due-soon / unassigned-too-long row of the urgent
    list is now in the ledger of a card of that health, and every row is in a set shown."""
    user = user_of(ledger.w, who)
    client.force_login(user)
    response = client.get("/")
    cards = response.context["cards"]
    in_card = {}
    for card in cards:
        rows = IssueFilter(QueryDict(card.query), queryset=ledger_queryset(user)).qs
        in_card[card.key] = set(rows.values_list("number", flat=True))
    tiles = {"red": "已逾期", "yellow": "临期", "unassigned_late": "超时未交办"}
    in_scope = {}
    for scope, _label, params in home_scopes(user):
        rows = IssueFilter(QueryDict(urlencode(params)), queryset=ledger_queryset(user)).qs
        in_scope[scope] = set(rows.values_list("number", flat=True))
    assert response.context["issues"]
    for issue in response.context["issues"]:
        assert any(issue.number in numbers for numbers in in_scope.values()), issue
        if issue.health in tiles:
            counted = [
                card.key
                for card in cards
                if ("health", issue.health) in card.params and issue.number in in_card[card.key]
            ]
            assert counted, (who, issue.number, tiles[issue.health])


def test_staff_home_names_the_set_of_each_card_and_row(client, ledger):
    client.force_login(ledger.w.staff_c)
    response = client.get("/")
    html = response.content.decode()
    for label in ("本单位牵头", "本单位配合", "本单位登记"):
        assert label in html
    assert "本单位牵头、配合或登记" in html
    rows = {issue.number: issue.scope_labels for issue in response.context["issues"]}
    assert [str(x) for x in rows[ledger.issues["due_soon"].number]] == ["本单位配合"]
    assert [str(x) for x in rows[ledger.issues["overdue"].number]] == ["本单位牵头", "本单位登记"]


def test_staff_urgent_list_leaves_out_what_no_card_counts(client, ledger):
    """A user who moved units still sees what they raised before (visible_to), but no card of
    their new unit counts it, so the urgent list under the cards leaves it out."""
    w = ledger.w
    w.staff_a.department = w.dept_c
    w.staff_a.save()
    client.force_login(w.staff_a)
    numbers = {issue.number for issue in client.get("/").context["issues"]}
    assert ledger.issues["raised_late"].number not in numbers
    assert ledger.issues["overdue"].number in numbers


def test_urgent_list_only_holds_issues_the_user_may_see(client, ledger):
    client.force_login(ledger.w.staff_a)
    numbers = {issue.number for issue in client.get("/").context["issues"]}
    assert ledger.keys(numbers) == {"raised_late", "assigned", "due_soon"}


def test_leader_role_without_a_leader_profile_gets_an_explanation_not_an_error(client, world):
    orphan = f.UserFactory(username="orphan", role="leader", department=None)
    client.force_login(orphan)
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["cards"] == []
    assert "尚未设置单位或领导信息" in response.content.decode()


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("who", ["staff_b", "leader", "supervisor"])
def test_home_renders_in_both_languages(client, ledger, who, language):
    client.force_login(user_of(ledger.w, who))
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    lang = "zh-CN" if language == "zh-hans" else "en"
    assert f'<html lang="{lang}">' in response.content.decode()


def test_first_rows_are_the_head_of_the_ordered_rows(world, django_assert_num_queries):
    """first_rows (the home's urgent list, the dashboard's lists): the ids in order, then the
    rows — the same rows, in the same order, as the one LIMITed query, with what a row shows.
    The issues are made so that the order asked for is the reverse of their ids."""
    made = [world.assigned_issue(deadline_days=days) for days in (10, 9, 5, 1)]
    Issue.objects.filter(pk=made[2].pk).update(deadline=f.days_from_today(-2))
    rows = (
        ledger_queryset(world.supervisor)
        .filter(pk__in=[issue.pk for issue in made])
        .order_by(F("deadline").asc(), "-year", "-seq")
    )
    expected = [made[2].pk, made[3].pk, made[1].pk]
    assert [issue.pk for issue in rows[:3]] == expected
    # ids, rows, co-departments
    with django_assert_num_queries(3):
        head = first_rows(rows, 3)
        assert [issue.pk for issue in head] == expected
        assert [issue.health.value for issue in head] == ["red", "yellow", "green"]
        assert all(issue.category.name for issue in head)  # loaded with the row
    assert first_rows(rows.filter(pk=0), 3) == []
