"""send_reminders: the daily reminder run, for a cron job or systemd timer (see
docs/operations.md). Safe to run more than once a day: the second run sends nothing."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from ledger.notify.reminders import reminders_daily, reminders_schedule_next, reminders_send

LABELS = [
    ("urge", "自动催办 automatic urges"),
    ("escalate", "自动督办 automatic escalations"),
    ("cycle_urge", "长期坚持周期催办 long-term items urged for a missed progress report"),
    ("not_accepted", "超时未签收提醒 not-accepted reminders"),
    ("due_soon", "临期提醒 due-soon reminders"),
    ("not_assigned", "超时未交办提醒 not-assigned reminders"),
    ("notifications", "通知 notifications written"),
]


class Command(BaseCommand):
    help = (
        "发送每日提醒、自动催办和督办（同一天重复运行不会重复发送）。"
        " / Send the daily reminders, automatic urges and escalations."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            help="按该日期运行（YYYY-MM-DD，默认今天） / run for this date (default today)",
        )
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="不立即运行，改为排入任务队列每天自动运行 / enqueue the self-rescheduling "
            "daily task instead of running now",
        )

    def handle(self, *args, date=None, schedule=False, **options):
        if schedule:
            if not reminders_schedule_next():
                raise CommandError(
                    "当前任务后端不支持定时执行（TASKS_BACKEND）。 / The task backend cannot "
                    "run tasks later; use cron or a systemd timer."
                )
            self.stdout.write(f"已排入任务队列 / enqueued: {reminders_daily.module_path}")
            return
        day = None
        if date:
            try:
                day = datetime.date.fromisoformat(date)
            except ValueError:
                raise CommandError(
                    f"日期格式应为 YYYY-MM-DD：{date!r} / --date must be YYYY-MM-DD"
                ) from None
        counts = reminders_send(today=day)
        if counts.get("non_working_day"):
            self.stdout.write("非工作日，不发送提醒。 / Not a working day: nothing sent.")
            return
        for key, label in LABELS:
            self.stdout.write(f"  {counts.get(key, 0):>4}  {label}")
