"""E-mail: sent from a task after commit, in the recipient's language, with a link to the
issue; turned off per kind; a failing mailer is retried with backoff and never touches the
user's action."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ledger import workflow
from ledger.models import Issue
from ledger.notify.models import Notification, Preference
from ledger.notify.tasks import notification_email_send
from tests import factories as f

FAILING = {"default": {"BACKEND": "tests.notify.mailers.FailingBackend"}}


def _assign(w, issue=None):
    issue = issue or w.raise_issue()
    workflow.transition(
        issue,
        actor=w.supervisor,
        action="assign",
        leader=w.leader,
        lead_department=w.dept_b,
        deadline=f.days_from_today(10),
    )
    return issue


def test_each_recipient_gets_one_email_with_the_issue_link(people, committed, settings):
    settings.SITE_URL = "https://ledger.example.gov.cn"
    issue = people.raise_issue()
    mail.outbox.clear()
    committed(_assign, people, issue)
    to = sorted(address for message in mail.outbox for address in message.to)
    assert to == sorted(
        f"{name}@example.invalid" for name in ("staff_b", "staff_b2", "leader1", "staff_a")
    )
    message = next(m for m in mail.outbox if m.to == ["staff_b@example.invalid"])
    assert issue.number in message.subject and "交办" in message.subject
    assert f"https://ledger.example.gov.cn/issues/{issue.number}/" in message.body
    assert (
        "https://ledger.example.gov.cn" + reverse("notify:notification_preferences") in message.body
    )
    states = set(Notification.objects.filter(issue=issue).values_list("email_state", flat=True))
    assert states == {Notification.Email.SENT}


def test_email_is_in_the_recipients_language(people, committed):
    Preference.objects.create(user=people.staff_b, language="en")
    mail.outbox.clear()
    committed(_assign, people)
    english = next(m for m in mail.outbox if m.to == ["staff_b@example.invalid"])
    chinese = next(m for m in mail.outbox if m.to == ["staff_b2@example.invalid"])
    assert "Assign" in english.subject and "交办" not in english.subject
    assert "交办" in chinese.subject


def test_a_user_may_turn_email_off_for_a_kind_and_still_sees_it_in_the_bell(people, committed):
    Preference.objects.create(user=people.staff_b, email_off=["assign"])
    mail.outbox.clear()
    issue = committed(_assign, people)
    assert not [m for m in mail.outbox if m.to == ["staff_b@example.invalid"]]
    notification = Notification.objects.get(issue=issue, recipient=people.staff_b)
    assert notification.email_state == Notification.Email.NONE
    assert notification.read_at is None


def test_no_email_for_a_user_without_an_address(people, committed):
    type(people.staff_b).objects.filter(pk=people.staff_b.pk).update(email="")
    issue = people.raise_issue()
    mail.outbox.clear()
    committed(_assign, people, issue)
    assert Notification.objects.get(issue=issue, recipient=people.staff_b).email_state == "none"
    assert len(mail.outbox) == 3


def test_nothing_is_sent_for_an_action_that_did_not_commit(
    people, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _assign(people)
    assert callbacks and not mail.outbox and not Notification.objects.exists()


def test_a_failing_mailer_leaves_the_action_committed_and_is_retried(
    people, committed, client, settings
):
    """Immediate backend (development): every retry runs at once, up to the limit."""
    settings.MAILERS = FAILING
    settings.NOTIFY = {**settings.NOTIFY, "EMAIL_MAX_ATTEMPTS": 3}
    issue = _assign(people)
    client.force_login(people.staff_b)
    url = reverse("issue_action", args=[issue.number, "accept"])
    response = committed(client.post, url, {"version": issue.version})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == "in_progress"
    assert issue.events.filter(action="accept").count() == 1
    notification = Notification.objects.get(issue=issue, kind="accept", recipient=people.staff_a)
    assert notification.email_state == Notification.Email.FAILED
    assert notification.email_attempts == 3
    assert "refused" in notification.email_error
    # the bell has it all the same
    assert notification.read_at is None


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_with_the_database_worker_a_failure_is_retried_later_with_backoff(
    people, committed, settings, database_tasks
):
    settings.NOTIFY = {**settings.NOTIFY, "EMAIL_MAX_ATTEMPTS": 3, "EMAIL_RETRY_SECONDS": 60}
    issue = committed(_assign, people)
    notification = Notification.objects.get(issue=issue, recipient=people.staff_b)
    queued = DBTaskResult.objects.filter(args_kwargs__args=[notification.pk])
    assert queued.count() == 1  # enqueued after commit, not run yet
    settings.MAILERS = FAILING

    before = timezone.now()
    state = _run(notification.pk, committed)
    assert state == "retrying"
    notification.refresh_from_db()
    assert notification.email_attempts == 1
    delay = notification.email_next_attempt_at - before
    assert datetime.timedelta(seconds=59) < delay < datetime.timedelta(seconds=70)
    retry = queued.order_by("-enqueued_at").first()
    assert queued.count() == 2 and retry.run_after == notification.email_next_attempt_at

    # second failure waits twice as long; the third is the last
    before = timezone.now()
    assert _run(notification.pk, committed) == "retrying"
    notification.refresh_from_db()
    assert datetime.timedelta(seconds=119) < notification.email_next_attempt_at - before
    assert _run(notification.pk, committed) == "failed"
    assert queued.count() == 3  # no retry after the last attempt

    # the mailer is back: an administrator's retry (or a pending one) sends it
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    Notification.objects.filter(pk=notification.pk).update(email_state="pending", email_attempts=0)
    mail.outbox.clear()
    assert _run(notification.pk, committed) == "sent"
    assert [m.to for m in mail.outbox] == [["staff_b@example.invalid"]]
    assert _run(notification.pk, committed) == "skipped"  # never sent twice


def _run(pk, committed):
    return committed(notification_email_send.call, pk)


def test_a_broken_notifier_never_turns_the_users_success_into_an_error(
    people, committed, client, monkeypatch
):
    from ledger.notify import services

    def broken(event_id):
        raise RuntimeError("database hiccup while notifying")

    monkeypatch.setattr(services, "event_notify", broken)
    issue = _assign(people)
    client.force_login(people.staff_b)
    url = reverse("issue_action", args=[issue.number, "accept"])
    response = committed(client.post, url, {"version": issue.version})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == "in_progress"


def test_a_mail_queued_before_a_title_change_carries_the_current_title(
    people, committed, database_tasks
):
    """The queue is read at send time: a mail waiting while the raising department
    corrects the title goes out with the title the issue has then, in subject and body."""
    issue = committed(people.raise_issue, title="厂区门前道路积水")  # the office is told
    waiting = list(Notification.objects.filter(issue=issue, email_state=Notification.Email.PENDING))
    assert waiting  # enqueued after commit, not sent yet
    committed(
        workflow.transition,
        issue.pk,
        actor=people.supervisor,
        action="edit",
        title="厂区门前道路雨后积水严重",
        expected_version=Issue.objects.get(pk=issue.pk).version,
    )
    mail.outbox.clear()
    for notification in waiting:
        assert _run(notification.pk, committed) == Notification.Email.SENT
    assert len(mail.outbox) == len(waiting)
    for message in mail.outbox:
        assert "厂区门前道路雨后积水严重" in message.subject
        assert "厂区门前道路雨后积水严重" in message.body
        for text in (message.subject, message.body):
            assert "厂区门前道路积水" not in text.replace("厂区门前道路雨后积水严重", "")


def test_no_mail_names_an_issue_its_recipient_can_no_longer_see(people, committed, database_tasks):
    """Reassigned away while the mail waited: the old lead department is not sent the
    issue's title (its bell shows the notice without it); the new one is told as usual."""
    issue = committed(_assign, people)
    waiting = Notification.objects.get(issue=issue, recipient=people.staff_b)
    assert waiting.email_state == Notification.Email.PENDING
    committed(
        workflow.transition,
        issue.pk,
        actor=people.supervisor,
        action="reassign",
        lead_department=people.dept_c,
        note="职责调整。",
    )
    assert not people.staff_b.has_perm("ledger.view_issue", Issue.objects.get(pk=issue.pk))
    mail.outbox.clear()
    assert _run(waiting.pk, committed) == "skipped"
    assert not [m for m in mail.outbox if "staff_b@example.invalid" in m.to]
    waiting.refresh_from_db()
    assert waiting.email_state == Notification.Email.NONE and waiting.email_attempts == 0
    assert _run(waiting.pk, committed) == "skipped"  # and never later
    told = Notification.objects.filter(issue=issue, recipient=people.staff_c).latest("pk")
    assert _run(told.pk, committed) == "sent"
    assert [m.to for m in mail.outbox] == [["staff_c@example.invalid"]]
