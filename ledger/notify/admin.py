"""Admin of ledger.notify: notifications with their e-mail delivery state (read-only, with a
"retry e-mail" action), reminder log, preferences."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .models import Notification, Preference, ReminderLog, ReminderSchedule
from .tasks import emails_enqueue


@admin.action(description=_("重新发送所选通知的邮件"), permissions=["change"])
def email_retry(modeladmin, request, queryset):
    ids = list(
        queryset.filter(
            email_state__in=[Notification.Email.FAILED, Notification.Email.RETRYING]
        ).values_list("pk", flat=True)
    )
    Notification.objects.filter(pk__in=ids).update(
        email_state=Notification.Email.PENDING, email_attempts=0, email_next_attempt_at=None
    )
    transaction.on_commit(lambda: emails_enqueue(ids))
    modeladmin.message_user(
        request,
        _("已安排重发 %(n)s 封邮件。") % {"n": len(ids)},
        messages.SUCCESS,
    )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "recipient",
        "kind",
        "issue",
        "actor",
        "read_at",
        "email_state",
        "email_attempts",
        "email_next_attempt_at",
    )
    list_filter = ("email_state", "kind", ("read_at", admin.EmptyFieldListFilter))
    list_select_related = ("recipient", "issue", "actor")
    search_fields = ("recipient__username", "recipient__name", "issue__number", "issue__title")
    date_hierarchy = "created_at"
    actions = [email_retry]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # the change page is read-only; "change" is needed for the retry action
        return super().has_change_permission(request, obj) if obj is None else False


@admin.register(ReminderLog)
class ReminderLogAdmin(admin.ModelAdmin):
    list_display = ("day", "kind", "issue", "recipients", "created_at")
    list_filter = ("kind",)
    list_select_related = ("issue",)
    search_fields = ("issue__number", "issue__title")
    date_hierarchy = "day"
    readonly_fields = ("issue", "kind", "day", "recipients", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "language", "email_off")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__name")
    autocomplete_fields = ("user",)


@admin.register(ReminderSchedule)
class ReminderScheduleAdmin(admin.ModelAdmin):
    """The queued daily run (`send_reminders --schedule`): when it runs next and what the last
    run did. Read-only: `send_reminders --schedule` / `--unschedule` change it."""

    list_display = (
        "__str__",
        "next_run_at",
        "next_run_day",
        "last_run_at",
        "last_outcome",
        "failures",
        "task_id",
    )
    readonly_fields = [f.name for f in ReminderSchedule._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
