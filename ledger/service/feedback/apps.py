"""The feedback room (企业服务评价), nested in ledger/service/ but a room of its own: its parts in
the core's pages (slots), the assessment's spreadsheet and the demo."""

from django.conf import settings
from django.test.utils import override_settings
from django.utils.translation import gettext_lazy as _

from ledger.rooms import Room, Slot


class FeedbackConfig(Room):
    """企业服务评价: the enterprise's own link to its issue's progress, and its rating."""

    name = "ledger.service.feedback"
    label = "feedback"
    verbose_name = _("企业服务评价")
    slots = {
        Slot.ISSUE_DETAIL: "feedback/_issue_panel.html",
        Slot.ISSUE_ACTION: "feedback/_close_rating.html",
        Slot.ASSESSMENT: "feedback/_assessment.html",
        Slot.NAV: "feedback/_nav.html",
    }

    def export_sheets(self, slot, *, user=None, period=None, **context):
        """Sheets this room adds to a page's export (ledger/oversight/xlsx.py room_sheets):
        the assessment's enterprise service table, as its slot shows it."""
        if slot != Slot.ASSESSMENT or period is None or user is None:
            return []
        # import here: imports models (apps.py loads first)
        from .sheets import enterprise_service_sheet

        return [enterprise_service_sheet(user, period)]

    def seed_demo(self, *, today, stdout):
        """Links on some demo issues about enterprises, ratings on resolved ones (one 不满意)."""
        from .demo import feedback_seed  # import here: imports models (apps.py loads first)

        # demo ratings are history, not news: no bell, no e-mail (as for the core's demo)
        with override_settings(LEDGER={**settings.LEDGER, "NOTIFY": False}):
            feedback_seed(today=today, stdout=stdout)

    def demo_before_close(self, *, issue, at, satisfaction):
        """A demo issue about an enterprise, about to be struck off: the enterprise rates first."""
        from .demo import feedback_before_close  # import here: imports models (apps.py loads first)

        feedback_before_close(issue=issue, at=at, satisfaction=satisfaction)
