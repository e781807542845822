"""The admin's view of sign-in failures and lockouts, in Chinese.

django-axes' own admin is switched off (AXES_ENABLE_ADMIN = False): its labels are
English msgids our catalog does not hold. These proxies show the same rows, with a
“锁定中” column and filter and the action that lifts a lockout (deleting the failure
record, which is what axes' own `axes_reset` does), and the action that lifts the
per-address sign-in limit (password spraying, throttle.py) of the selected records'
addresses, recorded on the audit trail.
"""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ledger import auditing

from .models import AuthenticatorDevice, LoginFailure, LoginRecord
from .throttle import sign_in_address_clear


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
    actions = ["lockout_reset", "address_throttle_clear"]
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

    @admin.action(
        description=_("解除所选记录来源地址的登录限流（清除该地址的失败计数）"),
        permissions=["delete"],
    )
    def address_throttle_clear(self, request, queryset):
        """The per-address limit across user names (LOGIN_ADDRESS_FAILURE_LIMIT): the
        selected records' addresses may sign in again at once; the records themselves and
        the per user name locks stay (the other action lifts those)."""
        addresses = sorted(
            {address for address in queryset.values_list("ip_address", flat=True) if address}
        )
        for address in addresses:
            failures = sign_in_address_clear(address)
            auditing.record(
                auditing.Kind.UNLOCKED,
                actor=request.user,
                request=request,
                target=f"address {address}",
                detail={"ip_address": address, "scope": "address", "failures": failures},
            )
        self.message_user(
            request,
            ngettext(
                "已解除 %(n)d 个来源地址的登录限流。",
                "已解除 %(n)d 个来源地址的登录限流。",
                len(addresses),
            )
            % {"n": len(addresses)},
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


# --- two-factor devices: django-otp's own admin pages are English and show the secret (and
# would let the secret be edited); this one lists who has enrolled and resets a lost phone.
for _otp_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_otp_model):
        admin.site.unregister(_otp_model)


@admin.register(AuthenticatorDevice)
class AuthenticatorDeviceAdmin(admin.ModelAdmin):
    list_display = ["holder", "enrolled", "since", "last_used"]
    list_filter = [("confirmed", admin.BooleanFieldListFilter)]
    search_fields = ["user__username", "user__name"]
    list_select_related = ["user"]
    fields = ["holder", "enrolled", "since", "last_used"]
    readonly_fields = fields
    actions = ["reset_devices"]

    @admin.display(description=_("用户"), ordering="user__username")
    def holder(self, obj):
        return obj.user

    @admin.display(description=_("已启用"), boolean=True, ordering="confirmed")
    def enrolled(self, obj):
        return obj.confirmed

    @admin.display(description=_("设置时间"), ordering="created_at")
    def since(self, obj):
        return obj.created_at

    @admin.display(description=_("上次使用"), ordering="last_used_at")
    def last_used(self, obj):
        return obj.last_used_at

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def _reset(self, request, devices):
        users = {device.user for device in devices}
        for user in users:
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
            auditing.record(
                auditing.Kind.OTP_REMOVED,
                actor=request.user,
                request=request,
                target=f"user {user.get_username()}",
                detail={"by": "administrator"},
            )
        return len(users)

    @admin.action(description=_("重置两步验证（丢失手机时；下次登录重新设置）"))
    def reset_devices(self, request, queryset):
        count = self._reset(request, list(queryset.select_related("user")))
        self.message_user(
            request,
            ngettext(
                "已重置 %(count)d 人的两步验证。",
                "已重置 %(count)d 人的两步验证。",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def delete_model(self, request, obj):
        self._reset(request, [obj])

    def delete_queryset(self, request, queryset):
        self._reset(request, list(queryset.select_related("user")))
