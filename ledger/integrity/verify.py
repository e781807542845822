"""events_verify's engine: every issue's events, row, head, files, the ledger numbers and the
checkpoints, checked against each other in one streaming pass (ordered by issue id).

What it proves and what it cannot: docs/architecture.md ("The event history").
"""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import FieldDoesNotExist
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from ledger.events import EVENT_COLUMNS, UnknownEventKey, signature_ok
from ledger.models import Attachment, Issue, IssueEvent, LedgerCounter
from ledger.models.issues import STATE_FIELDS, issue_state
from ledger.workflow import _display

from . import external
from .messages import _
from .models import Checkpoint, IssueHead
from .services import SealedRoot, checkpoint_payload, head_payload

EVENT_FIELDS = ("id", *EVENT_COLUMNS)
CHUNK = 2000


def _label(event: IssueEvent) -> str:
    when = timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M")
    return f"#{event.seq}（{event.get_action_display()}，{when}）"


def _ranges(numbers) -> str:
    """[3, 4, 5, 9] → "3–5、9"."""
    parts, numbers = [], sorted(numbers)
    start = previous = None
    for n in numbers + [None]:
        if start is not None and (n is None or n != previous + 1):
            parts.append(str(start) if start == previous else f"{start}–{previous}")
            start = None
        if n is not None and start is None:
            start = n
        previous = n
    return "、".join(parts)


class _Merge:
    """Rows of one ordered stream, taken issue by issue (`key` ascending); rows whose issue
    is not asked for are kept as leftovers."""

    def __init__(self, rows, key):
        self.rows, self.key = iter(rows), key
        self.pending = next(self.rows, None)
        self.leftovers = []

    def take(self, issue_id) -> list:
        taken = []
        while self.pending is not None and self.key(self.pending) <= issue_id:
            if self.key(self.pending) == issue_id:
                taken.append(self.pending)
            else:
                self.leftovers.append(self.pending)
            self.pending = next(self.rows, None)
        return taken

    def rest(self) -> list:
        while self.pending is not None:
            self.leftovers.append(self.pending)
            self.pending = next(self.rows, None)
        return self.leftovers


@dataclass
class Result:
    problems: list[str] = field(default_factory=list)
    issues: int = 0
    events: int = 0
    files: int = 0
    # issues with no head yet and nothing that requires one (history from before heads)
    unanchored: list = field(default_factory=list)
    gaps: dict = field(default_factory=dict)  # year → missing seqs not accepted before
    gap_problems: int = 0
    # "no checkpoint yet although the history is older than a day": the checkpoint ends it
    unsealed_problems: int = 0
    # the database is behind the newest checkpoint file (a restore of an older backup, or
    # erasure): events_checkpoint --after-restore accepts it once checked
    behind_problems: int = 0
    checkpoint: Checkpoint | None = None
    # the newest checkpoint file compared (None: no directory configured, or no file yet)
    external: "external.CheckpointFile | None" = None
    external_files: int = 0


