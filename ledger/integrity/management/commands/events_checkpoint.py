"""events_checkpoint: seal every issue's head in a signed checkpoint (run it daily).

It verifies everything first (as events_verify does) and refuses to seal a ledger with a
finding. Issues from before heads existed are adopted (their head is written from their
verified chain). With --file PATH the checkpoint is also appended as one JSON line to PATH
— keep that file off the database host; `events_verify --checkpoint-file PATH` compares.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ledger.integrity.services import checkpoint_line, checkpoint_seal
from ledger.integrity.verify import Verifier


class Command(BaseCommand):
    help = (
        "写入签名的检查点，封存所有问题的办理记录链头。"
        " / Write a signed checkpoint sealing every issue's event-chain head."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            metavar="PATH",
            help="另将检查点追加到此文件（应在数据库主机之外） / also append it to this file",
        )
        parser.add_argument(
            "--accept-gaps",
            action="store_true",
            help="确认当前缺失的编号（如导入时沿用原编号），之后不再报告"
            " / accept the ledger numbers missing now (e.g. kept by an import)",
        )

    def handle(self, *args, file=None, accept_gaps=False, **options):
        result = Verifier().run()
        blocking = len(result.problems) - (result.gap_problems if accept_gaps else 0)
        if blocking:
            for line in result.problems:
                self.stderr.write(line)
            raise CommandError(
                _("校验发现 %(n)d 处问题，未写入检查点（先用 events_verify 查明原因）。")
                % {"n": len(result.problems)}
            )
        if accept_gaps:
            known_gaps = result.gaps
        else:
            known_gaps = result.checkpoint.known_gaps if result.checkpoint else {}
        checkpoint = checkpoint_seal(adopt=result.unanchored, known_gaps=known_gaps)
        if file:
            with open(file, "a", encoding="utf-8") as handle:
                handle.write(checkpoint_line(checkpoint) + "\n")
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "检查点 #%(n)d：%(issues)d 个问题、%(events)d 条办理记录已封存"
                    "（新纳入 %(adopted)d 个问题）；根校验值 %(root)s。"
                )
                % {
                    "n": checkpoint.number,
                    "issues": checkpoint.issues,
                    "events": checkpoint.events,
                    "adopted": len(result.unanchored),
                    "root": checkpoint.root,
                }
            )
        )
