"""What the Excel room keeps: export jobs run in the background (import models follow)."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportJob(models.Model):
    """A large export written by the worker; the user watches its progress and downloads it."""

    class State(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("导出内容"), max_length=30)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="export_jobs",
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    # the query (ledger filters and sort) and anything else the writer needs
    params = models.JSONField(_("参数"), default=dict, blank=True)
    language = models.CharField(_("语言"), max_length=10)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    total = models.PositiveIntegerField(_("总行数"), default=0)
    done = models.PositiveIntegerField(_("已写行数"), default=0)
    file = models.FileField(_("文件"), upload_to="exports/%Y/%m/", blank=True, max_length=300)
    filename = models.CharField(_("文件名"), max_length=200, blank=True)
    error = models.TextField(_("错误"), blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["pending", "running", "done", "failed"]),
                name="exportjob_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")) | Q(total=0),
                name="exportjob_done_within_total",
            ),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


# -- import ------------------------------------------------------------------------------


class NameAlias(models.Model):
    """Another name for a leader, unit, enterprise … that a sheet used, mapped once by a person.

    `alias` is stored normalised (importing.name_key: width folded, no spaces or punctuation).
    """

    class Kind(models.TextChoices):
        LEADER = "leader", _("责任领导")
        DEPARTMENT = "department", _("单位")
        ENTERPRISE = "enterprise", _("企业")
        PROJECT = "project", _("重点项目")
        CATEGORY = "category", _("问题类别")
        SOURCE = "source", _("问题来源")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    alias = models.CharField(_("别名"), max_length=200)
    target_id = models.PositiveBigIntegerField(_("对应条目"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("名称别名")
        verbose_name_plural = _("名称别名")
        ordering = ["kind", "alias"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "alias"], name="namealias_kind_alias_unique"),
            models.CheckConstraint(
                condition=Q(
                    kind__in=["leader", "department", "enterprise", "project", "category", "source"]
                ),
                name="namealias_kind_valid",
            ),
        ]

    def __str__(self):
        return f"{self.kind}: {self.alias} → {self.target_id}"


def import_path(instance, filename):
    return (
        f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:6]}"
    )


class ImportBatch(models.Model):
    """One uploaded file between preview and commit; the file stays on the server."""

    class Kind(models.TextChoices):
        LEDGER = "ledger", _("问题台账")
        ENTERPRISES = "enterprises", _("企业")
        CONTACTS = "contacts", _("企业联系人")
        DEPARTMENTS = "departments", _("单位")
        LEADERS = "leaders", _("区级领导分包")
        PROJECTS = "projects", _("重点项目")

    class State(models.TextChoices):
        PREVIEWED = "previewed", _("待确认")
        REFUSED = "refused", _("无法读取")
        COMMITTED = "committed", _("已导入")

    kind = models.CharField(_("导入内容"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to=import_path, max_length=300, blank=True)
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveBigIntegerField(_("大小（字节）"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="import_batches",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    state = models.CharField(
        _("状态"), max_length=10, choices=State.choices, default=State.PREVIEWED
    )
    # rows read, to create, to update, unchanged, skipped, errors
    counts = models.JSONField(_("统计"), default=dict, blank=True)
    # what the preview page shows: refusal, errors, first rows, unknown names
    preview = models.JSONField(_("预览"), default=dict, blank=True)
    # {kind: {normalised name: target id or "create"}} chosen in the preview
    mappings = models.JSONField(_("名称对应"), default=dict, blank=True)
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["previewed", "refused", "committed"]),
                name="importbatch_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "ledger",
                        "enterprises",
                        "contacts",
                        "departments",
                        "leaders",
                        "projects",
                    ]
                ),
                name="importbatch_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state="committed") | Q(committed_at__isnull=False),
                name="importbatch_committed_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.original_name} #{self.pk}"


class ImportedIssue(models.Model):
    """Where an issue came from: the file and row, and the sheet's own number if it was not ours.

    Re-importing matches a row by its 编号: our ledger number, or else `external_number`.
    """

    issue = models.OneToOneField(
        "ledger.Issue",
        verbose_name=_("问题"),
        on_delete=models.PROTECT,
        related_name="import_origin",
    )
    batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("导入批次"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    row = models.PositiveIntegerField(_("行号"))
    external_number = models.CharField(_("原表编号"), max_length=100, blank=True, db_index=True)

    class Meta:
        verbose_name = _("导入来源")
        verbose_name_plural = _("导入来源")

    def __str__(self):
        return f"{self.file_name}:{self.row}"


class ColumnChoice(models.Model):
    """A sheet's header that a person chose a field for in a preview (or chose not to use):
    later files with the same header follow the choice, as they follow a NameAlias.

    `header` is stored normalised (matching.header_key); `field` is a key of
    importing.COLUMN_FIELDS, or "" for a column not to import.
    """

    header = models.CharField(_("表头"), max_length=200, unique=True)
    field = models.CharField(_("导入为"), max_length=30, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("列的对应")
        verbose_name_plural = _("列的对应")
        ordering = ["header"]

    def __str__(self):
        return f"{self.header} → {self.field or '-'}"
