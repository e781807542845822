"""Security hardening (issue 18): the Permissions-Policy header; the rest of the issue's
findings are tested next to what they harden (see the issue's list in the commit log)."""

import datetime
import re
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories as f


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Permissions-Policy", "")
    return dict(part.strip().split("=", 1) for part in header.split(",") if part.strip())


@pytest.mark.parametrize(
    "path",
    ["/", "/accounts/login/", "/issues/", "/no-such-page/", "/static/css/directory.css"],
)
def test_every_answer_turns_every_browser_feature_off(client, db, path):
    client.force_login(f.StaffFactory())
    response = client.get(path)
    policy = _policy(response)
    assert policy, f"{path}: no Permissions-Policy ({response.status_code})"
    assert set(policy.values()) == {"()"}, policy
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert policy[feature] == "()"


def test_anonymous_redirects_carry_the_policy_too(client, db):
    response = client.get("/issues/")
    assert response.status_code == 302
    assert _policy(response)["camera"] == "()"


def test_only_the_visit_form_may_use_the_camera_and_only_for_this_site(client, db):
    from ledger.service.models import Visit

    admin = f.AdminFactory()
    leader = f.LeaderFactory()
    visit = Visit.objects.create(
        enterprise=f.EnterpriseFactory(leader=leader),
        leader=leader,
        visited_on=datetime.date(2026, 1, 5),
        summary="了解生产经营情况。",
        created_by=admin,
    )
    client.force_login(admin)
    for url in (reverse("service:visit_create"), reverse("service:visit_edit", args=[visit.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = _policy(response)
        assert policy["camera"] == "(self)"
        assert {v for k, v in policy.items() if k != "camera"} == {"()"}
    assert _policy(client.get(reverse("service:visit_list")))["camera"] == "()"


# -- password spraying: failures per client address across user names (finding 3) ------------

RIGHT = "zz-test-pass"
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def _sign_in(client, username, password, address="10.1.2.3", url=LOGIN):
    client.logout()
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_address_limit_is_thirty_failures_in_fifteen_minutes(settings):
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT == 30
    assert settings.LOGIN_ADDRESS_WINDOW_MINUTES == 15
    assert settings.AXES_FAILURE_LIMIT == 10  # the per user name + address lock stays


@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_spraying_many_names_from_one_address_is_throttled(client, db, url):
    """The issue's probe: 36 wrong passwords over 12 accounts (3 each, far below the lock
    of one account) from one address; then the right password of one of them."""
    users = [f.AdminFactory(username=f"spray{n}") for n in range(12)]
    answers = []
    for attempt in range(36):
        answers.append(_sign_in(client, users[attempt % 12].username, "Winter2026!", url=url))
    codes = [r.status_code for r in answers]
    assert codes[:30] == [200] * 30  # the form again, "wrong user name or password"
    assert codes[30:] == [429] * 6
    refused = _sign_in(client, users[0].username, RIGHT, url=url)
    assert refused.status_code == 429
    assert not _signed_in(client)
    html = refused.content.decode()
    assert 'data-testid="lockout"' in html and "当前网络地址的登录失败次数过多" in html
    assert "15 分钟" in html
    # the other login page is closed to the address too, and another address is not
    other = ADMIN_LOGIN if url == LOGIN else LOGIN
    assert _sign_in(client, users[1].username, RIGHT, url=other).status_code == 429
    response = _sign_in(client, users[0].username, RIGHT, address="10.9.9.9", url=url)
    assert response.status_code == 302 and _signed_in(client)


def test_the_address_is_let_in_again_when_the_window_has_passed(client, db):
    from ledger.models import ThrottleHit

    user = f.StaffFactory(username="spray_late")
    for n in range(30):
        _sign_in(client, f"nobody{n}", "guess")
    assert _sign_in(client, user.username, RIGHT).status_code == 429
    # refused attempts were not counted: the window is that of the thirty failures
    assert ThrottleHit.objects.filter(scope="sign_in_address").count() == 30
    ThrottleHit.objects.update(at=timezone.now() - datetime.timedelta(minutes=16))
    response = _sign_in(client, user.username, RIGHT)
    assert response.status_code == 302 and _signed_in(client)


def test_an_office_behind_one_address_is_not_locked_out_by_everyday_mistakes(client, db):
    """Ten colleagues behind the district's one NAT address each mistype their password
    twice in the same quarter of an hour, then sign in."""
    people = [f.StaffFactory(username=f"office{n}") for n in range(10)]
    for person in people:
        for _ in range(2):
            assert _sign_in(client, person.username, "typo", address="192.0.2.1").status_code == 200
    for person in people:
        response = _sign_in(client, person.username, RIGHT, address="192.0.2.1")
        assert response.status_code == 302, person.username
        assert _signed_in(client)


def test_a_successful_sign_in_does_not_clear_the_address_count(client, db):
    """One valid account of the attacker's must not reset the count for guessing others."""
    mine = f.StaffFactory(username="spray_own")
    for round_ in range(3):
        for n in range(10):
            _sign_in(client, f"victim{n}", f"guess{round_}")
        assert _sign_in(client, mine.username, RIGHT).status_code in (302, 429)
    assert _sign_in(client, mine.username, RIGHT).status_code == 429


# -- double submission (finding 5) -------------------------------------------------------------


def test_a_batch_without_the_issues_versions_is_refused_whole_and_urges_nobody(client, world):
    from ledger.models import IssueEvent

    a, b = world.assigned_issue(), world.in_progress_issue()
    client.force_login(world.supervisor)
    posted = {"numbers": [a.number, b.number], "action": "urge"}
    for _attempt in range(2):  # the submission and its replay
        response = client.post("/issues/batch/", posted)
        assert response.status_code == 400
        assert "缺少所选问题的版本信息" in response.content.decode()
    # one version missing is enough to refuse the lot
    response = client.post("/issues/batch/", {**posted, f"version-{a.number}": a.version})
    assert response.status_code == 400
    assert not IssueEvent.objects.filter(action="urge").exists()


def _logging_data(world, token):
    return {
        "title": "厂区门前道路雨后积水",
        "description": "每逢下雨厂区门口道路积水，货车无法进出。",
        "category": world.category.pk,
        "source": world.source.pk,
        "urgency": "normal",
        "enterprise": world.enterprise.pk,
        "enterprise_text": world.enterprise.name,
        "creation_token": token,
    }


def test_the_logging_page_carries_a_fresh_single_use_token(client, world):
    from ledger.services.creation import TOKEN_PATTERN

    client.force_login(world.staff_a)
    tokens = set()
    for _page in range(2):
        html = client.get(reverse("issue_create")).content.decode()
        tokens |= set(re.findall(r'name="creation_token" value="([0-9a-f]+)"', html))
    assert len(tokens) == 2 and all(TOKEN_PATTERN.match(t) for t in tokens)


def test_a_replayed_logging_form_logs_one_issue_and_leads_to_it(client, world):
    from ledger.models import Issue

    client.force_login(world.staff_a)
    data = _logging_data(world, "a" * 32)
    first = client.post(reverse("issue_create"), data)
    issue = Issue.objects.get()
    assert first.status_code == 302 and first.url == issue.get_absolute_url()
    again = client.post(reverse("issue_create"), data, follow=True)
    assert Issue.objects.count() == 1
    assert again.redirect_chain[-1][0] == issue.get_absolute_url()
    assert f"该登记页面已经提交过，问题已登记为 {issue.number}，未重复登记。" in (
        again.content.decode()
    )


def test_a_logging_form_without_its_token_logs_nothing(client, world):
    from ledger.models import Issue

    client.force_login(world.staff_a)
    for token in ("", "not-a-token", "A" * 32):
        response = client.post(reverse("issue_create"), _logging_data(world, token))
        assert response.status_code == 200
        assert "页面信息不完整，请刷新页面后重新提交。" in response.content.decode()
    assert not Issue.objects.exists()


def test_another_persons_token_neither_logs_nor_shows_their_issue(client, world):
    from ledger.models import Issue

    client.force_login(world.staff_a)
    client.post(reverse("issue_create"), _logging_data(world, "b" * 32), follow=True)
    issue = Issue.objects.get()
    client.force_login(world.staff_c)
    response = client.post(reverse("issue_create"), _logging_data(world, "b" * 32), follow=True)
    assert Issue.objects.count() == 1
    assert issue.number not in response.content.decode()


def test_a_refused_logging_leaves_the_token_usable(client, world, monkeypatch):
    """The claim is part of the logging's transaction: a refusal takes it back with it."""
    from ledger import workflow
    from ledger.models import CreationToken, Issue

    client.force_login(world.staff_a)
    real = workflow.issue_raise

    def refused(**kwargs):
        raise workflow.TransitionRefused("暂不能登记。")

    monkeypatch.setattr(workflow, "issue_raise", refused)
    data = _logging_data(world, "c" * 32)
    assert client.post(reverse("issue_create"), data).status_code == 200
    assert not CreationToken.objects.exists()
    monkeypatch.setattr(workflow, "issue_raise", real)
    assert client.post(reverse("issue_create"), data).status_code == 302
    assert Issue.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_submissions_of_one_logging_page_at_once_log_one_issue(world, monkeypatch):
    """A double click: the same page posted twice at the same moment (threads on
    PostgreSQL, the second waiting on the token's unique index; in turn on SQLite)."""
    from django.test import Client

    from ledger import workflow
    from ledger.models import Issue
    from tests.test_concurrency import race

    write = workflow.core._event_write

    def slow(*args, **kwargs):
        time.sleep(0.3)  # the first keeps its transaction open while the second arrives
        return write(*args, **kwargs)

    monkeypatch.setattr(workflow.core, "_event_write", slow)
    clients = [Client(), Client()]
    for one in clients:
        one.force_login(world.staff_a)
    data = _logging_data(world, "d" * 32)
    results = race(*[lambda one=one: one.post(reverse("issue_create"), data) for one in clients])
    assert all(getattr(r, "status_code", None) == 302 for r in results), results
    issue = Issue.objects.get()
    assert {r.url for r in results} == {issue.get_absolute_url()}


# -- system accounts never sign in (finding 7) -------------------------------------------------

SYSTEM_ACCOUNTS = ("zz_system", "zz_enterprise")


def test_the_system_accounts_have_no_password_and_no_admin_site(db, settings):
    from ledger.models import User

    assert set(settings.SYSTEM_ACCOUNTS) == set(SYSTEM_ACCOUNTS)
    accounts = User.objects.filter(username__in=SYSTEM_ACCOUNTS)
    assert accounts.count() == 2  # created by the rooms' migrations
    for account in accounts:
        assert not account.has_usable_password()
        assert not account.is_staff and not account.is_superuser


@pytest.mark.parametrize("username", SYSTEM_ACCOUNTS)
@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_no_system_account_signs_in_even_with_a_password(client, db, username, url):
    """Even when someone gave the account a password (and the admin site), the login views
    give it no session: refused as a wrong password."""
    from ledger.models import User

    account = User.objects.get(username=username)
    account.set_password(RIGHT)
    account.is_staff = True
    account.save()
    for name in (username, username.upper(), f" {username} "):
        response = _sign_in(client, name, RIGHT, url=url)
        assert response.status_code == 200, name  # the form again
        assert not _signed_in(client)


@pytest.mark.parametrize("username", SYSTEM_ACCOUNTS)
def test_no_system_account_gets_a_password_reset_mail(client, db, username, mailoutbox):
    from ledger.models import User

    account = User.objects.get(username=username)
    account.email = f"{username}@example.invalid"
    account.save()
    response = client.post(reverse("password_reset"), {"email": account.email})
    assert response.status_code == 302
    assert mailoutbox == []


def test_what_acts_through_the_system_accounts_still_works(world):
    """The automatic 督办 and an enterprise's rating are recorded under them."""
    from ledger.notify.reminders import system_actor
    from ledger.service.feedback.services import enterprise_account

    issue = world.in_progress_issue()
    from ledger import workflow

    event = workflow.transition(issue.pk, actor=system_actor(), action="urge", note="系统催办。")
    assert event.actor.username == "zz_system"
    # the system role: what the automatic actions check (view, oversee), nothing else
    enterprise = enterprise_account()
    assert event.actor.role == enterprise.role == "system" and enterprise.department_id is None
    for right in ("comment_issue", "handle_issue", "add_issue", "edit_issue", "assign_issue"):
        assert not enterprise.has_perm(f"ledger.{right}", issue), right
    assert not enterprise.sees_everything
    from ledger import selectors

    assert not selectors.visible_to(enterprise).exists()
    event = workflow.feedback_record(
        world.resolved_issue().pk, actor=enterprise, satisfaction="satisfied", note="王厂长评价。"
    )
    assert event.actor == enterprise