class Verifier:
    def __init__(self, *, numbers=(), files=False, checkpoint_file=None, checkpoint_dir=None):
        self.numbers = list(numbers)
        self.check_files = files
        self.checkpoint_file = checkpoint_file
        self.checkpoint_dir = (
            Path(checkpoint_dir) if checkpoint_dir is not None else external.directory()
        )
        self.first_keyed = None  # id of the first keyed event (database or file, the lower)
        self.result = Result()

    def problem(self, text, kind: str = "") -> None:
        self.result.problems.append(text)
        if kind:
            setattr(self.result, f"{kind}_problems", getattr(self.result, f"{kind}_problems") + 1)

    # -- the pass -----------------------------------------------------------------------

    def run(self) -> Result:
        """Read everything from one snapshot, so that events committed meanwhile never look
        like a missing or unexplained change: on PostgreSQL a REPEATABLE READ transaction
        (writers go on); on SQLite a transaction, which holds writers back until done."""
        if connection.in_atomic_block:
            return self._run()
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return self._run()

    def _run(self) -> Result:
        checkpoint = self.checkpoints_check()
        self.result.checkpoint = checkpoint
        kept = self.external_check(checkpoint) if not self.numbers else None
        keyed = IssueEvent.objects.exclude(key_id="").order_by("id")
        self.first_keyed = keyed.values_list("id", flat=True).first()
        if kept is not None and kept.header.get("first_keyed_event") is not None:
            from_file = kept.header["first_keyed_event"]
            self.first_keyed = min(self.first_keyed or from_file, from_file)
        issues = Issue.objects.order_by("pk")
        if self.numbers:
            issues = issues.filter(number__in=self.numbers)
        issue_rows = issues.values("pk", "number", *STATE_FIELDS).iterator(chunk_size=CHUNK)
        events = IssueEvent.objects.order_by("issue_id", "seq").only(*EVENT_FIELDS)
        heads = IssueHead.objects.order_by("issue_id")
        attachments = Attachment.objects.order_by("issue_id", "event_id", "id").values(
            "id", "issue_id", "event_id", "original_name", "sha256", "size", "file"
        )
        if self.numbers:
            events = events.filter(issue__number__in=self.numbers)
            heads = heads.filter(number__in=self.numbers)
            attachments = attachments.filter(issue__number__in=self.numbers)
        root = SealedRoot()

        def sealed(rows):
            for head in rows:
                root.add(head.issue_id, head.number, head.sealed_seq, head.sealed_digest)
                yield head

        event_stream = _Merge(events.iterator(chunk_size=CHUNK), lambda e: e.issue_id)
        head_stream = _Merge(sealed(heads.iterator(chunk_size=CHUNK)), lambda h: h.issue_id)
        file_stream = _Merge(attachments.iterator(chunk_size=CHUNK), lambda a: a["issue_id"])
        saw_stream = _Merge(kept.heads() if kept else iter(()), lambda h: h[0])
        seqs: dict[int, set] = {}
        for row in issue_rows:
            self.result.issues += 1
            seqs.setdefault(row["year"], set()).add(row["seq"])
            issue_events = event_stream.take(row["pk"])
            issue_heads = head_stream.take(row["pk"])
            head = issue_heads[0] if issue_heads else None
            digests = self.issue_check(
                row, issue_events, head, file_stream.take(row["pk"]), checkpoint
            )
            saw = saw_stream.take(row["pk"])
            if saw:
                self.saw_check(row, saw[0], head, digests, kept)
        for _id, number, seq, _digest in saw_stream.rest():
            self.problem(
                _(
                    "%(number)s：检查点文件 %(file)s 记载的问题（最后一条办理记录 #%(seq)d）"
                    "已不存在——问题被删除。"
                )
                % {"number": number, "file": kept.path.name, "seq": seq},
                "behind",
            )
        for event in event_stream.rest():
            self.problem(
                _("办理记录 %(id)s：所属问题（ID %(issue)s）不存在。")
                % {"id": event.pk, "issue": event.issue_id}
            )
        for head in head_stream.rest():
            self.problem(
                _(
                    "%(number)s：问题已不存在（链头仍在，最后一条办"
                    "理记录为 #%(seq)d）——问题及其办理记录被删除。"
                )
                % {"number": head.number, "seq": head.seq}
            )
        file_stream.rest()
        if not self.numbers:
            self.gaps_check(seqs, checkpoint)
            self.unsealed_check(checkpoint)
            if checkpoint is not None and (
                root.root != checkpoint.root
                or root.issues != checkpoint.issues
                or root.events != checkpoint.events
            ):
                self.problem(
                    _(
                        "检查点 #%(n)d（%(issues)d 个问题、%(events)d 条记录）与现存链头不符"
                        "（现为 %(now_issues)d 个问题、%(now_events)d"
                        " 条记录）：链头或问题被删除或改动。"
                    )
                    % {
                        "n": checkpoint.number,
                        "issues": checkpoint.issues,
                        "events": checkpoint.events,
                        "now_issues": root.issues,
                        "now_events": root.events,
                    }
                )
        return self.result

    # -- one issue ------------------------------------------------------------------------

    def issue_check(self, row, events, head, files, checkpoint) -> None:
        number = row["number"]
        self.result.events += len(events)
        if not events:
            self.problem(_("%(number)s：没有任何办理记录（登记记录缺失）。") % {"number": number})
            if head is not None:
                self.problem(
                    _("%(number)s：链头为 #%(seq)d，办理记录却已全部缺失（已被删除）。")
                    % {"number": number, "seq": head.seq}
                )
            return {}
        by_event: dict[int | None, list] = {}
        for attachment in files:
            by_event.setdefault(attachment["event_id"], []).append(attachment)
        event_ids = {event.pk for event in events}
        for event_id, rows in by_event.items():
            if event_id not in event_ids:
                names = "、".join(a["original_name"] for a in rows)
                self.problem(
                    _("%(number)s：附件“%(names)s”不属于该问题的任何办理记录。")
                    % {"number": number, "names": names}
                )
        digests = {}
        previous_digest, expected_seq, keyed = "", 1, False
        for event in events:
            if event.seq > expected_seq:
                missing = (
                    f"#{expected_seq}"
                    if event.seq == expected_seq + 1
                    else f"#{expected_seq}–#{event.seq - 1}"
                )
                self.problem(
                    _("%(number)s %(missing)s：办理记录缺失（已被删除）。")
                    % {"number": number, "missing": missing}
                )
            attached = by_event.get(event.pk, [])
            if event.key_id:
                keyed = True
                records = [(a["original_name"], a["sha256"], a["size"]) for a in attached]
                try:
                    digest = event.compute_digest(previous_digest, files=records, number=number)
                except UnknownEventKey:
                    digest = None
                    self.problem(
                        _(
                            "%(number)s %(event)s：签名密钥“%(key)s”未配置（"
                            "EVENTS_KEY / EVENTS_OLD_KEYS），无法校验。"
                        )
                        % {"number": number, "event": _label(event), "key": event.key_id}
                    )
            else:
                digest = event.compute_digest(previous_digest)
                if keyed:
                    self.problem(
                        _(
                            "%(number)s %(event)s：未签"
                            "名的记录出现在已签名的记录之后（记录被伪造）。"
                        )
                        % {"number": number, "event": _label(event)}
                    )
                elif self.first_keyed is not None and event.pk > self.first_keyed:
                    self.problem(
                        _(
                            "%(number)s %(event)s：未签名的记录写于签名密钥启用之后"
                            "（记录 ID %(id)d，首条签名记录 ID %(first)d）——记录链被改写。"
                        )
                        % {
                            "number": number,
                            "event": _label(event),
                            "id": event.pk,
                            "first": self.first_keyed,
                        }
                    )
            if digest is not None and not hmac.compare_digest(digest, event.digest):
                self.problem(
                    _(
                        "%(number)s %(event)s：内容与校"
                        "验值不符（记录或其附件被改动，或其前一条记录缺失）。"
                    )
                    % {"number": number, "event": _label(event)}
                )
            if self.check_files:
                self.files_check(number, event, attached)
            digests[event.seq] = event.digest
            previous_digest = event.digest
            expected_seq = event.seq + 1
        last = events[-1]
        if row["version"] > last.seq:
            self.problem(
                _(
                    "%(number)s：问题已有 %(version)d 次变更，但最后一条办理记录为 #%(seq)d，"
                    "其后的记录缺失（已被删除）。"
                )
                % {"number": number, "version": row["version"], "seq": last.seq}
            )
        elif row["version"] < last.seq:
            self.problem(
                _("%(number)s：问题版本 %(version)d 低于最后一条办理记录 #%(seq)d（版本被改动）。")
                % {"number": number, "version": row["version"], "seq": last.seq}
            )
        if row["status"] != last.to_status:
            self.problem(
                _("%(number)s：问题状态与最后一条办理记录 %(event)s 不符。")
                % {"number": number, "event": _label(last)}
            )
        unexplained = self.replay(row, events)
        self.head_check(row, events, digests, head, unexplained, keyed, checkpoint)
        return digests

    def replay(self, row, events) -> dict:
        """The fields whose stored value differs from the last value an event recorded:
        {field: (recorded, stored)}; foreign keys are compared by name only on request."""
        recorded = {}
        for event in events:
            for name, values in (event.changes or {}).items():
                if isinstance(values, list | tuple) and len(values) == 2:
                    recorded[name] = values[1]
        unexplained = {}
        for name, value in recorded.items():
            try:
                model_field = Issue._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not model_field.concrete or model_field.many_to_many:
                continue
            if model_field.is_relation:
                unexplained[name] = (value, None)  # checked by name in head_check if needed
                continue
            stored = _display(row[model_field.attname])
            if stored != value:
                unexplained[name] = (value, stored)
        return unexplained

    def head_check(self, row, events, digests, head, unexplained, keyed, checkpoint) -> None:
        number = row["number"]
        last = events[-1]
        named = {k: v for k, v in unexplained.items() if v[1] is not None}
        if head is None:
            if keyed or checkpoint is not None:
                self.problem(
                    _("%(number)s：缺少链头（签名的最后一条记录），无法证明其后没有记录被删除。")
                    % {"number": number}
                )
            else:
                self.result.unanchored.append(
                    {
                        "issue_id": row["pk"],
                        "number": number,
                        "seq": last.seq,
                        "digest": last.digest,
                        "state": issue_state(row),
                    }
                )
            self.fields_report(number, named)
            return
        if not signature_ok(head.key_id, head_payload(head), head.mac):
            self.problem(
                _("%(number)s：链头签名无效（链头被改动，或密钥“%(key)s”未配置）。")
                % {"number": number, "key": head.key_id}
            )
            self.sealed_check(number, head, digests)
            self.fields_report(number, named)
            return
        if head.seq > last.seq:
            self.problem(
                _(
                    "%(number)s：链头为 #%(head)d，最后"
                    "一条办理记录却为 #%(seq)d：其后的记录已被删除。"
                )
                % {"number": number, "head": head.seq, "seq": last.seq}
            )
        elif head.seq < last.seq:
            self.problem(
                _("%(number)s：#%(head)d 之后的办理记录不是由系统写入的（链头停在 #%(head)d）。")
                % {"number": number, "head": head.seq}
            )
        elif head.digest != last.digest:
            self.problem(
                _("%(number)s：最后一条办理记录 %(event)s 与链头不符（记录链被重算）。")
                % {"number": number, "event": _label(last)}
            )
        elif head.state != issue_state(row):
            fields = dict(named)
            for name in [k for k, v in unexplained.items() if v[1] is None]:
                issue = Issue.objects.select_related(name).get(pk=row["pk"])
                stored = _display(getattr(issue, name))
                if stored != unexplained[name][0]:
                    fields[name] = (unexplained[name][0], stored)
            if fields:
                self.fields_report(number, fields)
            else:
                self.problem(
                    _(
                        "%(number)s：问题的字段在最后一条办理记录 %(event)s"
                        " 之后被改动，没有办理记录说明这一改动。"
                    )
                    % {"number": number, "event": _label(last)}
                )
            named = {}
        self.sealed_check(number, head, digests)
        self.fields_report(number, named)

    def sealed_check(self, number, head, digests) -> None:
        if head.sealed_seq is not None and digests.get(head.sealed_seq) != head.sealed_digest:
            self.problem(
                _("%(number)s：检查点封存的记录 #%(seq)d 已不存在或被改动。")
                % {"number": number, "seq": head.sealed_seq}
            )

    def fields_report(self, number, fields) -> None:
        for name, (recorded, stored) in sorted(fields.items()):
            self.problem(
                _(
                    "%(number)s：“%(field)s”现为“%(stored)s”，"
                    "办理记录最后记为“%(recorded)s”——没有办理记录说明这一改动。"
                )
                % {
                    "number": number,
                    "field": Issue._meta.get_field(name).verbose_name,
                    "stored": stored,
                    "recorded": recorded,
                }
            )

    def files_check(self, number, event, attached) -> None:
        for attachment in attached:
            self.result.files += 1
            name = attachment["original_name"]
            try:
                with default_storage.open(attachment["file"], "rb") as handle:
                    digest = hashlib.file_digest(handle, "sha256")
            except OSError:
                self.problem(
                    _("%(number)s %(event)s：附件“%(name)s”的文件不存在。")
                    % {"number": number, "event": _label(event), "name": name}
                )
                continue
            if not attachment["sha256"]:
                continue  # stored before attachments kept their SHA-256: nothing to compare
            if digest.hexdigest() != attachment["sha256"]:
                self.problem(
                    _("%(number)s %(event)s：附件“%(name)s”的文件内容已被替换（SHA-256 不符）。")
                    % {"number": number, "event": _label(event), "name": name}
                )

    # -- ledger numbers and checkpoints -----------------------------------------------------

    def gaps_check(self, seqs, checkpoint) -> None:
        known = (checkpoint.known_gaps if checkpoint else {}) or {}
        for year, last in LedgerCounter.objects.order_by("year").values_list("year", "last"):
            present = seqs.get(year, set())
            accepted = set(known.get(str(year), []))
            missing = set(range(1, last + 1)) - present
            if missing:
                self.result.gaps[str(year)] = sorted(missing)
            new = missing - accepted
            if new:
                self.result.gap_problems += 1
                self.problem(
                    _(
                        "%(year)d 年的编号缺失：%(numbers)s（计数器已到 %(last)d）——"
                        "问题被删除，或导入时沿用了原编号（核实后用 events_"
                        "checkpoint --accept-gaps 确认）。"
                    )
                    % {"year": year, "numbers": _ranges(new), "last": last}
                )

    def checkpoints_check(self) -> Checkpoint | None:
        previous = None
        latest = None
        for checkpoint in Checkpoint.objects.order_by("number").iterator():
            expected = previous.number + 1 if previous else 1
            if checkpoint.number != expected:
                self.problem(
                    _("检查点 #%(expected)d–#%(before)d 缺失（已被删除）。")
                    % {"expected": expected, "before": checkpoint.number - 1}
                )
            if not signature_ok(checkpoint.key_id, checkpoint_payload(checkpoint), checkpoint.mac):
                self.problem(
                    _("检查点 #%(n)d 的签名无效（被改动，或密钥“%(key)s”未配置）。")
                    % {"n": checkpoint.number, "key": checkpoint.key_id}
                )
            elif previous is not None and checkpoint.previous_mac != previous.mac:
                self.problem(_("检查点 #%(n)d 与前一个检查点不衔接。") % {"n": checkpoint.number})
            previous = latest = checkpoint
        if self.checkpoint_file:
            self.checkpoint_file_check(latest)
        return latest

    def checkpoint_file_check(self, latest) -> None:
        path = Path(self.checkpoint_file)
        try:
            lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            kept = json.loads(lines[-1])
            mac = kept.pop("mac")
        except (OSError, IndexError, ValueError, KeyError, AttributeError):
            self.problem(
                _("无法读取检查点文件 %(path)s（最后一行应为 events_checkpoint 写入的检查点）。")
                % {"path": path}
            )
            return
        if not signature_ok(kept.get("key_id", ""), kept, mac):
            self.problem(_("检查点文件 %(path)s 的最后一行签名无效。") % {"path": path})
            return
        stored = Checkpoint.objects.filter(number=kept.get("number")).first()
        if stored is None or stored.mac != mac:
            self.problem(
                _(
                    "检查点文件中的检查点 #%(n)s 在数据库"
                    "中缺失或不同：数据库被截断或回退到了旧副本。"
                )
                % {"n": kept.get("number")}
            )

    # -- the checkpoint files outside the database ------------------------------------------

    def external_check(self, latest) -> "external.CheckpointFile | None":
        """Check the chain of files in the checkpoint directory and hold the database to the
        newest good one: its checkpoint still stored, counters and newest event not behind.
        The issues it saw are compared in the pass (saw_check)."""
        if self.checkpoint_dir is None:
            return None
        paths = external.files_in(self.checkpoint_dir)
        self.result.external_files = len(paths)
        kept, linked = None, True
        for path in paths:
            try:
                current = external.file_read(path)
            except external.FileDamaged:
                self.problem(
                    _("检查点文件 %(path)s 已损坏或签名无效（被改动，或其密钥未配置）。")
                    % {"path": path}
                )
                linked = False
                continue
            if (
                kept is not None
                and linked
                and (
                    current.sequence != kept.sequence + 1
                    or current.header.get("previous") != kept.sha256
                )
            ):
                self.problem(
                    _(
                        "检查点文件 %(path)s 与前一个文件 %(before)s 不衔接"
                        "（其间的文件被删除、替换或改动）。"
                    )
                    % {"path": path, "before": kept.path.name}
                )
            if kept is not None and not current.header.get("restored"):
                self.files_shrink_check(kept, current)
            kept, linked = current, True
        if kept is None:
            return None
        self.result.external = kept
        name = kept.path.name
        saw = kept.header["checkpoint"]
        stored = Checkpoint.objects.filter(number=saw["number"]).first()
        if stored is None or stored.mac != saw["mac"]:
            self.problem(
                _(
                    "检查点文件 %(file)s 记载的检查点 #%(n)d 在数据库中缺失或不同"
                    "（数据库中最新为 %(latest)s）：检查点被删除，或数据库被回退到了旧副本。"
                )
                % {
                    "file": name,
                    "n": saw["number"],
                    "latest": f"#{latest.number}" if latest else "—",
                },
                "behind",
            )
        counters = dict(LedgerCounter.objects.values_list("year", "last"))
        for year, last in sorted(kept.header.get("counters", {}).items()):
            now = counters.get(int(year), 0)
            if now < last:
                self.problem(
                    _(
                        "%(year)s 年的编号计数器为 %(now)d，低于检查点文件 %(file)s 记载的"
                        " %(last)d：计数器被调低，其后的问题被删除。"
                    )
                    % {"year": year, "now": now, "file": name, "last": last},
                    "behind",
                )
        newest = kept.header.get("newest_event")
        if newest is not None:
            now = IssueEvent.objects.order_by("-id").values_list("id", flat=True).first()
            if now is None or now < newest:
                self.problem(
                    _(
                        "最新的办理记录 ID 为 %(now)s，低于检查点文件 %(file)s 记载的"
                        " %(then)d：办理记录被删除（或整表被清空）。"
                    )
                    % {"now": now if now is not None else "—", "file": name, "then": newest},
                    "behind",
                )
        return kept

    def files_shrink_check(self, before, after) -> None:
        """A ledger only grows: a file (not marked as written after a restore) that saw a
        lower counter or newest event than the file before it was written for a database
        from which something had been erased."""
        counters = after.header.get("counters", {})
        lowered = [
            year
            for year, last in sorted(before.header.get("counters", {}).items())
            if counters.get(year, 0) < last
        ]
        newest_before = before.header.get("newest_event") or 0
        if lowered or (after.header.get("newest_event") or 0) < newest_before:
            self.problem(
                _(
                    "检查点文件 %(path)s 记载的编号计数器或最新办理记录低于前一个文件"
                    " %(before)s（%(years)s）：写入它时数据库中的内容已被删除。"
                )
                % {
                    "path": after.path.name,
                    "before": before.path.name,
                    "years": "、".join(lowered) or "—",
                }
            )

    def saw_check(self, row, saw, head, digests, kept) -> None:
        """One issue the newest checkpoint file saw: same number, a head, and the sealed
        event still in its chain with the same digest."""
        _id, number, seq, digest = saw
        name = kept.path.name
        if row["number"] != number:
            self.problem(
                _("%(number)s：检查点文件 %(file)s 记载此问题的编号为 %(then)s（编号被改动）。")
                % {"number": row["number"], "file": name, "then": number}
            )
        if head is None:
            self.problem(
                _(
                    "%(number)s：检查点文件 %(file)s 记载了此问题（封存到 #%(seq)d），"
                    "数据库中却没有它的链头——链头被删除。"
                )
                % {"number": row["number"], "file": name, "seq": seq}
            )
        if seq not in digests:
            self.problem(
                _(
                    "%(number)s：检查点文件 %(file)s 封存的办理记录 #%(seq)d 已不存在"
                    "（被删除，或数据库被回退）。"
                )
                % {"number": row["number"], "file": name, "seq": seq},
                "behind",
            )
        elif digests[seq] != digest:
            self.problem(
                _(
                    "%(number)s：办理记录 #%(seq)d 与检查点文件 %(file)s 封存的不符"
                    "（记录链被改写）。"
                )
                % {"number": row["number"], "file": name, "seq": seq}
            )

    def unsealed_check(self, checkpoint) -> None:
        """No checkpoint at all, with history older than the limit: checkpoints deleted (or
        never written). The age is the oldest head's writing time (heads are written at the
        real time, events may carry an earlier business time), else the oldest event's."""
        if checkpoint is not None:
            return
        oldest = IssueHead.objects.order_by("written_at").values_list("written_at", flat=True)
        since = oldest.first()
        if since is None:
            since = (
                IssueEvent.objects.order_by("created_at")
                .values_list("created_at", flat=True)
                .first()
            )
        limit = external.age_limit()
        if since is not None and since < timezone.now() - limit:
            self.problem(
                _(
                    "尚无检查点，而办理记录始于 %(since)s（超过 %(hours)d 小时）："
                    "检查点被删除，或从未运行 events_checkpoint。"
                    "查明原因后运行 events_checkpoint。"
                )
                % {
                    "since": timezone.localtime(since).strftime("%Y-%m-%d %H:%M"),
                    "hours": limit.total_seconds() // 3600,
                },
                "unsealed",
            )
