"""Demo notifications: the demo events told through the recipients table (no e-mail), and
today's reminders.

Idempotent: a recipient already told of an event is skipped (and the database's unique
constraint says so too); today's reminders are logged once a day (ReminderLog). Events
more than READ_AFTER_DAYS old are marked read the day after they happened, so every bell
has some read and some unread lines.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from ledger import demo
from ledger.models import Holiday, Issue, IssueEvent

from .models import Kind, Notification
from .recipients import capacity_of, recipients_for
from .reminders import reminders_send
from .services import event_data, issue_for_notify

READ_AFTER_DAYS = 7


def notifications_seed(*, today: datetime.date, stdout) -> int:
    created = 0
    read_before = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=READ_AFTER_DAYS), datetime.time())
    )
    issue_ids = list(Issue.objects.filter(title__in=demo.DEMO_TITLES).values_list("pk", flat=True))
    events = (
        IssueEvent.objects.filter(issue_id__in=issue_ids, action__in=Kind.values)
        .select_related("actor")
        .order_by("issue_id", "seq")
    )
    told = set(
        Notification.objects.filter(issue_id__in=issue_ids, event__isnull=False).values_list(
            "event_id", "recipient_id"
        )
    )
    with transaction.atomic():
        rows = []
        issue = None
        for event in events:
            # the enterprises' demo ratings (回访) are written after the bells are seeded (the
            # feedback room comes later in INSTALLED_APPS): telling them on the next run
            # only would make seeding twice differ from seeding once
            if event.action == Kind.FEEDBACK:
                continue
            if issue is None or issue.pk != event.issue_id:
                issue = issue_for_notify(event.issue_id)
            data = event_data(event, issue)
            for user in recipients_for(event.action, issue, actor=event.actor):
                if (event.pk, user.pk) in told:
                    continue
                at = event.created_at
                capacity = capacity_of(user, event.action, issue)
                rows.append(
                    Notification(
                        recipient=user,
                        issue=issue,
                        event=event,
                        kind=event.action,
                        actor=event.actor,
                        # the same words as a live notification: the capacity and the dates
                        data={**data, **({"as": capacity.value} if capacity else {})},
                        created_at=at,
                        read_at=at + datetime.timedelta(days=1) if at < read_before else None,
                    )
                )
        Notification.objects.bulk_create(rows, batch_size=500)
        created = len(rows)
    if created:
        stdout.write(f"已生成演示通知 {created} 条。 / Created {created} demo notifications.")
    # today's reminders too (once a day), without the automatic 催办/督办 and without e-mail
    reminders = reminders_send(today=today, escalate=False, email=False)
    if reminders.get("notifications"):
        created += reminders["notifications"]
        stdout.write(
            f"已生成今日提醒 {reminders['notifications']} 条。"
            f" / Created {reminders['notifications']} reminders for today."
        )
    if not Holiday.objects.filter(date__year=today.year).exists():
        stdout.write(
            f"节假日表没有 {today.year} 年：请升级 chinesecalendar 并运行 holidays_sync。"
            f" / No holidays for {today.year}: upgrade chinesecalendar and run holidays_sync."
        )
    return created
