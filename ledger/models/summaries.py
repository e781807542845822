"""Summary rows: how many issues lie in each (set, status, day) — kept by ledger.summaries in
the transaction of every event, so the home cards, leader cards and dashboard tiles add up a
few hundred rows instead of counting a million issues."""

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

# `day` of a row whose issue has no day that health reads (a running issue without a
# deadline, a resolved one): a real date, because NULLs never conflict in a unique index and
# the counts are kept by INSERT … ON CONFLICT
NO_DAY = datetime.date(1, 1, 1)


class SummaryCount(models.Model):
    """n issues in one set, with one status, one day and one pending-extension flag.

    `day` is what health is computed from at read time, so no row changes when the
    calendar moves on: the deadline of a running issue (red before today, yellow up to
    YELLOW_DAYS ahead), the local date an unassigned issue was raised (late once
    ASSIGN_WITHIN_WORKING_DAYS working days old), NO_DAY otherwise.

    The sets (`kind`, `unit`): the whole district (all, 0); a leader's own issues (leader, L);
    a department's 牵头 / 配合 / 登记 / any of them (lead / co / raised / involved, D); an
    enterprise's and a key project's issues (enterprise, E / project, P), those two with the
    issue's responsible leader (`leader`) and the project's with the issue's enterprise
    (`enterprise`), so that a leader's 分包 set is added up at read time from whichever
    subjects are theirs today (no row moves when a subject changes hands)."""

    class Kind(models.TextChoices):
        ALL = "all", _("全区")
        LEADER = "leader", _("责任领导")
        LEAD = "lead", _("牵头单位")
        CO = "co", _("配合单位")
        RAISED = "raised", _("登记单位")
        INVOLVED = "involved", _("涉及单位")
        ENTERPRISE = "enterprise", _("企业")
        PROJECT = "project", _("重点项目")

    kind = models.CharField(_("集合"), max_length=10, choices=Kind.choices)
    unit = models.BigIntegerField(_("对象"))
    status = models.CharField(_("状态"), max_length=20)
    day = models.DateField(_("日期"))
    pending_extension = models.BooleanField(_("待审批延期"))
    leader = models.BigIntegerField(_("责任领导"))
    enterprise = models.BigIntegerField(_("企业"))
    n = models.IntegerField(_("数量"))

    class Meta:
        verbose_name = _("统计行")
        verbose_name_plural = _("统计行")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "kind",
                    "unit",
                    "status",
                    "day",
                    "pending_extension",
                    "leader",
                    "enterprise",
                ],
                name="summary_count_key",
            ),
        ]

    def __str__(self):
        return f"{self.kind}:{self.unit} {self.status} {self.day} = {self.n}"


class SummaryMark(models.Model):
    """How an issue is counted now (the keys of its SummaryCount rows): the state to take
    back when it changes, since the event signal carries the issue after the change. Only
    issues that are counted have one (not closed or withdrawn, or with an extension
    request pending)."""

    issue = models.OneToOneField(
        "ledger.Issue", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    keys = models.JSONField(_("计数键"))

    class Meta:
        verbose_name = _("计数标记")
        verbose_name_plural = _("计数标记")

    def __str__(self):
        return f"{self.issue_id}: {len(self.keys)}"


# `day` of the rows whose exact day no longer matters to any figure: a running issue past
# its deadline (red for as long as it runs) and an issue unassigned for more than
# SETTLED_AGE days (late, and in the dashboard's oldest age bar, for good). The daily roll
# folds such rows into this one day, so a set has a few rows per day to come, not one per
# day of its history. Red and "raised on or before" read it as the earliest of days.
PAST_DAY = datetime.date(1, 1, 2)
SETTLED_AGE = 31


class SummaryClock(models.Model):
    """The day up to which the summary rows are folded (see PAST_DAY): one row."""

    rolled_to = models.DateField(_("归并至"))

    class Meta:
        verbose_name = _("统计归并日")
        verbose_name_plural = _("统计归并日")

    def __str__(self):
        return str(self.rolled_to)
