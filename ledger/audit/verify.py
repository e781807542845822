"""audit_verify's checks: every record's signature, the unbroken seq and prev links from the
purge anchor (or seq 1) to the signed head."""

import hmac
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ledger import events
from ledger.auditing import Kind

from .models import AuditHead, AuditRecord
from .services import head_payload, record_digest


@dataclass
class Result:
    checked: int = 0
    findings: list[str] = field(default_factory=list)


def _anchor() -> tuple[int, str]:
    """Where the kept chain starts: after the newest purge's last deleted record."""
    purges = AuditRecord.objects.filter(kind=Kind.AUDIT_PURGED).order_by("-seq")
    for detail in purges.values_list("detail", flat=True).iterator():
        if isinstance(detail, dict) and "through_seq" in detail:
            return int(detail["through_seq"]), str(detail.get("through_digest", ""))
    return 0, ""


def audit_verify() -> Result:
    result = Result()
    through, prev = _anchor()
    expected = through + 1
    last = None
    for record in AuditRecord.objects.order_by("seq").iterator(chunk_size=2000):
        if record.seq > expected:
            result.findings.append(
                _("审计记录 #%(first)d–#%(last)d 缺失（被删除）。")
                % {"first": expected, "last": record.seq - 1}
            )
        elif record.seq < expected:
            result.findings.append(
                _("审计记录 #%(seq)d 早于保留起点 #%(start)d 或序号重复。")
                % {"seq": record.seq, "start": expected}
            )
        if record.prev != prev:
            result.findings.append(
                _("审计记录 #%(seq)d 与上一条记录接不上（前面的记录被删除、插入或改动）。")
                % {"seq": record.seq}
            )
        if not record.key_id:
            result.findings.append(
                _("审计记录 #%(seq)d 没有签名（写入时未配置 EVENTS_KEY）。") % {"seq": record.seq}
            )
        else:
            try:
                intact = hmac.compare_digest(record_digest(record), record.digest)
            except events.UnknownEventKey:
                result.findings.append(
                    _("审计记录 #%(seq)d 的密钥 %(key)s 未配置，无法校验。")
                    % {"seq": record.seq, "key": record.key_id}
                )
                intact = True
            if not intact:
                result.findings.append(
                    _("审计记录 #%(seq)d 被改动（签名不符）。") % {"seq": record.seq}
                )
        prev, expected, last = record.digest, record.seq + 1, record
        result.checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is None:
        result.findings.append(_("审计日志链头缺失（被删除）。"))
        return result
    initial = not (head.seq or head.digest or head.mac)  # as the migration made it
    signed = bool(head.key_id) and events.signature_ok(
        head.key_id, head_payload(head.seq, head.digest, head.key_id), head.mac
    )
    if not (initial or signed):
        result.findings.append(_("审计日志链头被改动（签名不符）。"))
    last_seq, last_digest = (last.seq, last.digest) if last else (through, prev)
    if (head.seq, head.digest) != (last_seq, last_digest):
        result.findings.append(
            _("最新的审计记录应为 #%(head)d，现为 #%(last)d：末尾的记录被删除或插入。")
            % {"head": head.seq, "last": last_seq}
        )
    return result
