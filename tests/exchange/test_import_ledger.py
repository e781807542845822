"""Importing messy ledger spreadsheets (.xlsx, .xls, GB18030 .csv): row-by-row errors,
all-or-nothing, complete clean imports with the right deadlines, re-imports, the command."""

import datetime
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from ledger import services
from ledger.exchange.importing import ledger_import
from ledger.exchange.matching import DateInvalid, date_parse
from ledger.exchange.models import ImportBatch, ImportedIssue, NameAlias
from ledger.models import Enterprise, Issue, IssueDeadline, IssueEvent, LedgerCounter
from ledger.states import Action, Status
from tests import factories as f
from tests.exchange.import_sheets import COL, HEADER, csv_bytes, file_of, messy_rows, xlsx_bytes

KINDS = ["xlsx", "xls", "csv"]


@pytest.fixture
def lists(world):
    f.SourceFactory(name="12345 热线")
    f.CategoryFactory(name="其他")
    f.SourceFactory(name="其他")
    return world


def run(world, data, name, *, dry_run=False, user=None, **kwargs):
    return ledger_import(
        data, file_name=name, user=user or world.supervisor, dry_run=dry_run, **kwargs
    )


def problem_cells(outcome) -> set:
    return {(p.row, p.column) for p in outcome.problems}


@pytest.mark.parametrize("kind", KINDS)
def test_errors_are_reported_row_by_row_and_nothing_is_written(lists, kind):
    world = lists
    rows, merged, expected = messy_rows(world, errors=True)
    data, name = file_of(kind, rows, merged)
    before = (Issue.objects.count(), IssueEvent.objects.count(), NameAlias.objects.count())

    outcome = run(world, data, name)

    assert problem_cells(outcome) == expected["errors"]
    messages = {(p.row, p.column): str(p) for p in outcome.problems}
    at = expected["at"]
    assert messages[(at[1] + 1, "包联领导")] == (
        f"第 {at[1] + 1} 行 · 包联领导：系统中没有名为“张三”的责任领导"
    )
    assert "#REF!" in messages[(at[2] + 1, "责任单位")]
    assert "2026年13月45日" in messages[(at[4] + 1, "办结时限")]
    assert not outcome.committed
    after = (Issue.objects.count(), IssueEvent.objects.count(), NameAlias.objects.count())
    assert after == before
    assert ("leader", "张三") in outcome.unknown


@pytest.mark.parametrize("kind", KINDS)
def test_clean_messy_file_imports_completely_with_the_right_deadlines(lists, kind):
    world = lists
    rows, merged, expected = messy_rows(world)
    data, name = file_of(kind, rows, merged)

    outcome = run(world, data, name)

    assert outcome.ok, [str(p) for p in outcome.problems]
    assert outcome.committed
    assert outcome.rows_read == len(expected["rows"]) == 13
    assert outcome.skipped == expected["skipped"]  # two sections, a repeated header, totals
    assert outcome.to_create == 13
    today = timezone.localdate()
    origins = {o.row: o.issue for o in ImportedIssue.objects.select_related("issue")}
    assert set(origins) == set(expected["rows"])
    for row, deadline in expected["rows"].items():
        issue = origins[row]
        assert issue.is_long_term == (deadline == "long_term"), row
        if deadline == "long_term":
            deadline = None
        elif deadline == "today":
            deadline = today
        assert issue.deadline == deadline, row
    at = expected["at"]
    first = origins[at[1] + 1]
    assert first.status == Status.ASSIGNED
    assert first.enterprise == world.enterprise
    assert first.source.name == "12345 热线"  # written １２３４５热线
    assert first.lead_department == world.dept_b  # written 住建局 (short name)
    assert {d.name for d in first.co_departments.all()} == {"区发改委", "区环保局"}
    assert first.title == "第1号问题"  # derived: the first clause of the description
    assert first.leader == world.leader
    assert origins[at[3] + 1].leader == world.other_leader
    closed = origins[at["closed"] + 1]
    assert closed.status == Status.CLOSED
    assert closed.resolution == "已完成增容。"
    assert closed.satisfaction == Issue.Satisfaction.SATISFIED
    resolved = origins[at["closed"] + 2]
    assert resolved.status == Status.RESOLVED
    assert origins[at["raised"] + 1].status == Status.RAISED
    # every imported issue has its event naming the file and row, and its deadline history
    event = first.events.get()
    assert event.action == "raise" and event.to_status == Status.ASSIGNED
    assert name in event.note and f"第 {at[1] + 1} 行" in event.note
    assert IssueDeadline.objects.filter(issue=first, deadline=first.deadline).exists()
    ongoing = origins[at[9] + 1].events.get()
    assert "长期坚持" in ongoing.note
    call_command("events_verify", stdout=io.StringIO())


