from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "ledger.exchange"
    label = "exchange"
    verbose_name = _("Excel 导入导出")

    def ready(self):
        # The core admin must not import this room: the room adds its action to the
        # Issue changelist itself (admin autodiscovery has run: django.contrib.admin
        # comes first in INSTALLED_APPS).
        from django.contrib import admin

        from ledger.exchange.export_views import issues_export_action
        from ledger.models import Issue

        if admin.site.is_registered(Issue):
            issue_admin = admin.site.get_model_admin(Issue)
            if issues_export_action not in (issue_admin.actions or ()):
                issue_admin.actions = [*(issue_admin.actions or ()), issues_export_action]
