"""Writing the ledger and the master data to .xlsx, streamed in constant memory.

xlsxwriter in constant_memory mode flushes each row to a temporary file as soon as the
next one starts, and querysets are read with .iterator(chunk_size=…) (prefetches
included), so memory stays flat however many rows are written. The ledger's rows are
chosen exactly as the ledger screen chooses them (ledger_rows), so the two never disagree.

Formula injection: every text cell is written with write_string, which stores a string
cell (never a formula) whatever the text. A text that Excel would read as a formula if a
person edited the cell or re-saved it as CSV (starting with = + - @, tab or carriage return)
additionally gets the cell style "quote prefix": Excel's own mark for "this is text", the
same as typing a leading apostrophe, which LibreOffice honours too. The value itself is
left unchanged (no apostrophe is added to the data), so a re-import reads back exactly
what was stored.
"""

import datetime
import math
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

import xlsxwriter
from django.db.models import Prefetch, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ledger.exchange.columns import (
    CONTACT_COLUMNS,
    DEPARTMENT_COLUMNS,
    ENTERPRISE_COLUMNS,
    LEADER_COLUMNS,
    LEDGER_COLUMNS,
    PROJECT_COLUMNS,
    Column,
)
from ledger.filters import IssueFilter, ledger_order, ledger_params, parse_sort
from ledger.models import Contact, Department, Enterprise, Health, Issue, KeyProject, Leader
from ledger.selectors import ledger_queryset

# rows fetched per database round trip (prefetches are done per chunk)
CHUNK_SIZE = 2000
# the first characters that make Excel, LibreOffice or a CSV reader take text for a formula
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Excel refuses longer text in one cell
MAX_CELL_CHARS = 32767
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    # belt and braces: only write() would convert, and we never call it
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}
MIN_WIDTH = 4
# wrapped text: points per line at the 10-point font, and the tallest row we make
LINE_HEIGHT = 13
MAX_ROW_LINES = 12
TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 0, 1, 2


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: CJK characters count double.

    (UTF-8 bytes + characters) // 2 gives 1 for ASCII and 2 for CJK, at C speed."""
    return (len(text.encode("utf-8")) + len(text)) // 2


