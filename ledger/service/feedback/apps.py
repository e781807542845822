from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    """企业服务评价: the enterprise's own link to its issue's progress, and its rating."""

    name = "ledger.service.feedback"
    label = "feedback"
    verbose_name = _("企业服务评价")
    slots: dict[str, str] = {}
