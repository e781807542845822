"""The core's pages and a few core journeys, run by tests/test_without_rooms.py in a subprocess
under tests/settings_without_room.py, once per room removed (not collected by the main run: the
file name does not start with test_)."""

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from ledger import workflow
from ledger.rooms import rooms
from ledger.selectors import visible_to
from tests import factories as f

ROOM = settings.WITHOUT_ROOM  # the label tests/settings_without_room.py removed


def test_the_room_is_gone():
    assert ROOM not in {room.label for room in rooms()}
    assert not apps.is_installed(settings.ROOMS[ROOM])


@pytest.fixture
def issues(world):
    """An issue in every step the pages show: raised, assigned, in progress, resolved."""
    return {
        "raised": world.raise_issue(enterprise=world.enterprise),
        "assigned": world.assigned_issue(project=world.project),
        "in_progress": world.in_progress_issue(),
        "resolved": world.resolved_issue(enterprise=world.enterprise),
    }


def core_pages(world, issues, user):
    """Every core page `user` may open: the lists, print, directories, the issues it sees."""
    pages = [
        reverse("home"),
        reverse("issue_list"),
        reverse("issue_list") + "?sort=health&status=assigned",
        reverse("issue_print"),
        reverse("enterprise_list"),
        reverse("enterprise_detail", kwargs={"pk": world.enterprise.pk}),
        reverse("project_list"),
        reverse("project_detail", kwargs={"pk": world.project.pk}),
    ]
    if user.role == "leader":
        pages.append(reverse("leader_me"))
    seen = visible_to(user)
    pages += [issue.get_absolute_url() for issue in issues.values() if issue in seen]
    return pages


def get_ok(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (user.username, url, response.status_code)
    return response


@pytest.mark.parametrize("who", ["staff_a", "staff_b", "supervisor", "leader", "admin"])
def test_every_core_page_renders(client, world, issues, who):
    user = world.leader.user if who == "leader" else getattr(world, who)
    pages = core_pages(world, issues, user)
    assert sum("/issues/ZZ-" in url for url in pages) >= 2, pages
    for url in pages:
        get_ok(client, user, url)


def test_the_forms_render(client, world, issues):
    get_ok(client, world.staff_a, reverse("issue_create"))
    get_ok(client, world.staff_a, reverse("issue_edit", kwargs={"number": issues["raised"].number}))
    get_ok(client, world.supervisor, reverse("enterprise_create"))
    get_ok(client, world.supervisor, reverse("project_create"))
    get_ok(
        client,
        world.supervisor,
        reverse("enterprise_edit", kwargs={"pk": world.enterprise.pk}),
    )
    get_ok(client, world.supervisor, reverse("project_edit", kwargs={"pk": world.project.pk}))
    for user, key, action in [
        (world.supervisor, "raised", "assign"),
        (world.staff_b, "assigned", "accept"),
        (world.staff_b, "in_progress", "resolve"),
        (world.staff_b, "in_progress", "progress"),
        (world.supervisor, "resolved", "close"),
        (world.supervisor, "resolved", "reopen"),
    ]:
        url = reverse("issue_action", kwargs={"number": issues[key].number, "action": action})
        get_ok(client, user, url)


def test_the_admin_renders(client, world, issues):
    for url in [
        reverse("admin:index"),
        reverse("admin:ledger_issue_changelist"),
        reverse("admin:ledger_issue_change", args=[issues["assigned"].pk]),
        reverse("admin:ledger_enterprise_changelist"),
    ]:
        get_ok(client, world.admin, url)


def test_an_issue_goes_from_raised_to_closed(world):
    issue = world.resolved_issue()
    workflow.transition(
        issue, actor=world.supervisor, action="close", note="已核实", satisfaction="satisfied"
    )
    issue.refresh_from_db()
    assert issue.status == "closed"
    assert [e.action for e in issue.events.order_by("pk")] == [
        "raise",
        "assign",
        "accept",
        "resolve",
        "close",
    ]


def test_a_new_user_signs_in(client, world):
    f.StaffFactory(username="newcomer", password="a long passphrase 1")
    response = client.post(
        reverse("login"), {"username": "newcomer", "password": "a long passphrase 1"}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
