"""Anchors of the event chains: one signed head per issue, and signed checkpoints over them.

Issue ids and numbers are plain columns, not foreign keys: a head must outlive an issue
deleted behind the application's back, so that the deletion shows.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IssueHead(models.Model):
    """The last event of an issue (seq, digest) and the issue row as that event left it."""

    issue_id = models.BigIntegerField(_("问题ID"), unique=True)
    number = models.CharField(_("编号"), max_length=30)
    seq = models.PositiveIntegerField(_("最后序号"))
    digest = models.CharField(_("最后校验值"), max_length=64)
    # SHA-256 of the issue's stored fields right after the event (ledger.models.issues.issue_state)
    state = models.CharField(_("问题状态校验值"), max_length=64)
    key_id = models.CharField(_("密钥编号"), max_length=20)
    mac = models.CharField(_("签名"), max_length=64)
    written_at = models.DateTimeField(_("写入时间"), default=timezone.now)
    # the head as the latest checkpoint sealed it (empty: written after that checkpoint)
    sealed_seq = models.PositiveIntegerField(_("封存序号"), null=True, blank=True)
    sealed_digest = models.CharField(_("封存校验值"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("办理记录链头")
        verbose_name_plural = _("办理记录链头")

    def __str__(self):
        return f"{self.number}#{self.seq}"


class Checkpoint(models.Model):
    """A signed seal over every head: the root of their sealed (seq, digest) pairs."""

    number = models.PositiveIntegerField(_("序号"), unique=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    issues = models.PositiveIntegerField(_("问题数"))
    events = models.PositiveBigIntegerField(_("办理记录数"))
    root = models.CharField(_("根校验值"), max_length=64)
    # ledger numbers missing when the checkpoint was sealed and accepted: {"2026": [3, 7]}
    known_gaps = models.JSONField(_("已确认的编号缺口"), default=dict, blank=True)
    previous_mac = models.CharField(_("上一检查点签名"), max_length=64, blank=True)
    key_id = models.CharField(_("密钥编号"), max_length=20)
    mac = models.CharField(_("签名"), max_length=64)

    class Meta:
        verbose_name = _("检查点")
        verbose_name_plural = _("检查点")
        ordering = ["-number"]

    def __str__(self):
        return f"#{self.number} {self.root[:12]}"
