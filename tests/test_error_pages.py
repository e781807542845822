"""Error pages speak the user's language and say that nothing was changed."""

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.views import defaults


@pytest.mark.parametrize(
    ("language", "text"),
    [("zh-hans", "页面不存在"), ("en", "Page not found")],
)
def test_unknown_page_is_a_friendly_404(client, world, language, text):
    client.force_login(world.staff_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert text in response.content.decode()
    assert 'data-testid="error-404"' in response.content.decode()


def test_anonymous_404_has_no_user_menu(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'data-testid="whoami"' not in response.content.decode()


def test_expired_form_gets_the_csrf_page_and_changes_nothing(world):
    issue = world.raise_issue()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.supervisor)
    response = strict.post(f"/issues/{issue.number}/act/urge/", {"version": issue.version})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()
    issue.refresh_from_db()
    assert issue.urge_count == 0


def test_server_error_page_is_bilingual_and_needs_no_database(db):
    request = RequestFactory().get("/")
    response = defaults.server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert "系统出错" in html and "Server error" in html
    assert "没有保存任何内容" in html
