"""Messy ledger spreadsheets built in code, as offices keep them, for the import tests.

One table of rows (with title rows, a merged title, synonym headers, every date form,
full-width names, blank, section and totals rows, a repeated header and a stray cell far to
the right) written as .xlsx (openpyxl), .xls (xlwt) or GB18030 .csv.
"""

import csv
import datetime
import io

import openpyxl
import xlwt

HEADER = [
    "序号",
    "企业名称",
    "问题来源",
    "问题类别",
    "存在问题",
    "包联领导",
    "责任单位",
    "配合单位",
    "办结时限",
    "办理状态",
    "办结情况",
    "满意度",
]
# 0-based columns
COL = {name: i for i, name in enumerate(HEADER)}
STRAY_COL = 25  # column Z


class Serial(float):
    """An Excel serial day number written as a number cell."""


class ErrorCell(str):
    """An Excel error value (#REF! …) written as an error cell."""


def serial(day: datetime.date) -> Serial:
    return Serial((day - datetime.date(1899, 12, 30)).days)


def messy_rows(world, *, errors: bool = False):
    """(rows, merged ranges, expected) where rows[r][c] is cell (r+1, c+1).

    expected["rows"] maps the Excel row number of each issue row to its deadline (or a
    special word's rule), expected["errors"] to the set of (row, column) with problems."""
    ent = world.enterprise.name
    leader = world.leader.user.name
    other_leader = world.other_leader.user.name
    rows = [
        ["中站区 2026 年企业问题台账"] + [""] * 11,
        ["填报单位：区政府督查室", "", "", "", "", "", "", "", "填报日期：2026年11月"],
        HEADER,
        ["一、工业企业"] + [""] * 11,
    ]
    issue_rows = [
        # (cells, deadline as written, expected deadline)
        ("2026-11-30", datetime.date(2026, 11, 30)),
        ("2026/12/01", datetime.date(2026, 12, 1)),
        ("2026.12.02", datetime.date(2026, 12, 2)),
        ("2026年12月3日", datetime.date(2026, 12, 3)),
        ("12/04/2026", datetime.date(2026, 12, 4)),
        (datetime.datetime(2026, 12, 5, 17, 30), datetime.date(2026, 12, 5)),
        (serial(datetime.date(2026, 12, 6)), datetime.date(2026, 12, 6)),
        (datetime.date(2026, 12, 7), datetime.date(2026, 12, 7)),
        ("长期坚持", "long_term"),  # no deadline: the 长期坚持 mark
        ("立行立改", "today"),
    ]
    expected_rows = {}
    at = {}  # issue n -> 0-based index of its row
    for n, (written, expected) in enumerate(issue_rows, start=1):
        row = [""] * 12
        row[COL["序号"]] = n
        # full-width digits and a stray space must still match
        row[COL["企业名称"]] = ent if n % 2 else f" {ent} "
        row[COL["问题来源"]] = "１２３４５热线" if n % 2 else "企业走访"
        row[COL["问题类别"]] = "用地规划"
        row[COL["存在问题"]] = f"第{n}号问题：厂区门口道路积水，雨天影响车辆通行。"
        row[COL["包联领导"]] = leader if n % 3 else other_leader
        row[COL["责任单位"]] = "住建局" if n % 2 else "区 住建局"
        row[COL["配合单位"]] = "发改委、区环保局" if n == 1 else ""
        row[COL["办结时限"]] = written
        rows.append(row)
        at[n] = len(rows) - 1
        expected_rows[len(rows)] = expected
        if n == 3:
            rows.append([""] * 12)  # a blank row between issues
        if n == 5:
            rows.append(list(HEADER))  # the header repeated (a pasted second block)
            rows.append(["二、服务业"] + [""] * 11)
    # a resolved and a closed issue keep their status and resolution
    closed = [""] * 12
    closed[COL["序号"]] = 11
    closed[COL["企业名称"]] = ent
    closed[COL["问题来源"]] = "企业走访"
    closed[COL["问题类别"]] = "用地规划"
    closed[COL["存在问题"]] = "用电增容审批慢。已协调供电公司。"
    closed[COL["包联领导"]] = leader
    closed[COL["责任单位"]] = "区发改委"
    closed[COL["办结时限"]] = "2026-06-30"
    closed[COL["办理状态"]] = "已销号"
    closed[COL["办结情况"]] = "已完成增容。"
    closed[COL["满意度"]] = "满意"
    rows.append(closed)
    at["closed"] = len(rows) - 1
    expected_rows[len(rows)] = datetime.date(2026, 6, 30)
    resolved = list(closed)
    resolved[COL["序号"]] = 12
    resolved[COL["存在问题"]] = "职工通勤公交线路缺失。"
    resolved[COL["办理状态"]] = "已办结"
    resolved[COL["满意度"]] = ""
    rows.append(resolved)
    expected_rows[len(rows)] = datetime.date(2026, 6, 30)
    raised = [""] * 12
    raised[COL["序号"]] = 13
    raised[COL["存在问题"]] = "群众反映路灯不亮"
    rows.append(raised)
    at["raised"] = len(rows) - 1
    expected_rows[len(rows)] = None
    # a stray note far to the right on a row of its own, and a totals row
    stray = [""] * (STRAY_COL + 1)
    stray[STRAY_COL] = "核对人：王"
    rows.append(stray)
    rows.append(["合计", "共 13 项"] + [""] * 10)
    expected = {"rows": expected_rows, "skipped": 4, "errors": set()}
    if errors:
        # an unknown leader, an error cell, an impossible date, a missing description,
        # 已销号 without 满意度
        rows[at[1]][COL["包联领导"]] = "张三"
        rows[at[2]][COL["责任单位"]] = ErrorCell("#REF!")
        rows[at[4]][COL["办结时限"]] = "2026年13月45日"
        rows[at["raised"]][COL["存在问题"]] = ""
        rows[at["closed"]][COL["满意度"]] = ""
        expected["errors"] = {
            (at[1] + 1, "包联领导"),
            (at[2] + 1, "责任单位"),
            (at[4] + 1, "办结时限"),
            (at["raised"] + 1, "存在问题"),
            (at["closed"] + 1, "满意度"),
        }
    expected["at"] = at
    merged = [(0, 0, 0, 11), (3, 0, 3, 11)]
    return rows, merged, expected


