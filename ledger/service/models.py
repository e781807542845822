"""企业服务: leaders' 包联 visits (with their photos and the issues raised on them) and the
代办 approval procedures of key projects. The core's tables are never changed: links to
issues live here (VisitIssue, ProcedureIssue)."""

import datetime
import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import Contact, Department, Enterprise, Health, Issue, KeyProject, Leader


class Visit(models.Model):
    """包联走访: a 分包 leader's visit to one enterprise or one key project."""

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    project = models.ForeignKey(
        KeyProject,
        verbose_name=_("重点项目"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    leader = models.ForeignKey(
        Leader, verbose_name=_("分包领导"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("走访日期"))
    # a visit staff made on the leader's behalf is recorded too, but only a visit the
    # leader made in person counts for coverage and raises its problems as 领导包联
    leader_attended = models.BooleanField(_("分包领导亲自参加"), default=True)
    companions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("参加人员"), blank=True, related_name="+"
    )
    companions_text = models.CharField(_("其他参加人员"), max_length=200, blank=True)
    contacts = models.ManyToManyField(
        Contact, verbose_name=_("接待人员"), blank=True, related_name="visits"
    )
    met_text = models.CharField(_("其他接待人员"), max_length=200, blank=True)
    summary = models.TextField(_("走访情况"))
    no_problems = models.BooleanField(_("未反映问题"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="visits_recorded",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("修改时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("包联走访")
        verbose_name_plural = _("包联走访")
        ordering = ["-visited_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(enterprise__isnull=False) & Q(project__isnull=True))
                | (Q(enterprise__isnull=True) & Q(project__isnull=False)),
                name="visit_one_subject",
                violation_error_message=_("走访对象须为一个企业或一个重点项目。"),
            ),
        ]
        indexes = [models.Index(fields=["leader", "visited_on"], name="visit_leader_date")]

    def __str__(self):
        return f"{self.visited_on:%Y-%m-%d} {self.subject}"

    @property
    def subject(self):
        return self.enterprise if self.enterprise_id else self.project


class VisitIssue(models.Model):
    """An issue raised on a visit: the visit lists its issues, the issue shows its visit."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("走访"), on_delete=models.PROTECT, related_name="issue_links"
    )
    issue = models.OneToOneField(
        Issue, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="visit_link"
    )

    class Meta:
        verbose_name = _("走访反映的问题")
        verbose_name_plural = _("走访反映的问题")
        ordering = ["id"]

    def __str__(self):
        return self.issue.number


def visit_photo_path(instance, filename):
    suffix = PurePath(filename).suffix.lower()[:10]
    year = instance.visit.visited_on.year
    return f"visits/{year}/{instance.visit_id}/{uuid.uuid4().hex}{suffix}"


class VisitPhoto(models.Model):
    """A photo of a visit, served only through a view that checks who may see the visit."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("走访"), on_delete=models.PROTECT, related_name="photos"
    )
    file = models.FileField(_("文件"), upload_to=visit_photo_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveBigIntegerField(_("大小（字节）"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("走访照片")
        verbose_name_plural = _("走访照片")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


# -- 代办: approval procedures of key projects -----------------------------------------


class ProcedureType(models.Model):
    """审批手续类型 (editable list): 立项备案, 规划许可, 施工许可 …"""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    order = models.PositiveIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)
    # who usually handles it (环评批复 → 生态环境分局): a new checklist row starts with it
    default_department = models.ForeignKey(
        Department,
        verbose_name=_("默认办理单位"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("按清单生成手续时填入的办理单位；不填时用项目的责任单位。"),
    )

    class Meta:
        verbose_name = _("审批手续类型")
        verbose_name_plural = _("审批手续类型")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class ProjectProcedure(models.Model):
    """One approval procedure of a key project, carried by a 代办员."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未启动")
        IN_PROGRESS = "in_progress", _("办理中")
        DONE = "done", _("已办结")
        NOT_APPLICABLE = "not_applicable", _("不涉及")

    OPEN_STATUSES = (Status.NOT_STARTED, Status.IN_PROGRESS)

    project = models.ForeignKey(
        KeyProject,
        verbose_name=_("重点项目"),
        on_delete=models.PROTECT,
        related_name="procedures",
    )
    type = models.ForeignKey(
        ProcedureType, verbose_name=_("手续"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("办理单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代办员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="procedures_carried",
    )
    planned_on = models.DateField(_("计划办结日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.NOT_STARTED
    )
    done_on = models.DateField(_("办结日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("更新人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("项目审批手续")
        verbose_name_plural = _("项目审批手续")
        ordering = ["project", "type__order", "type__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "type"],
                name="procedure_one_per_type",
                violation_error_message=_("该项目已有这项手续。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["not_started", "in_progress", "done", "not_applicable"]),
                name="procedure_status_valid",
            ),
            # 办结日期 exactly when 已办结
            models.CheckConstraint(
                condition=(Q(status="done") & Q(done_on__isnull=False))
                | (~Q(status="done") & Q(done_on__isnull=True)),
                name="procedure_done_date_iff_done",
                violation_error_message=_("已办结的手续须填写办结日期，其他状态不填。"),
            ),
        ]

    def __str__(self):
        return f"{self.project} · {self.type}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def health(self, today: datetime.date | None = None) -> Health:
        """The ledger's lights: red past the planned date, yellow within YELLOW_DAYS of it."""
        if not self.is_open or self.planned_on is None:
            return Health.NONE
        today = today or timezone.localdate()
        if self.planned_on < today:
            return Health.RED
        if self.planned_on <= today + datetime.timedelta(days=settings.LEDGER["YELLOW_DAYS"]):
            return Health.YELLOW
        return Health.GREEN


class ProcedureIssue(models.Model):
    """A ledger issue raised for a stuck or late procedure."""

    procedure = models.ForeignKey(
        ProjectProcedure,
        verbose_name=_("手续"),
        on_delete=models.PROTECT,
        related_name="issue_links",
    )
    issue = models.OneToOneField(
        Issue, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="procedure_link"
    )

    class Meta:
        verbose_name = _("手续转办的问题")
        verbose_name_plural = _("手续转办的问题")
        ordering = ["id"]

    def __str__(self):
        return self.issue.number
