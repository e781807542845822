"""Notifications (in-app, with their e-mail delivery state), each user's preferences, and the
log that makes reminders idempotent."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ledger.states import Action


class Kind(models.TextChoices):
    """What a notification is about: a workflow action, or a reminder."""

    RAISE = Action.RAISE.value, Action.RAISE.label
    ASSIGN = Action.ASSIGN.value, Action.ASSIGN.label
    REASSIGN = Action.REASSIGN.value, Action.REASSIGN.label
    ACCEPT = Action.ACCEPT.value, Action.ACCEPT.label
    RETURN = Action.RETURN.value, Action.RETURN.label
    EXTENSION_REQUEST = Action.EXTENSION_REQUEST.value, Action.EXTENSION_REQUEST.label
    EXTENSION_APPROVE = Action.EXTENSION_APPROVE.value, Action.EXTENSION_APPROVE.label
    EXTENSION_REJECT = Action.EXTENSION_REJECT.value, Action.EXTENSION_REJECT.label
    RESOLVE = Action.RESOLVE.value, Action.RESOLVE.label
    CLOSE = Action.CLOSE.value, Action.CLOSE.label
    REOPEN = Action.REOPEN.value, Action.REOPEN.label
    WITHDRAW = Action.WITHDRAW.value, Action.WITHDRAW.label
    URGE = Action.URGE.value, Action.URGE.label
    ESCALATE = Action.ESCALATE.value, Action.ESCALATE.label
    # 回访: the enterprise's rating through its link; only 不满意 is told (recipients.py)
    FEEDBACK = Action.FEEDBACK.value, _("企业不满意")
    DUE_SOON = "due_soon", _("临期提醒")
    NOT_ACCEPTED = "not_accepted", _("超时未签收提醒")
    NOT_ASSIGNED = "not_assigned", _("超时未交办提醒")
    # issues imported as 已交办: one digest per lead department, on the first of them
    IMPORTED = "imported", _("导入交办")


REMINDER_KINDS = (Kind.DUE_SOON, Kind.NOT_ACCEPTED, Kind.NOT_ASSIGNED)


class Notification(models.Model):
    """One thing one user is told, in the bell and (unless turned off) by e-mail."""

    class Email(models.TextChoices):
        NONE = "none", _("不发送")
        PENDING = "pending", _("待发送")
        RETRYING = "retrying", _("发送失败，等待重试")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    issue = models.ForeignKey(
        "ledger.Issue", verbose_name=_("问题"), on_delete=models.PROTECT, related_name="+"
    )
    # the workflow event it reports; none for a reminder
    event = models.ForeignKey(
        "ledger.IssueEvent",
        verbose_name=_("办理记录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # what a reminder's sentence needs (deadline, days), frozen at the time it was written
    data = models.JSONField(_("附加信息"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    email_state = models.CharField(
        _("邮件状态"), max_length=10, choices=Email.choices, default=Email.NONE
    )
    email_attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    email_next_attempt_at = models.DateTimeField(_("下次重试时间"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    email_error = models.TextField(_("最近一次错误"), blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            # the same event never notifies the same person twice (signal sent twice, demo)
            models.UniqueConstraint(
                fields=["recipient", "event"],
                condition=Q(event__isnull=False),
                name="notification_once_per_event",
            ),
            models.CheckConstraint(
                condition=Q(email_state__in=["none", "pending", "retrying", "sent", "failed"]),
                name="notification_email_state_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
        ]

    def __str__(self):
        return f"{self.recipient} · {self.get_kind_display()} · {self.issue_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Preference(models.Model):
    """A user's notification settings: e-mail language and the kinds not to e-mail."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="notify_preference",
    )
    language = models.CharField(
        _("邮件语言"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # Kind values the user does not want by e-mail (the bell still shows them)
    email_off = models.JSONField(_("不接收邮件的通知类型"), default=list, blank=True)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self):
        return str(self.user)

    def wants_email(self, kind: str) -> bool:
        return kind not in (self.email_off or [])


class ReminderLog(models.Model):
    """One reminder (or automatic 催办/督办) per issue, kind and day: send_reminders
    writes the row in the same transaction as what it sends, so a second run that day
    finds it and does nothing."""

    issue = models.ForeignKey(
        "ledger.Issue", verbose_name=_("问题"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    day = models.DateField(_("日期"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    recipients = models.PositiveIntegerField(_("通知人数"), default=0)

    class Meta:
        verbose_name = _("提醒记录")
        verbose_name_plural = _("提醒记录")
        ordering = ["-day", "issue"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "kind", "day"], name="reminder_once_a_day"),
        ]

    def __str__(self):
        return f"{self.day} {self.get_kind_display()} {self.issue_id}"


class ReminderSchedule(models.Model):
    """The daily reminder run queued in the task worker (`send_reminders --schedule`): one row,
    so there is at most one chain. `task_id` is the queued run that continues the chain; any
    other queued reminders_daily finds itself superseded and stops. What the last run did is
    kept here for the admin and /healthz."""

    class Outcome(models.TextChoices):
        OK = "ok", _("成功")
        FAILED = "failed", _("失败，等待重试")

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    task_id = models.CharField(_("排队中的任务"), max_length=64, blank=True)
    next_run_at = models.DateTimeField(_("下次运行时间"), null=True, blank=True)
    next_run_day = models.DateField(_("下次运行所属日期"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("上次运行时间"), null=True, blank=True)
    last_outcome = models.CharField(
        _("上次运行结果"), max_length=10, choices=Outcome.choices, blank=True
    )
    last_counts = models.JSONField(_("上次运行的数量"), default=dict, blank=True)
    last_error = models.TextField(_("上次错误"), blank=True)
    failures = models.PositiveIntegerField(_("连续失败次数"), default=0)

    class Meta:
        verbose_name = _("每日提醒计划")
        verbose_name_plural = _("每日提醒计划")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="notify_reminder_schedule_single")
        ]

    def __str__(self):
        return str(self._meta.verbose_name)

    @property
    def is_scheduled(self) -> bool:
        return bool(self.task_id)
