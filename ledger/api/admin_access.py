"""The admin of API clients and their secrets.

Registering a client makes its service account and a first secret, shown once on the answer to
the save (never in a URL, never stored in plain). "Rotate secret" makes a new one, shown once,
and gives the old ones API_SECRET_OVERLAP_HOURS more; a secret is revoked from the secrets'
list. Who may do this: the superuser and the 系统管理员 group (ledger/audit/roles.py gives it
the api app's permissions).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services_access
from .forms_access import ApiClientForm
from .models import ApiClient, ClientSecret
from .permissions import SCOPES

SECRET_TEMPLATE = "admin/api/apiclient/secret_shown.html"


def secret_state(secret: ClientSecret) -> str:
    now = timezone.now()
    if secret.revoked_at is not None:
        return gettext("已吊销")
    if secret.expires_at is not None and secret.expires_at <= now:
        return gettext("已过期")
    if secret.expires_at is not None:
        return gettext("轮换过渡期")
    return gettext("有效")


class ClientSecretInline(admin.TabularInline):
    model = ClientSecret
    extra = 0
    can_delete = False
    fields = ("shown_prefix", "created_at", "expires_at", "revoked_at", "last_used_at", "state")
    readonly_fields = fields
    verbose_name_plural = _("密钥（明文只在创建时显示一次）")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("前缀"))
    def shown_prefix(self, secret):
        return f"zzc_{secret.prefix}…"

    @admin.display(description=_("状态"))
    def state(self, secret):
        return secret_state(secret)


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ("name", "department", "source", "shown_scopes", "sees", "is_active", "account")
    list_filter = ("is_active", "sees", "department")
    search_fields = ("name", "account__username")
    autocomplete_fields = ()
    filter_horizontal = ("categories",)
    inlines = [ClientSecretInline]
    actions = ["rotate_secret", "deactivate"]
    readonly_fields = ("account", "created_by", "created_at", "secrets_link")

    def get_fields(self, request, obj=None):
        fields = list(ApiClientForm.Meta.fields)
        if obj is not None:
            fields += ["account", "created_by", "created_at", "secrets_link"]
        return fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    @admin.display(description=_("权限范围"))
    def shown_scopes(self, client):
        return "、".join(str(SCOPES[scope]) for scope in client.scopes if scope in SCOPES) or "—"

    @admin.display(description=_("吊销密钥"))
    def secrets_link(self, client):
        url = reverse("admin:api_clientsecret_changelist") + f"?client__id__exact={client.pk}"
        return format_html('<a href="{}">{}</a>', url, gettext("在密钥列表中吊销"))

    def save_model(self, request, obj, form, change):
        if not change:
            request._api_new_secrets = [
                (
                    obj,
                    services_access.client_register(
                        client=obj, actor=request.user, request=request
                    ),
                )
            ]
            return
        obj.save()
        services_access.client_account_sync(
            client=obj, actor=request.user, request=request, changed=form.changed_data
        )

    def response_add(self, request, obj, post_url_continue=None):
        shown = getattr(request, "_api_new_secrets", None)
        if shown:
            return self._secrets_page(request, shown, title=gettext("接口客户端已登记"))
        return super().response_add(request, obj, post_url_continue)

    def _secrets_page(self, request, shown, *, title):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "shown": shown,
            "overlap_hours": settings.API_SECRET_OVERLAP_HOURS,
            "changelist_url": reverse("admin:api_apiclient_changelist"),
        }
        response = TemplateResponse(request, SECRET_TEMPLATE, context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("轮换密钥（新密钥只显示一次）"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        shown = [
            (
                client,
                services_access.client_secret_rotate(
                    client=client, actor=request.user, request=request
                ),
            )
            for client in queryset.select_related("account")
        ]
        return self._secrets_page(request, shown, title=gettext("已轮换密钥"))

    @admin.action(description=_("停用所选客户端"), permissions=["change"])
    def deactivate(self, request, queryset):
        count = 0
        for client in queryset.select_related("account"):
            services_access.client_deactivate(client=client, actor=request.user, request=request)
            count += 1
        self.message_user(
            request,
            gettext("已停用 %(count)d 个客户端，其账号和密钥不能再调用接口。") % {"count": count},
            messages.SUCCESS,
        )


@admin.register(ClientSecret)
class ClientSecretAdmin(admin.ModelAdmin):
    list_display = (
        "shown_prefix",
        "client",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "state",
    )
    list_filter = ("client",)
    list_select_related = ("client",)
    fields = ("client", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # a secret is made by registering or rotating, shown once

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: its row says when it stopped working

    @admin.display(description=_("前缀"))
    def shown_prefix(self, secret):
        return f"zzc_{secret.prefix}…"

    @admin.display(description=_("状态"))
    def state(self, secret):
        return secret_state(secret)

    @admin.action(description=_("吊销所选密钥（立即失效）"), permissions=["change"])
    def revoke(self, request, queryset):
        count = sum(
            services_access.client_secret_revoke(secret=secret, actor=request.user, request=request)
            for secret in queryset.select_related("client")
        )
        self.message_user(
            request, gettext("已吊销 %(count)d 个密钥。") % {"count": count}, messages.SUCCESS
        )
