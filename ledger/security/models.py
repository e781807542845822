"""Tables of the security room.

The login records are django-axes' own tables, shown in the admin through proxies so
the admin speaks Chinese, and the password history (GB/T 22239: no reuse, forced change).
(The throttle's counts are the core's: ledger/models/throttle.py.)
"""

from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice


class LoginFailure(AccessAttempt):
    """Failed sign-ins per user name and address (axes' AccessAttempt)."""

    class Meta:
        proxy = True
        verbose_name = _("登录失败与锁定")
        verbose_name_plural = _("登录失败与锁定")


class LoginRecord(AccessLog):
    """Successful sign-ins and sign-outs (axes' AccessLog)."""

    class Meta:
        proxy = True
        verbose_name = _("登录日志")
        verbose_name_plural = _("登录日志")


class PasswordHistory(models.Model):
    """One password a user has had, as its hash (never the password itself).

    Written whenever a password is set through set_password (ledger.security.passwords'
    password_changed hook). The newest row, when it matches the current hash, says when the
    current password was set and whether its holder chose it; a password without such a row
    (set by someone else, or stored as a hash directly, as create_user and seed_demo do) is
    an initial password. The last PASSWORD_HISTORY_COUNT rows refuse reuse; older ones are
    pruned.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="password_history",
        verbose_name=_("用户"),
    )
    password = models.CharField(_("密码散列"), max_length=128)
    set_at = models.DateTimeField(_("设置时间"), default=timezone.now)
    chosen_by_user = models.BooleanField(_("本人设置"), default=False)

    class Meta:
        ordering = ["-set_at", "-pk"]
        indexes = [models.Index(fields=["user", "-set_at"], name="security_pwhist_user_set")]
        verbose_name = _("密码历史")
        verbose_name_plural = _("密码历史")

    def __str__(self):
        return f"{self.user_id} @ {self.set_at:%Y-%m-%d %H:%M}"


class AuthenticatorDevice(TOTPDevice):
    """An enrolled authenticator app (django-otp's TOTPDevice), as the admin shows it: who,
    since when, last used; never its secret. Deleting one is how a lost phone is reset."""

    class Meta:
        proxy = True
        verbose_name = _("两步验证设备")
        verbose_name_plural = _("两步验证设备")
