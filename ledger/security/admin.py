"""The admin's view of sign-in failures and lockouts, in Chinese.

django-axes' own admin is switched off (AXES_ENABLE_ADMIN = False): its labels are
English msgids our catalog does not hold. These proxies show the same rows, with a
“锁定中” column and filter and the action that lifts a lockout (deleting the failure
record, which is what axes' own `axes_reset` does).
"""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import LoginFailure, LoginRecord


def _locked_since():
    """Failures newer than this still count towards a lockout (the cool-off)."""
    return timezone.now() - settings.AXES_COOLOFF_TIME


class AttemptTimeFilter(admin.DateFieldListFilter):
    """axes' field is named in English; the filter's title is ours."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("尝试时间")


class LockedFilter(admin.SimpleListFilter):
    title = _("锁定状态")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", _("锁定中")), ("no", _("未锁定"))]

    def queryset(self, request, queryset):
        locked = {
            "failures_since_start__gte": settings.AXES_FAILURE_LIMIT,
            "attempt_time__gte": _locked_since(),
        }
        if self.value() == "yes":
            return queryset.filter(**locked)
        if self.value() == "no":
            return queryset.exclude(**locked)
        return queryset


class _AttemptColumns:
    """Columns and read-only rights shared by the sign-in failure and sign-in log lists."""

    @admin.display(description=_("用户名"), ordering="username")
    def user_name(self, obj):
        return obj.username

    @admin.display(description=_("来源地址"), ordering="ip_address")
    def address(self, obj):
        return obj.ip_address

    @admin.display(description=_("登录页面"))
    def path(self, obj):
        return obj.path_info

    @admin.display(description=_("浏览器"))
    def agent(self, obj):
        return obj.user_agent

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LoginFailure)
class LoginFailureAdmin(_AttemptColumns, admin.ModelAdmin):
    list_display = ["user_name", "address", "failures", "last_attempt", "state", "path"]
    list_filter = [LockedFilter, ("attempt_time", AttemptTimeFilter)]
    search_fields = ["username", "ip_address"]
    actions = ["lockout_reset"]
    fields = ["user_name", "address", "failures", "last_attempt", "state", "path", "agent"]
    readonly_fields = fields

    @admin.display(description=_("失败次数"), ordering="failures_since_start")
    def failures(self, obj):
        return obj.failures_since_start

    @admin.display(description=_("最近一次尝试"), ordering="attempt_time")
    def last_attempt(self, obj):
        return obj.attempt_time

    @admin.display(description=_("状态"))
    def state(self, obj):
        if obj.failures_since_start >= settings.AXES_FAILURE_LIMIT:
            if obj.attempt_time >= _locked_since():
                until = timezone.localtime(obj.attempt_time + settings.AXES_COOLOFF_TIME)
                return _("锁定中，至 %(time)s 自动解除") % {"time": until.strftime("%H:%M")}
            return _("锁定已到期")
        return _("还可尝试 %(n)d 次") % {
            "n": settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        }

    @admin.action(description=_("解除所选记录的锁定（清除失败次数）"), permissions=["delete"])
    def lockout_reset(self, request, queryset):
        handler = AxesDatabaseHandler()
        count = 0
        for username, address in queryset.values_list("username", "ip_address").distinct():
            count += handler.reset_attempts(username=username, ip_address=address)
        self.message_user(
            request,
            ngettext("已解除 %(n)d 条记录的锁定。", "已解除 %(n)d 条记录的锁定。", count)
            % {"n": count},
            messages.SUCCESS,
        )


@admin.register(LoginRecord)
class LoginRecordAdmin(_AttemptColumns, admin.ModelAdmin):
    list_display = ["user_name", "address", "signed_in", "signed_out", "path"]
    list_filter = [("attempt_time", AttemptTimeFilter)]
    search_fields = ["username", "ip_address"]
    fields = ["user_name", "address", "signed_in", "signed_out", "path", "agent"]
    readonly_fields = fields

    @admin.display(description=_("登录时间"), ordering="attempt_time")
    def signed_in(self, obj):
        return obj.attempt_time

    @admin.display(description=_("退出时间"), ordering="logout_time")
    def signed_out(self, obj):
        return obj.logout_time
