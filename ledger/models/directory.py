"""The directory: enterprises and their contacts, key projects, and the editable lists."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import EmailValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ledger.validators import CreditCodeValidator, MobileValidator

from .people import Department, Leader


class Enterprise(models.Model):
    """企业. Identified by its 统一社会信用代码 (GB 32100-2015)."""

    class Scale(models.TextChoices):
        ABOVE = "above", _("规模以上")
        BELOW = "below", _("规模以下")
        MICRO = "micro", _("小微/个体")

    name = models.CharField(_("企业名称"), max_length=200, unique=True)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[CreditCodeValidator()]
    )
    industry = models.CharField(_("行业"), max_length=50, blank=True)
    scale = models.CharField(_("规模"), max_length=10, choices=Scale.choices, default=Scale.BELOW)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    subdistrict = models.ForeignKey(
        Department,
        verbose_name=_("所属办事处"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        limit_choices_to={"kind": Department.Kind.SUBDISTRICT},
        related_name="enterprises",
    )
    leader = models.ForeignKey(
        Leader,
        verbose_name=_("分包领导"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
    )
    is_active = models.BooleanField(_("存续"), default=True)
    # an enterprise added by staff while logging is 待核实 until the oversight office confirms it
    is_verified = models.BooleanField(_("已核实"), default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("添加人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scale__in=["above", "below", "micro"]), name="enterprise_scale_valid"
            ),
            models.CheckConstraint(
                condition=Exact(Length("credit_code"), 18), name="enterprise_credit_code_length"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def primary_contact(self):
        for contact in self.contacts.all():
            if contact.is_primary:
                return contact
        return None


class Contact(models.Model):
    """联系人 of an enterprise; at most one is the primary contact."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("姓名"), max_length=50)
    position = models.CharField(_("职务"), max_length=50, blank=True)
    mobile = models.CharField(_("手机"), max_length=11, blank=True, validators=[MobileValidator()])
    office_phone = models.CharField(_("办公电话"), max_length=30, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True, validators=[EmailValidator()])
    is_primary = models.BooleanField(_("主要联系人"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(is_primary=True),
                name="contact_one_primary_per_enterprise",
                violation_error_message=_("每个企业只能有一位主要联系人。"),
            ),
        ]

    def __str__(self):
        return f"{self.name} · {self.enterprise}"


class KeyProjectManager(models.Manager):
    """Every key project read with the month of its latest 投资进度月报 (`latest_report_month`,
    None without one): its 序时进度 is that month's, so no list pays a query per project."""

    def get_queryset(self):
        latest = (
            ProjectProgress.objects.filter(project_id=models.OuterRef("pk"))
            .order_by("-month")
            .values("month")[:1]
        )
        return super().get_queryset().annotate(latest_report_month=models.Subquery(latest))


