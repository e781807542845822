"""Export → import round trip of the demo ledger: the same issues come back.

1. Importing the export as it is changes nothing: every row matches its issue by 编号 and
   nothing differs (0 to create, 0 to update).
2. With every 编号 moved to a year that has no issues (so each row is new), importing the
   export creates issues equal to the originals, field by field.
"""

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

from ledger.exchange.columns import LEDGER_COLUMN_KEYS
from ledger.exchange.export import ledger_write
from ledger.exchange.importing import ledger_import
from ledger.models import Issue, User
from ledger.states import Status

COMPARED = (
    "title",
    "description",
    "category_id",
    "source_id",
    "urgency",
    "leader_id",
    "lead_department_id",
    "raising_department_id",
    "responsible_person",
    "measures",
    "deadline",
    "status",
    "resolution",
    "satisfaction",
    "is_escalated",
)


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())
    return User.objects.get(username="supervisor")


def _export(supervisor) -> bytes:
    out = io.BytesIO()
    issues = (
        Issue.objects.order_by("year", "seq")
        .select_related(
            "category",
            "source",
            "enterprise",
            "project",
            "leader__user",
            "lead_department",
            "raising_department",
        )
        .prefetch_related("co_departments")
    )
    ledger_write(out, issues, title="问题台账（全部）")
    return out.getvalue()


def _snapshot(issue: Issue) -> dict:
    values = {name: getattr(issue, name) for name in COMPARED}
    values["subject"] = issue.subject.pk if issue.subject else None
    values["co_departments"] = sorted(d.pk for d in issue.co_departments.all())
    return values


def test_importing_the_export_as_it_is_changes_nothing(demo):
    data = _export(demo)
    count = Issue.objects.count()
    assert count > 30 and len(set(Issue.objects.values_list("status", flat=True))) == len(Status)

    outcome = ledger_import(data, file_name="台账.xlsx", user=demo, dry_run=False)

    assert outcome.ok, [str(p) for p in outcome.problems] or outcome.refused
    assert (outcome.rows_read, outcome.to_create, outcome.to_update) == (count, 0, 0), (
        outcome.changes[:3]
    )
    assert outcome.unchanged == count
    assert Issue.objects.count() == count


def test_the_exported_issues_come_back_equal_when_imported_as_new(demo):
    data = _export(demo)
    originals = {
        issue.number: _snapshot(issue)
        for issue in Issue.objects.prefetch_related("co_departments").select_related(
            "enterprise", "project"
        )
    }
    # move every 编号 to next year, which has no issues yet: each row becomes a new issue,
    # numbered so (our format, free), and the copy is found by its new number
    next_year = timezone.localdate().year + 1
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[2]]
    column = header.index("编号") + 1
    source_of = {}
    for row in range(3, sheet.max_row + 1):
        cell = sheet.cell(row=row, column=column)
        if cell.value:
            moved_number = f"ZZ-{next_year}-{row:04d}"
            source_of[moved_number] = cell.value
            cell.value = moved_number
    moved = io.BytesIO()
    book.save(moved)

    outcome = ledger_import(moved.getvalue(), file_name="台账.xlsx", user=demo, dry_run=False)

    assert outcome.ok, [str(p) for p in outcome.problems] or outcome.refused
    assert outcome.to_create == len(originals) and outcome.to_update == 0
    copies = (
        Issue.objects.filter(year=next_year)
        .prefetch_related("co_departments")
        .select_related("enterprise", "project")
    )
    assert copies.count() == len(originals)
    for copy in copies:
        original = originals[source_of[copy.number]]
        assert _snapshot(copy) == original, copy.number
        assert copy.events.count() == 1 and copy.deadlines.count() == (1 if copy.deadline else 0)
    # and the imported copies were dated as the originals (raise day in the local zone)
    some = copies.first()
    source = Issue.objects.get(number=source_of[some.number])
    assert timezone.localtime(some.raised_at).date() == timezone.localtime(source.raised_at).date()


def test_an_export_written_in_english_imports_back_unchanged(demo):
    from django.utils import translation

    with translation.override("en"):
        data = _export(demo)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    header = [cell.value for cell in sheet[2]]
    assert "Description" in header and "问题描述" not in header
    statuses = {
        sheet.cell(row=r, column=LEDGER_COLUMN_KEYS.index("status") + 1).value
        for r in range(3, sheet.max_row + 1)
    }
    assert len(statuses) == len(Status) and all(status.isascii() for status in statuses)
    outcome = ledger_import(data, file_name="ledger.xlsx", user=demo, dry_run=True)
    assert outcome.ok, [str(p) for p in outcome.problems] or outcome.refused
    assert (outcome.to_create, outcome.to_update) == (0, 0), outcome.changes[:3]
    assert outcome.unchanged == Issue.objects.count()
