"""Shared import machinery: normalising headers and names, finding the table under title
rows, telling data rows from section, totals and repeated header rows, reading dates, and
resolving names of leaders, units, enterprises, projects, categories and sources.

Used by the ledger import (importing.py) and the master-data import (masterdata.py).
"""

import calendar
import datetime
import functools
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _

from ledger.exchange.models import NameAlias
from ledger.exchange.reading import CellError, ReadRefused, Sheet, excel_date
from ledger.models import Category, Department, Enterprise, KeyProject, Leader, Source

# rows searched for the header under title rows
HEADER_SEARCH_ROWS = 30


def header_key(text) -> str:
    """Full-width folded, lower-cased, without spaces, punctuation or a required-mark *."""
    return _folded(str(text or ""))


@functools.lru_cache(maxsize=65536)  # a sheet repeats the same names thousands of times
def _folded(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in folded if char.isalnum())


# the same rule makes "12345热线" equal "12345 热线" and "区 发改委" equal "区发改委"
name_key = header_key


def cell_text(value) -> str:
    """A cell as the text a person would read in it."""
    if value is None or isinstance(value, CellError):
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    # free text is kept as written (full-width punctuation is Chinese text, not noise);
    # names, dates, numbers and codes are folded where they are compared or parsed
    return str(value).strip()


def is_blank(value) -> bool:
    if isinstance(value, CellError):
        return False
    return value is None or (isinstance(value, str) and not value.strip())


# -- the table ------------------------------------------------------------------------------


@dataclass
class Table:
    sheet: Sheet
    header_row: int  # 0-based index into sheet.rows
    columns: dict[int, str]  # column index -> key
    headers: dict[str, str]  # key -> the header as written in the sheet
    chosen: set[int] = field(default_factory=set)  # columns set by a person's choice

    def header(self, key: str, default: str = "") -> str:
        return self.headers.get(key, default)


@dataclass
class SheetRow:
    number: int  # the Excel row number (1-based)
    cells: dict[str, object]  # key -> raw cell value


@dataclass
class Rows:
    data: list[SheetRow] = field(default_factory=list)
    skipped: int = 0


def synonyms_index(columns, extra: dict[str, list[str]]) -> dict[str, str]:
    """normalised header -> key, from the export's own headers (Chinese and English) and the
    synonyms offices use."""
    index: dict[str, str] = {}
    for key, words in extra.items():
        for word in words:
            index.setdefault(header_key(word), key)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for column in columns:
                index.setdefault(header_key(str(column.header)), column.key)
    return index


class HeaderMissing(ReadRefused):
    """No row names every required column. `table` is the likeliest header row (the row
    naming the most known columns), or None when no row looks like a header at all, so the
    caller can show it and ask which column is which."""

    def __init__(self, message: str, table: "Table | None", missing: list[str]):
        super().__init__(message)
        self.table = table
        self.missing = missing


# a header written with a note after a dash or a bracket (最终回复-投诉事件, 完成时限（年月日）)
# is recognised by the words before it
_HEADER_NOTE = re.compile(r"[-—–－_（(\[【]")


def header_lookup(index: dict[str, str], text) -> str | None:
    """The key a header cell names, or None."""
    key = index.get(header_key(text))
    if key is None:
        head = _HEADER_NOTE.split(str(text or "").strip(), maxsplit=1)[0]
        if head and head != str(text).strip():
            key = index.get(header_key(head))
    return key


def _is_header_text(value) -> bool:
    return isinstance(value, str) and not isinstance(value, CellError) and bool(value.strip())


def _row_columns(row, index, choices) -> tuple[dict[int, str], dict[str, str], set[int]]:
    """(column -> key, key -> header as written, columns set by a person's choice) of a
    candidate header row. A choice wins over a recognised header; a key is fed by its first
    column only."""
    columns: dict[int, str] = {}
    headers: dict[str, str] = {}
    chosen: set[int] = set()
    for c, value in enumerate(row):
        if _is_header_text(value) and header_key(value) in choices:
            chosen.add(c)
            key = choices[header_key(value)]
            if key and key not in headers:
                columns[c] = key
                headers[key] = value.strip()
    for c, value in enumerate(row):
        if c in chosen or not _is_header_text(value):
            continue
        key = header_lookup(index, value)
        if key and key not in headers:
            columns[c] = key
            headers[key] = value.strip()
    return columns, headers, chosen