def xlsx_bytes(rows, merged=(), sheet_name="问题台账", extra_sheet=True) -> bytes:
    book = openpyxl.Workbook()
    if extra_sheet:
        # a cover sheet before the ledger: the ledger sheet is found by its header
        cover = book.active
        cover.title = "说明"
        cover["A1"] = "本表由督查室汇总"
        sheet = book.create_sheet(sheet_name)
    else:
        sheet = book.active
        sheet.title = sheet_name
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value == "" or value is None:
                continue
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, Serial):
                cell.value = float(value)
            elif isinstance(value, ErrorCell):
                cell.value = str(value)  # openpyxl stores known error codes as error cells
            else:
                cell.value = value
            if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
                cell.number_format = "yyyy-mm-dd"
    for r1, c1, r2, c2 in merged:
        sheet.merge_cells(start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_XLS_ERRORS = {"#NULL!": 0x00, "#DIV/0!": 0x07, "#VALUE!": 0x0F, "#REF!": 0x17, "#N/A": 0x2A}


def xls_bytes(rows, merged=()) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("台账")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    time_style = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM")
    merged_cells = {(r1, c1): (r2, c2) for r1, c1, r2, c2 in merged}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if (r, c) in merged_cells:
                r2, c2 = merged_cells[(r, c)]
                sheet.write_merge(r, r2, c, c2, value)
                continue
            if value == "" or value is None:
                continue
            if isinstance(value, ErrorCell):
                sheet.row(r).set_cell_error(c, _XLS_ERRORS[str(value)])
            elif isinstance(value, datetime.datetime):
                sheet.write(r, c, value, time_style)
            elif isinstance(value, datetime.date):
                sheet.write(r, c, value, date_style)
            elif isinstance(value, Serial):
                sheet.write(r, c, float(value))
            else:
                sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="gb18030") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, datetime.datetime):
                cells.append(value.strftime("%Y-%m-%d %H:%M"))
            elif isinstance(value, datetime.date):
                cells.append(value.isoformat())
            elif isinstance(value, Serial):
                cells.append(str(int(value)))
            else:
                cells.append(str(value))
        writer.writerow(cells)
    return out.getvalue().encode(encoding)


