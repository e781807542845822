"""Issues, their append-only events, deadline history, extension requests and attachments."""

import datetime
import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger import events
from ledger.states import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    RUNNING_STATUSES,
    Action,
    Status,
)
from ledger.workdays import add_working_days

from .directory import Category, Enterprise, KeyProject, Source
from .people import Department, Leader


class LedgerCounter(models.Model):
    """The last ledger number handed out per year; numbers are never reused."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("编号计数器")
        verbose_name_plural = _("编号计数器")

    def __str__(self):
        return f"{self.year}: {self.last}"


class Health(models.TextChoices):
    """红黄绿灯 for open issues (thresholds in settings.LEDGER)."""

    RED = "red", _("逾期")
    YELLOW = "yellow", _("临期")
    GREEN = "green", _("正常")
    UNASSIGNED_LATE = "unassigned_late", _("超时未交办")
    PENDING = "pending", _("待交办")
    NONE = "none", _("不适用")


# health from most to least pressing (the filter's choices, the dashboard's columns)
HEALTH_ORDER = [
    Health.RED,
    Health.YELLOW,
    Health.UNASSIGNED_LATE,
    Health.PENDING,
    Health.GREEN,
    Health.NONE,
]


def health_rank() -> Case:
    """Red first: orders rows annotated with `health_code` (with_health) by urgency.

    A CASE per row: fine for the few rows of a page or of one subject; the ledger's own
    sort by health uses the indexed HEALTH_SORT instead."""
    return Case(
        *[When(health_code=h, then=Value(i)) for i, h in enumerate(HEALTH_ORDER)],
        default=Value(len(HEALTH_ORDER)),
        output_field=models.IntegerField(),
    )


def health_whens(today: datetime.date | None = None) -> list[tuple[Q, "Health"]]:
    """with_health's branches in order: (condition, health); no branch taken is NONE."""
    today = today or timezone.localdate()
    yellow_until = today + datetime.timedelta(days=settings.LEDGER["YELLOW_DAYS"])
    late_raised_before = raised_flag_cutoff(today)
    return [
        (Q(status__in=RUNNING_STATUSES, deadline__lt=today), Health.RED),
        (Q(status__in=RUNNING_STATUSES, deadline__lte=yellow_until), Health.YELLOW),
        (Q(status__in=RUNNING_STATUSES), Health.GREEN),
        (Q(status=Status.RAISED, raised_at__lt=late_raised_before), Health.UNASSIGNED_LATE),
        (Q(status=Status.RAISED), Health.PENDING),
    ]


def health_rank_on(today: datetime.date | None = None) -> Case:
    """health_rank() of with_health(today)'s code, as one CASE over the same branches: for a
    window's ORDER BY, where health_rank() over the annotation repeats the whole health CASE
    once per rank (six times) in the SQL Django writes and compiles."""
    return Case(
        *[
            When(condition, then=Value(HEALTH_ORDER.index(code)))
            for condition, code in health_whens(today)
        ],
        default=Value(HEALTH_ORDER.index(Health.NONE)),
        output_field=models.IntegerField(),
    )


class IssueQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def running(self):
        return self.filter(status__in=RUNNING_STATUSES)

    def with_health(self, today: datetime.date | None = None):
        """Annotate `health_code` (for showing the rows of a page; filter with
        `health_in`, sort with HEALTH_SORT — both served by indexes, unlike this CASE)."""
        return self.annotate(
            health_code=Case(
                *[When(condition, then=Value(code)) for condition, code in health_whens(today)],
                default=Value(Health.NONE),
                output_field=models.CharField(),
            )
        )

    def filter_health(self, health: str, today: datetime.date | None = None):
        return self.filter(health_q([health], today))

    def health_in(self, healths, today: datetime.date | None = None):
        """Issues whose health (as of `today`) is one of `healths`: plain status and
        deadline / raise-time ranges, so the (status, deadline) and (status, raised_at)
        indexes serve it. Exactly the rows with_health() gives those codes."""
        return self.filter(health_q(healths, today))

    def overdue(self, today: datetime.date | None = None):
        today = today or timezone.localdate()
        return self.running().filter(deadline__lt=today)