def test_importing_twice_changes_nothing(lists):
    world = lists
    rows, merged, _expected = messy_rows(world)
    data, name = file_of("xlsx", rows, merged)
    run(world, data, name)
    counts = (Issue.objects.count(), IssueEvent.objects.count(), IssueDeadline.objects.count())

    again = run(world, data, name)

    assert again.ok
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 13)
    after = (Issue.objects.count(), IssueEvent.objects.count(), IssueDeadline.objects.count())
    assert after == counts


def test_a_changed_row_is_an_update_shown_in_the_preview_and_leaves_an_event(lists):
    world = lists
    rows, merged, expected = messy_rows(world)
    data, name = file_of("xlsx", rows, merged)
    run(world, data, name)
    row = expected["at"][1]
    rows[row][COL["办结时限"]] = "2027-01-15"
    data, name = file_of("xlsx", rows, merged)

    preview = run(world, data, name, dry_run=True)
    assert (preview.to_create, preview.to_update) == (0, 1)
    assert preview.changes[0]["fields"] == [["完成时限", "2026-11-30", "2027-01-15"]]
    outcome = run(world, data, name)

    issue = ImportedIssue.objects.get(row=row + 1).issue
    assert outcome.committed and issue.deadline == datetime.date(2027, 1, 15)
    event = issue.events.order_by("-seq").first()
    assert event.action == "import_correct"
    assert event.changes["deadline"] == ["2026-11-30", "2027-01-15"]
    assert issue.deadlines.filter(reason=IssueDeadline.Reason.CORRECTED).count() == 1


def test_own_numbers_are_kept_and_the_counter_moves_past_them(lists):
    world = lists
    rows = [["编号", "问题描述", "问题来源"], ["ZZ-2025-0042", "路灯不亮", "其他"]]
    run(world, csv_bytes(rows), "a.csv")
    assert Issue.objects.get(number="ZZ-2025-0042").seq == 42
    assert LedgerCounter.objects.get(year=2025).last == 42


def test_foreign_numbers_are_remembered_for_the_next_import(lists):
    world = lists
    rows = [["编号", "问题描述"], ["2024-甲-7", "路灯不亮"]]
    first = run(world, csv_bytes(rows), "a.csv")
    rows[1][1] = "路灯不亮，已报修"
    second = run(world, csv_bytes(rows), "a.csv")
    assert first.to_create == 1 and second.to_update == 1 and second.to_create == 0
    assert Issue.objects.count() == 1
    assert ImportedIssue.objects.get().external_number == "2024-甲-7"


def test_a_mapped_unknown_name_is_remembered_as_an_alias(lists):
    world = lists
    rows = [["问题描述", "责任领导"], ["路灯不亮", "秦区长"]]
    data = csv_bytes(rows)
    refused = run(world, data, "a.csv")
    assert [str(p) for p in refused.problems] == [
        "第 2 行 · 责任领导：系统中没有名为“秦区长”的责任领导"
    ]
    mapped = run(world, data, "a.csv", mappings={"leader": {"秦区长": f"leader:{world.leader.pk}"}})
    assert mapped.committed and Issue.objects.get().leader == world.leader
    assert NameAlias.objects.get(kind="leader", alias="秦区长").target_id == world.leader.pk
    rows[1][0] = "路灯又不亮了"
    assert run(world, csv_bytes(rows), "b.csv", dry_run=True).ok


def test_status_needs_what_the_database_requires(lists):
    world = lists
    rows = [
        ["问题描述", "办理状态", "办结情况"],
        ["路灯不亮", "办理中", ""],
        ["道路积水", "已办结", ""],
    ]
    outcome = run(world, csv_bytes(rows), "a.csv")
    assert {str(p) for p in outcome.problems} >= {
        "第 2 行 · 牵头单位：状态为“办理中”的问题须填写牵头单位",
        "第 3 行 · 办结情况：状态为“已办结（待销号）”的问题须填写办结情况",
    }
    assert Issue.objects.count() == 0


