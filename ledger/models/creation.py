"""Single-use tokens of creation forms: a double click, a replayed request or two tabs sent
at once create one object, not two (the database's unique index decides, not the session)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CreationToken(models.Model):
    """One submitted creation form: its token, who sent it, and what it created."""

    token = models.CharField(_("提交标识"), max_length=64, unique=True)
    kind = models.CharField(_("类型"), max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    # the primary key of what the submission created (an issue …), once it is created
    object_pk = models.PositiveBigIntegerField(_("创建的对象"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("提交标识")
        verbose_name_plural = _("提交标识")

    def __str__(self):
        return f"{self.kind} {self.token}"
