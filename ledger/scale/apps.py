from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScaleConfig(AppConfig):
    """Running at scale: the benchmark data generator and the per-request SQL timing."""

    name = "ledger.scale"
    label = "scale"
    verbose_name = _("性能与扩展")
