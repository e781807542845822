"""The exchange room (Excel export and import): its buttons are its parts in the core's
ledger, print and directory pages (slots), and it adds its action to the Issue admin."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ledger.rooms import Room, Slot


class ExchangeConfig(Room):
    name = "ledger.exchange"
    label = "exchange"
    verbose_name = _("Excel 导入导出")
    slots = {
        Slot.LEDGER_TOOLS: "exchange/slots/ledger_tools.html",
        Slot.PRINT_TOOLS: "exchange/slots/print_tools.html",
        Slot.PRINT_CUT_LINK: "exchange/slots/print_cut_link.html",
        Slot.ENTERPRISE_LIST_TOOLS: "exchange/slots/enterprise_list_tools.html",
        Slot.PROJECT_LIST_TOOLS: "exchange/slots/project_list_tools.html",
    }

    def ready(self):
        # The core admin must not import this room: the room adds its action to the
        # Issue changelist itself (admin autodiscovery has run: django.contrib.admin
        # comes first in INSTALLED_APPS).
        # import here: models load only once the app registry is ready
        from ledger.exchange.export_views import issues_export_action
        from ledger.models import Issue

        if admin.site.is_registered(Issue):
            issue_admin = admin.site.get_model_admin(Issue)
            if issues_export_action not in (issue_admin.actions or ()):
                issue_admin.actions = [*(issue_admin.actions or ()), issues_export_action]

    def match_name(self, kind: str, text: str) -> int | None:
        """The entry a person mapped `text` to on an earlier import (NameAlias), if it still
        exists: the API's work orders use the same aliases as the sheets."""
        # import here: models load only once the app registry is ready
        from ledger.exchange.matching import name_key
        from ledger.exchange.models import NameAlias
        from ledger.models import Category, Department, Enterprise, KeyProject, Leader, Source

        models = {
            "leader": Leader,
            "department": Department,
            "enterprise": Enterprise,
            "project": KeyProject,
            "category": Category,
            "source": Source,
        }
        model = models.get(kind)
        key = name_key(text or "")
        if model is None or not key:
            return None
        alias = NameAlias.objects.filter(kind=kind, alias=key).first()
        if alias is None or not model.objects.filter(pk=alias.target_id).exists():
            return None
        return alias.target_id
