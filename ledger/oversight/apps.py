"""The oversight room: dashboard, assessment, pace board and reports; its menu is its part in
the navbar's slot nav."""

from django.utils.translation import gettext_lazy as _

from ledger.rooms import Room, Slot


class OversightConfig(Room):
    name = "ledger.oversight"
    label = "oversight"
    verbose_name = _("督查考核")
    slots = {Slot.NAV: "oversight/slots/nav.html"}