@pytest.mark.parametrize(
    "written, expected",
    [
        ("2026-11-30", datetime.date(2026, 11, 30)),
        ("2026/11/30", datetime.date(2026, 11, 30)),
        ("2026.11.30", datetime.date(2026, 11, 30)),
        ("2026年11月30日", datetime.date(2026, 11, 30)),
        ("２０２６年１１月３０日", datetime.date(2026, 11, 30)),
        ("11/30/2026", datetime.date(2026, 11, 30)),
        ("2026-11-30 08:15:00", datetime.date(2026, 11, 30)),
        ("2026年11月底", datetime.date(2026, 11, 30)),
        ("2026年底", datetime.date(2026, 12, 31)),
        (46356.0, datetime.date(2026, 11, 30)),
        ("46356", datetime.date(2026, 11, 30)),
        (datetime.datetime(2026, 11, 30, 9, 0), datetime.date(2026, 11, 30)),
        ("", None),
    ],
)
def test_date_forms(written, expected):
    assert date_parse(written) == expected


@pytest.mark.parametrize("written", ["2026年13月45日", "2026-02-30", "明年", "13/13/2026", -3.0])
def test_impossible_dates_are_refused(written):
    with pytest.raises(DateInvalid):
        date_parse(written)


# -- limits ------------------------------------------------------------------------------


def _refusal(world, data, name, settings=None):
    outcome = run(world, data, name)
    assert outcome.refused and not outcome.committed
    return outcome.refused


def test_too_large_a_file_is_refused(lists, settings):
    settings.EXCHANGE = {**settings.EXCHANGE, "IMPORT_MAX_BYTES": 100}
    assert "文件过大" in _refusal(lists, b"x" * 200, "a.csv")


def test_a_png_renamed_xlsx_is_refused(lists):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    assert "不是电子表格文件" in _refusal(lists, png, "照片.xlsx")


def test_a_zip_that_is_not_a_workbook_is_refused(lists):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert "不是 Excel 工作簿" in _refusal(lists, out.getvalue(), "a.xlsx")


def test_a_password_protected_workbook_is_refused(lists):
    # an encrypted OOXML workbook is an OLE compound file holding an EncryptedPackage stream
    ole = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le")
    )
    assert "密码" in _refusal(lists, ole, "加密.xlsx")


def test_an_empty_file_is_refused(lists):
    assert "空" in _refusal(lists, b"", "a.xlsx")
    assert "没有任何数据" in _refusal(lists, xlsx_bytes([], extra_sheet=False), "b.xlsx")


def test_a_sheet_without_a_recognisable_header_asks_for_the_description_column(lists):
    # issue 16: not refused any more; the header row found is listed for a choice
    outcome = run(lists, xlsx_bytes([["姓名", "年龄"], ["张三", 3]]), "a.xlsx")
    assert not outcome.refused and outcome.missing == "description"
    assert [c["header"] for c in outcome.columns] == ["姓名", "年龄"]
    assert not outcome.committed and Issue.objects.count() == 0
    # with no row that looks like a header, the refusal still names the columns looked for
    message = _refusal(lists, xlsx_bytes([["张三"], [3]]), "b.xlsx")
    assert "问题描述" in message and "存在问题" in message


def test_too_many_rows_are_refused(lists, settings):
    settings.EXCHANGE = {**settings.EXCHANGE, "IMPORT_MAX_ROWS": 2}
    rows = [["问题描述"], ["一"], ["二"], ["三"]]
    assert "超过单次导入上限" in _refusal(lists, csv_bytes(rows), "a.csv")


def test_utf8_csv_with_bom_and_english_headers(lists):
    world = lists
    rows = [
        ["Description", "Deadline", "Lead department", "Responsible leader"],
        ["Road flooded", "2026-12-01", "区住建局", world.leader.user.name],
    ]
    data = b"\xef\xbb\xbf" + csv_bytes(rows, encoding="utf-8")
    outcome = run(world, data, "a.csv")
    assert outcome.ok, outcome.refused or [str(p) for p in outcome.problems]
    assert Issue.objects.get().status == Status.ASSIGNED


# -- the command ---------------------------------------------------------------------------


def _command(tmp_path, data, name, *args):
    path = tmp_path / name
    path.write_bytes(data)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_ledger", str(path), *args, stdout=out, stderr=out)
        raise SystemExit(0)
    return exit_.value.code, out.getvalue()


