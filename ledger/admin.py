"""The Django admin: oversight of every model for the system administrator.

What the admin may change, and why:

- Master data (departments, leaders, enterprises and their contacts, key projects,
  categories, sources, users) is edited here, with django-simple-history keeping
  every version. Lists are retired with the 停用/启用 actions rather than deleted:
  issues point at them with PROTECT, so deleting a used row is refused by Django's
  "protected objects" page and changes nothing; deleting a row nothing uses (a typo)
  is still allowed.
- Issues are the ledger itself. They are never added here (raising goes through
  workflow.issue_raise so the ledger number and the first event are written), never
  deleted (numbers are never reused; everything points at them with PROTECT), and
  their status and every workflow-owned field (leader and lead department once
  assigned, deadline, progress, resolution, satisfaction, the dates, the counters)
  are read-only: state changes go through ledger.workflow, which writes the event.
  What an administrator legitimately needs to correct is what the person who logged
  the issue could correct (models.issues.EDITABLE_FIELDS) — a typo in the title or
  description, the wrong category, source, urgency, enterprise or project, the
  proposed leader. Those fields are editable here exactly while the workflow allows
  the `edit` action to this user (status 待交办), and the save is
  performed *by* workflow.transition(action="edit"), so the correction is checked
  against the issue's current state and version and leaves an event in the timeline.
  Once an issue is assigned, the page is read-only: a wrong department or deadline
  is fixed with 改派/重办 on the issue page, where the responsible people are told.
- Events, deadline history, extension requests, attachments and the number counter
  are records of what happened: they are shown read-only, with no add, change or
  delete anywhere (events are append-only and tamper-evident).

Only superusers and users with the administrator role (and the staff flag) enter
the admin; supervisors, leaders and department staff work in the app. Which issues
(and records of issues) the admin lists is decided by selectors.visible_to(), like
every other screen (it returns everything for administrators and supervisors).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import MaxLengthValidator
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult
from simple_history.admin import SimpleHistoryAdmin

from ledger import workflow
from ledger.models import (
    Attachment,
    Category,
    Contact,
    Department,
    Enterprise,
    ExtensionRequest,
    Health,
    Holiday,
    Issue,
    IssueDeadline,
    IssueEvent,
    KeyProject,
    Leader,
    LedgerCounter,
    ProjectProgress,
    Source,
    User,
)
from ledger.models.issues import EDITABLE_FIELDS
from ledger.selectors import visible_to
from ledger.services import ENTERPRISE_FIELDS
from ledger.states import Action
from ledger.validators import credit_code_normalize, mobile_normalize
from ledger.views.issue import change_rows


def _admin_site_has_permission(request):
    """The admin is the administrators' tool: superusers and the admin role, or an account
    given admin permissions (the security and audit administrators' groups), with the staff
    flag. Other roles work in the app, where every rule applies; each screen of the admin
    still asks for its own model permission."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    return bool(user.is_admin_role or user.get_all_permissions())


admin.site.has_permission = _admin_site_has_permission
admin.site.site_header = _("中站问题台账 · 系统管理")
admin.site.site_title = _("中站问题台账 · 系统管理")
admin.site.index_title = _("系统管理")

# words beside the colour, as on the ledger's own badge (templates/ledger/_health_badge.html)
HEALTH_SYMBOLS = {"red": "● ", "yellow": "▲ ", "green": "✓ "}


class LedgerAdminMedia:
    """The ledger's health colours plus the admin's own touches."""

    css = {"all": ("css/ledger.css", "css/admin-ledger.css")}


def health_badge(code, label):
    return format_html(
        '<span class="health-badge health-{}">{}{}</span>',
        code,
        HEALTH_SYMBOLS.get(code, ""),
        label,
    )


# -- forms: normalise what people paste before the model validators run ---------------


def _accept_unnormalised_length(field):
    """Let a pasted value with spaces or a +86 prefix reach clean_<field>() to be normalised;
    the model validator then checks the length of the normalised value with its own message."""
    field.max_length = None
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
    field.widget.attrs.pop("maxlength", None)


class EnterpriseAdminForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        # the directory door's fields, and the verification the admin may set directly
        fields = (*ENTERPRISE_FIELDS, "is_verified")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "credit_code" in self.fields:
            _accept_unnormalised_length(self.fields["credit_code"])

    def clean_credit_code(self):
        return credit_code_normalize(self.cleaned_data["credit_code"])


class MobileNormalizingForm(forms.ModelForm):
    """Contacts and users: a mobile typed with spaces, dashes, +86 or full-width digits."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "mobile" in self.fields:
            _accept_unnormalised_length(self.fields["mobile"])

    def clean_mobile(self):
        return mobile_normalize(self.cleaned_data.get("mobile", ""))


class ContactAdminForm(MobileNormalizingForm):
    class Meta:
        model = Contact
        fields = ("enterprise", "name", "position", "mobile", "office_phone", "email", "is_primary")


class ContactInlineFormSet(BaseInlineFormSet):
    """Two contacts ticked as primary in one submission: say so instead of a database error."""

    def clean(self):
        super().clean()
        primaries = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", {}).get("is_primary")
            and not self._should_delete_form(form)
        ]
        if len(primaries) > 1:
            raise ValidationError(_("每个企业只能有一位主要联系人。"), code="one_primary")


class LedgerUserChangeForm(MobileNormalizingForm, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class LedgerUserCreationForm(MobileNormalizingForm, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User


# -- shared actions ---------------------------------------------------------------------


def _set_active(modeladmin, request, queryset, active: bool):
    """Save one by one (not queryset.update) so history and the admin log record each change."""
    changed = 0
    for obj in queryset:
        if obj.is_active == active:
            continue
        obj.is_active = active
        obj.save(update_fields=["is_active"])
        modeladmin.log_change(request, obj, [{"changed": {"fields": ["is_active"]}}])
        changed += 1
    modeladmin.message_user(
        request,
        ngettext("已更新 %(count)d 项。", "已更新 %(count)d 项。", changed) % {"count": changed},
        messages.SUCCESS,
    )


@admin.action(description=_("停用所选项"), permissions=["change"])
def deactivate(modeladmin, request, queryset):
    _set_active(modeladmin, request, queryset, False)


@admin.action(description=_("启用所选项"), permissions=["change"])
def activate(modeladmin, request, queryset):
    _set_active(modeladmin, request, queryset, True)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record of what happened: viewable, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OfVisibleIssuesMixin:
    """Records of issues: only those of issues the user may see (selectors.visible_to)."""

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(issue__in=visible_to(request.user).values("pk"))
            .select_related(*self.list_select_related)
        )


# -- people and units ----------------------------------------------------------------------


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = LedgerUserChangeForm
    add_form = LedgerUserCreationForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("name", "role", "department", "mobile", "email")}),
        (
            _("权限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "name",
                    "role",
                    "department",
                    "mobile",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = ("username", "name", "role", "department", "mobile", "is_active", "is_staff")
    list_filter = ("role", "department", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "name", "mobile", "email")
    list_select_related = ("department",)
    autocomplete_fields = ("department",)
    ordering = ("username",)
    actions = ["activate_users", "deactivate_users"]

    @admin.action(description=_("启用所选用户"), permissions=["change"])
    def activate_users(self, request, queryset):
        _set_active(self, request, queryset, True)

    @admin.action(description=_("停用所选用户（不能再登录）"), permissions=["change"])
    def deactivate_users(self, request, queryset):
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(request, _("不能停用您自己的账号。"), messages.WARNING)
            queryset = queryset.exclude(pk=request.user.pk)
        _set_active(self, request, queryset, False)


class ListEntryAdmin(SimpleHistoryAdmin):
    """Category and Source: editable lists, retired rather than deleted."""

    list_display = ("name", "order", "is_active")
    list_editable = ("order",)
    list_filter = ("is_active",)
    search_fields = ("name",)
    actions = [deactivate, activate]


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ("name", "short_name", "kind", "order", "is_active")
    list_editable = ("order",)
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_name")
    actions = [deactivate, activate]


@admin.register(Leader)
class LeaderAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "title", "order", "is_active")
    list_editable = ("order",)
    list_filter = ("is_active",)
    list_select_related = ("user",)
    search_fields = ("user__name", "user__username", "title")
    autocomplete_fields = ("user",)
    actions = [deactivate, activate]

    def get_queryset(self, request):
        # autocomplete and filters show str(leader), which names the user
        return super().get_queryset(request).select_related("user")


@admin.register(Category)
class CategoryAdmin(ListEntryAdmin):
    pass


@admin.register(Source)
class SourceAdmin(ListEntryAdmin):
    pass


# -- directory -------------------------------------------------------------------------------


class ContactInline(admin.TabularInline):
    model = Contact
    form = ContactAdminForm
    formset = ContactInlineFormSet
    fields = ("name", "position", "mobile", "office_phone", "email", "is_primary")
    extra = 1


@admin.register(Enterprise)
class EnterpriseAdmin(SimpleHistoryAdmin):
    form = EnterpriseAdminForm
    inlines = [ContactInline]
    list_display = (
        "name",
        "credit_code",
        "scale",
        "industry",
        "subdistrict",
        "leader",
        "is_active",
        "is_verified",
    )
    list_filter = ("scale", "is_active", "is_verified", "subdistrict", "leader")
    list_select_related = ("subdistrict", "leader__user")
    search_fields = ("name", "credit_code")
    autocomplete_fields = ("subdistrict", "leader")
    actions = [deactivate, activate]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("leader__user")


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    form = ContactAdminForm
    list_display = ("name", "enterprise", "position", "mobile", "is_primary")
    list_filter = ("is_primary",)
    list_select_related = ("enterprise",)
    search_fields = ("name", "mobile", "enterprise__name")
    autocomplete_fields = ("enterprise",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("enterprise")


@admin.register(KeyProject)
class KeyProjectAdmin(SimpleHistoryAdmin):
    list_display = (
        "name",
        "level",
        "sector",
        "year",
        "stage",
        "annual_plan",
        "completed_this_year",
        "pace_label",
        "leader",
        "lead_department",
    )
    list_filter = ("level", "sector", "stage", "year", "lead_department", "leader")
    list_select_related = ("leader__user", "lead_department")
    search_fields = ("name", "owner__name")
    autocomplete_fields = ("leader", "lead_department", "owner")
    Media = LedgerAdminMedia

    @admin.display(description=_("序时进度"))
    def pace_label(self, obj):
        pace = obj.pace()
        return health_badge(pace, KeyProject.Pace(pace).label)


# -- issues -----------------------------------------------------------------------------------


class HealthListFilter(admin.SimpleListFilter):
    title = _("红黄绿灯")
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return Health.choices

    def queryset(self, request, queryset):
        value = self.value()
        if value in Health.values:
            return queryset.filter_health(value)
        return queryset


class RaisedYearListFilter(admin.SimpleListFilter):
    """登记年度, in place of a date hierarchy: the years come from the numbering counters (a
    row per year) instead of a DISTINCT over every issue, and `raised_at__year` filters by
    a range the raised_at index serves."""

    title = _("登记年度")
    parameter_name = "raised_at__year"

    def lookups(self, request, model_admin):
        years = LedgerCounter.objects.order_by("-year").values_list("year", flat=True)
        return [(str(year), str(year)) for year in years]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit() and 1900 <= int(value) <= 2999:
            return queryset.filter(raised_at__year=int(value))
        return queryset


# the issue list counts its rows up to this many: a COUNT(*) over a million issues on
# every page of the admin would cost more than the page
ADMIN_COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """A paginator whose count stops at ADMIN_COUNT_CAP (a COUNT over a LIMITed subquery
    of ids); past it the list shows "10000" results and its first hundred pages — filter
    or search to narrow it."""

    @cached_property
    def count(self):
        return self.object_list.order_by().values("pk")[:ADMIN_COUNT_CAP].count()


class LeaderListFilter(admin.RelatedFieldListFilter):
    """Leaders by name without one query per leader (str(leader) reads the user)."""

    def field_choices(self, field, request, model_admin):
        leaders = Leader.objects.select_related("user").order_by("order", "id")
        return [(leader.pk, str(leader)) for leader in leaders]


class IssueEventInline(ReadOnlyInline):
    model = IssueEvent
    fields = (
        "seq",
        "created_at",
        "action",
        "from_status",
        "to_status",
        "actor",
        "actor_department",
        "note",
        "changes_shown",
    )
    readonly_fields = fields
    verbose_name_plural = _("办理记录（只读）")

    @admin.display(description=_("变更内容"))
    def changes_shown(self, obj):
        # field names and codes in words, as on the issue page (not the stored JSON)
        return format_html_join(
            mark_safe("<br>"),
            "{}：{} → {}",
            (
                (row["label"], row["old"] or "—", row["new"] or "—")
                for row in change_rows(obj.changes)
            ),
        )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("issue", "actor", "actor_department")


class IssueDeadlineInline(ReadOnlyInline):
    model = IssueDeadline
    fields = ("deadline", "previous", "reason", "set_by", "set_at")
    readonly_fields = fields
    verbose_name_plural = _("时限记录（只读）")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("issue", "set_by")


class ExtensionRequestInline(ReadOnlyInline):
    model = ExtensionRequest
    fields = (
        "requested_at",
        "requested_by",
        "current_deadline",
        "requested_deadline",
        "state",
        "decided_by",
        "decided_at",
    )
    readonly_fields = fields
    verbose_name_plural = _("延期申请（只读）")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("issue", "requested_by", "decided_by")


def _attachment_link(attachment):
    # through the permission-checking download view, never the raw media URL
    url = reverse(
        "attachment_download",
        kwargs={"number": attachment.issue.number, "attachment_id": attachment.pk},
    )
    return format_html('<a href="{}">{}</a>', url, attachment.original_name)


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ("download", "content_type", "size_display", "uploaded_by", "uploaded_at", "event")
    readonly_fields = fields
    verbose_name_plural = _("附件（只读）")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("issue", "uploaded_by", "event")

    @admin.display(description=_("文件"))
    def download(self, obj):
        return _attachment_link(obj)

    @admin.display(description=_("大小"))
    def size_display(self, obj):
        return filesizeformat(obj.size)


class IssueAdminForm(forms.ModelForm):
    # the version the page was built from: the workflow refuses a save over someone's change
    expected_version = forms.IntegerField(
        label=_("页面版本"), widget=forms.HiddenInput, required=False
    )

    class Meta:
        model = Issue
        fields = EDITABLE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        expected = cleaned.get("expected_version")
        current = self.instance.version  # the instance was read when the POST arrived
        if self.instance.pk and expected is not None and expected != current:
            # the page shown again carries the current version: a second save is deliberate
            self.data = self.data.copy()
            self.data[self.add_prefix("expected_version")] = current
            raise ValidationError(
                _(
                    "您打开页面后，该问题已被他人修改（见下方办理记录）。"
                    "请核对后再次保存；您填写的内容已保留。"
                ),
                code="stale",
            )
        return cleaned


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    """Oversight of the ledger; see the module docstring for what may be corrected here."""

    form = IssueAdminForm
    Media = LedgerAdminMedia
    list_display = (
        "number",
        "title",
        "status",
        "health_label",
        "leader",
        "lead_department",
        "deadline",
    )
    list_display_links = ("number", "title")
    list_filter = (
        "status",
        HealthListFilter,
        "category",
        "source",
        "lead_department",
        ("leader", LeaderListFilter),
        "urgency",
        "is_escalated",
        RaisedYearListFilter,
    )
    list_select_related = ("leader__user", "lead_department")
    search_fields = ("number", "title", "enterprise__name", "enterprise__credit_code")
    # at a million issues: no COUNT over the whole table on each page
    show_full_result_count = False
    paginator = CappedCountPaginator
    autocomplete_fields = ("enterprise", "project", "leader")
    inlines = [IssueEventInline, IssueDeadlineInline, ExtensionRequestInline, AttachmentInline]
    readonly_fields = (
        "number",
        "status",
        "health_label",
        "raised_by",
        "raising_department",
        "raised_at",
        "lead_department",
        "co_departments_display",
        "deadline",
        "progress",
        "progress_note",
        "resolution",
        "satisfaction",
        "satisfaction_note",
        "is_escalated",
        "urge_count",
        "last_urged_at",
        "assigned_at",
        "accepted_at",
        "resolved_at",
        "resolved_on_time",
        "closed_at",
        "updated_at",
        "version",
    )
    fieldsets = (
        (
            _("问题"),
            {
                "fields": (
                    "number",
                    "status",
                    "health_label",
                    "title",
                    "description",
                    "category",
                    "source",
                    "urgency",
                    "enterprise",
                    "project",
                )
            },
        ),
        (_("登记"), {"fields": ("raised_by", "raising_department", "raised_at")}),
        (
            _("交办"),
            {
                "fields": (
                    "leader",
                    "lead_department",
                    "co_departments_display",
                    "responsible_person",
                    "deadline",
                    "measures",
                )
            },
        ),
        (
            _("办理"),
            {
                "fields": (
                    "progress",
                    "progress_note",
                    "resolution",
                    "satisfaction",
                    "satisfaction_note",
                    "is_escalated",
                    "urge_count",
                    "last_urged_at",
                )
            },
        ),
        (
            _("时间"),
            {
                "classes": ("collapse",),
                "fields": (
                    "assigned_at",
                    "accepted_at",
                    "resolved_at",
                    "resolved_on_time",
                    "closed_at",
                    "updated_at",
                    "version",
                ),
            },
        ),
    )

    def get_queryset(self, request):
        return visible_to(request.user, super().get_queryset(request)).with_health()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id is not None:
            obj = self.get_object(request, unquote(object_id))
            if (
                obj is not None
                and self.has_view_permission(request, obj)
                and not self.has_change_permission(request, obj)
            ):
                # e.g. assigned since the page was opened: say why instead of a bare 403
                message = _("该问题当前状态为“%(status)s”，只能在问题页面通过办理流程变更。") % {
                    "status": obj.get_status_display()
                }
                self.message_user(request, message, messages.ERROR)
                return HttpResponseRedirect(request.path)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.has_change_permission(request, obj):
            # the hidden version travels with an editable page only
            head, *rest = fieldsets
            head = (head[0], {**head[1], "fields": (*head[1]["fields"], "expected_version")})
            fieldsets = (head, *rest)
        return fieldsets

    def has_add_permission(self, request):
        # raised through the app, which numbers the issue and writes its first event
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None:
            return True
        # exactly when the workflow's `edit` action is open to this user
        return Action.EDIT in workflow.available_actions(request.user, obj)

    def save_model(self, request, obj, form, change):
        """The correction is made by the workflow, which checks and records it."""
        changed = {
            name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS
        }
        if not changed:
            return
        try:
            workflow.transition(
                obj,
                actor=request.user,
                action=Action.EDIT,
                note=str(_("在系统管理后台更正。")),
                expected_version=form.cleaned_data.get("expected_version"),
                **changed,
            )
        except workflow.TransitionRefused as refusal:
            request.ledger_refusal = refusal

    def log_change(self, request, obj, message):
        if getattr(request, "ledger_refusal", None) is None:
            return super().log_change(request, obj, message)
        return None

    def response_change(self, request, obj):
        refusal = getattr(request, "ledger_refusal", None)
        if refusal is not None:
            errors = "；".join(str(m) for m in refusal.field_errors.values())
            message = f"{refusal.message} {errors}".strip()
            self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    @admin.display(description=_("红黄绿灯"))
    def health_label(self, obj):
        health = obj.health
        return health_badge(health.value, health.label)

    @admin.display(description=_("配合单位"))
    def co_departments_display(self, obj):
        return "、".join(str(d) for d in obj.co_departments.all()) or "—"


@admin.register(IssueEvent)
class IssueEventAdmin(OfVisibleIssuesMixin, ReadOnlyAdmin):
    """办理记录 are append-only: nothing here adds, changes or deletes one."""

    list_display = (
        "issue",
        "seq",
        "action",
        "from_status",
        "to_status",
        "actor",
        "actor_department",
        "created_at",
    )
    list_filter = ("action", "to_status")
    list_select_related = ("issue", "actor", "actor_department")
    search_fields = ("issue__number", "issue__title", "note", "actor__name", "actor__username")
    date_hierarchy = "created_at"


@admin.register(IssueDeadline)
class IssueDeadlineAdmin(OfVisibleIssuesMixin, ReadOnlyAdmin):
    list_display = ("issue", "deadline", "previous", "reason", "set_by", "set_at")
    list_filter = ("reason",)
    list_select_related = ("issue", "set_by")
    search_fields = ("issue__number", "issue__title")
    date_hierarchy = "set_at"


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(OfVisibleIssuesMixin, ReadOnlyAdmin):
    """Decided on the issue page by the leader or the office (workflow), shown here."""

    list_display = (
        "issue",
        "requested_by",
        "current_deadline",
        "requested_deadline",
        "state",
        "decided_by",
        "requested_at",
    )
    list_filter = ("state",)
    list_select_related = ("issue", "requested_by", "decided_by")
    search_fields = ("issue__number", "issue__title", "reason")
    date_hierarchy = "requested_at"


@admin.register(Attachment)
class AttachmentAdmin(OfVisibleIssuesMixin, ReadOnlyAdmin):
    list_display = (
        "original_name",
        "issue",
        "content_type",
        "size_display",
        "uploaded_by",
        "uploaded_at",
        "download",
    )
    list_select_related = ("issue", "uploaded_by")
    search_fields = ("original_name", "issue__number", "issue__title")
    date_hierarchy = "uploaded_at"
    # the raw file field would link to the media URL, bypassing the permission check
    exclude = ("file",)
    readonly_fields = ("download", "size_display")

    @admin.display(description=_("文件"))
    def download(self, obj):
        return _attachment_link(obj)

    @admin.display(description=_("大小"))
    def size_display(self, obj):
        return filesizeformat(obj.size)


@admin.register(LedgerCounter)
class LedgerCounterAdmin(ReadOnlyAdmin):
    """Numbers are handed out by services.ledger_number_next(); never edited by hand."""

    list_display = ("year_shown", "last_shown")
    fields = readonly_fields = ("year_shown", "last_shown")
    ordering = ("-year",)

    # the model's fields have no verbose names (and the core takes no new migration)
    @admin.display(description=_("年度"), ordering="year")
    def year_shown(self, obj):
        return str(obj.year)

    @admin.display(description=_("已用到的最大序号"), ordering="last")
    def last_shown(self, obj):
        return obj.last


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """The working-day calendar; `manage.py holidays_sync` never overwrites an edited row."""

    list_display = ("date", "kind", "name", "from_package")
    list_filter = ("kind", "from_package")
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("-date",)
    readonly_fields = ("from_package",)

    def save_model(self, request, obj, form, change):
        obj.from_package = False  # edited by hand: the package sync leaves it alone
        super().save_model(request, obj, form, change)


@admin.register(ProjectProgress)
class ProjectProgressAdmin(ReadOnlyAdmin):
    """投资进度月报: reported in the app (services.project_progress_report), which also moves
    the project's figures; here they are only looked up."""

    list_display = ("project", "month_shown", "completed_this_year", "stage", "reported_by")
    list_filter = ("stage",)
    list_select_related = ("project", "reported_by")
    search_fields = ("project__name",)
    date_hierarchy = "month"
    ordering = ("-month", "project__name")

    @admin.display(description=_("月份"), ordering="month")
    def month_shown(self, obj):
        return f"{obj.month:%Y-%m}"


# django-tasks-db's admin labels two columns with plain English strings no catalog reaches
admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    list_display = (
        "id_shown",
        "task_name_shown",
        "status",
        "enqueued_at",
        "started_at",
        "finished_at",
        "priority",
        "queue_name",
    )

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return ["id_shown" if name == "id" else name for name in fields]

    @admin.display(description=_("任务编号"), ordering="id")
    def id_shown(self, obj):
        return obj.id

    @admin.display(description=_("任务"))
    def task_name_shown(self, obj):
        return obj.task_name

    @admin.display(description=_("错误追踪"))
    def formatted_traceback(self, obj):
        return super().formatted_traceback(obj)

    @admin.display(description=_("最早执行时间"))
    def display_run_after(self, obj):
        return super().display_run_after(obj)
