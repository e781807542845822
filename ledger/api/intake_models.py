"""A work order an outside system sent (POST /api/v1/intake/): the ledger's memory of the
sender's id, so the same work order twice is one issue, and the 待核实 queue of those whose
names the ledger could not map."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IntakeOrder(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("待核实")
        RAISED = "raised", _("已登记")
        REJECTED = "rejected", _("已退回")

    client = models.ForeignKey(
        "api.ApiClient",
        verbose_name=_("接口客户端"),
        on_delete=models.PROTECT,
        related_name="intake_orders",
    )
    external_system = models.CharField(_("来源系统"), max_length=60)
    external_id = models.CharField(_("来源工单号"), max_length=100)
    title = models.CharField(_("问题标题"), max_length=200)
    description = models.TextField(_("问题描述"))
    reporter_name = models.CharField(_("反映人"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    # the names as the sender wrote them
    enterprise_name = models.CharField(_("企业名称（来件）"), max_length=200, blank=True)
    credit_code = models.CharField(_("统一社会信用代码（来件）"), max_length=30, blank=True)
    category_name = models.CharField(_("问题类别（来件）"), max_length=100)
    received_at = models.DateTimeField(_("来件时间"), null=True, blank=True)
    sender_deadline = models.DateField(_("来件办理时限"), null=True, blank=True)
    # what the ledger made of them (an unmapped name stays empty and is listed in `unknown`)
    enterprise = models.ForeignKey(
        "ledger.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    category = models.ForeignKey(
        "ledger.Category",
        verbose_name=_("问题类别"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    unknown = models.JSONField(_("未能识别"), default=list, blank=True)
    state = models.CharField(
        _("状态"), max_length=20, choices=State.choices, default=State.PENDING, db_index=True
    )
    issue = models.OneToOneField(
        "ledger.Issue",
        verbose_name=_("问题"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="intake_order",
    )
    reject_reason = models.TextField(_("退回理由"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("接收时间"), default=timezone.now)

    class Meta:
        verbose_name = _("推送工单")
        verbose_name_plural = _("推送工单")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # the sender's id is the idempotency key: two identical calls at once insert one
            # row, the second waits on the index and gets the first one's answer
            models.UniqueConstraint(
                fields=["client", "external_id"], name="intakeorder_client_external_unique"
            ),
            models.CheckConstraint(
                condition=(Q(state="raised") & Q(issue__isnull=False))
                | (~Q(state="raised") & Q(issue__isnull=True)),
                name="intakeorder_raised_has_issue",
            ),
            models.CheckConstraint(
                condition=~Q(state="rejected") | ~Q(reject_reason=""),
                name="intakeorder_rejected_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.external_system} {self.external_id}"
