"""The enterprise's own link to its issue (FeedbackLink) and the ratings it gives (FeedbackRating).

A link is a random nonce stored here and signed with SECRET_KEY in the URL (links.py): the
database alone does not give a working URL, and a URL cannot be made without the key.
A rating is also written as an event on the issue (services.rating_submit), so the issue's
signed timeline says what the enterprise said; this table is what the figures count.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import Contact, Issue, IssueEvent
from ledger.states import Status


class FeedbackLink(models.Model):
    """企业服务评价链接: what the lead department or the office hands the enterprise's contact."""

    issue = models.ForeignKey(
        Issue, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="feedback_links"
    )
    # secrets.token_urlsafe(16): 128 random bits; the URL carries it signed (links.py)
    nonce = models.CharField(_("随机码"), max_length=32, unique=True, editable=False)
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("企业联系人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # kept as typed: the contact may leave the directory, the link still names who got it
    contact_name = models.CharField(_("联系人姓名"), max_length=50)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("生成人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作废人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("企业服务评价链接")
        verbose_name_plural = _("企业服务评价链接")
        ordering = ["-created_at", "-id"]
        constraints = [
            # one link in force per issue: a new one for another contact replaces it
            models.UniqueConstraint(
                fields=["issue"],
                condition=Q(revoked_at__isnull=True),
                name="feedback_link_one_live",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="feedback_link_revoked_with_actor",
            ),
        ]

    def __str__(self):
        return f"{self.issue_id} · {self.contact_name}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def expires_at(self) -> datetime.datetime | None:
        """While the issue is not 销号 the link does not expire; after, LINK_DAYS days.

        Computed from the issue rather than stored: 销号 and 重办 are the core's, which
        never calls this room, and a reopened issue's link works again."""
        issue = self.issue
        if issue.status != Status.CLOSED or issue.closed_at is None:
            return None
        return issue.closed_at + datetime.timedelta(days=settings.LEDGER["FEEDBACK_LINK_DAYS"])

    def is_live(self, now: datetime.datetime | None = None) -> bool:
        """The link opens: not revoked, not expired, the issue still about an enterprise and
        not withdrawn."""
        if self.is_revoked or not self.issue.enterprise_id:
            return False
        if self.issue.status == Status.WITHDRAWN:
            return False
        expires = self.expires_at
        return expires is None or (now or timezone.now()) < expires


class FeedbackRating(models.Model):
    """企业自评: one rating the enterprise gave through its link. A changed rating is a new
    row; the latest one of the issue is `is_current`, the one the figures count."""

    link = models.ForeignKey(
        FeedbackLink, verbose_name=_("链接"), on_delete=models.PROTECT, related_name="ratings"
    )
    issue = models.ForeignKey(
        Issue, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="feedback_ratings"
    )
    rating = models.CharField(_("评价"), max_length=20, choices=Issue.Satisfaction.choices)
    comment = models.TextField(_("意见"), blank=True)
    contact_name = models.CharField(_("评价人"), max_length=50)
    # the 回访 event on the issue's timeline that records this rating
    event = models.OneToOneField(
        IssueEvent, verbose_name=_("办理记录"), on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField(_("评价时间"), default=timezone.now)
    is_current = models.BooleanField(_("当前评价"), default=True)

    class Meta:
        verbose_name = _("企业自评")
        verbose_name_plural = _("企业自评")
        ordering = ["-rated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issue"], condition=Q(is_current=True), name="feedback_rating_one_current"
            ),
            models.CheckConstraint(
                condition=Q(rating__in=["satisfied", "basically", "dissatisfied"]),
                name="feedback_rating_valid",
            ),
        ]

    def __str__(self):
        return f"{self.issue_id} · {self.get_rating_display()}"
