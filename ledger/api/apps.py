"""The JSON API room: /api/v1/ for the systems the ledger lives among (the city's 12345
hotline, enterprise-service platforms) and for people's phone and desktop clients.

It reads through the core's read door (`visible_to`, the selectors), acts only through the
workflow and directory doors and asks the same `rules`, so a caller reaches nothing it could
not reach on a screen. Imports the core; the core never imports it. Other rooms add their
endpoints through `Room.api_routes()`.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ledger.rooms import Room


class ApiConfig(Room):
    name = "ledger.api"
    label = "api"
    verbose_name = _("接口")

    def system_accounts(self):
        return Q(api_client__isnull=False)

    def ready(self):
        from .receivers import receivers_connect  # import here: receivers import models

        receivers_connect()

    def seed_demo(self, *, today, stdout):
        """The 12345 hotline as a registered client, its demo secret printed under DEBUG."""
        from .demo import demo_client_seed  # import here: imports models

        demo_client_seed(stdout=stdout)
