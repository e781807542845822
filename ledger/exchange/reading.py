"""File → sheets of cells: .xlsx and .xls through python-calamine, .csv in UTF-8 or GB18030.

What a file *is* is decided from its first bytes, not its name, so a PNG renamed .xlsx, a
zip that is not a workbook and a password-protected workbook (an encrypted OOXML file is
an OLE container) are refused with a message that says so. python-calamine reads error
cells (#REF!, #N/A …) as empty; they are found again here (xlrd for .xls, the sheet XML
through defusedxml for .xlsx), so an error cell is reported instead of silently read as blank.
"""

import copy
import csv
import datetime
import io
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePath
from xml.etree.ElementTree import ParseError

import xlrd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetTypeEnum

ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")

# columns read per row: the ledger has 24; anything further right is a stray cell
MAX_COLUMNS = 256
# an .xlsx whose parts unpack to more than this many times the upload limit, or to more
# than MAX_UNPACKED_BYTES, is refused (a zip bomb, or a sheet of millions of empty styled
# cells). The largest import allowed (IMPORT_MAX_ROWS = 20,000 rows of the ledger's 24
# columns) is by estimate ~25 MB of sheet XML (~50 bytes a cell) plus its shared strings;
# inflating 128 MB costs about 0.3 s of CPU (400 MB measured at 0.9 s) before a bomb is
# refused
MAX_UNPACK_RATIO = 40
MAX_UNPACKED_BYTES = 128 * 1024 * 1024

# parts an .xlsx may have: a real workbook has a few dozen (a sheet, its relations, styles,
# images …), one of hundreds of sheets with pictures some hundreds; an archive of 100,000
# empty parts fits in the upload limit and took minutes only to list and open
MAX_PARTS = 2000

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
# each entry of the central directory starts with it (counted before zipfile lists them)
_ZIP_ENTRY = b"PK\x01\x02"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


class CellError(str):
    """An Excel error value (#REF!, #N/A …) read from a cell."""


class ReadRefused(Exception):
    """The file cannot be read as a spreadsheet; `message` says why, for the user."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass
class Sheet:
    name: str
    # rows[r][c] is the cell in Excel row r + 1, column c + 1 (empty cells are "")
    rows: list[list] = field(default_factory=list)


def size_check(size: int) -> None:
    """Refuse a file larger than settings.EXCHANGE["IMPORT_MAX_BYTES"] before reading it."""
    limit = settings.EXCHANGE["IMPORT_MAX_BYTES"]
    if size > limit:
        raise ReadRefused(
            _("文件过大（%(size)s），导入上限为 %(max)s。请拆分后分批导入。")
            % {"size": filesizeformat(size), "max": filesizeformat(limit)}
        )


def workbook_read(data: bytes, file_name: str = "") -> list[Sheet]:
    """The sheets of a spreadsheet file's bytes. Raises ReadRefused with the reason."""
    size_check(len(data))
    if not data.strip():
        raise ReadRefused(_("文件是空的。"))
    suffix = PurePath(file_name or "").suffix.lower()
    if data.startswith(_ZIP_MAGIC):
        return _xlsx_read(data)
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_PACKAGE in data[: 1 << 20] or _ENCRYPTED_PACKAGE in data:
            raise ReadRefused(
                _("该工作簿设有打开密码（已加密），无法读取。请在 Excel 中取消密码后另存为再导入。")
            )
        return _xls_read(data)
    if suffix in (".csv", ".txt") and _looks_like_text(data):
        return [_csv_read(data, file_name)]
    raise ReadRefused(
        _("“%(name)s”不是电子表格文件。请上传 Excel 工作簿（.xlsx、.xls）或 CSV 文件。")
        % {"name": file_name or "?"}
    )


def _looks_like_text(data: bytes) -> bool:
    return b"\x00" not in data[:4096]


# -- csv -------------------------------------------------------------------------------


def _csv_read(data: bytes, file_name: str) -> Sheet:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost any byte string
        raise ReadRefused(_("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GB18030。"))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = [
        [CellError(cell.strip()) if cell.strip() in ERROR_CODES else cell for cell in row]
        for row in csv.reader(io.StringIO(text, newline=""), dialect)
    ]
    return Sheet(name=PurePath(file_name).stem or "csv", rows=rows)


# -- workbooks -------------------------------------------------------------------------


