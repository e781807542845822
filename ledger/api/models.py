"""Who may call the API: people's personal tokens and the registered systems (API clients).

Secrets are shown once and stored as SHA-256 digests: they are 256 random bits, so a slow
password hash would buy nothing and cost every request. A secret is found by its public
prefix and compared in constant time (ledger/api/secrets.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiClient(models.Model):
    """A system registered by an administrator (the 12345 platform …). It acts as its own
    account (`account`: role staff of `department`, unusable password, no sign-in), so the
    same rules decide what it may do; `scopes` narrows that further."""

    class Sees(models.TextChoices):
        OWN = "own", _("仅其提交的问题")
        DEPARTMENT = "department", _("所属单位可见的问题")

    name = models.CharField(_("名称"), max_length=100, unique=True)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接口账号"),
        on_delete=models.PROTECT,
        related_name="api_client",
    )
    department = models.ForeignKey(
        "ledger.Department",
        verbose_name=_("代为登记的单位"),
        on_delete=models.PROTECT,
        related_name="api_clients",
    )
    # the external system's name as it appears in issues' source (问题来源)
    source = models.ForeignKey(
        "ledger.Source",
        verbose_name=_("问题来源"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # endpoint groups: issues:read, issues:write, intake, directory:read, directory:write,
    # notifications, figures (ledger/api/permissions.py SCOPES)
    scopes = models.JSONField(_("权限范围"), default=list, blank=True)
    sees = models.CharField(_("可见问题"), max_length=20, choices=Sees.choices, default=Sees.OWN)
    categories = models.ManyToManyField(
        "ledger.Category", verbose_name=_("可设的问题类别"), blank=True, related_name="+"
    )
    strict_names = models.BooleanField(
        _("名称须精确匹配"),
        default=False,
        help_text=_("勾选后，无法识别的企业或类别名称被拒绝，而不是进入待核实队列。"),
    )
    allowed_ips = models.TextField(
        _("允许的来源地址"),
        blank=True,
        help_text=_("每行一个地址或网段（如 10.1.2.0/24）；留空则不限制。"),
    )
    rate_per_minute = models.PositiveIntegerField(_("每分钟请求上限"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("接口客户端")
        verbose_name_plural = _("接口客户端")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ClientSecret(models.Model):
    """One secret of a client. Rotation adds a new one and gives the old one an expiry
    (API_SECRET_OVERLAP_HOURS), so the sender can switch without a gap."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="secrets")
    prefix = models.CharField(_("前缀"), max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("客户端密钥")
        verbose_name_plural = _("客户端密钥")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}…"


class PersonalToken(models.Model):
    """A person's token for a phone or desktop client: created and revoked on their own page,
    shown once, with an expiry."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=60)
    prefix = models.CharField(_("前缀"), max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("个人令牌")
        verbose_name_plural = _("个人令牌")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="personaltoken_expires_after_created",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """One POST sent with an `Idempotency-Key` header: who sent it, a digest of what was sent
    and the response it got, so the same request sent again gets the same answer and changes
    nothing (ledger/api/idempotency.py)."""

    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("调用者"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    key = models.CharField(_("幂等键"), max_length=255)
    # SHA-256 of the method, the path and the request's content
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(_("响应状态"), null=True, blank=True)
    body = models.JSONField(_("响应内容"), null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("幂等记录")
        verbose_name_plural = _("幂等记录")
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_caller_key")
        ]

    def __str__(self):
        return f"{self.caller_id} {self.key}"


# the work orders in and the results out (ledger/api/intake*.py, webhooks*.py)
from .intake_models import IntakeOrder  # noqa: E402, F401
from .webhooks_models import WebhookAttempt, WebhookDelivery, WebhookSubscription  # noqa: E402, F401
