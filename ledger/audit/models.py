"""The security audit trail's rows: one signed, chained record per audited act, and the signed
head that says which record is the last.

The actor is a plain id with the user name beside it, not a foreign key: a record must outlive
the account it names, and deleting a user must not rewrite what the record says.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ledger.auditing import Kind, Outcome

KIND_LABELS = {
    Kind.SIGN_IN: _("登录"),
    Kind.SIGN_IN_FAILED: _("登录失败"),
    Kind.SIGN_OUT: _("退出登录"),
    Kind.LOCKED_OUT: _("账号锁定"),
    Kind.UNLOCKED: _("解除锁定"),
    Kind.PASSWORD_CHANGED: _("修改密码"),
    Kind.PASSWORD_RESET: _("重置密码"),
    Kind.PASSWORD_SET_BY_ADMIN: _("管理员设置密码"),
    Kind.OTP_ENROLLED: _("启用两步验证"),
    Kind.OTP_REMOVED: _("关闭两步验证"),
    Kind.OTP_FAILED: _("动态口令错误"),
    Kind.RECOVERY_CODES_MADE: _("生成恢复码"),
    Kind.RECOVERY_CODE_USED: _("使用恢复码"),
    Kind.ACCOUNT_CREATED: _("创建账号"),
    Kind.ACCOUNT_CHANGED: _("账号变更"),
    Kind.ROLE_CHANGED: _("角色变更"),
    Kind.PERMISSIONS_CHANGED: _("权限变更"),
    Kind.EXPORTED: _("导出数据"),
    Kind.IMPORTED: _("导入数据"),
    Kind.ADMIN_CHANGED: _("后台修改"),
    Kind.POLICY_CHANGED: _("安全策略变更"),
    Kind.AUDIT_EXPORTED: _("导出审计日志"),
    Kind.AUDIT_PURGED: _("清理审计日志"),
    Kind.API_TOKEN_CREATED: _("创建接口令牌"),
    Kind.API_TOKEN_REVOKED: _("吊销接口令牌"),
    Kind.API_CLIENT_REGISTERED: _("登记接口客户端"),
    Kind.API_CLIENT_CHANGED: _("修改接口客户端"),
    Kind.API_SECRET_ROTATED: _("轮换客户端密钥"),
    Kind.API_SECRET_REVOKED: _("吊销客户端密钥"),
    Kind.API_CALL: _("系统接口调用"),
    Kind.API_AUTH_FAILED: _("接口凭据被拒"),
}


def kind_choices():
    """Every Kind with its label (a Kind added to the core without a label shows its code)."""
    return [(kind.value, KIND_LABELS.get(kind, kind.value)) for kind in Kind]


# targets are stored as plain words ("user staff2", "ledger export") and named in the reader's
# language on screen: whole targets, then a leading word followed by a name
TARGETS = {
    "ledger export": _("问题台账导出"),
    "ledger export (admin selection)": _("问题台账导出（后台所选）"),
    "assessment export": _("考核统计导出"),
    "project pace export": _("重点项目进度导出"),
    "report export": _("督查报告导出"),
    "audit log": _("安全审计日志"),
}
TARGET_WORDS = {
    "user": _("用户"),
    "address": _("来源地址"),  # the sign-in limit of an address lifted (security admin)
    "group": _("角色组"),
    "permission": _("权限"),
    "groups": _("角色组"),
    "user_permissions": _("直接权限"),
    "import": _("导入"),
    "master data export": _("基础数据导出"),
    "api client": _("接口客户端"),
}


def target_label(target: str) -> str:
    if target in TARGETS:
        return str(TARGETS[target])
    for word in sorted(TARGET_WORDS, key=len, reverse=True):
        if target.startswith(word + " "):
            return f"{TARGET_WORDS[word]} {target[len(word) + 1 :]}"
    head, _space, rest = target.partition(" ")
    if "." in head:  # an admin change: "app_label.model object"
        from django.apps import apps  # import here: models load before the registry is ready

        try:
            return f"{apps.get_model(head)._meta.verbose_name} {rest}"
        except (LookupError, ValueError):
            pass
    return target


OUTCOME_CHOICES = [(Outcome.SUCCESS.value, _("成功")), (Outcome.FAILURE.value, _("失败"))]


class AuditRecord(models.Model):
    """Who did what to the system, when, from where and with what outcome."""

    seq = models.PositiveBigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    kind = models.CharField(_("类别"), max_length=40, db_index=True)
    outcome = models.CharField(_("结果"), max_length=10, choices=OUTCOME_CHOICES)
    actor_id = models.PositiveBigIntegerField(_("操作人ID"), null=True, blank=True)
    username = models.CharField(_("用户名"), max_length=150, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    target = models.CharField(_("对象"), max_length=200, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    key_id = models.CharField(_("密钥编号"), max_length=20)
    prev = models.CharField(_("上一条校验值"), max_length=64, blank=True)
    digest = models.CharField(_("校验值"), max_length=64)

    class Meta:
        verbose_name = _("安全审计记录")
        verbose_name_plural = _("安全审计日志")
        ordering = ["-seq"]
        permissions = [("export_auditrecord", _("可以导出安全审计日志"))]

    def __str__(self):
        return f"#{self.seq} {self.kind_label} {self.username}"

    @property
    def target_label(self):
        return target_label(self.target)

    @property
    def kind_label(self):
        try:
            return KIND_LABELS.get(Kind(self.kind), self.kind)
        except ValueError:
            return self.kind


class AuditHead(models.Model):
    """The newest record's seq and digest, signed: a deleted tail no longer matches it.

    One row (pk 1). Appending locks it, so two records never take the same place in the chain.
    """

    seq = models.PositiveBigIntegerField(_("最后序号"), default=0)
    digest = models.CharField(_("最后校验值"), max_length=64, blank=True)
    key_id = models.CharField(_("密钥编号"), max_length=20, blank=True)
    mac = models.CharField(_("签名"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("审计日志链头")
        verbose_name_plural = _("审计日志链头")

    def __str__(self):
        return f"#{self.seq}"