def table_locate(
    sheets: list[Sheet],
    index: dict[str, str],
    required: list[tuple[str, str]],
    choices: dict[str, str] | None = None,
) -> Table:
    """The sheet and row whose cells name the most known columns, under any title rows.

    `required` is [(key, the header shown when it is missing)]. `choices` are the columns a
    person chose ({header_key: key, or "" for a column not to use}). HeaderMissing (a
    ReadRefused) names the columns that were looked for when no sheet has them.
    """
    choices = choices or {}
    best = None
    likeliest, likeliest_score = None, (0, 0)
    for sheet in sheets:
        for r, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
            columns, headers, chosen = _row_columns(row, index, choices)
            table = Table(
                sheet=sheet, header_row=r, columns=columns, headers=headers, chosen=chosen
            )
            if all(key in headers for key, _label in required) and (
                best is None or len(columns) > len(best.columns)
            ):
                best = table
            texts = sum(1 for value in row if _is_header_text(value))
            score = (len(columns), texts)
            if texts >= 2 and score > likeliest_score:
                likeliest, likeliest_score = table, score
    if best is None:
        if not any(any(not is_blank(cell) for cell in row) for s in sheets for row in s.rows):
            raise ReadRefused(_("文件中没有任何数据。"))
        looked = "、".join(f"“{label}”" for _key, label in required)
        known = "、".join(sorted({f"“{word}”" for word in _shown_synonyms(index, required)}))
        raise HeaderMissing(
            _(
                "没有找到可识别的表头：在每个工作表的前 %(rows)s 行中查找了 %(required)s 列"
                "（也认 %(known)s），均未找到。请确认表头行包含这些列名。"
            )
            % {"rows": HEADER_SEARCH_ROWS, "required": looked, "known": known},
            likeliest,
            [key for key, _label in required if likeliest is None or key not in likeliest.headers],
        )
    return best


def table_columns(table: Table, data_rows: list[int] | None = None) -> list[dict]:
    """Every column of the table: each header cell, and each column without a header that
    holds a value in a data row (`data_rows`: 0-based row indexes; all rows under the header
    when None). [{"index", "letter", "header", "key", "chosen"}] in sheet order."""
    rows = table.sheet.rows
    header = rows[table.header_row] if table.header_row < len(rows) else []
    below = (
        [rows[r] for r in data_rows if r < len(rows)]
        if data_rows is not None
        else rows[table.header_row + 1 :]
    )
    width = max([len(header), *(len(row) for row in below)])
    out = []
    for c in range(width):
        text = cell_text(header[c]) if c < len(header) else ""
        if not text and not any(c < len(row) and not is_blank(row[c]) for row in below):
            continue
        out.append(
            {
                "index": c,
                "letter": column_letter(c),
                "header": text,
                "key": table.columns.get(c, ""),
                "chosen": c in table.chosen,
            }
        )
    return out


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _shown_synonyms(index, required):
    keys = {key for key, _label in required}
    return [word for word, key in _SYNONYM_WORDS.items() if key in keys][:8]


# filled by register_synonyms(): the words as written, for messages
_SYNONYM_WORDS: dict[str, str] = {}


def register_synonyms(extra: dict[str, list[str]]) -> None:
    for key, words in extra.items():
        for word in words:
            _SYNONYM_WORDS.setdefault(word, key)


_SECTION = re.compile(
    r"^(?:[（(]?[一二三四五六七八九十百]+[)）、.．]|第[一二三四五六七八九十百]+[部分类批])"
)
_TOTALS = ("合计", "总计", "小计", "共计", "累计")


