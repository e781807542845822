"""The audit log in the admin, read-only, for the audit administrator; and the account screen
held to the separation of duties (三员分立).

No add, change or delete: a record is written only by ledger.auditing.record() and removed only
by audit_purge. Only holders of audit.view_auditrecord (the audit administrator's group, and
the superuser at installation) see it.

The account screen stays the core's (ledger.admin.UserAdmin) with two limits for everyone but
the superuser: groups, direct permissions and the superuser flag are read-only (rights are
handed out by the roles' groups, set by roles_setup), and the accounts of the superuser and
of the security and audit administrators cannot be changed or deleted — so the system
administrator can neither raise himself nor take over the auditor's account.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from ledger.admin import UserAdmin as CoreUserAdmin

from .models import AuditRecord, kind_choices
from .roles import AUDIT_ADMIN, SECURITY_ADMIN


class KindFilter(admin.SimpleListFilter):
    title = _("类别")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return kind_choices()

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(kind=self.value())
        return queryset


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    list_display = ["seq", "at", "kind_name", "outcome", "username", "ip", "target_name"]
    list_filter = [KindFilter, "outcome", "at"]
    search_fields = ["username", "ip", "target"]
    date_hierarchy = "at"
    fields = [
        "seq",
        "at",
        "kind_name",
        "outcome",
        "actor_id",
        "username",
        "ip",
        "target_name",
        "detail",
        "key_id",
        "prev",
        "digest",
    ]
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description=_("类别"), ordering="kind")
    def kind_name(self, obj):
        return obj.kind_label

    @admin.display(description=_("对象"), ordering="target")
    def target_name(self, obj):
        return obj.target_label

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


PROTECTED_GROUPS = (SECURITY_ADMIN, AUDIT_ADMIN)
RIGHTS_FIELDS = ("is_superuser", "groups", "user_permissions")


class SeparatedUserAdmin(CoreUserAdmin):
    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [name for name in RIGHTS_FIELDS if name not in fields]
        return fields

    def _protected(self, request, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return False
        return obj.is_superuser or obj.groups.filter(name__in=PROTECTED_GROUPS).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._protected(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._protected(request, obj)

    def get_queryset(self, request):
        # the bulk actions (停用, delete) act on the queryset: protected accounts are left out
        queryset = super().get_queryset(request)
        if request.user.is_superuser or request.resolver_match is None:
            return queryset
        if (
            request.resolver_match.url_name
            and request.resolver_match.url_name.endswith("changelist")
            and request.method == "POST"
        ):
            return queryset.exclude(is_superuser=True).exclude(groups__name__in=PROTECTED_GROUPS)
        return queryset


User = get_user_model()
admin.site.unregister(User)
admin.site.register(User, SeparatedUserAdmin)
