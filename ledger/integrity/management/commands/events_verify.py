"""events_verify: prove that the event history, the issues and their files were not altered.

Checks, in one streaming pass (integrity/verify.py): every issue's event chain (HMAC under
the key each event names; unkeyed SHA-256 for events from before keys), numbering without
gaps, the issue's version and status against its last event, every field an event recorded
against the issue's stored value, the signed head (last event and the issue row as it left
it), the signed checkpoints and the heads they sealed, the ledger numbers of every year
(1 … counter), the chain of checkpoint files in EVENTS_CHECKPOINT_DIR and the database against
the newest of them (ledger/integrity/external.py) and, with --files, the SHA-256 of every
attachment's content.

Exit status 0 and one "OK" line when everything holds; otherwise one line per finding on
stderr and exit status 1. Every line is printed in Chinese and English.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ledger.integrity.messages import _, bilingual
from ledger.integrity.verify import Verifier
from ledger.models import Issue


class Command(BaseCommand):
    help = (
        "校验办理记录、问题字段、附件与检查点未被改动或删除。"
        " / Verify that no event, issue field, attachment or checkpoint was altered or removed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "numbers",
            nargs="*",
            metavar="NUMBER",
            help="只校验这些编号的问题 / only these ledger numbers, e.g. ZZ-2026-0042",
        )
        parser.add_argument(
            "--files",
            action="store_true",
            help="重新计算每个附件的 SHA-256 / recompute every attachment's SHA-256",
        )
        parser.add_argument(
            "--checkpoint-file",
            metavar="PATH",
            help="events_checkpoint --file 写的文件：其最后的检查点须仍在数据库中"
            " / the file events_checkpoint --file appends to",
        )
        parser.add_argument(
            "--checkpoint-dir",
            metavar="DIR",
            help="检查点文件目录（默认 EVENTS_CHECKPOINT_DIR） / the checkpoint files' folder"
            " (default EVENTS_CHECKPOINT_DIR), e.g. a copy fetched from the office",
        )

    def handle(
        self, *args, numbers=(), files=False, checkpoint_file=None, checkpoint_dir=None, **options
    ):
        if numbers:
            known = set(Issue.objects.filter(number__in=numbers).values_list("number", flat=True))
            unknown = sorted(set(numbers) - known)
            if unknown:
                raise CommandError(
                    bilingual(_("没有这些编号的问题：%(n)s") % {"n": "、".join(unknown)})
                )
        started = time.monotonic()
        result = Verifier(
            numbers=numbers,
            files=files,
            checkpoint_file=checkpoint_file,
            checkpoint_dir=checkpoint_dir,
        ).run()
        seconds = time.monotonic() - started
        if result.problems:
            for line in result.problems:
                self.stderr.write(bilingual(line))
            raise CommandError(
                bilingual(
                    _(
                        "发现 %(n)d 处问题：办理记录、问题或附件被改"
                        "动或删除（共校验 %(issues)d 个问题）。"
                    )
                    % {"n": len(result.problems), "issues": result.issues}
                )
            )
        if result.checkpoint is not None:
            anchor = _("检查点 #%(n)d（%(at)s）") % {
                "n": result.checkpoint.number,
                "at": timezone.localtime(result.checkpoint.created_at).isoformat(
                    timespec="seconds"
                ),
            }
        else:
            anchor = _("尚无检查点（请定期运行 events_checkpoint）")
        self.stdout.write(
            self.style.SUCCESS(
                bilingual(
                    _(
                        "OK：%(issues)d 个问题、%(events)d 条办理记录，校验链完整，未被改动；"
                        "%(anchor)s；%(seconds).1f 秒。"
                    )
                    % {
                        "issues": result.issues,
                        "events": result.events,
                        "anchor": anchor,
                        "seconds": seconds,
                    }
                )
            )
        )
        if result.external is not None:
            self.stdout.write(
                bilingual(
                    _("检查点文件：%(n)d 个，链完整；数据库与最新的 %(name)s 相符。")
                    % {"n": result.external_files, "name": result.external.path.name}
                )
            )
        elif not numbers:
            self.stdout.write(
                bilingual(
                    _("检查点文件：无（未设置 EVENTS_CHECKPOINT_DIR，或尚未写入）。")
                    if result.external_files == 0
                    else _("检查点文件：无可用的文件。")
                )
            )
        if files:
            self.stdout.write(bilingual(_("附件：%(n)d 个文件内容相符。") % {"n": result.files}))
