"""Counted requests of throttled forms (the password reset, the enterprise's rating), in the
database: shared by every server process and host, unlike a per-process cache."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ThrottleHit(models.Model):
    """One counted request of a throttled form (e.g. the password reset)."""

    scope = models.CharField(_("范围"), max_length=40)
    # "ip:<address>" or "email:<sha256 of the lower-cased address>": no address in clear
    key = models.CharField(_("键"), max_length=100)
    at = models.DateTimeField(_("时间"), db_index=True)

    class Meta:
        verbose_name = _("限流记录")
        verbose_name_plural = _("限流记录")
        indexes = [models.Index(fields=["scope", "key", "at"])]

    def __str__(self):
        return f"{self.scope} {self.key} {self.at:%Y-%m-%d %H:%M}"
