from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from ledger import workdays


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = _("问题台账")

    def ready(self):
        # the working-day calendar's cache follows the Holiday table (workdays never
        # imports the models, which import it)
        workdays.calendar_signals_connect()
        # the summary rows are kept in the transaction of every event (ledger.summaries),
        # and the cached per-user figures go when a subject or the calendar changes
        # import here: the models load only once the app registry is ready
        from ledger import summaries
        from ledger.models import Enterprise, Holiday, KeyProject
        from ledger.signals import issue_event_written

        issue_event_written.connect(summaries.on_events_written, dispatch_uid="ledger.summaries")
        for model in (Enterprise, KeyProject, Holiday):
            for signal in (post_save, post_delete):
                signal.connect(
                    summaries.generation_bump,
                    sender=model,
                    dispatch_uid=f"ledger.summaries.{model.__name__}.{signal is post_save}",
                )
