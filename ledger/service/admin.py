"""The admin of the service room: the editable list of procedure types; visits and
checklists are shown for correction and oversight (visits are recorded in the app, where
their problems become issues)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import ProcedureIssue, ProcedureType, ProjectProcedure, Visit, VisitIssue, VisitPhoto


@admin.register(ProcedureType)
class ProcedureTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "default_department", "is_active")
    list_editable = ("order", "default_department", "is_active")
    list_select_related = ("default_department",)
    search_fields = ("name",)


class VisitIssueInline(admin.TabularInline):
    model = VisitIssue
    extra = 0
    can_delete = False
    readonly_fields = ("issue",)

    def has_add_permission(self, request, obj=None):
        return False


class VisitPhotoInline(admin.TabularInline):
    model = VisitPhoto
    extra = 0
    can_delete = False
    fields = ("original_name", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = (
        "visited_on",
        "subject_name",
        "leader",
        "leader_attended",
        "no_problems",
        "created_by",
    )
    list_filter = ("leader", "leader_attended", "no_problems")
    date_hierarchy = "visited_on"
    search_fields = ("enterprise__name", "project__name", "summary")
    list_select_related = ("enterprise", "project", "leader__user", "created_by")
    raw_id_fields = ("enterprise", "project", "companions", "contacts")
    readonly_fields = ("leader", "enterprise", "project", "created_by", "created_at", "updated_at")
    inlines = [VisitIssueInline, VisitPhotoInline]

    @admin.display(description=_("走访对象"))
    def subject_name(self, obj):
        return obj.subject.name if obj.subject else "—"

    def has_add_permission(self, request):
        return False  # recorded in the app: /visits/new/ raises its problems as issues

    def has_delete_permission(self, request, obj=None):
        return False  # issues point at visits


class ProcedureIssueInline(admin.TabularInline):
    model = ProcedureIssue
    extra = 0
    can_delete = False
    readonly_fields = ("issue",)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ProjectProcedure)
class ProjectProcedureAdmin(admin.ModelAdmin):
    list_display = ("project", "type", "department", "agent", "planned_on", "status", "done_on")
    list_filter = ("status", "type")
    search_fields = ("project__name", "type__name")
    list_select_related = ("project", "type", "department", "agent")
    raw_id_fields = ("project", "agent")
    readonly_fields = ("updated_by", "updated_at")
    inlines = [ProcedureIssueInline]