def table_rows(table: Table, index: dict[str, str], *, text_keys=("description",)) -> Rows:
    """The data rows under the header: blank rows, section rows (一、工业企业), totals
    rows (合计), repeated header rows and cells under no known header are left out."""
    out = Rows()
    columns = sorted(table.columns.items())
    for r in range(table.header_row + 1, len(table.sheet.rows)):
        row = table.sheet.rows[r]
        cells = {key: (row[c] if c < len(row) else "") for c, key in columns}
        filled = [(key, value) for key, value in cells.items() if not is_blank(value)]
        if not filled:
            continue
        first = header_key(cell_text(filled[0][1]))
        repeated = sum(
            1
            for key, value in filled
            if isinstance(value, str) and len(value) <= 30 and index.get(header_key(value))
        )
        if repeated >= 2 and repeated * 2 >= len(filled):
            out.skipped += 1
            continue
        if first.startswith(_TOTALS):
            out.skipped += 1
            continue
        if len(filled) == 1:
            # one value alone is a section heading (一、工业企业, a group's name) unless it is
            # the text, or a bare 序号 of a row whose cells were left empty
            key, value = filled[0]
            text = cell_text(value)
            if _SECTION.match(text) or (key not in text_keys and not text.isdigit()):
                out.skipped += 1
                continue
        out.data.append(SheetRow(number=r + 1, cells=cells))
    return out


# -- dates ----------------------------------------------------------------------------------

