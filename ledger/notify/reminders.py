"""The daily reminder run (`manage.py send_reminders`, or the reminders_daily task below).

On a working day (ledger/workdays.py), for every open issue:

- overdue and not yet urged since its deadline in force → an automatic 催办 (URGE event by
  the system account; the table tells the lead department and the responsible leader);
- overdue, and still late ESCALATE_AFTER_WORKING_DAYS working days after the first urge
  since the deadline (a later urge by hand does not put it off), not yet 督办 → an
  automatic 督办 (ESCALATE event; the oversight office is told too);
- assigned and not accepted after ACCEPT_WITHIN_WORKING_DAYS full working days → a
  reminder to the lead department;
- due within YELLOW_DAYS (the yellow light) → a due-soon reminder to the lead department
  (not on a day it already got the not-accepted reminder: one reminder per issue a day);
- raised and still unassigned when the ledger flags it (ASSIGN_WITHIN_WORKING_DAYS, the
  same rule as the 超时未交办 light) → a reminder to the oversight office;
- long-term (长期坚持), running since before the last reporting cycle began
  (LONG_TERM_CYCLE_MONTHS), with no progress report since then and not urged since the
  current cycle began → an automatic 催办 (URGE event by the system account), once per
  missed cycle. A long-term item has no deadline, so nothing else ever chases it.

Each of these is written once per issue, kind and day (ReminderLog, unique), in the same
transaction as its event or notifications: running twice the same day writes nothing new.
Nothing is sent on a non-working day.
"""

import datetime
import logging
from collections import Counter

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.mail import mail_admins
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.tasks import task
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ledger import summaries, workflow
from ledger.models import Issue, IssueEvent, User
from ledger.models.issues import long_term_cycle, raised_flag_cutoff
from ledger.states import Action, Status
from ledger.workdays import add_working_days, is_working_day, working_days_between

from .models import Kind, ReminderLog, ReminderSchedule
from .recipients import SYSTEM_USERNAME
from .services import issue_for_notify, notifications_create

logger = logging.getLogger(__name__)


def system_actor() -> User:
    """The account automatic 催办/督办 are recorded under: passes `ledger.oversee_issue`
    (the 系统账号 role, rules.py: that and nothing on screens), cannot sign in (unusable
    password, security/backends.py, security/sessions.py), is never a recipient."""
    user, _created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={
            # stored in Chinese (migration 0002); the timeline shows it in the reader's language
            "name": gettext_noop("系统自动督办"),
            "role": User.Role.SYSTEM,
            "password": make_password(None),
            "is_active": True,
        },
    )
    return user


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def reminders_send(
    *, today: datetime.date | None = None, at=None, escalate: bool = True, email: bool = True
) -> Counter:
    """Send the reminders due on `today` (default: the local date). Returns what was done.

    `escalate=False` leaves out the automatic 催办/督办 (events) and `email=False` the
    e-mail: the demo uses both to put reminders in the bells without touching the ledger.
    """
    now = timezone.now()
    today = today or timezone.localdate()
    counts: Counter = Counter()
    summaries.day_roll()  # the counts' daily tidy-up (health itself is read from each day)
    if not is_working_day(today):
        counts["non_working_day"] = 1
        return counts
    if at is None:
        if today == timezone.localdate(now):
            at = now
        else:  # a catch-up run for another day is recorded at that day's reminder hour
            at = timezone.make_aware(
                datetime.datetime.combine(today, datetime.time(settings.NOTIFY["REMINDER_HOUR"]))
            )
    if escalate:
        system = system_actor()
        _overdue(today, at, system, counts)
        _cycle_missed(today, at, system, counts)
    reminded = _not_accepted(today, at, counts, email)
    _due_soon(today, at, counts, email, skip=reminded)
    _not_assigned(today, at, counts, email)
    return counts


def _log(issue_id: int, kind: str, today) -> ReminderLog | None:
    """Claim (issue, kind, day); None if this run or an earlier one already did."""
    try:
        with transaction.atomic():
            return ReminderLog.objects.create(issue_id=issue_id, kind=kind, day=today)
    except IntegrityError:
        return None


