"""Every column of an office's sheet is accounted for: header variants as offices and the
12345 hotline write them are recognised, the rest are listed as unused (and can be chosen),
and a sheet without a recognisable description column asks which column it is."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from ledger.exchange.importing import ledger_import
from ledger.exchange.matching import header_key
from ledger.exchange.models import ColumnChoice, ImportedIssue
from ledger.models import Issue
from ledger.states import Status
from tests import factories as f
from tests.exchange.import_sheets import HOTLINE_HEADER, hotline_rows, xlsx_bytes


@pytest.fixture
def lists(world):
    f.SourceFactory(name="12345 热线")
    f.CategoryFactory(name="其他")
    f.SourceFactory(name="其他")
    return world


def run(world, data, name="台账.xlsx", *, dry_run=False, **kwargs):
    return ledger_import(data, file_name=name, user=world.supervisor, dry_run=dry_run, **kwargs)


def office_rows(world):
    """A ledger as an office writes it: 反映企业, 办理时限 with text dates, 办理情况."""
    return [
        ["序号", "反映企业", "问题描述", "包联领导", "牵头单位", "协办单位", "办理时限"]
        + ["办理情况"],
        [
            1,
            world.enterprise.name,
            "厂区门口道路积水",
            world.leader.user.name,
            "住建局",
            "发改委",
            "2026/3/5",
            "已协调住建局排水",
        ],
        [
            2,
            world.enterprise.name,
            "用工招聘难",
            world.leader.user.name,
            "发改委",
            "",
            "2026年12月20日",
            "进展顺利：已办招聘会",
        ],
        [3, world.enterprise.name, "员工子女入学", world.leader.user.name, "发改委", ""]
        + ["长期坚持", ""],
    ]


def test_office_header_variants_feed_enterprise_deadline_and_progress(lists):
    world = lists
    outcome = run(world, xlsx_bytes(office_rows(world)))
    assert outcome.ok, outcome.refused or [str(p) for p in outcome.problems]
    issues = {i.description: i for i in Issue.objects.all()}
    flooded = issues["厂区门口道路积水"]
    assert flooded.enterprise == world.enterprise
    assert flooded.deadline == datetime.date(2026, 3, 5)
    assert flooded.status == Status.ASSIGNED
    assert flooded.lead_department == world.dept_b
    assert set(flooded.co_departments.all()) == {world.dept_a}
    assert flooded.progress_note == "已协调住建局排水"
    hiring = issues["用工招聘难"]
    assert hiring.deadline == datetime.date(2026, 12, 20)
    assert hiring.progress == Issue.Progress.SMOOTH
    assert hiring.status == Status.ASSIGNED
    # 长期坚持 is never dropped silently: the preview says what was made of it
    long_term = issues["员工子女入学"]
    assert long_term.status == Status.ASSIGNED
    assert any(note.row == 4 and "长期坚持" in note.message for note in outcome.notes)


def test_header_variants_of_a_12345_export_are_recognised():
    from ledger.exchange.importing import ledger_index
    from ledger.exchange.matching import header_lookup

    index = ledger_index()
    expected = {
        "标题": "title",
        "诉求标题": "title",
        "投诉件内容": "description",
        "诉求内容": "description",
        "来电内容": "description",
        "工单内容": "description",
        "时间": "raised_on",
        "受理时间": "raised_on",
        "来电时间": "raised_on",
        "回复": "resolution",
        "答复内容": "resolution",
        "最终回复": "resolution",
        "最终回复-投诉事件": "resolution",
        "信息来源": "source",
        "来源渠道": "source",
        "性质": "category",
        "诉求类型": "category",
        "反映企业": "enterprise",
        "反映单位": "enterprise",
        "企业": "enterprise",
        "办理时限": "deadline",
        "完成时限": "deadline",
        "时限要求": "deadline",
        "办结时限": "deadline",
        "办理情况": "progress",
        "进展情况": "progress",
        "落实情况": "progress",
        "问题描述": "description",
        "存在问题": "description",
        "问题": "description",
        "责任领导": "leader",
        "包联领导": "leader",
        "分包领导": "leader",
        "牵头单位": "lead_department",
        "责任单位": "lead_department",
        "配合单位": "co_departments",
        "协办单位": "co_departments",
        "完成时限（年月日）": "deadline",
        "完成期限": "deadline",
        "包抓领导": "leader",
        "承办部门": "lead_department",
        "协同单位": "co_departments",
        "企业诉求": "description",
        "处理结果": "resolution",
    }
    assert {header: header_lookup(index, header) for header in expected} == expected


@pytest.fixture
def hotline(lists):
    f.CategoryFactory(name="投诉")
    return lists


def test_a_12345_export_imports_as_history_with_source_12345(hotline):
    world = hotline
    rows, expected = hotline_rows(300)
    outcome = run(world, xlsx_bytes(rows, extra_sheet=False), "12345工单.xlsx")
    assert outcome.ok, outcome.refused or outcome.missing or [str(p) for p in outcome.problems]
    assert outcome.rows_read == 300 and outcome.to_create == 300
    issues = {o.external_number: o.issue for o in ImportedIssue.objects.select_related("issue")}
    assert len(issues) == 300
    first = issues[expected[2]["number"]]
    assert first.source.name == "12345 热线"
    assert first.category.name == "投诉"
    assert first.title == "夜间施工噪声扰民（1）"
    assert first.description == "市民反映第1号工地夜间施工，噪声扰民，请求处理。"
    assert first.resolution == "已督促第1号工地调整作业时间，噪声已消除。"
    assert first.status == Status.RAISED
    assert timezone.localtime(first.raised_at).date() == expected[2]["raised_on"]
    # every one of the 33 columns is accounted for: a field, or 未使用 with the reason
    columns = {c["header"]: c for c in outcome.columns}
    assert list(columns) == HOTLINE_HEADER
    assert columns["最终回复-投诉事件"]["field"] == "办结情况"
    assert columns["投诉件内容"]["field"] == "问题描述"
    assert columns["id"]["field"] == "编号"
    for unused in ("河流", "回复1", "转处理次数", "平均处理天数", "超期判断", "备注"):
        assert columns[unused]["field"] == "", unused
    assert "备注不导入" in columns["备注"]["note"]
    # importing it again finds every work order by its id
    again = run(world, xlsx_bytes(rows, extra_sheet=False), "12345工单.xlsx", dry_run=True)
    assert again.ok and again.unchanged == 300 and again.to_create == 0


def test_without_a_description_column_the_header_row_is_shown_and_a_column_chosen(hotline):
    world = hotline
    rows, _expected = hotline_rows(20, content_header="反映内容摘要")
    data = xlsx_bytes(rows, extra_sheet=False)
    outcome = run(world, data, "12345.xlsx", dry_run=True)
    assert not outcome.refused and outcome.missing == "description" and not outcome.ok
    assert outcome.header_row == 1
    assert [c["header"] for c in outcome.columns][:7] == [
        "id",
        "河流",
        "性质",
        "信息来源",
        "标题",
        "反映内容摘要",
        "时间",
    ]
    assert Issue.objects.count() == 0
    chosen = {"columns": {header_key("反映内容摘要"): "description"}}
    outcome = run(world, data, "12345.xlsx", mappings=chosen)
    assert outcome.committed and outcome.to_create == 20
    assert Issue.objects.filter(description__startswith="市民反映第").count() == 20
    # the choice is remembered: the next export with that header imports without asking
    assert ColumnChoice.objects.get(header=header_key("反映内容摘要")).field == "description"
    later, _e = hotline_rows(25, content_header="反映内容摘要")
    outcome = run(world, xlsx_bytes(later, extra_sheet=False), "12345-2.xlsx", dry_run=True)
    assert outcome.ok and outcome.to_create == 5 and outcome.unchanged == 20


def test_an_unused_column_can_feed_a_field_and_a_recognised_one_be_left_out(lists):
    world = lists
    rows = office_rows(world)
    rows[0] = [*rows[0], "备注"]
    rows[1] = [*rows[1], "企业已提交排水方案"]
    for row in rows[2:]:
        row.append("")
    choices = {header_key("备注"): "measures", header_key("办理情况"): ""}
    outcome = run(world, xlsx_bytes(rows), mappings={"columns": choices})
    assert outcome.ok, [str(p) for p in outcome.problems]
    issue = Issue.objects.get(description="厂区门口道路积水")
    assert issue.measures == "企业已提交排水方案"
    assert issue.progress_note == ""
    columns = {c["header"]: c for c in outcome.columns}
    assert columns["备注"]["field"] == "整改措施"
    assert columns["办理情况"]["field"] == "" and columns["办理情况"]["note"] == "已选择不使用"


def test_a_second_column_for_the_same_field_is_listed_as_unused_with_the_reason(lists):
    world = lists
    rows = [["问题描述", "存在问题"], ["路灯不亮", "路灯坏了三盏"]]
    outcome = run(world, xlsx_bytes(rows), dry_run=True)
    assert outcome.ok
    second = outcome.columns[1]
    assert second["header"] == "存在问题" and second["field"] == ""
    assert "A 列“问题描述”" in second["note"]


def test_a_sheet_with_no_header_like_row_is_still_refused_with_the_columns_looked_for(lists):
    outcome = run(lists, xlsx_bytes([["张三"], [3]]), dry_run=True)
    assert "没有找到可识别的表头" in outcome.refused and "问题描述" in outcome.refused


def test_the_command_takes_the_description_column(hotline, tmp_path):
    rows, _expected = hotline_rows(10, content_header="反映内容摘要")
    path = tmp_path / "12345.xlsx"
    path.write_bytes(xlsx_bytes(rows, extra_sheet=False))
    out = io.StringIO()
    with pytest.raises(SystemExit) as refused:
        call_command("import_ledger", str(path), "--user", "supervisor", stdout=out, stderr=out)
    assert refused.value.code == 1 and "没有识别出“问题描述”列" in out.getvalue()
    assert "F 反映内容摘要" in out.getvalue()
    out = io.StringIO()
    call_command(
        "import_ledger",
        str(path),
        "--user",
        "supervisor",
        "--column",
        "反映内容摘要=问题描述",
        "--column",
        "河流=不使用",
        stdout=out,
        stderr=out,
    )
    assert Issue.objects.count() == 10
    assert "未使用的列" in out.getvalue() and "B 河流（已选择不使用）" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("import_ledger", str(path), "--user", "supervisor", "--column", "河流=颜色")


def test_a_two_level_header_with_formula_and_totals_rows_is_read_whole(lists):
    import openpyxl

    world = lists
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "2026年企业问题台账"
    sheet.merge_cells("A1:G1")
    for letter, text in {"A": "序号", "B": "反映企业", "C": "问题描述", "F": "办理时限"}.items():
        sheet[f"{letter}2"] = text
        sheet.merge_cells(f"{letter}2:{letter}3")
    sheet["D2"] = "责任分工"
    sheet.merge_cells("D2:E2")
    sheet["D3"], sheet["E3"] = "责任领导", "责任单位"
    sheet["G2"] = "超期天数"
    sheet.merge_cells("G2:G3")
    leader = world.leader.user.name
    sheet.append([1, world.enterprise.name, "道路积水", leader, "住建局", "2026/3/5"])
    sheet["G4"] = "=IF(ISNUMBER(F4),TODAY()-F4,0)"
    sheet.append(["合计", "共 1 项", "=COUNTA(C4:C4)"])
    out = io.BytesIO()
    book.save(out)

    outcome = run(world, out.getvalue())

    assert outcome.ok, [str(p) for p in outcome.problems]
    assert outcome.header_row == 3 and outcome.rows_read == 1 and outcome.skipped == 1
    assert [(c["header"], c["field"]) for c in outcome.columns] == [
        ("序号", ""),
        ("反映企业", "企业名称"),
        ("问题描述", "问题描述"),
        ("责任领导", "责任领导"),
        ("责任单位", "牵头单位"),
        ("办理时限", "完成时限"),
        ("超期天数", ""),
    ]
    issue = Issue.objects.get()
    assert issue.deadline == datetime.date(2026, 3, 5) and issue.status == Status.ASSIGNED
    assert issue.enterprise == world.enterprise and issue.lead_department == world.dept_b