_DATE_PATTERNS = [
    # 2026-11-30, 2026/11/30, 2026.11.30, 2026年11月30日, with an optional time or 前
    re.compile(
        r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?"
        r"(?:\s*前)?(?:[\sT]+\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?)?$"
    ),
    # 11/30/2026 (month first, as Excel writes in English) or 30/11/2026 when the first > 12
    re.compile(r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"),
    # 20261130
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
]
# 2026年11月底(前), 2026年11月: the last day of the month; 2026年底: 31 December
_MONTH_END = re.compile(r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*月?\s*(?:底|末)?\s*前?$")
_YEAR_END = re.compile(r"^(?P<y>\d{4})\s*年\s*(?:底|末)\s*前?$")


class DateInvalid(ValueError):
    pass


def date_parse(value) -> datetime.date | None:
    """A cell as a date: a real date cell, an Excel serial number or the written forms offices
    use. None for an empty cell; DateInvalid with the reason otherwise."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        raise DateInvalid(_("不是日期"))
    if isinstance(value, int | float):
        day = excel_date(value) if value >= 1 else None
        if day is None:
            raise DateInvalid(_("数字 %(value)s 不是日期") % {"value": cell_text(value)})
        return day
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", cell_text(value))).strip()
    if not text:
        return None
    if text.isdigit() and len(text) == 5:  # a serial number typed as text
        return excel_date(int(text))
    for number, pattern in enumerate(_DATE_PATTERNS):
        match = pattern.match(text)
        if not match:
            continue
        parts = match.groupdict()
        if number == 1:
            a, b = int(parts["a"]), int(parts["b"])
            month, day = (b, a) if a > 12 else (a, b)
        else:
            month, day = int(parts["m"]), int(parts["d"])
        return _date(int(parts["y"]), month, day, text)
    match = _YEAR_END.match(text)
    if match:
        return datetime.date(int(match["y"]), 12, 31)
    match = _MONTH_END.match(text)
    if match and ("月" in text or "底" in text):
        year, month = int(match["y"]), int(match["m"])
        if not 1 <= month <= 12:
            raise DateInvalid(
                _("“%(text)s”不是有效日期（没有 %(m)s 月）") % {"text": text, "m": month}
            )
        return datetime.date(year, month, calendar.monthrange(year, month)[1])
    raise DateInvalid(_("无法识别的日期“%(text)s”") % {"text": text})


def _date(year, month, day, text) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise DateInvalid(_("“%(text)s”不是有效日期") % {"text": text}) from None


# -- names ------------------------------------------------------------------------------

AMBIGUOUS = object()
_COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "公司")
_PLACE_PREFIXES = ("河南省", "焦作市", "中站区", "河南", "焦作")


def list_split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[、，,;；/\n]+", text or "") if part.strip()]


class NameIndex:
    """Every name, short name and alias of the directory, normalised, loaded once per import.

    `overrides` maps (kind, name key) to an object chosen in the preview (possibly an unsaved
    enterprise to be created at commit)."""

    KINDS = ("leader", "department", "enterprise", "project", "category", "source")

    def __init__(self, overrides: dict | None = None):
        self.names: dict[str, dict[str, object]] = {kind: {} for kind in self.KINDS}
        self.weak: dict[str, dict[str, object]] = {kind: {} for kind in self.KINDS}
        self.by_id: dict[str, dict[int, object]] = {kind: {} for kind in self.KINDS}
        self.overrides = overrides or {}
        leaders = Leader.objects.select_related("user")
        for leader in leaders:
            user = leader.user
            keys = {user.name, str(user), user.username, user.get_full_name()}
            keys |= {f"{user.name}{leader.title}", f"{leader.title}{user.name}", str(leader)}
            self._add("leader", leader, keys)
        for unit in Department.objects.all():
            self._add("department", unit, {unit.name, unit.short_name})
        enterprises = list(Enterprise.objects.all())
        for enterprise in enterprises:
            self._add("enterprise", enterprise, {enterprise.name, enterprise.credit_code})
        # a derived short name (风神轮胎 for 焦作风神轮胎股份有限公司) only when it is unique
        for enterprise in enterprises:
            short = _company_short(enterprise.name)
            if short and short != enterprise.name:
                self._add("enterprise", enterprise, {short}, weak=True)
        for project in KeyProject.objects.all():
            self._add("project", project, {project.name})
        for model, kind in ((Category, "category"), (Source, "source")):
            for entry in model.objects.all():
                self._add(kind, entry, {entry.name})
        for alias in NameAlias.objects.all():
            target = self.by_id.get(alias.kind, {}).get(alias.target_id)
            if target is not None:
                self.names[alias.kind][alias.alias] = target

    def _add(self, kind, obj, names, weak=False):
        self.by_id[kind][obj.pk] = obj
        table = (self.weak if weak else self.names)[kind]
        for name in names:
            key = name_key(name)
            if not key:
                continue
            current = table.get(key)
            table[key] = obj if current is None or current is obj else AMBIGUOUS

    def find(self, kind: str, text: str):
        """The object named `text`, AMBIGUOUS (two entries share the name), or None."""
        key = name_key(text)
        if (kind, key) in self.overrides:
            return self.overrides[(kind, key)]
        found = self.names[kind].get(key)
        if found is None:
            found = self.weak[kind].get(key)
        return found


def _company_short(name: str) -> str:
    short = name
    for prefix in _PLACE_PREFIXES:
        if short.startswith(prefix):
            short = short[len(prefix) :]
            break
    for suffix in _COMPANY_SUFFIXES:
        if short.endswith(suffix):
            short = short[: -len(suffix)]
            break
    return short if len(short) >= 2 else ""


def mapping_overrides(mappings: dict) -> dict:
    """The preview's choices {kind: {name key: "enterprise:12" | "new:<code>|<name>"}} as
    NameIndex overrides; "new" becomes an unsaved Enterprise (created at commit)."""
    models = {
        "leader": Leader.objects.select_related("user"),
        "department": Department.objects,
        "enterprise": Enterprise.objects,
        "project": KeyProject.objects,
        "category": Category.objects,
        "source": Source.objects,
    }
    overrides = {}
    for kind, chosen in (mappings or {}).items():
        for key, value in chosen.items():
            target_kind, _sep, ident = str(value).partition(":")
            if target_kind == "new":
                code, _bar, name = ident.partition("|")
                obj = Enterprise(name=name or key, credit_code=code)
            elif target_kind in models and ident.isdigit():
                obj = models[target_kind].filter(pk=int(ident)).first()
            else:
                continue
            if obj is None:
                continue
            if kind == "subject":
                overrides[
                    ("enterprise" if target_kind in ("enterprise", "new") else "project", key)
                ] = obj
            else:
                overrides[(kind, key)] = obj
    return overrides
