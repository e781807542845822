"""The admin of webhook subscriptions and deliveries: subscriptions are added here (their
signing secret is shown once, on the page after saving), deliveries are read-only with
their attempts and a 重新发送 action for failed or dead ones; the work orders received are
read-only too."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .intake_models import IntakeOrder
from .webhooks import resend
from .webhooks_models import EVENTS, WebhookAttempt, WebhookDelivery, WebhookSubscription
from .webhooks_send import secret_new, url_refused


class SubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("订阅事件"),
        choices=list(EVENTS.items()),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookSubscription
        fields = ["client", "url", "events", "is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        refused = url_refused(url)
        if refused:
            raise forms.ValidationError(refused)
        return url


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("client", "url", "is_active", "created_at")
    list_filter = ("is_active", "client")
    list_select_related = ("client",)
    search_fields = ("url", "client__name")
    actions = ["secret_rotate"]

    def save_model(self, request, obj, form, change):
        new = not obj.secret
        if new:
            obj.secret = secret_new()
        super().save_model(request, obj, form, change)
        if new:
            self._secret_show(request, obj)

    def _secret_show(self, request, obj):
        messages.warning(
            request,
            _(
                "推送“%(url)s”的签名密钥：%(secret)s —— 仅显示这一次，请立即交给对方系统"
                "用于校验签名。"
            )
            % {"url": obj.url, "secret": obj.secret},
        )

    @admin.action(description=_("更换所选订阅的签名密钥"), permissions=["change"])
    def secret_rotate(self, request, queryset):
        for subscription in queryset:
            subscription.secret = secret_new()
            subscription.save(update_fields=["secret"])
            self._secret_show(request, subscription)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("number", "at", "status", "error", "duration_ms")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.action(description=_("重新发送所选的失败推送"), permissions=["change"])
def deliveries_resend(modeladmin, request, queryset):
    count = resend(queryset.values_list("pk", flat=True))
    modeladmin.message_user(
        request, _("已安排重新发送 %(n)s 条推送。") % {"n": count}, messages.SUCCESS
    )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "event",
        "subscription",
        "state",
        "attempts",
        "last_status",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("state", "event", "subscription__client")
    list_select_related = ("subscription__client",)
    date_hierarchy = "created_at"
    actions = [deliveries_resend]
    inlines = [AttemptInline]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # the change page is read-only; "change" is needed for the re-send action
        return super().has_change_permission(request, obj) if obj is None else False


@admin.register(IntakeOrder)
class IntakeOrderAdmin(admin.ModelAdmin):
    list_display = ("created_at", "client", "external_system", "external_id", "state", "issue")
    list_filter = ("state", "client")
    list_select_related = ("client", "issue")
    search_fields = ("external_id", "title", "issue__number")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in IntakeOrder._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
