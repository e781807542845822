"""Notifications: who hears what (in-app and e-mail), reminders and escalation.

Imports the core; the core never imports it (it listens to ledger.signals, and the navbar's bell
is this room's part in slot navbar_bell).
"""

from django.conf import settings
from django.core import checks
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.rooms import Room, Slot
from ledger.signals import issue_event_committed, issues_imported


class NotifyConfig(Room):
    name = "ledger.notify"
    label = "notify"
    verbose_name = _("通知")
    slots = {Slot.NAVBAR_BELL: "notify/_bell.html"}

    def ready(self):
        # import here: models and the room's services load only once the app registry is ready
        from ledger.models import Issue, IssueEvent

        from .services import on_event_committed, on_issues_imported

        issue_event_committed.connect(
            on_event_committed, sender=IssueEvent, dispatch_uid="notify_on_event_committed"
        )
        issues_imported.connect(
            on_issues_imported, sender=Issue, dispatch_uid="notify_on_issues_imported"
        )
        checks.register(site_url_check, checks.Tags.compatibility)

    def api_routes(self):
        """The caller's notifications under /api/v1/notifications/."""
        from .api import api_routes  # import here: the views read models and DRF settings

        return api_routes()

    def health(self):
        """/healthz's "reminders": the queued daily run (`send_reminders --schedule`): when it
        runs next and how the last run ended; "failed" while a failed run waits for its retry.
        Nothing when no run is queued (a systemd timer or cron runs the reminders then)."""
        from .models import ReminderSchedule  # import here: models load after apps.py

        schedule = ReminderSchedule.objects.filter(pk=1).first()
        if schedule is None or not (schedule.task_id or schedule.last_outcome):
            return None

        def stamp(moment):
            return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None

        failed = schedule.last_outcome == ReminderSchedule.Outcome.FAILED
        return {
            "reminders": {
                "status": "failed" if failed else "ok",
                "next_run": stamp(schedule.next_run_at),
                "last_run": stamp(schedule.last_run_at),
                "last_result": schedule.last_outcome or None,
            }
        }

    def seed_demo(self, *, today, stdout):
        """Fill the demo users' bells from the demo events, through the recipients table."""
        from .demo import notifications_seed  # import here: imports models (apps.py loads first)

        notifications_seed(today=today, stdout=stdout)


def site_url_check(app_configs=None, **kwargs):
    if settings.DEBUG or settings.SITE_URL:
        return []
    return [
        checks.Warning(
            "SITE_URL is not set: links in notification e-mails will lack the host.",
            hint="Set SITE_URL to the address people open the ledger at, e.g. "
            "https://ledger.example.gov.cn",
            id="notify.W001",
        )
    ]
