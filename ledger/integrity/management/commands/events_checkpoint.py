"""events_checkpoint: seal every issue's head in a signed checkpoint (run it daily).

It verifies everything first (as events_verify does) and refuses to seal a ledger with a
finding. Issues from before heads existed are adopted (their head is written from their
verified chain). The checkpoint is also written as a signed file, chained to the one before,
into EVENTS_CHECKPOINT_DIR (storage the database host cannot rewrite; ledger/integrity/
external.py); --mail sends that file's SHA-256 to the oversight office. With --file PATH it is
also appended as one JSON line to PATH (`events_verify --checkpoint-file PATH` compares).
Every line is printed in Chinese and English.
"""

from django.core.management.base import BaseCommand, CommandError

from ledger.integrity import external
from ledger.integrity.messages import _, bilingual
from ledger.integrity.services import checkpoint_line, checkpoint_seal
from ledger.integrity.verify import Verifier


class Command(BaseCommand):
    help = (
        "写入签名的检查点，封存所有问题的办理记录链头（另写入数据库之外的检查点文件）。"
        " / Write a signed checkpoint sealing every issue's event-chain head (also as a file"
        " outside the database)."
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
        parser.add_argument(
            "--after-restore",
            action="store_true",
            help="恢复旧备份后：确认数据库落后于最新的检查点文件，重新封存"
            " / after restoring an older backup: accept that the database is behind the newest"
            " checkpoint file, and seal again",
        )
        parser.add_argument(
            "--mail",
            action="store_true",
            help="将检查点文件的 SHA-256 发给督查室（EVENTS_CHECKPOINT_MAIL_TO）"
            " / mail the checkpoint file's SHA-256 to the oversight office",
        )

    def say(self, message, style=None) -> None:
        text = bilingual(message)
        self.stdout.write(style(text) if style else text)

    def handle(
        self,
        *args,
        file=None,
        accept_gaps=False,
        after_restore=False,
        mail=False,
        **options,
    ):
        result = Verifier().run()
        accepted = result.unsealed_problems  # what this checkpoint puts right
        if accept_gaps:
            accepted += result.gap_problems
        if after_restore:
            accepted += result.behind_problems
        if len(result.problems) > accepted:
            for line in result.problems:
                self.stderr.write(bilingual(line))
            if result.behind_problems and not after_restore:
                self.stderr.write(
                    bilingual(
                        _(
                            "若刚恢复了较旧的备份，数据库落后于检查点文件是预期的："
                            "核实后用 events_checkpoint --after-restore 重新封存。"
                        )
                    )
                )
            raise CommandError(
                bilingual(
                    _("校验发现 %(n)d 处问题，未写入检查点（先用 events_verify 查明原因）。")
                    % {"n": len(result.problems)}
                )
            )
        if accept_gaps:
            known_gaps = result.gaps
        else:
            known_gaps = result.checkpoint.known_gaps if result.checkpoint else {}
        checkpoint = checkpoint_seal(adopt=result.unanchored, known_gaps=known_gaps)
        self.say(
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
            },
            self.style.SUCCESS,
        )
        if file:
            with open(file, "a", encoding="utf-8") as handle:
                handle.write(checkpoint_line(checkpoint) + "\n")
        folder = external.directory()
        if folder is None:
            self.stderr.write(
                bilingual(
                    _(
                        "未设置 EVENTS_CHECKPOINT_DIR：检查点只在数据库中，"
                        "持有数据库者可将其连同所封存的内容一并删除。"
                    )
                )
            )
            if mail:
                raise CommandError(
                    bilingual(_("没有检查点文件可发送（未设置 EVENTS_CHECKPOINT_DIR）。"))
                )
            return
        restored = None
        if after_restore and result.behind_problems and result.external is not None:
            restored = {
                "behind_file": result.external.path.name,
                "behind_sha256": result.external.sha256,
                "findings": result.behind_problems,
            }
        try:
            path = external.file_write(checkpoint, folder, restored=restored)
        except OSError as error:
            raise CommandError(
                bilingual(
                    _("检查点 #%(n)d 已写入数据库，但检查点文件写入失败：%(error)s")
                    % {"n": checkpoint.number, "error": error}
                )
            ) from error
        self.say(_("检查点文件：%(path)s") % {"path": path})
        if mail:
            recipients = external.mail_digest(path, checkpoint)
            if not recipients:
                raise CommandError(
                    bilingual(
                        _(
                            "没有收件人：设置 EVENTS_CHECKPOINT_MAIL_TO，"
                            "或给督查室的账号填写电子邮箱。"
                        )
                    )
                )
            self.say(_("检查点文件的 SHA-256 已发送给：%(to)s") % {"to": "、".join(recipients)})
