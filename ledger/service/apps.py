"""The service room's app: its slots on the core's pages, its checks and its hooks."""

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    """企业服务: leaders' 包联 visits and their coverage, and 代办 procedures of key projects."""

    name = "ledger.service"
    label = "service"
    verbose_name = _("企业服务")
    # parts this room adds to the core's pages (ledger/templatetags/slots.py)
    slots: dict[str, str] = {
        "issue_detail": "service/slots/issue_detail.html",
        "leader_me": "service/slots/leader_me.html",
        "project_detail": "service/slots/project_detail.html",
        "enterprise_detail": "service/slots/enterprise_detail.html",
        "nav": "service/slots/nav.html",
        "assessment": "service/slots/assessment.html",
    }

    def ready(self):
        # import here: registers the room's permissions once the models are ready
        from . import rules  # noqa: F401

        checks.register(visit_settings_check, checks.Tags.compatibility)

    def export_sheets(self, slot, *, period=None, **context):
        """Sheets this room adds to a page's export (ledger/oversight/xlsx.py room_sheets):
        the assessment's visit coverage table, as its slot shows it."""
        if slot != "assessment" or period is None:
            return []
        from .sheets import coverage_sheet  # import here: apps.py loads before the models

        return [coverage_sheet(period)]

    def seed_demo(self, *, today, stdout):
        """Visits of every demo leader (one overdue) and procedure checklists of the demo key
        projects (one late step). Idempotent."""
        from .demo import service_seed  # import here: demo data, loaded only to seed

        service_seed(today=today, stdout=stdout)


def visit_settings_check(app_configs=None, **kwargs):
    months = settings.LEDGER.get("VISIT_EVERY_MONTHS")
    if months not in (1, 2, 3, 4, 6, 12):
        return [
            checks.Error(
                "LEDGER_VISIT_EVERY_MONTHS must divide the year (1, 2, 3, 4, 6 or 12),"
                f" got {months!r}",
                id="service.E001",
            )
        ]
    if settings.LEDGER.get("VISIT_MAX_PHOTOS", 0) < 1:
        return [checks.Error("LEDGER_VISIT_MAX_PHOTOS must be at least 1", id="service.E002")]
    return []