class KeyProject(models.Model):
    """重点项目 with its investment plan in 万元 and the 序时进度 pace rule."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省重点")
        CITY = "city", _("市重点")
        DISTRICT = "district", _("区重点")

    class Nature(models.TextChoices):
        NEW = "new", _("新建")
        CONTINUED = "continued", _("续建")

    class Sector(models.TextChoices):
        INDUSTRY = "industry", _("工业")
        SERVICES = "services", _("三产")
        INFRASTRUCTURE = "infrastructure", _("基础设施")
        LIVELIHOOD = "livelihood", _("民生")

    class Stage(models.TextChoices):
        PREPARATION = "preparation", _("前期")
        CONSTRUCTION = "construction", _("在建")
        COMPLETED = "completed", _("竣工投产")

    class Pace(models.TextChoices):
        ON_PACE = "green", _("序时推进")
        BEHIND = "yellow", _("滞后")
        FAR_BEHIND = "red", _("严重滞后")

    name = models.CharField(_("项目名称"), max_length=200, unique=True)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    nature = models.CharField(_("性质"), max_length=10, choices=Nature.choices, default=Nature.NEW)
    sector = models.CharField(_("类别"), max_length=20, choices=Sector.choices)
    year = models.PositiveIntegerField(_("计划年度"))
    total_investment = models.DecimalField(
        _("总投资（万元）"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    annual_plan = models.DecimalField(
        _("年度计划投资（万元）"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    completed_this_year = models.DecimalField(
        _("本年累计完成投资（万元）"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    stage = models.CharField(
        _("阶段"), max_length=20, choices=Stage.choices, default=Stage.PREPARATION
    )
    leader = models.ForeignKey(
        Leader,
        verbose_name=_("分包领导"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("责任单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    owner = models.ForeignKey(
        Enterprise,
        verbose_name=_("业主单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    start_date = models.DateField(_("开工日期"), null=True, blank=True)
    expected_completion = models.DateField(_("计划竣工日期"), null=True, blank=True)

    history = HistoricalRecords()

    objects = KeyProjectManager()

    class Meta:
        verbose_name = _("重点项目")
        verbose_name_plural = _("重点项目")
        ordering = ["level", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_investment__gte=0)
                & Q(annual_plan__gte=0)
                & Q(completed_this_year__gte=0),
                name="project_investment_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(level__in=["province", "city", "district"]), name="project_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=["preparation", "construction", "completed"]),
                name="project_stage_valid",
            ),
            models.CheckConstraint(
                condition=Q(expected_completion__isnull=True)
                | Q(start_date__isnull=True)
                | Q(expected_completion__gte=models.F("start_date")),
                name="project_completion_after_start",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def completion_share(self) -> Decimal | None:
        """Share of this year's plan done, in percent (None without a plan)."""
        if not self.annual_plan:
            return None
        return (self.completed_this_year * 100 / self.annual_plan).quantize(Decimal("0.1"))

    @property
    def progress_month(self) -> datetime.date | None:
        """The month the cumulative figure stands for: that of the latest 投资进度月报 (its
        first day), None without one. Read with the project (KeyProjectManager), else asked."""
        if "latest_report_month" not in self.__dict__:
            self.latest_report_month = (
                None
                if self.pk is None
                else self.progress_reports.order_by("-month")
                .values_list("month", flat=True)
                .first()
            )
        return self.latest_report_month

    def refresh_from_db(self, *args, **kwargs):
        self.__dict__.pop("latest_report_month", None)  # a report may have come meanwhile
        super().refresh_from_db(*args, **kwargs)

    def pace_month(self, today: datetime.date | None = None) -> datetime.date:
        """The month 序时进度 is taken for: a monthly report for month M is compared with M/12
        of the plan, whatever month the page is opened in; without a report, this month."""
        return self.progress_month or today or timezone.localdate()

    def expected_share(self, today: datetime.date | None = None) -> Decimal:
        """序时进度 in percent for the plan year: M / 12, M the month of the latest report
        (pace_month); 0 before the plan year, 100 after it."""
        month = self.pace_month(today)
        if month.year < self.year:
            return Decimal("0")
        if month.year > self.year:
            return Decimal("100")
        return (Decimal(month.month) * 100 / 12).quantize(Decimal("0.1"))

    def pace(self, today: datetime.date | None = None) -> str:
        """green / yellow / red by how far completion lags 序时进度 (settings.LEDGER)."""
        month = self.pace_month(today)
        rules = settings.LEDGER
        done = self.completion_share
        if done is None:
            return self.Pace.ON_PACE
        if (
            self.completed_this_year == 0
            and month.year == self.year
            and month.month > rules["PACE_NOT_STARTED_MONTHS"]
        ):
            return self.Pace.FAR_BEHIND
        behind = self.expected_share(today) - done
        if behind > rules["PACE_RED_POINTS"]:
            return self.Pace.FAR_BEHIND
        if behind >= rules["PACE_YELLOW_POINTS"]:
            return self.Pace.BEHIND
        return self.Pace.ON_PACE

    def get_pace_display(self, today=None):
        return self.Pace(self.pace(today)).label


class ProjectProgress(models.Model):
    """投资进度月报: a key project's figures as reported for one month, kept as history.

    The latest report's figures are copied onto the project (completed_this_year, stage) so
    the 序时进度 pace flag moves with what was really done.
    """

    project = models.ForeignKey(
        KeyProject,
        verbose_name=_("重点项目"),
        on_delete=models.PROTECT,
        related_name="progress_reports",
    )
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    completed_this_year = models.DecimalField(
        _("本年累计完成投资（万元）"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    stage = models.CharField(_("阶段"), max_length=20, choices=KeyProject.Stage.choices)
    note = models.TextField(_("进展说明"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("填报人"), on_delete=models.PROTECT
    )
    reported_at = models.DateTimeField(_("填报时间"), default=timezone.now)

    class Meta:
        verbose_name = _("投资进度月报")
        verbose_name_plural = _("投资进度月报")
        ordering = ["project", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="progress_one_per_month"),
            models.CheckConstraint(
                condition=Q(completed_this_year__gte=0), name="progress_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=["preparation", "construction", "completed"]),
                name="progress_stage_valid",
            ),
        ]

    def __str__(self):
        return f"{self.project} {self.month:%Y-%m}"


class _ListEntry(models.Model):
    name = models.CharField(_("名称"), max_length=50, unique=True)
    order = models.PositiveIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        abstract = True
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class Category(_ListEntry):
    """问题类别 (editable list)."""

    history = HistoricalRecords()

    class Meta(_ListEntry.Meta):
        verbose_name = _("问题类别")
        verbose_name_plural = _("问题类别")


class Source(_ListEntry):
    """问题来源 (editable list)."""

    history = HistoricalRecords()

    class Meta(_ListEntry.Meta):
        verbose_name = _("问题来源")
        verbose_name_plural = _("问题来源")
