"""events_verify: prove that no issue's 办理记录 was altered or removed after it was written.

Each IssueEvent carries a SHA-256 digest over its content and the digest of the
issue's previous event (IssueEvent.compute_digest). This command walks every
issue's events in order and recomputes the chain; it also uses two facts the
workflow guarantees (workflow.py writes every event, always one per change):
events are numbered 1, 2, 3 … without gaps, and the issue's version equals the
number of its events, with the last event leading to the issue's current status.

Exit status 0 and one "OK" line when everything holds; otherwise one line per
altered or missing event on stderr and exit status 1.
"""

from itertools import groupby

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger.models import Issue, IssueEvent

FIELDS = (
    "issue_id",
    "seq",
    "actor_id",
    "action",
    "from_status",
    "to_status",
    "note",
    "changes",
    "created_at",
    "digest",
)


def _label(event: IssueEvent) -> str:
    when = timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M")
    return f"#{event.seq}（{event.get_action_display()}，{when}）"


def issue_events_check(issue: dict, events: list[IssueEvent]) -> list[str]:
    """The problems found in one issue's events (ordered by seq); empty when intact."""
    number = issue["number"]
    problems = []
    if not events:
        return [_("%(number)s：没有任何办理记录（登记记录缺失）。") % {"number": number}]
    previous_digest = ""
    expected_seq = 1
    for event in events:
        if event.seq > expected_seq:
            missing = (
                f"#{expected_seq}"
                if event.seq == expected_seq + 1
                else f"#{expected_seq}–#{event.seq - 1}"
            )
            problems.append(
                _("%(number)s %(missing)s：办理记录缺失（已被删除）。")
                % {"number": number, "missing": missing}
            )
        if event.compute_digest(previous_digest) != event.digest:
            problems.append(
                _("%(number)s %(event)s：内容与校验值不符（记录被改动，或其前一条记录缺失）。")
                % {"number": number, "event": _label(event)}
            )
        previous_digest = event.digest
        expected_seq = event.seq + 1
    last = events[-1]
    # every workflow change bumps the version by one and writes one event
    if issue["version"] > last.seq:
        problems.append(
            _(
                "%(number)s：问题已有 %(version)d 次变更，但最后一条办理记录为 #%(seq)d，"
                "其后的记录缺失（已被删除）。"
            )
            % {"number": number, "version": issue["version"], "seq": last.seq}
        )
    elif issue["status"] != last.to_status:
        problems.append(
            _("%(number)s：问题状态与最后一条办理记录 %(event)s 不符。")
            % {"number": number, "event": _label(last)}
        )
    return problems


class Command(BaseCommand):
    help = (
        "校验每个问题的办理记录未被改动或删除（重新计算校验链）。"
        " / Verify that no issue event was altered or removed (recompute the digest chain)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "numbers",
            nargs="*",
            metavar="NUMBER",
            help="只校验这些编号的问题 / only these ledger numbers, e.g. ZZ-2026-0042",
        )

    def handle(self, *args, numbers=(), **options):
        issues = Issue.objects.order_by("pk")
        if numbers:
            issues = issues.filter(number__in=numbers)
            unknown = sorted(set(numbers) - set(issues.values_list("number", flat=True)))
            if unknown:
                raise CommandError(_("没有这些编号的问题：%(n)s") % {"n": "、".join(unknown)})
        by_pk = {row["pk"]: row for row in issues.values("pk", "number", "status", "version")}
        events = (
            IssueEvent.objects.filter(issue_id__in=issues.values("pk"))
            .order_by("issue_id", "seq")
            .only(*FIELDS)
            .iterator(chunk_size=2000)
        )
        problems: list[str] = []
        event_count = 0
        checked = set()
        for issue_id, group in groupby(events, key=lambda e: e.issue_id):
            group = list(group)
            event_count += len(group)
            checked.add(issue_id)
            problems += issue_events_check(by_pk[issue_id], group)
        for pk in sorted(set(by_pk) - checked):
            problems += issue_events_check(by_pk[pk], [])

        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(
                _("发现 %(n)d 处问题：办理记录被改动或删除（共校验 %(issues)d 个问题）。")
                % {"n": len(problems), "issues": len(by_pk)}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("OK：%(issues)d 个问题、%(events)d 条办理记录，校验链完整，未被改动。")
                % {"issues": len(by_pk), "events": event_count}
            )
        )