def sheet_name(name: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\ ."""
    for char in "[]:*?/\\":
        name = name.replace(char, " ")
    return name.strip()[:31] or "Sheet1"


class Formats:
    """The cell formats of one workbook."""

    def __init__(self, book: xlsxwriter.Workbook):
        base = {"valign": "top", "font_size": 10}
        self.title = book.add_format({"bold": True, "font_size": 13, "valign": "vcenter"})
        self.header = book.add_format(
            {
                "bold": True,
                "font_size": 10,
                "text_wrap": True,
                "align": "center",
                "valign": "vcenter",
                "bg_color": "#DDEBF7",
                "border": 1,
            }
        )
        self.text = book.add_format({**base, "text_wrap": True})
        self.text_quoted = book.add_format({**base, "text_wrap": True, "quote_prefix": True})
        self.date = book.add_format({**base, "num_format": "yyyy-mm-dd", "align": "left"})
        self.integer = book.add_format({**base, "num_format": "0"})
        self.decimal = book.add_format({**base, "num_format": "#,##0.00"})


class SheetWriter:
    """One sheet: a title row, a frozen header row, then typed rows appended one by one."""

    def __init__(self, book, formats: Formats, *, name: str, columns: list[Column], title: str):
        self.sheet = book.add_worksheet(sheet_name(name))
        self.formats = formats
        self.columns = columns
        headers = [str(column.header) for column in columns]
        # a column fits its longest value, up to its configured width (longer text wraps)
        self.widths = [display_width(header) for header in headers]
        self.caps = [
            max(column.width, w + 2) for column, w in zip(columns, self.widths, strict=True)
        ]
        self.full = [w >= cap for w, cap in zip(self.widths, self.caps, strict=True)]
        self.row = FIRST_DATA_ROW

        sheet, last = self.sheet, len(columns) - 1
        sheet.set_row(TITLE_ROW, 22)
        if last > 0:
            sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, last, title, formats.title)
        else:
            sheet.write_string(TITLE_ROW, 0, title, formats.title)
        for col, header in enumerate(headers):
            sheet.write_string(HEADER_ROW, col, header, formats.header)
        sheet.freeze_panes(FIRST_DATA_ROW, 0)
        # printing: landscape A3, as wide as one page, header repeated on every page
        sheet.set_landscape()
        sheet.set_paper(8)  # A3: ledgers are printed on A3 landscape
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(HEADER_ROW)

    @property
    def rows_written(self) -> int:
        return self.row - FIRST_DATA_ROW

    def append(self, values: Iterable) -> None:
        sheet, formats, row = self.sheet, self.formats, self.row
        lines = 1
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                lines = max(lines, self._text(col, value))
            elif isinstance(value, bool):  # before int: a bool is an int
                self._text(col, _("是") if value else _("否"))
            elif isinstance(value, int):
                sheet.write_number(row, col, value, formats.integer)
                self._widen(col, len(str(value)))
            elif isinstance(value, Decimal | float):
                sheet.write_number(row, col, float(value), formats.decimal)
                self._widen(col, len(f"{value:,.2f}"))
            elif isinstance(value, datetime.datetime):
                sheet.write_datetime(row, col, timezone.localtime(value).date(), formats.date)
                self._widen(col, 10)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(row, col, value, formats.date)
                self._widen(col, 10)
            else:  # a lazy label or anything else: its text
                lines = max(lines, self._text(col, str(value)))
        if lines > 1:
            # Neither Excel nor LibreOffice grows a row for wrapped text when opening a file,
            # so the row is given the height of its longest text (set before the row is
            # flushed). A text longer than its column's cap makes the column exactly that
            # wide, so the number of lines is known now.
            sheet.set_row(row, min(lines, MAX_ROW_LINES) * LINE_HEIGHT + 2)
        # xlsxwriter keeps every set_row() height even in constant-memory mode, though it
        # only needs it until the row is flushed (done when this row was started) or to
        # place images, which these sheets have none of
        sheet.row_info.pop(row - 1, None)
        sheet.row_sizes.pop(row - 1, None)
        self.row += 1

    def _text(self, col: int, text: str) -> int:
        """Write a text cell; returns how many lines it takes in its column."""
        text = text[:MAX_CELL_CHARS]
        fmt = self.formats.text_quoted if looks_like_formula(text) else self.formats.text
        self.sheet.write_string(self.row, col, text, fmt)
        cap = self.caps[col]
        if not self.full[col]:
            self._widen(col, display_width(text[:cap]))
        if len(text) * 2 <= cap and "\n" not in text:
            return 1  # fits on one line whatever the characters
        # the column ends cap + 2 wide; at the 10-point font a CJK character takes a little
        # less than the two units display_width counts, hence 0.9
        width = cap + 2
        return sum(
            max(1, math.ceil(display_width(line) * 0.9 / width)) for line in text.split("\n")
        )

    def _widen(self, col: int, width: int) -> None:
        if width > self.widths[col]:
            self.widths[col] = min(width, self.caps[col])
            self.full[col] = self.widths[col] >= self.caps[col]

    def finish(self) -> None:
        # column widths are written when the workbook closes, so they may come last
        for col, width in enumerate(self.widths):
            self.sheet.set_column(col, col, max(width + 2, MIN_WIDTH))
        last_row = max(self.row - 1, HEADER_ROW)
        self.sheet.autofilter(HEADER_ROW, 0, last_row, len(self.columns) - 1)


def workbook_open(output, *, title: str) -> tuple[xlsxwriter.Workbook, Formats]:
    """A constant-memory workbook writing to `output` (a path or a binary file)."""
    book = xlsxwriter.Workbook(output, WORKBOOK_OPTIONS)
    book.set_properties({"title": title, "author": _("中站问题台账")})
    return book, Formats(book)


def export_filename(base: str, today: datetime.date) -> str:
    """问题台账-2026-11-29.xlsx: what the user sees."""
    return f"{base}-{today.isoformat()}.xlsx"


# -- the ledger ----------------------------------------------------------------------


def ledger_rows(user, query: QueryDict) -> tuple[QuerySet, IssueFilter]:
    """The ledger's rows for `user` and a query string, exactly as the ledger screen chooses
    and orders them (same parameters, same filters, same sort, same visibility)."""
    params = ledger_params(query)
    filterset = IssueFilter(params or None, queryset=ledger_queryset(user))
    return ledger_order(filterset.qs, parse_sort(query.get("sort"))), filterset


def ledger_issues_by_ids(user, ids: list[int]) -> Iterator[Issue]:
    """Issues with these ids that `user` sees, in the order of `ids`, a chunk at a time
    (no single IN list too long for the database)."""
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        found = {issue.pk: issue for issue in ledger_queryset(user).filter(pk__in=chunk)}
        yield from (found[pk] for pk in chunk if pk in found)


def filters_in_words(filters: list[tuple[str, str, str]]) -> str:
    """IssueFilter.active as one phrase: 状态：办理中；牵头单位：区住建局 (or 全部问题)."""
    if not filters:
        return _("全部问题")
    return _("；").join(
        _("%(label)s：%(value)s") % {"label": label, "value": value}
        for _name, label, value in filters
    )


def selection_in_words(count: int) -> str:
    return _("所选 %(count)s 条问题") % {"count": count}


def ledger_title(description: str, count: int, today: datetime.date) -> str:
    """The title row: what the sheet holds, in words, and when it was written."""
    return _("问题台账（%(filters)s）· 共 %(count)s 条 · 导出日期 %(date)s") % {
        "filters": description,
        "count": count,
        "date": today.isoformat(),
    }


def _ledger_cells() -> dict[str, Callable]:
    """key of LEDGER_COLUMNS -> value of that cell for (issue, row number), in the current
    language (labels are resolved once per export, not once per cell)."""
    status = {value: str(label) for value, label in Issue._meta.get_field("status").choices}
    urgency = {value: str(label) for value, label in Issue.Urgency.choices}
    progress = {value: str(label) for value, label in Issue.Progress.choices}
    satisfaction = {value: str(label) for value, label in Issue.Satisfaction.choices}
    health = {value: str(label) for value, label in Health.choices}
    yes, no = _("是"), _("否")
    long_term = str(Issue._meta.get_field("is_long_term").verbose_name)
    separator = pgettext("list separator", "、")

    def name(obj):
        return obj.name if obj is not None else None

    def person(leader):
        return str(leader.user) if leader is not None else None

    def subject(issue):
        return name(issue.subject)

    return {
        "row": lambda issue, n: n,
        "number": lambda issue, n: issue.number,
        "source": lambda issue, n: issue.source.name,
        "subject": lambda issue, n: subject(issue),
        "category": lambda issue, n: issue.category.name,
        "title": lambda issue, n: issue.title,
        "description": lambda issue, n: issue.description,
        "urgency": lambda issue, n: urgency.get(issue.urgency, issue.urgency),
        "raising_department": lambda issue, n: issue.raising_department.name,
        "raised_on": lambda issue, n: issue.raised_at,
        "leader": lambda issue, n: person(issue.leader),
        "lead_department": lambda issue, n: name(issue.lead_department),
        "co_departments": lambda issue, n: separator.join(
            d.name for d in issue.co_departments.all()
        ),
        "responsible_person": lambda issue, n: issue.responsible_person,
        "measures": lambda issue, n: issue.measures,
        # a long-term item has no date: its word, which the import reads back as the mark
        "deadline": lambda issue, n: long_term if issue.is_long_term else issue.deadline,
        "status": lambda issue, n: status.get(issue.status, issue.status),
        "health": lambda issue, n: health[issue.health.value],
        "progress": lambda issue, n: progress.get(issue.progress, ""),
        "resolution": lambda issue, n: issue.resolution,
        "resolved_on": lambda issue, n: issue.resolved_at,
        "closed_on": lambda issue, n: issue.closed_at,
        "satisfaction": lambda issue, n: satisfaction.get(issue.satisfaction, ""),
        "escalated": lambda issue, n: yes if issue.is_escalated else no,
    }


# User.leader_profile: select_related("leader__user") caches it both ways
_LEADER_PROFILE = Leader._meta.get_field("user").remote_field


def _release(issue: Issue) -> None:
    """Break the reference cycles a written row holds, so it is freed at once.

    A prefetched queryset points back at its issue, and a selected leader and its user at
    each other; rows in such cycles would wait for a full run of the cyclic garbage
    collector (tens of thousands of rows) instead of going with their chunk."""
    issue.__dict__.pop("_prefetched_objects_cache", None)
    if issue.leader_id is not None and Issue.leader.is_cached(issue):
        user = issue.leader.user
        if _LEADER_PROFILE.is_cached(user):
            _LEADER_PROFILE.delete_cached_value(user)


def ledger_write(
    output,
    issues: QuerySet | Iterable[Issue],
    *,
    title: str,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 1000,
) -> int:
    """Write the ledger sheet of `issues` (in their order) to `output`; returns rows written.

    A queryset is read with .iterator(chunk_size=CHUNK_SIZE), its co-departments
    prefetched per chunk. `progress(rows_written)` is called every `progress_every` rows."""
    cells = _ledger_cells()
    getters = [cells[column.key] for column in LEDGER_COLUMNS]
    if isinstance(issues, QuerySet):
        issues = issues.iterator(chunk_size=CHUNK_SIZE)
    book, formats = workbook_open(output, title=title)
    sheet = SheetWriter(book, formats, name=_("问题台账"), columns=LEDGER_COLUMNS, title=title)
    n = 0
    for n, issue in enumerate(issues, start=1):
        sheet.append([get(issue, n) for get in getters])
        _release(issue)
        if progress is not None and n % progress_every == 0:
            progress(n)
    sheet.finish()
    book.close()
    return n


# -- master data -----------------------------------------------------------------------


def _yes_no(value: bool) -> str:
    return _("是") if value else _("否")


def _leader_name(leader) -> str:
    return str(leader.user) if leader is not None else ""


def _enterprise_rows() -> Iterator[list]:
    scale = {value: str(label) for value, label in Enterprise.Scale.choices}
    primary = Prefetch(
        "contacts", queryset=Contact.objects.filter(is_primary=True), to_attr="primary_contacts"
    )
    enterprises = (
        Enterprise.objects.select_related("leader__user", "subdistrict")
        .prefetch_related(primary)
        .order_by("name", "pk")
    )
    for enterprise in enterprises.iterator(chunk_size=CHUNK_SIZE):
        contact = enterprise.primary_contacts[0] if enterprise.primary_contacts else None
        values = {
            "name": enterprise.name,
            "credit_code": enterprise.credit_code,
            "industry": enterprise.industry,
            "scale": scale.get(enterprise.scale, enterprise.scale),
            "address": enterprise.address,
            "subdistrict": enterprise.subdistrict.name if enterprise.subdistrict else "",
            "leader": _leader_name(enterprise.leader),
            "contact_name": contact.name if contact else "",
            "contact_mobile": contact.mobile if contact else "",
            "is_active": _yes_no(enterprise.is_active),
        }
        yield [values[column.key] for column in ENTERPRISE_COLUMNS]


def _contact_rows() -> Iterator[list]:
    contacts = Contact.objects.select_related("enterprise").order_by(
        "enterprise__name", "-is_primary", "pk"
    )
    for contact in contacts.iterator(chunk_size=CHUNK_SIZE):
        values = {
            "enterprise": contact.enterprise.name,
            "credit_code": contact.enterprise.credit_code,
            "name": contact.name,
            "position": contact.position,
            "mobile": contact.mobile,
            "office_phone": contact.office_phone,
            "email": contact.email,
            "is_primary": _yes_no(contact.is_primary),
        }
        yield [values[column.key] for column in CONTACT_COLUMNS]


def _department_rows() -> Iterator[list]:
    kind = {value: str(label) for value, label in Department.Kind.choices}
    for department in Department.objects.order_by("order", "name", "pk"):
        values = {
            "name": department.name,
            "short_name": department.short_name,
            "kind": kind.get(department.kind, department.kind),
            "order": department.order,
            "is_active": _yes_no(department.is_active),
        }
        yield [values[column.key] for column in DEPARTMENT_COLUMNS]


def _leader_rows() -> Iterator[list]:
    separator = pgettext("list separator", "、")
    leaders = (
        Leader.objects.select_related("user")
        .prefetch_related(
            Prefetch("enterprises", queryset=Enterprise.objects.order_by("name")),
            Prefetch("projects", queryset=KeyProject.objects.order_by("level", "name")),
        )
        .order_by("order", "pk")
    )
    for leader in leaders:
        values = {
            "name": str(leader.user),
            "title": leader.title,
            "order": leader.order,
            "enterprises": separator.join(e.name for e in leader.enterprises.all()),
            "projects": separator.join(p.name for p in leader.projects.all()),
            "is_active": _yes_no(leader.is_active),
        }
        yield [values[column.key] for column in LEADER_COLUMNS]


def _project_rows() -> Iterator[list]:
    level = {value: str(label) for value, label in KeyProject.Level.choices}
    nature = {value: str(label) for value, label in KeyProject.Nature.choices}
    sector = {value: str(label) for value, label in KeyProject.Sector.choices}
    stage = {value: str(label) for value, label in KeyProject.Stage.choices}
    projects = KeyProject.objects.select_related("leader__user", "lead_department", "owner")
    for project in projects.order_by("level", "name", "pk").iterator(chunk_size=CHUNK_SIZE):
        values = {
            "name": project.name,
            "level": level.get(project.level, project.level),
            "nature": nature.get(project.nature, project.nature),
            "sector": sector.get(project.sector, project.sector),
            "year": project.year,
            "total_investment": project.total_investment,
            "annual_plan": project.annual_plan,
            "completed_this_year": project.completed_this_year,
            "stage": stage.get(project.stage, project.stage),
            "leader": _leader_name(project.leader),
            "lead_department": project.lead_department.name if project.lead_department else "",
            "owner": project.owner.name if project.owner else "",
            "start_date": project.start_date,
            "expected_completion": project.expected_completion,
        }
        yield [values[column.key] for column in PROJECT_COLUMNS]


def master_sheets(kind: str) -> list[tuple[str, list[Column], Callable[[], Iterator[list]]]]:
    """(sheet name, columns, rows) of each sheet of a master-data export, in order.
    The enterprise export carries all contacts on a second sheet."""
    contacts = (_("联系人"), CONTACT_COLUMNS, _contact_rows)
    return {
        "enterprises": [(_("企业"), ENTERPRISE_COLUMNS, _enterprise_rows), contacts],
        "contacts": [contacts],
        "departments": [(_("单位"), DEPARTMENT_COLUMNS, _department_rows)],
        "leaders": [(_("区级领导"), LEADER_COLUMNS, _leader_rows)],
        "projects": [(_("重点项目"), PROJECT_COLUMNS, _project_rows)],
    }[kind]


def master_title(kind: str) -> str:
    """The sheet's heading and the file name's base, in the current language."""
    return {
        "enterprises": _("企业名录"),
        "contacts": _("企业联系人"),
        "departments": _("单位名录"),
        "leaders": _("区级领导分包名单"),
        "projects": _("重点项目台账"),
    }[kind]


MASTER_KINDS = ("enterprises", "contacts", "departments", "leaders", "projects")


def master_write(output, kind: str, *, today: datetime.date) -> int:
    """Write a master-data workbook (`kind` in MASTER_KINDS); returns rows written."""
    heading = master_title(kind)
    book, formats = workbook_open(output, title=heading)
    written = 0
    for index, (name, columns, rows) in enumerate(master_sheets(kind)):
        # the first sheet carries the export's heading, a further sheet its own name too
        shown = heading if index == 0 else f"{heading} · {name}"
        title = _("%(title)s · 导出日期 %(date)s") % {"title": shown, "date": today.isoformat()}
        sheet = SheetWriter(book, formats, name=name, columns=columns, title=title)
        for values in rows():
            sheet.append(values)
        sheet.finish()
        written += sheet.rows_written
    book.close()
    return written
