"""The key-project pace board: completion against 序时进度 with the open issues of each."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.utils import timezone

from ledger.models import KeyProject
from ledger.selectors import OPEN_STATUS_VALUES, project_directory

PACE_ORDER = {KeyProject.Pace.FAR_BEHIND: 0, KeyProject.Pace.BEHIND: 1, KeyProject.Pace.ON_PACE: 2}


@dataclass
class PaceRow:
    project: KeyProject
    share: Decimal | None
    expected: Decimal
    gap: Decimal | None  # points behind 序时进度 (negative: ahead)
    pace: KeyProject.Pace
    open_issues: int

    @property
    def issues_query(self) -> str:
        return urlencode(
            [("project", str(self.project.pk))] + [("status", s) for s in OPEN_STATUS_VALUES]
        )


# sort key -> how a row sorts (ascending); "-key" reverses; None values always last
PACE_SORTS = {
    "name": lambda r: r.project.name,
    "level": lambda r: r.project.level,
    "leader": lambda r: (r.project.leader.order, r.project.leader.pk) if r.project.leader else None,
    "department": lambda r: r.project.lead_department.name if r.project.lead_department else None,
    "plan": lambda r: r.project.annual_plan,
    "done": lambda r: r.project.completed_this_year,
    "share": lambda r: r.share,
    "gap": lambda r: r.gap,
    "pace": lambda r: PACE_ORDER[r.pace],
    "issues": lambda r: r.open_issues,
}
DEFAULT_PACE_SORT = "pace"


def parse_pace_sort(value) -> str:
    value = (value or "").strip()
    return value if value.lstrip("-") in PACE_SORTS else DEFAULT_PACE_SORT


def pace_rows(user, *, sort: str = DEFAULT_PACE_SORT, today: datetime.date | None = None):
    """Every key project (directories are open to everyone signed in) with the number of its
    open issues `user` may see; sorted in Python, as pace is a fact of each project."""
    today = today or timezone.localdate()
    rows = []
    for project in project_directory(user).order_by("level", "name"):
        share = project.completion_share
        expected = project.expected_share(today)
        rows.append(
            PaceRow(
                project=project,
                share=share,
                expected=expected,
                gap=None if share is None else expected - share,
                pace=KeyProject.Pace(project.pace(today)),
                open_issues=project.open_issue_count,
            )
        )
    sort = parse_pace_sort(sort)
    key = PACE_SORTS[sort.lstrip("-")]
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    present.sort(key=lambda r: (key(r), r.project.name), reverse=sort.startswith("-"))
    return present + missing
