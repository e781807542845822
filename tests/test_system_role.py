"""Least privilege for the system accounts (issue 18, finding 7): the 系统账号 role.

zz_system (the automatic 催办/督办) and zz_enterprise (the enterprises' rating link) hold a
role that grants what workflow.transition checks for the automatic actions and nothing on a
screen or in the admin; no password signs them in and no session of theirs is honoured.
"""

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import SESSION_KEY

from ledger import selectors, workflow
from ledger.models import User
from tests import factories as f

SYSTEM_ACCOUNTS = ("zz_system", "zz_enterprise")


@pytest.mark.parametrize("username", SYSTEM_ACCOUNTS)
def test_the_system_accounts_hold_the_system_role_and_nothing_more(db, username):
    account = User.objects.get(username=username)
    assert account.role == User.Role.SYSTEM
    assert not account.has_usable_password()
    assert not (account.is_staff or account.is_superuser)
    assert account.department_id is None
    assert not account.groups.exists() and not account.user_permissions.exists()
    assert not account.sees_everything and not account.is_admin_role


def test_the_system_role_is_a_choice_the_database_accepts(db):
    from django.db import IntegrityError, transaction

    assert User.Role.SYSTEM == "system"
    assert str(User.Role.SYSTEM.label) == "系统账号"
    f.UserFactory(username="zz_other", role="system")
    with pytest.raises(IntegrityError), transaction.atomic():
        f.UserFactory(username="zz_bogus", role="robot")


def test_the_system_role_has_only_what_the_automatic_actions_check(world):
    system = User.objects.get(username="zz_system")
    issue = world.in_progress_issue()
    # workflow.transition checks these two for the automatic 催办/督办
    assert system.has_perm("ledger.view_issue", issue)
    assert system.has_perm("ledger.oversee_issue", issue)
    refused = (
        "add_issue",
        "edit_issue",
        "assign_issue",
        "handle_issue",
        "direct_issue",
        "withdraw_issue",
        "comment_issue",
        "view_directory",
        "add_enterprise",
        "add_project",
        "import_ledger",
        "export_master",
        "batch_issues",
        "view_assessment",
    )
    for right in refused:
        assert not system.has_perm(f"ledger.{right}", issue), right
        assert not system.has_perm(f"ledger.{right}"), right
    for right in ("service.record_visit", "service.view_coverage", "feedback.manage_link"):
        assert not system.has_perm(right, issue), right
    # no screen lists an issue for it
    assert not selectors.visible_to(system).exists()
    assert not selectors.ledger_queryset(system).exists()
    # an inactive system account has nothing at all
    system.is_active = False
    assert not system.has_perm("ledger.oversee_issue", issue)


def test_the_automatic_urge_and_escalate_still_pass_the_rules(world):
    from ledger.notify.reminders import system_actor

    issue = world.in_progress_issue()
    system = system_actor()
    assert system.role == User.Role.SYSTEM
    urge = workflow.transition(issue.pk, actor=system, action="urge", note="系统催办。")
    escalate = workflow.transition(issue.pk, actor=system, action="escalate", note="系统督办。")
    assert urge.actor == escalate.actor == system
    issue.refresh_from_db()
    assert issue.urge_count == 1 and issue.is_escalated
    # and nothing people do by hand
    with pytest.raises(workflow.TransitionRefused):
        workflow.transition(issue.pk, actor=system, action="comment", note="不应写入。")


def _screens(world):
    issue = world.in_progress_issue()
    return [
        "/",
        "/issues/",
        issue.get_absolute_url(),
        "/issues/new/",
        "/enterprises/",
        "/projects/",
        "/visits/",
        "/notifications/",
        "/admin/",
        "/admin/ledger/issue/",
        "/admin/ledger/user/",
    ]


@pytest.mark.parametrize("username", SYSTEM_ACCOUNTS)
def test_a_session_of_a_system_account_is_refused_on_every_screen(client, world, username):
    """A session made for it anyway (force_login stands for a forged or restored session
    row): each request goes on as an anonymous one and the session is ended."""
    account = User.objects.get(username=username)
    for path in _screens(world):
        client.force_login(account)
        assert client.session.get(SESSION_KEY) == str(account.pk)
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login/" in response.url, (path, response.url)
        assert SESSION_KEY not in client.session, path


@pytest.mark.parametrize("username", SYSTEM_ACCOUNTS)
def test_a_system_account_session_cannot_post_either(client, world, username):
    from ledger.models import Issue, IssueEvent

    account = User.objects.get(username=username)
    issue = world.in_progress_issue()
    client.force_login(account)
    before = IssueEvent.objects.count()
    response = client.post(
        f"{issue.get_absolute_url()}act/comment/",
        {"note": "伪造会话的留言。", "version": issue.version},
    )
    assert response.status_code in (302, 403, 404)
    assert IssueEvent.objects.count() == before
    assert Issue.objects.count() == 1


def test_a_person_keeps_their_session(client, world):
    client.force_login(world.staff_a)
    assert client.get("/issues/").status_code == 200
    assert SESSION_KEY in client.session


def test_the_migration_converts_the_accounts_as_they_were(db):
    """Accounts as the rooms' migrations left them (supervisor; staff after admin), even one
    given a password and the admin site by hand, become system accounts."""
    migration = importlib.import_module("ledger.migrations.0014_system_role")
    system = User.objects.get(username="zz_system")
    enterprise = User.objects.get(username="zz_enterprise")
    department = f.DepartmentFactory()
    User.objects.filter(pk=system.pk).update(role="supervisor", is_staff=True)
    User.objects.filter(pk=enterprise.pk).update(
        role="admin", is_superuser=True, department=department
    )
    system.refresh_from_db()
    system.set_password("zz-test-pass")
    system.save()
    migration.system_accounts_convert(django_apps, _SchemaEditor())
    for account in (system, enterprise):
        account.refresh_from_db()
        assert account.role == "system"
        assert not account.has_usable_password()
        assert not (account.is_staff or account.is_superuser)
        assert account.department_id is None
    person = f.SupervisorFactory(username="someone")
    migration.system_accounts_convert(django_apps, _SchemaEditor())
    person.refresh_from_db()
    assert person.role == "supervisor"  # nobody else is touched
    migration.system_accounts_back(django_apps, _SchemaEditor())
    system.refresh_from_db()
    enterprise.refresh_from_db()
    assert (system.role, enterprise.role) == ("supervisor", "staff")


class _SchemaEditor:
    class connection:  # noqa: N801 - stands in for the schema editor's attribute
        alias = "default"


def test_a_person_given_the_system_role_is_signed_out_at_the_first_page(client, db):
    """Should an administrator give someone the role, the password step may pass but no
    page opens: the session ends at the next request."""
    person = f.UserFactory(username="moved_to_system", role="system")
    person.set_password("zz-test-pass")
    person.save()
    response = client.post(
        "/accounts/login/", {"username": person.username, "password": "zz-test-pass"}
    )
    assert response.status_code in (200, 302)
    page = client.get("/issues/")
    assert page.status_code == 302 and "/login/" in page.url
    assert SESSION_KEY not in client.session