def health_q(healths, today: datetime.date | None = None) -> Q:
    """The condition "health is one of `healths`" as status + date ranges (no CASE).

    Mirrors IssueQuerySet.with_health branch by branch (a running issue without a
    deadline counts as green there, so here too); tests/test_ledger_scale.py compares
    both over rows on every boundary."""
    today = today or timezone.localdate()
    yellow_until = today + datetime.timedelta(days=settings.LEDGER["YELLOW_DAYS"])
    running = [s.value for s in RUNNING_STATUSES]
    conditions = {
        Health.RED: Q(status__in=running, deadline__lt=today),
        Health.YELLOW: Q(status__in=running, deadline__gte=today, deadline__lte=yellow_until),
        Health.GREEN: Q(status__in=running)
        & (Q(deadline__gt=yellow_until) | Q(deadline__isnull=True)),
        Health.UNASSIGNED_LATE: Q(status=Status.RAISED, raised_at__lt=raised_flag_cutoff(today)),
        Health.PENDING: Q(status=Status.RAISED, raised_at__gte=raised_flag_cutoff(today)),
        Health.NONE: ~Q(status__in=[*running, Status.RAISED.value]),
    }
    found = Q(pk__in=[])
    for health in dict.fromkeys(healths):
        found |= conditions[Health(health)]
    return found


# Sorting by health ("sort=health"): what falls due next, red first. A per-row CASE on
# today's date cannot be indexed, so the order is by three stored (generated) columns:
#   health_tier  0 = running (已交办/办理中), 1 = waiting to be assigned (待交办), 2 = the rest
#   due_date     the deadline of a running issue (NULL otherwise)
#   raised_at
# Running issues come first by deadline — so overdue (red), then due soon (yellow), then
# green, whatever today is — then unassigned ones oldest first (overdue for assignment
# before the pending ones), then resolved/closed/withdrawn. The only difference from the
# HEALTH_ORDER buckets is that green running issues come before unassigned ones; in
# exchange one index (issue_health_sort) serves the order in both directions.
HEALTH_SORT = ("health_tier", "due_date", "raised_at")
# the statuses an issue is still being worked in (partial indexes of open issues); a query
# on OPEN_STATUSES, or on these, is served by them
NOT_FINAL_VALUES = ["raised", "assigned", "in_progress", "resolved"]


def long_term_cycle(day: datetime.date, months: int | None = None):
    """The reporting cycle of long-term items (长期坚持) that holds `day`: (first, last day).

    Calendar periods of LEDGER["LONG_TERM_CYCLE_MONTHS"] months (1: each month, 3: each
    quarter …) counted from January, so every item reports for the same period."""
    months = months or settings.LEDGER["LONG_TERM_CYCLE_MONTHS"]
    first_month = (day.month - 1) // months * months + 1
    first = datetime.date(day.year, first_month, 1)
    after = first_month + months  # the first month of the next cycle (13: next January)
    following = datetime.date(day.year + (after - 1) // 12, (after - 1) % 12 + 1, 1)
    return first, following - datetime.timedelta(days=1)


def raised_flag_cutoff(today: datetime.date) -> datetime.datetime:
    """Issues raised before this instant and still unassigned are flagged."""
    days = settings.LEDGER["ASSIGN_WITHIN_WORKING_DAYS"]
    # the latest raise date that is already `days` working days old
    day = today
    while add_working_days(day, days) > today:
        day -= datetime.timedelta(days=1)
    # raised on `day` or earlier is late: strictly before the start of the next day
    tz = timezone.get_current_timezone()
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tz)


# RUNNING_STATUSES in a fixed order (a generated column's expression must not change)
RUNNING_SORTED = sorted(s.value for s in RUNNING_STATUSES)
# the order statuses take in the workflow (the ledger's "sort=status")
STATUS_SORT_ORDER = [
    Status.RAISED.value,
    Status.ASSIGNED.value,
    Status.IN_PROGRESS.value,
    Status.RESOLVED.value,
    Status.CLOSED.value,
    Status.WITHDRAWN.value,
]


