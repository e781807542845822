"""The working-day calendar: public holidays and make-up working days (调休上班日).

Seeded from the maintained `chinesecalendar` package (migration 0003 and
`manage.py holidays_sync`); the administrator corrects or adds days in the admin.
ledger/workdays.py reads this table (and clears its copy when a row is saved).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Holiday(models.Model):
    """One day that differs from the Monday–Friday rule."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("法定节假日")
        MAKEUP = "makeup", _("调休上班日")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=50, blank=True)
    # True while the row is as the chinesecalendar package gave it; an edit in the admin
    # clears it, and holidays_sync never overwrites such a row
    from_package = models.BooleanField(_("来自日历包"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["holiday", "makeup"]), name="holiday_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".strip()

    @property
    def year(self) -> int:
        return self.date.year
