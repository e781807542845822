"""Demo data: holidays for the demo years and notifications in the demo users' bells."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from ledger.models import Holiday, User
from ledger.notify.models import Notification
from ledger.notify.recipients import SYSTEM_USERNAME


@pytest.fixture(scope="module")
def seed_output(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seed_output, db):
    return seed_output


def test_the_demo_years_have_their_holidays(seeded):
    year = timezone.localdate().year
    for demo_year in {year - 1, year} & set(range(2004, 2027)):
        assert Holiday.objects.filter(date__year=demo_year, kind="holiday").count() >= 25


@pytest.mark.parametrize("username", ["supervisor", "leader", "staff"])
def test_demo_users_have_read_and_unread_notifications(seeded, username):
    mine = Notification.objects.filter(recipient__username=username)
    assert mine.filter(read_at=None).count() >= 3, username
    assert mine.exclude(read_at=None).count() >= 3, username
    user = User.objects.get(username=username)
    for notification in mine.select_related("issue__enterprise", "issue__project"):
        assert user.has_perm("ledger.view_issue", notification.issue)
        assert notification.actor_id != user.pk
    assert not mine.exclude(email_state="none").exists()  # the demo sends no e-mail


def test_seeding_again_adds_no_notification(seeded):
    before = Notification.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert Notification.objects.count() == before


def test_the_system_account_is_no_demo_login_and_cannot_sign_in(seeded, client):
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    assert SYSTEM_USERNAME not in out.getvalue()
    system = User.objects.get(username=SYSTEM_USERNAME)
    assert not system.has_usable_password() and not system.is_staff
    assert not client.login(username=SYSTEM_USERNAME, password="")
    assert not Notification.objects.filter(recipient=system).exists()


def test_demo_reminders_on_a_working_day_write_no_event_and_no_email(seeded):
    from ledger.models import IssueEvent
    from ledger.notify.demo import notifications_seed
    from ledger.notify.models import ReminderLog
    from ledger.workdays import is_working_day, next_working_day

    today = timezone.localdate()
    day = today if is_working_day(today) else next_working_day(today)
    events = IssueEvent.objects.count()
    notifications_seed(today=day, stdout=io.StringIO())
    reminders = Notification.objects.filter(kind__in=["due_soon", "not_accepted", "not_assigned"])
    assert reminders.exists() and ReminderLog.objects.exists()
    assert not reminders.exclude(email_state="none").exists()
    assert IssueEvent.objects.count() == events
    count = Notification.objects.count()
    notifications_seed(today=day, stdout=io.StringIO())
    assert Notification.objects.count() == count


def test_demo_bells_speak_to_co_departments_in_their_own_words(seeded):
    from ledger.notify.services import notification_text

    told_as_co = 0
    assigned = Notification.objects.filter(kind="assign").select_related(
        "recipient", "actor", "issue"
    )
    for notification in assigned:
        issue, user = notification.issue, notification.recipient
        co = {d.pk for d in issue.co_departments.all()}
        if user.role == "staff" and user.department_id in co - {issue.lead_department_id}:
            told_as_co += 1
            text = notification_text(notification)
            assert "配合单位" in text and "签收" not in text, text
    assert told_as_co, "the demo has co-departments told of an assignment"
