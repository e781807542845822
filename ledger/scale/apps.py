"""The scale room: the benchmark data generator and the per-request SQL timing."""

from django.utils.translation import gettext_lazy as _

from ledger.rooms import Room


class ScaleConfig(Room):
    """Running at scale: the benchmark data generator and the per-request SQL timing."""

    name = "ledger.scale"
    label = "scale"
    verbose_name = _("性能与扩展")
