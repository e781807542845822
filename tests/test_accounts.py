"""Password change and reset (issue 9, item 6): in the app's layout, linked from the user
menu, and leading back to the app, never to the Django admin."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests import factories as f

CHANGE = reverse("password_change")
RESET = reverse("password_reset")


@pytest.fixture
def person(db):
    user = f.StaffFactory(
        username="zhang", email="zhang@example.com", department=f.DepartmentFactory()
    )
    user.set_password("旧密码-Old-2026")
    user.save()
    return user


def in_app_layout(response) -> str:
    assert response.status_code == 200
    names = [t.name for t in response.templates]
    assert "base.html" in names and "admin/base.html" not in names
    html = response.content.decode()
    assert "/admin/" not in html  # no link into the admin (it sent people to /admin/login/)
    assert "中站问题台账" in html
    return html


def test_the_user_menu_links_to_password_change(client, person):
    client.force_login(person)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{CHANGE}"' in html


def test_login_page_links_to_password_reset(client, db):
    html = in_app_layout(client.get(reverse("login")))
    assert f'href="{RESET}"' in html


def test_password_change_in_the_app_and_back_to_the_app(client, person):
    client.force_login(person)
    html = in_app_layout(client.get(CHANGE))
    assert 'name="old_password"' in html and 'name="new_password1"' in html
    response = client.post(
        CHANGE,
        {
            "old_password": "旧密码-Old-2026",
            "new_password1": "Zhongzhan-新密码-77",
            "new_password2": "Zhongzhan-新密码-77",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    html = in_app_layout(client.get(response["Location"]))
    assert f'href="{reverse("home")}"' in html
    person.refresh_from_db()
    assert person.check_password("Zhongzhan-新密码-77")


def test_a_wrong_old_password_is_explained_in_the_app(client, person):
    client.force_login(person)
    response = client.post(
        CHANGE,
        {
            "old_password": "wrong",
            "new_password1": "Abcdef-123456",
            "new_password2": "Abcdef-123456",
        },
    )
    html = in_app_layout(response)
    assert response.context["form"].errors["old_password"]
    assert "密码尚未修改" in html


def test_password_change_needs_sign_in(client, db):
    response = client.get(CHANGE)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_password_reset_by_mail_stays_in_the_app(client, person, settings):
    settings.SITE_URL = "https://ledger.example.gov.cn"
    in_app_layout(client.get(RESET))
    response = client.post(RESET, {"email": "zhang@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    in_app_layout(client.get(response["Location"]))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "重设问题台账的登录密码" in message.subject
    # on SITE_URL, not on the host the request came in at (testserver)
    link = re.search(r"https://ledger\.example\.gov\.cn(/\S+)", message.body).group(1)
    response = client.get(link)  # redirects to the set-password URL without the token
    assert response.status_code == 302
    set_url = response["Location"]
    html = in_app_layout(client.get(set_url))
    assert 'name="new_password1"' in html
    response = client.post(
        set_url, {"new_password1": "Zhongzhan-重设-88", "new_password2": "Zhongzhan-重设-88"}
    )
    assert response["Location"] == reverse("password_reset_complete")
    html = in_app_layout(client.get(response["Location"]))
    assert f'href="{reverse("login")}"' in html
    person.refresh_from_db()
    assert person.check_password("Zhongzhan-重设-88")


def test_a_used_or_bad_reset_link_says_so_in_the_app(client, person):
    url = reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "bad-token"})
    html = in_app_layout(client.get(url))
    assert 'data-testid="invalid-link"' in html and f'href="{RESET}"' in html


@pytest.mark.parametrize(
    "name", ["password_change", "password_reset", "password_reset_done", "password_reset_complete"]
)
def test_account_pages_render_in_english_too(client, person, settings, name):
    client.force_login(person)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert 'lang="en"' in response.content.decode()