def test_command_exit_codes(lists, tmp_path):
    world = lists
    bad, _m, _e = messy_rows(world, errors=True)
    code, output = _command(tmp_path, *file_of("xlsx", bad, _m), "--user", "supervisor")
    assert code == 1 and Issue.objects.count() == 0
    assert "第" in output and "包联领导：系统中没有名为“张三”的责任领导" in output
    good, merged, _e = messy_rows(world)
    data, name = file_of("xls", good, merged)
    code, output = _command(tmp_path, data, name, "--user", "supervisor", "--dry-run")
    assert code == 0 and Issue.objects.count() == 0 and "rows read 13" in output
    code, output = _command(tmp_path, data, name, "--user", "supervisor")
    assert code == 0 and Issue.objects.count() == 13
    code, output = _command(tmp_path, b"\x89PNG", "x.xlsx", "--user", "supervisor")
    assert code == 1


def test_command_refuses_a_user_who_may_not_import(lists, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        _command(tmp_path, csv_bytes([HEADER]), "a.csv", "--user", "staff_a")


def test_a_status_ahead_of_the_system_is_applied_and_one_behind_is_not(lists):
    world = lists
    header = ["编号", "问题描述", "责任领导", "牵头单位", "完成时限", "办理状态", "办结情况"]
    row = ["", "路灯不亮", world.leader.user.name, "区住建局", "2026-12-30", "办理中", ""]
    run(world, csv_bytes([header, row]), "a.csv")
    issue = Issue.objects.get()
    assert issue.status == Status.IN_PROGRESS
    row[0], row[5], row[6] = issue.number, "已办结", "已修复。"
    ahead = run(world, csv_bytes([header, row]), "a.csv")
    issue.refresh_from_db()
    assert ahead.to_update == 1 and issue.status == Status.RESOLVED
    assert issue.resolution == "已修复。"
    event = issue.events.order_by("-seq").first()
    assert (event.from_status, event.to_status) == (Status.IN_PROGRESS, Status.RESOLVED)
    # the sheet's move is the rulebook's 导入更正, never a 修改 (EDIT never changes status)
    assert event.action == Action.IMPORT_CORRECT
    assert event.changes["status"] == [Status.IN_PROGRESS, Status.RESOLVED]
    assert (
        not IssueEvent.objects.filter(action=Action.EDIT)
        .exclude(from_status=F("to_status"))
        .exists()
    )
    row[5] = "待交办"
    behind = run(world, csv_bytes([header, row]), "a.csv", dry_run=True)
    assert (behind.to_update, behind.unchanged) == (0, 1)
    assert "以系统为准" in behind.notes[0].message


def test_a_stray_cell_at_the_last_column_does_not_blow_up_the_rows(lists):
    world = lists
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["问题描述", "牵头单位"])
    sheet.append(["路灯不亮", "区住建局"])
    sheet["XFD1"] = "备注"
    out = io.BytesIO()
    book.save(out)
    outcome = run(world, out.getvalue(), "a.xlsx")
    assert outcome.committed and Issue.objects.get().lead_department == world.dept_b


def test_a_zip_bomb_is_refused(lists, settings):
    settings.EXCHANGE = {**settings.EXCHANGE, "IMPORT_MAX_BYTES": 10_000}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", " " * 1_000_000)
    assert len(out.getvalue()) < 10_000
    assert "解压后过大" in _refusal(lists, out.getvalue(), "a.xlsx")


def _zip_header_patch(data: bytes, member: str, *, size: int | None = None, crc: int | None = None):
    """`data` with `member`'s uncompressed size or CRC-32 rewritten in both its local and
    its central directory header (a forged archive)."""
    out = bytearray(data)
    name = member.encode()
    # (signature, offset of the CRC-32 field, offset of the uncompressed size, of the name)
    for signature, crc_at, size_at, name_at in (
        (b"PK\x03\x04", 14, 22, 30),
        (b"PK\x01\x02", 16, 24, 46),
    ):
        start = out.find(signature)
        while start != -1:
            if out[start + name_at : start + name_at + len(name)] == name:
                if size is not None:
                    out[start + size_at : start + size_at + 4] = size.to_bytes(4, "little")
                if crc is not None:
                    out[start + crc_at : start + crc_at + 4] = crc.to_bytes(4, "little")
            start = out.find(signature, start + 4)
    return bytes(out)


