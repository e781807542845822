"""Day-level facts the assessment and the weekly/monthly reports read (issue 19 point 2).

DayFact holds, per local day and per unit, how many issues did what on that day (raised,
assigned, resolved, closed) and how the issues whose deadline in force falls on that day
stand now (due, done, on time, accepted in time, working days to resolve, running …).
A year of figures is then ~365 × units rows, not every issue of the year.

IssueFact is each issue's part in those rows as last written: the receiver of the core's
issue_event_written subtracts it and adds the new part, so every count stays exact without
re-reading the issue's history. Both are written only by ledger/oversight/facts.py.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dimension(models.TextChoices):
    TOTAL = "T", _("合计")
    DEPARTMENT = "D", _("牵头单位")
    LEADER = "L", _("责任领导")
    CATEGORY = "C", _("问题类别")


# the counted columns of DayFact, in one place (facts.py, the rebuild and the check read it)
EVENT_DAY_COLUMNS = ("raised", "assigned", "resolved", "closed")
DEADLINE_COLUMNS = (
    "due",
    "done",
    "on_time",
    "accepted",
    "reopened",
    "resolved_ever",
    "rated",
    "satisfied",
    "escalated",
    "running",
    "late_done",
    "returned",
    "returned_away",
    "wd_count",
    "wd_total",
)
COLUMNS = EVENT_DAY_COLUMNS + DEADLINE_COLUMNS


def _count(label):
    return models.IntegerField(label, default=0)


class DayFact(models.Model):
    """Counts for one (local day, dimension, unit); unit 0 is the whole ledger (dimension T).

    The first four columns count issues by the day of that step; the others count issues
    by the day of their deadline in force, as the issues stand now."""

    day = models.DateField(_("日期"))
    dimension = models.CharField(_("维度"), max_length=1, choices=Dimension.choices)
    unit = models.PositiveIntegerField(_("单位编号"))
    raised = _count(_("登记"))
    assigned = _count(_("交办"))
    resolved = _count(_("办结"))
    closed = _count(_("销号"))
    due = _count(_("应办结"))
    done = _count(_("已办结"))
    on_time = _count(_("按时办结"))
    accepted = _count(_("及时签收"))
    reopened = _count(_("重办"))
    resolved_ever = _count(_("曾办结"))
    rated = _count(_("已回访"))
    satisfied = _count(_("满意"))
    escalated = _count(_("督办件"))
    running = _count(_("在办"))
    late_done = _count(_("逾期办结"))
    returned = _count(_("退回"))
    returned_away = _count(_("退回后不再牵头"))
    wd_count = _count(_("计入办理工作日的问题数"))
    wd_total = _count(_("办理工作日合计"))

    class Meta:
        verbose_name = _("日统计")
        verbose_name_plural = _("日统计")
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "unit", "day"], name="oversight_dayfact_key"
            )
        ]
        indexes = [
            models.Index(fields=["dimension", "day"], name="oversight_dayfact_dim_day"),
            # "overdue now" sums the running issues of every day before today: only the few
            # rows that still hold any (a partial index both databases build alike)
            models.Index(
                fields=["dimension", "day"],
                condition=models.Q(running__gt=0),
                name="oversight_dayfact_running",
            ),
        ]

    def __str__(self):
        return f"{self.day} {self.dimension}{self.unit}"


class IssueFact(models.Model):
    """What one issue contributes to DayFact, as last written (the values the figures read,
    with the calendar-dependent ones decided when written)."""

    issue = models.OneToOneField(
        "ledger.Issue",
        verbose_name=_("问题"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    status = models.CharField(_("状态"), max_length=20)
    deadline = models.DateField(_("完成时限"), null=True)
    category_id = models.PositiveIntegerField(_("类别编号"), null=True)
    department_id = models.PositiveIntegerField(_("牵头单位编号"), null=True)
    leader_id = models.PositiveIntegerField(_("责任领导编号"), null=True)
    raised_on = models.DateField(_("登记日"), null=True)
    assigned_on = models.DateField(_("交办日"), null=True)
    resolved_on = models.DateField(_("办结日"), null=True)
    closed_on = models.DateField(_("销号日"), null=True)
    resolved_on_time = models.BooleanField(_("按时办结"), null=True)
    satisfaction = models.CharField(_("满意度"), max_length=20, blank=True)
    is_escalated = models.BooleanField(_("督办件"), default=False)
    reopened = models.BooleanField(_("曾重办"), default=False)
    # departments that returned the issue (sorted ids); [] when none did
    returners = models.JSONField(_("退回单位"), default=list)
    returned = models.BooleanField(_("曾退回"), default=False)
    accepted_in_time = models.BooleanField(_("及时签收"), null=True)
    working_days = models.IntegerField(_("办理工作日"), null=True)

    class Meta:
        verbose_name = _("问题统计快照")
        verbose_name_plural = _("问题统计快照")

    def __str__(self):
        return str(self.issue_id)
