"""The notify admin: every page opens; notifications are read-only with a retry action."""

from django.urls import reverse

from ledger.notify.models import Notification, Preference, ReminderLog


def _rows(world):
    issue = world.in_progress_issue()
    notification = Notification.objects.create(
        recipient=world.staff_b,
        issue=issue,
        kind="urge",
        created_at=issue.raised_at,
        email_state="failed",
        email_attempts=5,
        email_error="ConnectionRefusedError: refused",
    )
    log = ReminderLog.objects.create(issue=issue, kind="due_soon", day=issue.deadline)
    preference = Preference.objects.create(user=world.staff_b, email_off=["due_soon"])
    return notification, log, preference


def test_every_notify_admin_page_opens(world, admin_client):
    rows = _rows(world)
    for obj in rows:
        name = obj._meta.model_name
        assert admin_client.get(reverse(f"admin:notify_{name}_changelist")).status_code == 200
        change = reverse(f"admin:notify_{name}_change", args=[obj.pk])
        assert admin_client.get(change).status_code == 200, name
    failed = reverse("admin:notify_notification_changelist") + "?email_state=failed"
    assert admin_client.get(failed).status_code == 200
    assert admin_client.get(reverse("admin:notify_notification_add")).status_code == 403


def test_the_retry_action_queues_a_failed_email_again(world, admin_client, committed):
    from django.core import mail

    notification, _log, _preference = _rows(world)
    mail.outbox.clear()
    response = committed(
        admin_client.post,
        reverse("admin:notify_notification_changelist"),
        {"action": "email_retry", "_selected_action": [notification.pk]},
    )
    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.email_state == "sent" and notification.email_attempts == 1
    assert [m.to for m in mail.outbox] == [[world.staff_b.email]]