def _overdue(today, at, system, counts) -> None:
    overdue = list(Issue.objects.running().filter(deadline__lt=today).order_by("deadline", "pk"))
    urges: dict[int, list[datetime.date]] = {}
    for issue_id, created_at in IssueEvent.objects.filter(
        issue__in=[i.pk for i in overdue], action=Action.URGE
    ).values_list("issue_id", "created_at"):
        urges.setdefault(issue_id, []).append(_local_date(created_at))
    escalate_after = settings.LEDGER["ESCALATE_AFTER_WORKING_DAYS"]
    for issue in overdue:
        # the first urge after the deadline in force starts the count: a further urge by
        # hand does not put the 督办 off
        late_urges = [day for day in urges.get(issue.pk, ()) if day > issue.deadline]
        first_urge = min(late_urges, default=None)
        if first_urge is None:
            kind, note = (
                Kind.URGE,
                _("逾期自动催办：完成时限为%(deadline)s，至今未办结。")
                % {"deadline": date_format(issue.deadline, "DATE_FORMAT")},
            )
        elif not issue.is_escalated and working_days_between(first_urge, today) >= escalate_after:
            kind = Kind.ESCALATE
            note = _("逾期自动督办：%(urged)s催办后%(days)s个工作日仍未办结。") % {
                "urged": date_format(first_urge, "DATE_FORMAT"),
                "days": escalate_after,
            }
        else:
            continue
        with transaction.atomic():
            log = _log(issue.pk, kind, today)
            if log is None:
                continue
            try:
                workflow.transition(issue.pk, actor=system, action=kind, note=note, at=at)
            except workflow.TransitionRefused:
                # someone acted meanwhile (resolved, escalated by hand): nothing to do today
                log.delete()
                continue
        counts[kind] += 1


def _cycle_missed(today, at, system, counts) -> None:
    """催办 the long-term items whose last cycle passed without a progress report.

    A report made late, in the current cycle before this run, spares the item; an item
    assigned during the last cycle is first due at the end of the current one."""
    current_first, _last = long_term_cycle(today)
    last_first, last_last = long_term_cycle(current_first - datetime.timedelta(days=1))
    tz = timezone.get_current_timezone()
    last_began = datetime.datetime.combine(last_first, datetime.time(), tz)
    current_began = datetime.datetime.combine(current_first, datetime.time(), tz)
    reported = IssueEvent.objects.filter(
        issue=OuterRef("pk"), action=Action.PROGRESS, created_at__gte=last_began
    )
    urged = IssueEvent.objects.filter(
        issue=OuterRef("pk"), action=Action.URGE, created_at__gte=current_began
    )
    missed = (
        Issue.objects.running()
        .filter(is_long_term=True, assigned_at__lt=last_began)
        .exclude(Exists(reported))
        .exclude(Exists(urged))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if last_first == last_last.replace(day=1):
        period = date_format(last_first, "YEAR_MONTH_FORMAT")
    else:
        period = _("%(first)s至%(last)s") % {
            "first": date_format(last_first, "YEAR_MONTH_FORMAT"),
            "last": date_format(last_last, "YEAR_MONTH_FORMAT"),
        }
    note = _("长期坚持事项自动催办：%(period)s未报送进展，请及时报送。") % {"period": period}
    for pk in list(missed):
        with transaction.atomic():
            log = _log(pk, Kind.URGE, today)
            if log is None:
                continue
            try:
                workflow.transition(pk, actor=system, action=Action.URGE, note=note, at=at)
            except workflow.TransitionRefused:
                log.delete()  # resolved or withdrawn meanwhile
                continue
        counts["cycle_urge"] += 1


def _remind(issue_id, kind, today, at, counts, data, email) -> bool:
    with transaction.atomic():
        log = _log(issue_id, kind, today)
        if log is None:
            return False
        issue = issue_for_notify(issue_id)
        created = notifications_create(kind=kind, issue=issue, data=data, at=at, email=email)
        log.recipients = len(created)
        log.save(update_fields=["recipients"])
    counts[kind] += 1
    counts["notifications"] += len(created)
    return True


def _not_accepted(today, at, counts, email) -> set[int]:
    days = settings.LEDGER["ACCEPT_WITHIN_WORKING_DAYS"]
    reminded = set()
    candidates = Issue.objects.filter(
        status=Status.ASSIGNED, accepted_at=None, assigned_at__isnull=False
    ).values_list("pk", "assigned_at")
    for pk, assigned_at in candidates:
        # late once the Nth working day after the assignment day has ended
        if add_working_days(_local_date(assigned_at), days) < today:
            reminded.add(pk)
            _remind(pk, Kind.NOT_ACCEPTED, today, at, counts, {"days": days}, email)
    return reminded


def _due_soon(today, at, counts, email, *, skip) -> None:
    until = today + datetime.timedelta(days=settings.LEDGER["YELLOW_DAYS"])
    candidates = (
        Issue.objects.running()
        .filter(deadline__gte=today, deadline__lte=until)
        .exclude(pk__in=skip)
        .values_list("pk", "deadline")
    )
    for pk, deadline in candidates:
        data = {"deadline": deadline.isoformat()}
        _remind(pk, Kind.DUE_SOON, today, at, counts, data, email)


def _not_assigned(today, at, counts, email) -> None:
    days = settings.LEDGER["ASSIGN_WITHIN_WORKING_DAYS"]
    candidates = Issue.objects.filter(
        status=Status.RAISED, raised_at__lt=raised_flag_cutoff(today)
    ).values_list("pk", flat=True)
    for pk in candidates:
        _remind(pk, Kind.NOT_ASSIGNED, today, at, counts, {"days": days}, email)


# -- the run as a task that enqueues itself for the next day --------------------------
#
# `send_reminders --schedule` makes (or replaces) the one chain: ReminderSchedule.task_id
# names the queued run that continues it. A run that is not that one (a chain from before
# the schedule existed, a replaced one, one restored from a backup) stops without running.
# A run that raises is logged at ERROR, mailed to ADMINS and queued again after
# REMINDER_RETRY_MINUTES for the same day; the task's row is then marked failed too.


def _schedule_locked() -> ReminderSchedule:
    ReminderSchedule.objects.get_or_create(pk=1)
    return ReminderSchedule.objects.select_for_update().get(pk=1)


def reminders_queued():
    # import here: the tasks backend's table, read only when asked
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=reminders_daily.module_path, status="READY")


