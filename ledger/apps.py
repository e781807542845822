from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from ledger import workdays


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = _("问题台账")

    def ready(self):
        # the working-day calendar's cache follows the Holiday table (workdays never
        # imports the models, which import it)
        workdays.calendar_signals_connect()
