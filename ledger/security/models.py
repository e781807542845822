"""Tables of the security room.

The login records are django-axes' own tables, shown in the admin through proxies so
the admin speaks Chinese. (The throttle's counts are the core's: ledger/models/throttle.py.)
"""

from axes.models import AccessAttempt, AccessLog
from django.utils.translation import gettext_lazy as _


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