def _enqueue(schedule: ReminderSchedule, *, run_at: datetime.datetime, day: datetime.date):
    result = reminders_daily.using(run_after=run_at).enqueue(day=day.isoformat())
    schedule.task_id = str(result.id)
    schedule.next_run_at = run_at
    schedule.next_run_day = day


def reminders_schedule(*, run_at: datetime.datetime | None = None) -> ReminderSchedule | None:
    """Make the daily chain the only one: every queued daily run is removed and one is
    queued for the next REMINDER_HOUR (or `run_at`). None if the backend cannot defer."""
    if not reminders_daily.get_backend().supports_defer:
        return None
    run_at = run_at or next_run_at()
    with transaction.atomic():
        schedule = _schedule_locked()
        reminders_queued().delete()
        _enqueue(schedule, run_at=run_at, day=timezone.localtime(run_at).date())
        schedule.save()
    return schedule


def reminders_unschedule() -> int:
    """Remove the chain: the queued daily runs are deleted. Returns how many there were."""
    with transaction.atomic():
        schedule = _schedule_locked()
        removed, _details = reminders_queued().delete()
        schedule.task_id = ""
        schedule.next_run_at = None
        schedule.next_run_day = None
        schedule.save()
    return removed


@task(takes_context=True)
def reminders_daily(context, day: str | None = None) -> dict:
    """Run one day's reminders, then queue the next run (or, after a failure, a retry)."""
    this = str(context.task_result.id)
    with transaction.atomic():
        schedule = _schedule_locked()
        if schedule.task_id and schedule.task_id != this:
            logger.warning("reminders_daily %s is not the scheduled run: stopped", this)
            return {"superseded": 1}
        schedule.task_id = this  # a run queued before the schedule existed adopts it
        schedule.save(update_fields=["task_id"])
    run_day = datetime.date.fromisoformat(day) if day else timezone.localdate()
    try:
        counts = reminders_send(today=run_day)
    except Exception as error:
        retry_at = timezone.now() + datetime.timedelta(
            minutes=settings.NOTIFY["REMINDER_RETRY_MINUTES"]
        )
        failures = _chain_continue(
            this, run_at=retry_at, day=run_day, error=f"{type(error).__name__}: {error}"
        )
        _failure_alert(run_day, retry_at, failures, error)
        raise
    _chain_continue(this, run_at=next_run_at(), counts=dict(counts))
    return dict(counts)


def _chain_continue(
    this: str,
    *,
    run_at: datetime.datetime,
    day: datetime.date | None = None,
    counts: dict | None = None,
    error: str = "",
) -> int:
    """Record the outcome and queue the next link, unless the chain was replaced meanwhile."""
    with transaction.atomic():
        schedule = _schedule_locked()
        schedule.last_run_at = timezone.now()
        schedule.last_outcome = (
            ReminderSchedule.Outcome.FAILED if error else ReminderSchedule.Outcome.OK
        )
        schedule.last_error = error[:2000]
        schedule.failures = schedule.failures + 1 if error else 0
        if counts is not None:
            schedule.last_counts = counts
        if schedule.task_id == this:
            _enqueue(schedule, run_at=run_at, day=day or timezone.localtime(run_at).date())
        schedule.save()
        return schedule.failures


def _failure_alert(day, retry_at, failures, error) -> None:
    logger.error(
        "the daily reminder run for %s failed (%s in a row); tried again at %s",
        day,
        failures,
        timezone.localtime(retry_at).isoformat(timespec="minutes"),
        exc_info=error,
    )
    try:
        mail_admins(
            f"每日提醒运行失败 / daily reminder run failed: {day}",
            f"{type(error).__name__}: {error}\n\n"
            f"连续失败 / failures in a row: {failures}\n"
            f"重试时间 / tried again at: {timezone.localtime(retry_at).isoformat()}\n",
        )
    except Exception:
        logger.exception("could not mail the admins about the failed reminder run")


def next_run_at(now: datetime.datetime | None = None) -> datetime.datetime:
    """The next REMINDER_HOUR o'clock (local time) after `now`."""
    now = timezone.localtime(now or timezone.now())
    hour = settings.NOTIFY["REMINDER_HOUR"]
    run = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if run <= now:
        run = timezone.make_aware(
            datetime.datetime.combine(run.date() + datetime.timedelta(days=1), run.time())
        )
    return run
