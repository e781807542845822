from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    """企业服务: leaders' 包联 visits and their coverage, and 代办 procedures of key projects."""

    name = "ledger.service"
    label = "service"
    verbose_name = _("企业服务")
    # parts this room adds to the core's pages (ledger/templatetags/slots.py)
    slots: dict[str, str] = {}
