"""The service room (企业服务): leaders' 包联 visits and 代办 procedures, and its parts in the
core's pages (slots) and in the assessment's spreadsheet."""

from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _

from ledger.rooms import Room, Slot


class ServiceConfig(Room):
    """企业服务: leaders' 包联 visits and their coverage, and 代办 procedures of key projects."""

    name = "ledger.service"
    label = "service"
    verbose_name = _("企业服务")
    slots = {
        Slot.ISSUE_DETAIL: "service/slots/issue_detail.html",
        Slot.LEADER_ME: "service/slots/leader_me.html",
        Slot.PROJECT_DETAIL: "service/slots/project_detail.html",
        Slot.ENTERPRISE_DETAIL: "service/slots/enterprise_detail.html",
        Slot.NAV: "service/slots/nav.html",
        Slot.ASSESSMENT: "service/slots/assessment.html",
    }

    def ready(self):
        # import here: registering the room's permissions needs the models loaded
        from . import rules  # noqa: F401

        checks.register(visit_settings_check, checks.Tags.compatibility)

    def export_sheets(self, slot, *, period=None, **context):
        """Sheets this room adds to a page's export (ledger/oversight/xlsx.py room_sheets):
        the assessment's visit coverage table, as its slot shows it."""
        if slot != Slot.ASSESSMENT or period is None:
            return []
        from .sheets import coverage_sheet  # import here: imports models (apps.py loads first)

        return [coverage_sheet(period)]

    def seed_demo(self, *, today, stdout):
        """Visits of every demo leader (one overdue) and procedure checklists of the demo key
        projects (one late step). Idempotent."""
        from .demo import service_seed  # import here: imports models (apps.py loads first)

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