def _bomb(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", " " * size)
    return out.getvalue()


def test_a_zip_bomb_whose_headers_lie_about_its_size_is_refused_as_too_large(lists, settings):
    """The parts are counted as they are inflated, not as their headers declare."""
    settings.EXCHANGE = {**settings.EXCHANGE, "IMPORT_MAX_BYTES": 10_000}
    forged = _zip_header_patch(_bomb(1_000_000), "xl/worksheets/sheet1.xml", size=4096)
    info = zipfile.ZipFile(io.BytesIO(forged)).getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size == 4096 and len(forged) < 10_000
    assert "解压后过大" in _refusal(lists, forged, "a.xlsx")


def test_a_workbook_with_a_broken_crc_is_refused_as_damaged(lists):
    data = xlsx_bytes([["问题描述", "牵头单位"], ["路灯不亮", "区住建局"]], extra_sheet=False)
    broken = _zip_header_patch(data, "xl/workbook.xml", crc=0x12345678)
    assert "文件已损坏" in _refusal(lists, broken, "a.xlsx")


def test_a_forged_or_broken_archive_is_refused_on_the_page_not_a_500(client, lists, settings):
    settings.EXCHANGE = {**settings.EXCHANGE, "IMPORT_MAX_BYTES": 10_000}
    client.force_login(lists.supervisor)
    forged = _zip_header_patch(_bomb(1_000_000), "xl/worksheets/sheet1.xml", size=4096)
    broken = _zip_header_patch(_bomb(100), "xl/workbook.xml", crc=0)
    for data in (forged, broken):
        response = client.post(
            reverse("exchange:issue_import"),
            {"file": SimpleUploadedFile("a.xlsx", data)},
        )
        assert response.status_code == 400  # the upload page again, saying why
        page = response.content.decode()
        assert "解压后过大" in page or "文件已损坏" in page
        assert not ImportBatch.objects.exists()


def test_a_sheet_far_taller_than_the_limit_is_refused_before_it_is_read(lists, settings):
    settings.EXCHANGE = {**settings.EXCHANGE, "IMPORT_MAX_ROWS": 10}
    rows = [["问题描述"]] + [[f"问题{n}"] for n in range(1100)]
    assert "超过单次导入上限" in _refusal(lists, xlsx_bytes(rows, extra_sheet=False), "a.xlsx")


def test_a_repeated_new_row_is_reported_not_imported_twice(lists):
    world = lists
    rows = [["企业名称", "问题描述", "完成时限"]] + [
        [world.enterprise.name, "路灯不亮", "2026-12-30"] for _n in range(2)
    ]
    rows.append(
        [world.enterprise.name, "路灯不亮", "2027-01-30"]
    )  # another deadline: another issue
    outcome = run(world, csv_bytes(rows), "a.csv")
    assert [str(p) for p in outcome.problems] == [
        "第 3 行 · 问题描述：与第 2 行的企业/项目、描述和时限都相同（重复行）"
    ]
    del rows[2]
    assert run(world, csv_bytes(rows), "a.csv").to_create == 2
    again = run(world, csv_bytes(rows), "a.csv", dry_run=True)
    assert (again.to_create, again.unchanged) == (0, 2)


def test_a_number_used_twice_in_the_file_is_a_problem(lists):
    world = lists
    rows = [["编号", "问题描述"], ["ZZ-2025-0042", "路灯不亮"], ["ZZ-2025-0042", "道路积水"]]
    outcome = run(world, csv_bytes(rows), "a.csv")
    assert [str(p) for p in outcome.problems] == ["第 3 行 · 编号：与第 2 行的编号相同"]
    assert Issue.objects.count() == 0


def test_an_implausible_own_number_is_kept_as_the_sheets_number(lists):
    world = lists
    run(world, csv_bytes([["编号", "问题描述"], ["ZZ-0001-0001", "路灯不亮"]]), "a.csv")
    issue = Issue.objects.get()
    assert issue.year == timezone.localdate().year
    assert issue.import_origin.external_number == "ZZ-0001-0001"


def test_an_enterprise_first_seen_in_a_sheet_is_added_through_the_door(lists, monkeypatch):
    """Chosen as new in the preview, it is created by services.enterprise_create as the
    importing user (added_by, verified as the office's own), in the import's transaction."""
    world = lists
    calls = []
    door = services.enterprise_create

    def spy(**kwargs):
        calls.append(kwargs["actor"])
        return door(**kwargs)

    monkeypatch.setattr(services, "enterprise_create", spy)
    code = f.valid_credit_code(7701)
    rows = [["企业名称", "问题描述"], ["新兴材料有限公司", "用地指标不足"]]
    mappings = {"subject": {"新兴材料有限公司": f"new:{code}|新兴材料有限公司"}}
    outcome = run(world, csv_bytes(rows), "a.csv", mappings=mappings)
    assert outcome.committed, [str(p) for p in outcome.problems]
    enterprise = Enterprise.objects.get(credit_code=code)
    assert calls == [world.supervisor]
    assert (enterprise.added_by, enterprise.is_verified) == (world.supervisor, True)
    assert Issue.objects.get().enterprise == enterprise
