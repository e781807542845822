"""The oversight room: dashboard, assessment, pace board and reports; its menu is its part in
the navbar's slot nav. It keeps the day-level facts its figures read by listening to the
core's issue_event_written (ledger/oversight/facts.py)."""

from django.utils.translation import gettext_lazy as _

from ledger.rooms import Room, Slot
from ledger.signals import issue_event_written, issues_bulk_loaded


class OversightConfig(Room):
    name = "ledger.oversight"
    label = "oversight"
    verbose_name = _("督查考核")
    slots = {Slot.NAV: "oversight/slots/nav.html"}

    def ready(self):
        # import here: the receiver reads models, loaded once the app registry is ready
        from ledger.models import IssueEvent

        from .facts import facts_after_bulk_load, facts_write

        issue_event_written.connect(
            facts_write, sender=IssueEvent, dispatch_uid="oversight_facts_write"
        )
        issues_bulk_loaded.connect(facts_after_bulk_load, dispatch_uid="oversight_facts_bulk")

    def api_routes(self):
        """The dashboard's figures and the assessment table under /api/v1/figures/."""
        from .api import api_routes  # import here: the views read models and DRF settings

        return api_routes()
