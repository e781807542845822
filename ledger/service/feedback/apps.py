"""The feedback room's app (nested in the service room): its slots and its hooks."""

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    """企业服务评价: the enterprise's own link to its issue's progress, and its rating."""

    name = "ledger.service.feedback"
    label = "feedback"
    verbose_name = _("企业服务评价")
    slots: dict[str, str] = {
        "issue_detail": "feedback/_issue_panel.html",
        "issue_action": "feedback/_close_rating.html",
        "assessment": "feedback/_assessment.html",
        "nav": "feedback/_nav.html",
    }

    def export_sheets(self, slot, *, user=None, period=None, **context):
        """Sheets this room adds to a page's export (ledger/oversight/xlsx.py room_sheets):
        the assessment's enterprise service table, as its slot shows it."""
        if slot != "assessment" or period is None or user is None:
            return []
        from .sheets import enterprise_service_sheet  # import here: apps.py loads before models

        return [enterprise_service_sheet(user, period)]

    def seed_demo(self, *, today, stdout):
        """Links on some demo issues about enterprises, ratings on resolved ones (one 不满意)."""
        # import here: demo data and the test tool it runs under, loaded only to seed
        from django.test.utils import override_settings

        from .demo import feedback_seed

        # demo ratings are history, not news: no bell, no e-mail (as for the core's demo)
        with override_settings(LEDGER={**settings.LEDGER, "NOTIFY": False}):
            feedback_seed(today=today, stdout=stdout)

    def demo_before_close(self, *, issue, at, satisfaction):
        """A demo issue about an enterprise, about to be struck off: the enterprise rates first."""
        from .demo import feedback_before_close  # import here: demo data, only to seed

        feedback_before_close(issue=issue, at=at, satisfaction=satisfaction)