class DerivedArrayField(models.Field):
    """An array column PostgreSQL keeps current by trigger (see migration 0005): the app
    never sets it (a trigger overwrites whatever is written). On other databases it is an
    unused text column, and the ledger takes the plain path instead."""

    def __init__(self, *args, base_type="bigint", **kwargs):
        self.base_type = base_type
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["base_type"] = self.base_type
        for key in ("null", "blank", "editable"):
            kwargs.pop(key, None)
        return name, path, args, kwargs

    def db_type(self, connection):
        return f"{self.base_type}[]" if connection.vendor == "postgresql" else "text"

    def get_prep_value(self, value):
        return value

    def get_db_prep_save(self, value, connection):
        return None


@DerivedArrayField.register_lookup
class ArrayContainsAll(models.Lookup):
    """`field__contains_all=[...]`: the array holds every value (PostgreSQL `@>`, GIN)."""

    lookup_name = "contains_all"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @> {rhs}::{self.lhs.output_field.base_type}[]", [*lhs_params, *rhs_params]


@DerivedArrayField.register_lookup
class ArrayOverlaps(models.Lookup):
    """`field__overlaps=[...]`: the array holds one of the values (PostgreSQL `&&`, GIN)."""

    lookup_name = "overlaps"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} && {rhs}::{self.lhs.output_field.base_type}[]", [*lhs_params, *rhs_params]


@models.CharField.register_lookup
@models.TextField.register_lookup
class ILikeContains(models.lookups.IContains):
    """`field__ilike=text`: contains `text`, any case — as icontains, but on PostgreSQL as
    `field ILIKE '%text%'` rather than `UPPER(field) LIKE UPPER(...)`, so the planner can
    estimate it from the column's statistics (and walk the sort index for a common word
    instead of reading every candidate row)."""

    lookup_name = "ilike"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]


@models.ForeignKey.register_lookup
class InSubquery(models.Lookup):
    """`fk__in_subquery=<queryset of ids>`: on PostgreSQL `fk = ANY(ARRAY(SELECT ...))` —
    the subquery runs once (an InitPlan) and the foreign key's index serves the test, also
    inside an OR, where `IN (SELECT ...)` would become a filter over every row."""

    lookup_name = "in_subquery"

    def get_prep_lookup(self):
        return self.rhs

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if not rhs.startswith("("):
            rhs = f"({rhs})"
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]
        return f"{lhs} IN {rhs}", [*lhs_params, *rhs_params]


# The issue's fields a person enters and may correct while it waits to be assigned: declared
# once here; the forms, the workflow's raise and edit, the import, the bench generator and the
# admin read this declaration.
EDITABLE_FIELDS = (
    "title",
    "description",
    "category",
    "source",
    "urgency",
    "enterprise",
    "project",
    "leader",
    "measures",
    "responsible_person",
)
# one-line fields: control characters and line breaks become a space (services.single_line)
SINGLE_LINE_FIELDS = ("title", "responsible_person")


