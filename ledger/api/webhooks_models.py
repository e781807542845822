"""Results out: a client's webhook subscriptions, each delivery of an event to one of them,
and every attempt at it (admin → 接口 → 推送记录)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# the events a client may subscribe to: workflow actions on the issues it raised, and the
# oversight office's rejection of one of its work orders
EVENTS = {
    "assigned": _("已交办"),
    "accepted": _("已签收"),
    "extension_granted": _("已批准延期"),
    "resolved": _("已办结"),
    "returned": _("已退回"),
    "closed": _("已销号"),
    "intake_rejected": _("工单被退回"),
}


def events_all() -> list[str]:
    return list(EVENTS)


class WebhookSubscription(models.Model):
    """Where a client wants to hear of its issues. The secret signs each delivery
    (HMAC-SHA-256): signing needs the plain secret, so it is stored as it is — unlike the
    client's own secrets, which only need to be recognised and are kept as digests. Whoever
    reads it can forge messages to the client's receiver, nothing more; whoever can read
    this table can read the ledger itself."""

    client = models.ForeignKey(
        "api.ApiClient",
        verbose_name=_("接口客户端"),
        on_delete=models.CASCADE,
        related_name="webhooks",
    )
    url = models.URLField(_("接收地址"), max_length=500)
    secret = models.CharField(_("签名密钥"), max_length=100, editable=False)
    events = models.JSONField(_("订阅事件"), default=events_all)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("推送订阅")
        verbose_name_plural = _("推送订阅")
        ordering = ["client", "url"]

    def __str__(self):
        return f"{self.client} → {self.url}"


class WebhookDelivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("失败待重试")
        DEAD = "dead", _("已放弃")

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("推送订阅"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.CharField(_("事件"), max_length=30)
    payload = models.JSONField(_("内容"))
    state = models.CharField(
        _("状态"), max_length=20, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_status = models.PositiveIntegerField(_("最近响应码"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推送记录")
        verbose_name_plural = _("推送记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["pending", "delivered", "failed", "dead"]),
                name="webhookdelivery_state_valid",
            ),
        ]

    def __str__(self):
        return f"{self.event} #{self.pk}"


class WebhookAttempt(models.Model):
    """One try at a delivery: what the receiver answered, or why nothing was answered."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        verbose_name=_("推送记录"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )
    number = models.PositiveIntegerField(_("第几次"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    status = models.PositiveIntegerField(_("响应码"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)

    class Meta:
        verbose_name = _("推送尝试")
        verbose_name_plural = _("推送尝试")
        ordering = ["delivery", "number"]

    def __str__(self):
        return f"{self.delivery} #{self.number}"
