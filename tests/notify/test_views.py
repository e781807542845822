"""The bell, the notification list, marking read, and the preferences page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ledger.notify.models import Notification, Preference

LIST = reverse("notify:notification_list")
COUNT = reverse("notify:notification_count")
READ_ALL = reverse("notify:notification_read_all")
PREFS = reverse("notify:notification_preferences")
ARRIVED = reverse("notify:notification_arrived")


def _notify(user, issue, n, *, read=False, kind="assign"):
    now = timezone.now()
    return Notification.objects.bulk_create(
        Notification(
            recipient=user,
            issue=issue,
            kind=kind,
            created_at=now - timezone.timedelta(minutes=k),
            read_at=now if read else None,
        )
        for k in range(n)
    )


def no_inline_script_or_style(html: str) -> bool:
    return "<style" not in html and " style=" not in html and "<script>" not in html


def test_pages_need_a_login(client):
    for url in (LIST, PREFS):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url
    # the bell of a page whose session has expired: empty, not the login page inside it
    response = client.get(COUNT)
    assert response.status_code == 200 and response.content == b""


def test_every_page_has_a_bell_that_loads_the_count_after_the_page(client, world):
    client.force_login(world.staff_b)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{LIST}"' in html and f'hx-get="{COUNT}"' in html


def test_the_count_is_the_users_unread_only(client, world):
    issue = world.in_progress_issue()
    _notify(world.staff_b, issue, 3)
    _notify(world.staff_b, issue, 2, read=True)
    _notify(world.staff_a, issue, 4)
    client.force_login(world.staff_b)
    html = client.get(COUNT).content.decode()
    assert ">3<" in html
    client.force_login(world.staff_c)
    assert "没有未读通知" in client.get(COUNT).content.decode()


def test_list_shows_only_the_users_own_with_unread_marked(client, world):
    issue = world.in_progress_issue()
    _notify(world.staff_b, issue, 2)
    _notify(world.staff_b, issue, 1, read=True)
    _notify(world.staff_a, issue, 5)
    client.force_login(world.staff_b)
    response = client.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("notify-item") == 3
    assert html.count("notify-unread") == 2
    assert "交办了该问题" in html and issue.number in html
    assert no_inline_script_or_style(html)
    only_unread = client.get(LIST + "?unread=1").content.decode()
    assert only_unread.count("notify-item") == 2


def test_a_notification_is_a_link_marked_read_on_arrival(client, world):
    issue = world.in_progress_issue()
    (notification,) = _notify(world.staff_b, issue, 1)
    client.force_login(world.staff_b)
    url = reverse("notify:notification_open", args=[notification.pk])
    html = client.get(LIST).content.decode()
    # a plain link (opens in this tab or a new one), not a form's button
    assert f'<a href="{url}"' in html
    assert 'method="post" action="' + url not in html
    assert client.post(url).status_code == 405
    response = client.get(url)
    target = f"/issues/{issue.number}/?notification={notification.pk}"
    assert response.status_code == 302 and response.url == target
    notification.refresh_from_db()
    assert notification.read_at is None  # a GET writes nothing
    # the page it leads to: its bell marks the notification read once the page is there
    arrived = f"{ARRIVED}?pk={notification.pk}"
    page = client.get(target).content.decode()
    assert f'hx-post="{arrived}"' in page and 'hx-trigger="load"' in page
    assert f'hx-post="{ARRIVED}' not in client.get(f"/issues/{issue.number}/").content.decode()
    assert client.get(arrived).status_code == 405
    answer = client.post(arrived)
    assert answer.status_code == 200 and "没有未读通知" in answer.content.decode()
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_arriving_marks_only_ones_own_notification_and_needs_csrf(client, world):
    from django.test import Client

    issue = world.in_progress_issue()
    (theirs,) = _notify(world.staff_b, issue, 1)
    _notify(world.supervisor, issue, 2)
    client.force_login(world.supervisor)
    for pk in (str(theirs.pk), "x", "١٢", "", "99999999", "9" * 40, "-1"):
        response = client.post(f"{ARRIVED}?pk={pk}")
        assert response.status_code == 200 and ">2<" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.staff_b)
    assert strict.post(f"{ARRIVED}?pk={theirs.pk}").status_code == 403
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # a page whose session has expired: an empty answer, not the login page in the bell
    anonymous = Client()
    response = anonymous.post(f"{ARRIVED}?pk={theirs.pk}")
    assert response.status_code == 200 and response.content == b""


def test_nobody_can_mark_or_open_another_users_notification(client, world):
    issue = world.in_progress_issue()
    (notification,) = _notify(world.staff_b, issue, 1)
    client.force_login(world.supervisor)
    response = client.get(reverse("notify:notification_open", args=[notification.pk]))
    assert response.status_code == 404
    client.post(READ_ALL)
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_needs_post_and_csrf(world):
    from django.test import Client

    issue = world.in_progress_issue()
    _notify(world.staff_b, issue, 3)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.staff_b)
    assert strict.post(READ_ALL).status_code == 403
    assert Notification.objects.filter(read_at=None).count() == 3


def test_mark_all_read(client, world):
    issue = world.in_progress_issue()
    _notify(world.staff_b, issue, 3)
    _notify(world.staff_a, issue, 2)
    client.force_login(world.staff_b)
    response = client.post(READ_ALL, follow=True)
    assert "已将 3 条通知标为已读" in response.content.decode()
    assert not Notification.objects.filter(recipient=world.staff_b, read_at=None).exists()
    assert Notification.objects.filter(recipient=world.staff_a, read_at=None).count() == 2


def test_an_issue_no_longer_visible_is_not_opened(client, world):
    issue = world.in_progress_issue()
    (notification,) = _notify(world.staff_c, issue, 1)  # 环保局 has nothing to do with it
    client.force_login(world.staff_c)
    response = client.get(reverse("notify:notification_open", args=[notification.pk]), follow=True)
    assert "已不在您的查看范围内" in response.content.decode()


def _list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.status_code == 200
    return len(queries), response.content.decode().count("notify-item")


@pytest.mark.parametrize("kind", ["assign", "urge", "due_soon"])
def test_query_count_is_the_same_for_5_and_50_notifications(client, world, settings, kind):
    issues = [world.in_progress_issue(), world.resolved_issue()]
    client.force_login(world.staff_b)
    client.get(LIST)  # warm the session
    for issue in issues:
        _notify(world.staff_b, issue, 2, kind=kind)
    _notify(world.staff_b, issues[0], 1, kind=kind)
    few, shown = _list_queries(client)
    assert shown == 5
    for issue in issues:
        _notify(world.staff_b, issue, 30, kind=kind)
    many, shown = _list_queries(client)
    assert shown == 20  # one page
    assert few == many <= 8


def test_preferences_turn_email_off_and_set_the_language(client, world):
    client.force_login(world.staff_b)
    page = client.get(PREFS)
    assert page.status_code == 200
    html = page.content.decode()
    assert no_inline_script_or_style(html) and 'value="assign"' in html
    keep = ["assign", "urge", "escalate"]
    response = client.post(PREFS, {"language": "en", "email_on": keep})
    assert response.status_code == 302
    preference = Preference.objects.get(user=world.staff_b)
    assert preference.language == "en"
    assert preference.wants_email("assign") and not preference.wants_email("due_soon")


def test_preferences_refuse_bad_input_with_a_message(client, world):
    client.force_login(world.staff_b)
    response = client.post(PREFS, {"language": "xx", "email_on": ["nonsense"]})
    assert response.status_code == 200
    assert "请按提示修改后重新提交" in response.content.decode()
    assert not Preference.objects.filter(user=world.staff_b, language="xx").exists()
