"""send_reminders: the daily reminder run, for a cron job or systemd timer (see
docs/operations.md). Safe to run more than once a day: the second run sends nothing.

`--schedule` queues the run in the task worker instead, every day at REMINDER_HOUR; a second
`--schedule` replaces the queued chain (there is only ever one), `--unschedule` removes it."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ledger.notify.reminders import (
    reminders_queued,
    reminders_schedule,
    reminders_send,
    reminders_unschedule,
)

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
            help="不立即运行，改为排入任务队列每天自动运行（再次执行会替换已有计划） / queue the "
            "daily run in the task worker instead of running now (replaces a queued one)",
        )
        parser.add_argument(
            "--unschedule",
            action="store_true",
            help="删除任务队列中的每日提醒计划 / remove the daily run from the task queue",
        )

    def handle(self, *args, date=None, schedule=False, unschedule=False, **options):
        if schedule and unschedule:
            raise CommandError("--schedule 与 --unschedule 只能选一个 / choose one of them")
        if unschedule:
            removed = reminders_unschedule()
            self.stdout.write(
                f"已删除排队中的每日提醒：{removed} / queued daily runs removed: {removed}"
            )
            return
        if schedule:
            removed = reminders_queued().count()
            planned = reminders_schedule()
            if planned is None:
                raise CommandError(
                    "当前任务后端不支持定时执行（TASKS_BACKEND）。 / The task backend cannot "
                    "run tasks later; use cron or a systemd timer."
                )
            when = timezone.localtime(planned.next_run_at).isoformat(timespec="minutes")
            self.stdout.write(
                f"每日提醒已排入任务队列，下次运行 {when}（替换了 {removed} 个已排队的运行）。"
                f" / Daily run queued, next at {when} (replaced {removed} queued run(s))."
            )
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