def _xlsx_read(data: bytes) -> list[Sheet]:
    # an upper bound of the parts (the signature may also occur inside compressed data),
    # counted in C before zipfile builds an object per part
    if data.count(_ZIP_ENTRY) > MAX_PARTS:
        raise ReadRefused(
            _("文件包含的部件过多（超过 %(max)s 个），不是正常的 Excel 工作簿，无法导入。")
            % {"max": MAX_PARTS}
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _damaged() from None
    declared = sum(info.file_size for info in archive.infolist())
    if declared > _unpack_limit():
        raise _too_large(declared)
    if "xl/workbook.xml" not in names:
        raise ReadRefused(_("这是一个压缩包，但不是 Excel 工作簿（.xlsx）。请上传 Excel 文件。"))
    # the headers may lie: every part is inflated once, counted, before any parser sees it
    budget = _Budget(_unpack_limit())
    for info in archive.infolist():
        with _part_open(archive, info, budget) as part:
            while part.read(1 << 20):
                pass
    sheets = _calamine_sheets(data)
    errors = _xlsx_error_cells(archive)
    for sheet in sheets:
        _place_errors(sheet, errors.get(sheet.name, {}))
    return sheets


def _xls_read(data: bytes) -> list[Sheet]:
    try:
        errors = _xls_error_cells(data)
    except xlrd.XLRDError as error:
        if "encrypted" in str(error).lower():
            raise ReadRefused(
                _("该工作簿设有打开密码（已加密），无法读取。请在 Excel 中取消密码后另存为再导入。")
            ) from None
        errors = {}  # the scan is a best effort; calamine decides below
    except Exception:  # noqa: BLE001 - the scan is a best effort; calamine decides below
        errors = {}
    sheets = _calamine_sheets(data)
    for sheet in sheets:
        _place_errors(sheet, errors.get(sheet.name, {}))
    return sheets


def _calamine_sheets(data: bytes) -> list[Sheet]:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError:
        raise ReadRefused(
            _("该工作簿设有打开密码（已加密），无法读取。请在 Excel 中取消密码后另存为再导入。")
        ) from None
    except (CalamineError, ValueError, OSError, Exception):  # noqa: BLE001 - any parse failure
        raise ReadRefused(_("文件已损坏或不是 Excel 工作簿，无法读取。")) from None
    sheets = []
    for meta in workbook.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue
        try:
            sheet = workbook.get_sheet_by_name(meta.name)
            _sheet_size_check(sheet)
            rows = _sheet_rows(sheet)
            merged = sheet.merged_cell_ranges or []
        except ReadRefused:
            raise
        except Exception:  # noqa: BLE001, S112 - an unreadable sheet does not hide the others
            continue
        _fill_merged(rows, merged)
        sheets.append(Sheet(name=meta.name, rows=rows))
    return sheets


def _sheet_size_check(sheet) -> None:
    """Refuse before reading a sheet far taller than any import may be (not after building
    millions of cells)."""
    limit = settings.EXCHANGE["IMPORT_MAX_ROWS"]
    if sheet.total_height > limit * 2 + 1000:
        raise ReadRefused(
            _("工作表“%(sheet)s”有 %(count)s 行，超过单次导入上限 %(max)s 行。请拆分后分批导入。")
            % {"sheet": sheet.name, "count": sheet.total_height, "max": limit}
        )


def _sheet_rows(sheet) -> list[list]:
    """The sheet's cells from A1, each row cut at MAX_COLUMNS: a stray cell at column XFD
    must not turn every row into 16,384 cells."""
    if sheet.total_width <= MAX_COLUMNS:
        return sheet.to_python(skip_empty_area=False)
    first = (sheet.start or (0, 0))[1]
    keep = max(MAX_COLUMNS - first, 0)
    # iter_rows yields every row from row 1, each from the sheet's first used column
    return [[""] * min(first, MAX_COLUMNS) + row[:keep] for row in sheet.iter_rows()]


def _fill_merged(rows: list[list], merged) -> None:
    """A range merged over several rows holds its value in every row (企业名称 over 3 issues).

    Ranges within one row (titles, section rows) keep the value in their first cell only, so
    a section row still reads as a row with one value.
    """
    for (r1, c1), (r2, c2) in merged:
        if r2 <= r1 or r1 >= len(rows):
            continue
        top = rows[r1]
        value = top[c1] if c1 < len(top) else ""
        if value == "" or value is None:
            continue
        for r in range(r1, min(r2, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c1, c2 + 1):
                if c < len(row) and (row[c] == "" or row[c] is None):
                    row[c] = value


def _place_errors(sheet: Sheet, errors: dict) -> None:
    for (r, c), text in errors.items():
        if r < len(sheet.rows):
            row = sheet.rows[r]
            if c >= len(row):
                row.extend([""] * (c + 1 - len(row)))
            row[c] = CellError(text)


# -- the parts of an .xlsx, inflated under a budget ----------------------------------------


def _unpack_limit() -> int:
    return min(settings.EXCHANGE["IMPORT_MAX_BYTES"] * MAX_UNPACK_RATIO, MAX_UNPACKED_BYTES)


def _too_large(size: int) -> ReadRefused:
    return ReadRefused(
        _("文件解压后过大（%(size)s），无法导入。请删除多余的工作表或空白区域后再试。")
        % {"size": filesizeformat(size)}
    )


def _damaged() -> ReadRefused:
    return ReadRefused(_("文件已损坏或不是 Excel 工作簿，无法读取。"))


class _Budget:
    """The bytes an archive's parts may inflate to, all parts together."""

    def __init__(self, limit: int):
        self.left = limit
        self.limit = limit


class _Part(io.RawIOBase):
    """A zip part, read through a count of the bytes actually inflated: past the budget the
    file is refused as too large, whatever size its headers declare; a broken stream
    (bad CRC, truncated data) is refused as damaged."""

    def __init__(self, stream, budget: _Budget):
        self.stream, self.budget = stream, budget

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = self.budget.left + 1 if size is None or size < 0 else size
        try:
            chunk = self.stream.read(min(want, self.budget.left + 1))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
            raise _damaged() from None
        self.budget.left -= len(chunk)
        if self.budget.left < 0:
            raise _too_large(self.budget.limit - self.budget.left)
        return chunk

    def readinto(self, buffer) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self.stream.close()
        super().close()


def _part_open(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> _Part:
    """`info`'s part under `budget`. zipfile stops inflating at the size the headers declare
    (and then fails the CRC check); told no size, it inflates what is really there, so the
    count is of the real size (and the CRC is checked against the real data)."""
    probe = copy.copy(info)
    probe.file_size = 1 << 62
    try:
        stream = archive.open(probe)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError, ValueError):
        # RuntimeError: a password-protected zip; NotImplementedError: an unknown compression
        raise _damaged() from None
    return _Part(stream, budget)


# -- error cells in .xlsx ----------------------------------------------------------------


def _local(name: str) -> str:
    """A tag or attribute name without its namespace ({…}c → c): transitional and strict
    OOXML name the same elements in different namespaces."""
    return name.rpartition("}")[2]


def _part_elements(archive, path: str, budget: _Budget, tag: str):
    """The `tag` elements of a part (any namespace) as they end, each cleared after use, as
    is each sheet row once read, so a large sheet is never held as a tree."""
    with _part_open(archive, archive.getinfo(path), budget) as part:
        for _event, element in iterparse(part, events=("end",)):
            name = _local(element.tag)
            if name == tag:
                yield element
                element.clear()
            elif name == "row":
                element.clear()


def _xlsx_error_cells(archive: zipfile.ZipFile) -> dict[str, dict[tuple[int, int], str]]:
    """{sheet name: {(row, col): "#REF!"}} for the cells stored as errors (t="e")."""
    budget = _Budget(_unpack_limit())
    try:
        targets = {
            rel.get("Id"): rel.get("Target", "")
            for rel in _part_elements(archive, "xl/_rels/workbook.xml.rels", budget, "Relationship")
        }
        sheets = [
            (
                sheet.get("name"),
                next((v for k, v in sheet.attrib.items() if _local(k) == "id" and "}" in k), ""),
            )
            for sheet in _part_elements(archive, "xl/workbook.xml", budget, "sheet")
        ]
    except (KeyError, ParseError, DefusedXmlException):
        return {}
    found = {}
    for name, rid in sheets:
        target = targets.get(rid, "")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        try:
            found[name] = _sheet_error_cells(archive, path, budget)
        except (KeyError, ParseError, DefusedXmlException):
            continue  # a part that is missing or not XML: calamine has decided on it
    return found


def _sheet_error_cells(archive, path: str, budget: _Budget) -> dict[tuple[int, int], str]:
    cells = {}
    for cell in _part_elements(archive, path, budget, "c"):
        ref = cell.get("r")
        if cell.get("t") != "e" or not ref:
            continue
        value = next((child.text for child in cell if _local(child.tag) == "v"), None)
        if value is None:
            continue
        letters = ref.rstrip("0123456789")
        digits = ref[len(letters) :]
        if letters.isalpha() and letters.isupper() and digits.isdigit():
            cells[(int(digits) - 1, _column_index(letters))] = value or "#VALUE!"
    return cells


def _column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - 64)
    return index - 1


# -- error cells in .xls ---------------------------------------------------------------------


def _xls_error_cells(data: bytes) -> dict[str, dict[tuple[int, int], str]]:
    """{sheet name: {(row, col): "#REF!"}}: the cells xlrd reads as errors (an error value,
    or a formula whose result is one). xlrd raises XLRDError for an encrypted workbook."""
    # xlrd writes its warnings to stdout unless given a log of its own
    book = xlrd.open_workbook(
        file_contents=data, on_demand=True, ragged_rows=True, logfile=io.StringIO()
    )
    found = {}
    try:
        for index, name in enumerate(book.sheet_names()):
            sheet = book.sheet_by_index(index)
            cells = {}
            for r in range(sheet.nrows):
                if xlrd.XL_CELL_ERROR not in sheet.row_types(r):
                    continue
                for c, cell in enumerate(sheet.row(r)):
                    if cell.ctype == xlrd.XL_CELL_ERROR:
                        cells[(r, c)] = xlrd.error_text_from_code.get(cell.value, "#VALUE!")
            found[name] = cells
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return found


def excel_date(serial: float) -> datetime.date | None:
    """An Excel serial day number (1900 system) as a date, or None when out of range."""
    if not 1 <= serial < 2958466:
        return None
    return datetime.date(1899, 12, 30) + datetime.timedelta(days=int(serial))