def file_of(kind, rows, merged=()):
    """(bytes, file name) of the rows as .xlsx, .xls or GB18030 .csv."""
    if kind == "xlsx":
        return xlsx_bytes(rows, merged), "台账.xlsx"
    if kind == "xls":
        return xls_bytes(rows, merged), "台账.xls"
    return csv_bytes(rows), "台账.csv"


# -- a 12345 hotline export: one sheet, a flat header of 33 columns, formula columns --------

HOTLINE_HEADER = [
    "id",
    "河流",
    "性质",
    "信息来源",
    "标题",
    "投诉件内容",
    "时间",
    "所属区县",
    "所属街道",
    "事发地址",
    "诉求人",
    "是否保密",
    "派单时间",
    "办理单位",
    "回复1",
    "回复时间1",
    "回复2",
    "回复时间2",
    "转处理次数",
    "最终回复-投诉事件",
    "回访结果",
    "回访时间",
    "是否按期",
    "处理天数",
    "平均处理天数",
    "超期判断",
    "工单状态",
    "督办级别",
    "诉求分类一级",
    "诉求分类二级",
    "热点标签",
    "备注",
    "录入人",
]
HOTLINE_COL = {name: i for i, name in enumerate(HOTLINE_HEADER)}


def hotline_rows(count: int = 300, *, content_header: str = "投诉件内容", nature: str = "投诉"):
    """(rows, expected) of a fictional 12345 export with `count` work orders.

    Column X holds a day count, Y `=AVERAGE(…)` and Z `=_xlfn.IFS(…)` in every row (formulas
    written without a cached value, as openpyxl saves them)."""
    header = list(HOTLINE_HEADER)
    header[HOTLINE_COL["投诉件内容"]] = content_header
    rows = [header]
    expected = {}
    for n in range(1, count + 1):
        r = n + 1  # the Excel row
        day = datetime.date(2026, 1 + n % 10, 1 + n % 28)
        row = [""] * len(header)
        row[HOTLINE_COL["id"]] = 2026030000 + n
        row[HOTLINE_COL["河流"]] = "大沙河" if n % 2 else "白马河"
        row[HOTLINE_COL["性质"]] = nature
        row[HOTLINE_COL["信息来源"]] = "12345热线"
        row[HOTLINE_COL["标题"]] = f"夜间施工噪声扰民（{n}）"
        row[HOTLINE_COL["投诉件内容"]] = f"市民反映第{n}号工地夜间施工，噪声扰民，请求处理。"
        row[HOTLINE_COL["时间"]] = f"{day:%Y-%m-%d} 09:{n % 60:02d}:33"
        row[HOTLINE_COL["所属区县"]] = "中站区"
        row[HOTLINE_COL["所属街道"]] = "府城街道"
        row[HOTLINE_COL["事发地址"]] = f"示例路{n}号"
        row[HOTLINE_COL["诉求人"]] = "市民（匿名）"
        row[HOTLINE_COL["是否保密"]] = "是"
        row[HOTLINE_COL["派单时间"]] = f"{day:%Y/%m/%d}"
        row[HOTLINE_COL["办理单位"]] = "区住建局"
        row[HOTLINE_COL["回复1"]] = "已转住建局核实。"
        row[HOTLINE_COL["回复时间1"]] = f"{day:%Y/%m/%d}"
        row[HOTLINE_COL["转处理次数"]] = n % 3
        row[HOTLINE_COL["最终回复-投诉事件"]] = f"已督促第{n}号工地调整作业时间，噪声已消除。"
        row[HOTLINE_COL["回访结果"]] = "满意"
        row[HOTLINE_COL["是否按期"]] = "是"
        row[HOTLINE_COL["处理天数"]] = n % 7 + 1
        row[HOTLINE_COL["平均处理天数"]] = f"=AVERAGE(X2:X{count + 1})"
        row[HOTLINE_COL["超期判断"]] = f'=_xlfn.IFS(X{r}>5,"超期",X{r}>3,"临期",TRUE,"正常")'
        row[HOTLINE_COL["工单状态"]] = "已办结"
        row[HOTLINE_COL["诉求分类一级"]] = "城乡建设"
        row[HOTLINE_COL["诉求分类二级"]] = "施工噪声"
        row[HOTLINE_COL["录入人"]] = "话务员07"
        rows.append(row)
        expected[r] = {"number": str(2026030000 + n), "raised_on": day}
    return rows, expected