class Issue(models.Model):
    """问题: one line of the ledger."""

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("一般")
        URGENT = "urgent", _("紧急")
        CRITICAL = "critical", _("特急")

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        BASICALLY = "basically", _("基本满意")
        DISSATISFIED = "dissatisfied", _("不满意")

    class Progress(models.TextChoices):
        SMOOTH = "smooth", _("进展顺利")
        SLOW = "slow", _("进展缓慢")
        NONE = "none", _("无进展")
        DONE = "done", _("已完成")

    number = models.CharField(_("编号"), max_length=30, unique=True, editable=False)
    year = models.PositiveIntegerField(_("年度"), editable=False)
    seq = models.PositiveIntegerField(_("序号"), editable=False)

    title = models.CharField(_("问题标题"), max_length=200)
    description = models.TextField(_("问题描述"))
    category = models.ForeignKey(
        Category, verbose_name=_("问题类别"), on_delete=models.PROTECT, related_name="issues"
    )
    source = models.ForeignKey(
        Source, verbose_name=_("问题来源"), on_delete=models.PROTECT, related_name="issues"
    )
    urgency = models.CharField(
        _("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
    )
    project = models.ForeignKey(
        KeyProject,
        verbose_name=_("重点项目"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
    )

    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="raised_issues",
    )
    raising_department = models.ForeignKey(
        Department,
        verbose_name=_("登记单位"),
        on_delete=models.PROTECT,
        related_name="raised_issues",
    )
    raised_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    leader = models.ForeignKey(
        Leader,
        verbose_name=_("责任领导"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
    )
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("牵头单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_issues",
    )
    co_departments = models.ManyToManyField(
        Department, verbose_name=_("配合单位"), blank=True, related_name="co_issues"
    )
    responsible_person = models.CharField(_("责任人"), max_length=50, blank=True)
    deadline = models.DateField(_("完成时限"), null=True, blank=True)
    # 长期坚持/持续推进: no deadline; progress is reported every
    # LEDGER["LONG_TERM_CYCLE_MONTHS"] months and a missing report is chased
    # db_default too: bulk loads (seed_bench's COPY) that do not name the column get False
    is_long_term = models.BooleanField(_("长期坚持"), default=False, db_default=False)
    measures = models.TextField(_("整改措施"), blank=True)

    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.RAISED, db_index=True
    )
    progress = models.CharField(_("进展情况"), max_length=10, choices=Progress.choices, blank=True)
    progress_note = models.TextField(_("最新进展"), blank=True)
    resolution = models.TextField(_("办结情况"), blank=True)
    satisfaction = models.CharField(
        _("满意度"), max_length=20, choices=Satisfaction.choices, blank=True
    )
    satisfaction_note = models.TextField(_("满意度说明"), blank=True)
    is_escalated = models.BooleanField(_("督办件"), default=False)
    urge_count = models.PositiveIntegerField(_("催办次数"), default=0)
    last_urged_at = models.DateTimeField(_("最近催办时间"), null=True, blank=True)

    assigned_at = models.DateTimeField(_("交办时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    resolved_on_time = models.BooleanField(_("按时办结"), null=True, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # bumped by every change; forms carry it so a stale page is detected
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    # -- derived, never written by the app (the ledger at a million rows) --
    # generated by the database itself from status/deadline (also for rows COPYed in)
    status_rank = models.GeneratedField(
        expression=Case(
            *[When(status=s, then=Value(i)) for i, s in enumerate(STATUS_SORT_ORDER)],
            default=Value(len(STATUS_SORT_ORDER)),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
        verbose_name=_("状态排序"),
    )
    health_tier = models.GeneratedField(
        expression=Case(
            When(status__in=RUNNING_SORTED, then=Value(0)),
            When(status=Status.RAISED.value, then=Value(1)),
            default=Value(2),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
        verbose_name=_("时限排序"),
    )
    due_date = models.GeneratedField(
        expression=Case(
            When(status__in=RUNNING_SORTED, then=F("deadline")),
            default=Value(None),
        ),
        output_field=models.DateField(),
        db_persist=True,
        verbose_name=_("待办时限"),
    )
    # kept by PostgreSQL triggers (migration 0005); unused (NULL) on SQLite
    involved = DerivedArrayField(base_type="bigint", verbose_name=_("涉及单位"))
    search_grams = DerivedArrayField(base_type="text", verbose_name=_("检索二元组"))

    # what the columns above are: never part of an issue's recorded state
    DERIVED_FIELDS = ("status_rank", "health_tier", "due_date", "involved", "search_grams")

    objects = IssueQuerySet.as_manager()

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        ordering = ["-year", "-seq"]
        permissions = []
        constraints = [
            models.UniqueConstraint(fields=["year", "seq"], name="issue_year_seq_unique"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in Status]), name="issue_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(urgency__in=["normal", "urgent", "critical"]),
                name="issue_urgency_valid",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__in=["", "satisfied", "basically", "dissatisfied"]),
                name="issue_satisfaction_valid",
            ),
            # once assigned, an issue always has its leader, lead department and a deadline
            # — or is long-term (长期坚持), which has none (migration 0009)
            models.CheckConstraint(
                condition=Q(status__in=["raised", "withdrawn"])
                | (
                    Q(leader__isnull=False)
                    & Q(lead_department__isnull=False)
                    & (Q(deadline__isnull=False) | Q(is_long_term=True))
                ),
                name="issue_assigned_has_owner_and_term",
            ),
            # a long-term item is never due on a date: it cannot turn red on 31 December
            models.CheckConstraint(
                condition=Q(is_long_term=False) | Q(deadline__isnull=True),
                name="issue_long_term_has_no_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["resolved", "closed"]) | ~Q(resolution=""),
                name="issue_resolved_has_resolution",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(satisfaction=""),
                name="issue_closed_has_satisfaction",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="issue_title_not_empty"),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="issue_status_deadline"),
            models.Index(fields=["lead_department", "status"], name="issue_lead_status"),
            models.Index(fields=["raising_department", "status"], name="issue_raising_status"),
            models.Index(fields=["leader", "status"], name="issue_leader_status"),
            models.Index(fields=["-raised_at"], name="issue_raised_at"),
            # the ledger's filters and sorts at a million rows (migration 0005);
            # each sort is followed by the tiebreaker -year, -seq, which an incremental sort
            # adds cheaply where the leading column has few ties
            models.Index(fields=["status", "raised_at"], name="issue_status_raised"),
            models.Index(fields=["title"], name="issue_title"),
            # ascending NULLS LAST is the default; (deadline DESC NULLS LAST) is PostgreSQL
            # only (SQLite has no NULLS LAST in an index): ledger_index.INDEXES_SQL
            models.Index(fields=["deadline"], name="issue_deadline"),
            models.Index(fields=["status_rank", "-year", "-seq"], name="issue_status_sort"),
            models.Index(fields=["-status_rank", "-year", "-seq"], name="issue_status_sort_desc"),
            models.Index(fields=HEALTH_SORT, name="issue_health_sort"),
            # the other pages (migration 0006): home cards counted from the index
            # alone; a leader's own issues in /leaders/me/'s order
            models.Index(
                fields=["status", "deadline", "raised_at"],
                name="issue_card_counts",
            ),
            models.Index(fields=["leader", "health_tier", "deadline"], name="issue_leader_items"),
            # an enterprise's / a key project's issue history, newest first
            models.Index(fields=["enterprise", "-raised_at"], name="issue_enterprise_raised"),
            models.Index(fields=["project", "-raised_at"], name="issue_project_raised"),
            # the open issues of an enterprise / a key project (a leader's 分包 cards and home
            # counts): a few per cent of the rows, counted from the index alone
            models.Index(
                fields=["enterprise", "status", "deadline"],
                condition=models.Q(status__in=NOT_FINAL_VALUES),
                name="issue_open_enterprise",
            ),
            models.Index(
                fields=["project", "status", "deadline"],
                condition=models.Q(status__in=NOT_FINAL_VALUES),
                name="issue_open_project",
            ),
            # the dashboard's satisfaction of the issues struck off, from the index alone
            models.Index(fields=["status", "satisfaction"], name="issue_status_satisfaction"),
            # and, on PostgreSQL only, the covering indexes of ledger_index.COVERING_SQL
            # the weekly/monthly reports and the dashboard read what happened in a period
            models.Index(fields=["assigned_at"], name="issue_assigned_at"),
            models.Index(fields=["resolved_at"], name="issue_resolved_at"),
            models.Index(fields=["closed_at"], name="issue_closed_at"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("issue_detail", kwargs={"number": self.number})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def health_on(self, today: datetime.date) -> Health:
        if self.status in RUNNING_STATUSES:
            # no deadline (a long-term item): green, as with_health() and health_q() say
            if self.deadline is None:
                return Health.GREEN
            if self.deadline < today:
                return Health.RED
            if self.deadline <= today + datetime.timedelta(days=settings.LEDGER["YELLOW_DAYS"]):
                return Health.YELLOW
            return Health.GREEN
        if self.status == Status.RAISED:
            if self.raised_at < raised_flag_cutoff(today):
                return Health.UNASSIGNED_LATE
            return Health.PENDING
        return Health.NONE

    @property
    def health(self) -> Health:
        code = getattr(self, "health_code", None)
        if code is not None:
            return Health(code)
        return self.health_on(timezone.localdate())

    @property
    def is_overdue(self) -> bool:
        return self.health == Health.RED

    @property
    def report_cycle(self) -> tuple[datetime.date, datetime.date] | None:
        """A running long-term item's current reporting cycle (first, last day), else None."""
        if not self.is_long_term or self.status not in RUNNING_STATUSES:
            return None
        return long_term_cycle(timezone.localdate())

    @property
    def reported_this_cycle(self) -> bool:
        """Whether a progress report was made in the current reporting cycle (reads
        `events.all()`: prefetched on the issue page, so no query there)."""
        cycle = self.report_cycle
        if cycle is None:
            return False
        return any(
            event.action == Action.PROGRESS and timezone.localdate(event.created_at) >= cycle[0]
            for event in self.events.all()
        )

    @property
    def days_to_deadline(self) -> int | None:
        if not self.deadline:
            return None
        return (self.deadline - timezone.localdate()).days

    @property
    def subject(self):
        """What the issue concerns: the enterprise, else the key project."""
        return self.enterprise or self.project


# the issue's stored fields a chain head's `state` covers (ledger.events.state_digest): all but
# the id and updated_at (co-departments are a separate table, not covered), and the columns the
# database derives for the ledger's indexes (Issue.DERIVED_FIELDS)
STATE_FIELDS = tuple(
    field.attname
    for field in Issue._meta.concrete_fields
    if field.name not in ("id", "updated_at", *Issue.DERIVED_FIELDS)
)


def issue_state(values) -> str:
    """The state hash of an issue: `values` maps STATE_FIELDS attnames to stored values (an
    Issue row from .values(), or {name: getattr(issue, name)})."""
    return events.state_digest(values[name] for name in STATE_FIELDS)


class IssueDeadline(models.Model):
    """Every deadline an issue has had: set at assignment, moved by extension or reopening."""

    class Reason(models.TextChoices):
        ASSIGNED = "assigned", _("交办")
        REASSIGNED = "reassigned", _("改派")
        EXTENDED = "extended", _("批准延期")
        REOPENED = "reopened", _("重办")
        CORRECTED = "corrected", _("修改")

    issue = models.ForeignKey(
        Issue, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="deadlines"
    )
    deadline = models.DateField(_("完成时限"))
    previous = models.DateField(_("原时限"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("设定人"), on_delete=models.PROTECT
    )
    set_at = models.DateTimeField(_("设定时间"), default=timezone.now)

    class Meta:
        verbose_name = _("时限记录")
        verbose_name_plural = _("时限记录")
        ordering = ["set_at", "id"]

    def __str__(self):
        return f"{self.issue.number}: {self.deadline}"


class ExtensionRequest(models.Model):
    """申请延期: asked before the deadline, decided by the leader or the office."""

    class State(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        CANCELLED = "cancelled", _("已取消")

    issue = models.ForeignKey(
        Issue, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="extensions"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    current_deadline = models.DateField(_("原时限"))
    requested_deadline = models.DateField(_("申请延至"))
    reason = models.TextField(_("延期理由"))
    state = models.CharField(
        _("审批状态"), max_length=10, choices=State.choices, default=State.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["issue"],
                condition=Q(state="pending"),
                name="extension_one_pending_per_issue",
            ),
            models.CheckConstraint(
                condition=Q(requested_deadline__gt=F("current_deadline")),
                name="extension_moves_deadline_later",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "approved", "rejected", "cancelled"]),
                name="extension_state_valid",
            ),
        ]

    def __str__(self):
        return f"{self.issue.number}: {self.current_deadline} → {self.requested_deadline}"


class EventQuerySet(models.QuerySet):
    """Events are append-only: bulk update and delete are refused too."""

    def update(self, **kwargs):
        raise EventImmutableError(_("办理记录只能追加，不能修改。"))

    def delete(self):
        raise EventImmutableError(_("办理记录只能追加，不能删除。"))


class EventImmutableError(Exception):
    pass


class IssueEvent(models.Model):
    """办理记录: one action on an issue. Written once by ledger/workflow/, never changed.

    Each event carries an HMAC-SHA-256 digest (key EVENTS_KEY, id in key_id) over its
    content and the previous event's digest of the same issue, so `manage.py events_verify`
    can prove none was altered (ledger.integrity anchors the chains).
    """

    issue = models.ForeignKey(
        Issue, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="events"
    )
    seq = models.PositiveIntegerField(_("序号"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="issue_events",
    )
    actor_department = models.ForeignKey(
        Department,
        verbose_name=_("操作人单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("操作"), max_length=30, choices=Action.choices)
    from_status = models.CharField(_("原状态"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=Status.choices)
    note = models.TextField(_("说明"), blank=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    digest = models.CharField(_("校验值"), max_length=64, editable=False)
    # which EVENTS_KEY signed the digest (keys rotate; "" = the unkeyed SHA-256 of old events)
    key_id = models.CharField(_("密钥编号"), max_length=20, blank=True, editable=False)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["issue", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "seq"], name="event_issue_seq_unique"),
            models.CheckConstraint(
                condition=Q(action__in=[a.value for a in Action]), name="event_action_valid"
            ),
            models.CheckConstraint(
                condition=Q(to_status__in=[s.value for s in Status]),
                name="event_to_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["action", "created_at"], name="event_action_time")]

    def __str__(self):
        # the ledger number, as people know the issue (the admin names each event by it)
        return f"{self.issue.number}#{self.seq} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise EventImmutableError(_("办理记录只能追加，不能修改。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise EventImmutableError(_("办理记录只能追加，不能删除。"))

    def compute_digest(self, previous_digest: str, *, files=(), number: str | None = None) -> str:
        """The event's link in its issue's chain (ledger.events.event_payload says what it
        covers): HMAC-SHA-256 under settings.EVENTS_KEYS[key_id], or the unkeyed SHA-256 of
        events written before keys existed (key_id ""). `files` are the (name, sha256, size)
        of the files the event brought; `number` saves a query when the caller knows it.
        """
        # the key first: an unknown key is refused before the issue's number is looked up
        key = events.key_for(self.key_id) if self.key_id else None
        if key is not None and number is None:
            number = self.issue.number
        payload = events.event_payload(
            issue=self.issue_id,
            seq=self.seq,
            actor=self.actor_id,
            action=self.action,
            from_status=self.from_status,
            to_status=self.to_status,
            note=self.note,
            changes=self.changes,
            at=events.utc_text(self.created_at),
            prev=previous_digest,
            key_id=self.key_id,
            number=number,
            department=self.actor_department_id,
            files=files,
        )
        return events.event_digest(payload, key)


# The base manager (Model.save's UPDATE, related-object lookups …) refuses writes too. Set
# here rather than in Meta so that the core needs no migration (base_manager_name is a
# model option the migration autodetector would see).
IssueEvent._meta.base_manager_name = "objects"


def attachment_path(instance, filename):
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"attachments/{instance.issue.year}/{instance.issue.number}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A photo, scan or document on an issue, served only through a permission-checking view."""

    issue = models.ForeignKey(
        Issue, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="attachments"
    )
    event = models.ForeignKey(
        IssueEvent,
        verbose_name=_("办理记录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("大小（字节）"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    # SHA-256 of the stored content, also written into the event that brought the file
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name
