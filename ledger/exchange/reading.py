"""File → sheets of cells: .xlsx and .xls through python-calamine, .csv in UTF-8 or GB18030.

What a file *is* is decided from its first bytes, not its name, so a PNG renamed .xlsx, a
zip that is not a workbook and a password-protected workbook (an encrypted OOXML file is
an OLE container) are refused with a message that says so. python-calamine reads error
cells (#REF!, #N/A …) as empty; they are found again here from the file itself, so an
error cell is reported instead of silently read as blank.
"""

import csv
import datetime
import html
import io
import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetTypeEnum

ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")
# BIFF error values (xls) → their text
_BIFF_ERRORS = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
}

# columns read per row: the ledger has 24; anything further right is a stray cell
MAX_COLUMNS = 256
# an .xlsx whose parts unpack to more than this many times the upload limit is refused
# (a zip bomb, or a sheet of millions of empty styled cells)
MAX_UNPACK_RATIO = 40

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
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
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ReadRefused(_("文件已损坏或不是 Excel 工作簿，无法读取。")) from None
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > settings.EXCHANGE["IMPORT_MAX_BYTES"] * MAX_UNPACK_RATIO:
        raise ReadRefused(
            _("文件解压后过大（%(size)s），无法导入。请删除多余的工作表或空白区域后再试。")
            % {"size": filesizeformat(unpacked)}
        )
    if "xl/workbook.xml" not in names:
        raise ReadRefused(_("这是一个压缩包，但不是 Excel 工作簿（.xlsx）。请上传 Excel 文件。"))
    sheets = _calamine_sheets(data)
    errors = _xlsx_error_cells(archive)
    for sheet in sheets:
        _place_errors(sheet, errors.get(sheet.name, {}))
    return sheets


def _xls_read(data: bytes) -> list[Sheet]:
    try:
        errors = _xls_error_cells(data)
    except _Encrypted:
        raise ReadRefused(
            _("该工作簿设有打开密码（已加密），无法读取。请在 Excel 中取消密码后另存为再导入。")
        ) from None
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


# -- error cells in .xlsx ----------------------------------------------------------------

_TAG = re.compile(rb"<(?:\w+:)?(sheet|Relationship)\b([^>]*)>")
_ATTR = re.compile(rb"([\w:]+)=\"([^\"]*)\"")
_ERROR_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?\bt=\"e\"[^>]*)>(.*?)</(?:\w+:)?c>", re.S)
_REF_ATTR = re.compile(rb"\br=\"([A-Z]+)(\d+)\"")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")


def _tags(xml: bytes, name: bytes) -> list[dict[str, str]]:
    """The attributes of each <name …> tag (read with a regular expression: no XML parser
    is handed an untrusted document)."""
    return [
        {
            key.decode().rpartition(":")[2] if key != b"r:id" else "rid": html.unescape(
                value.decode("utf-8", "replace")
            )
            for key, value in _ATTR.findall(attrs)
        }
        for tag, attrs in _TAG.findall(xml)
        if tag == name
    ]


def _xlsx_error_cells(archive: zipfile.ZipFile) -> dict[str, dict[tuple[int, int], str]]:
    """{sheet name: {(row, col): "#REF!"}} for the cells stored as errors (t="e")."""
    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {rel.get("Id"): rel.get("Target", "") for rel in _tags(rels, b"Relationship")}
    found = {}
    for sheet in _tags(workbook, b"sheet"):
        target = targets.get(sheet.get("rid"), "")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        try:
            xml = archive.read(path)
        except KeyError:
            continue
        if b't="e"' not in xml:
            continue
        cells = {}
        for match in _ERROR_CELL.finditer(xml):
            ref = _REF_ATTR.search(match.group(1))
            value = _VALUE.search(match.group(2))
            if ref and value:
                cells[(int(ref.group(2)) - 1, _column_index(ref.group(1).decode()))] = (
                    value.group(1).decode("utf-8", "replace") or "#VALUE!"
                )
        found[sheet.get("name")] = cells
    return found


def _column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - 64)
    return index - 1


# -- error cells in .xls (BIFF8 in an OLE compound file) -----------------------------------


class _Encrypted(Exception):
    pass


def _xls_error_cells(data: bytes) -> dict[str, dict[tuple[int, int], str]]:
    """{sheet name: {(row, col): "#REF!"}} from BOOLERR and FORMULA records; _Encrypted if
    the workbook stream has a FILEPASS record."""
    stream = _ole_stream(data, ("Workbook", "Book"))
    if stream is None:
        return {}
    sheets = []  # (offset of the sheet's BOF, name)
    pos = 0
    while pos + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4 : pos + 4 + length]
        if kind == 0x002F:  # FILEPASS
            raise _Encrypted
        if kind == 0x0085 and len(body) >= 8:  # BOUNDSHEET
            offset = struct.unpack_from("<I", body, 0)[0]
            count, flags = body[6], body[7]
            raw = body[8 : 8 + (count if flags & 1 == 0 else 2 * count)]
            name = raw.decode("latin-1") if flags & 1 == 0 else raw.decode("utf-16-le")
            sheets.append((offset, name))
        if kind == 0x000A:  # EOF of the globals
            break
        pos += 4 + length
    found = {}
    for offset, name in sheets:
        cells = {}
        pos = offset
        while pos + 4 <= len(stream):
            kind, length = struct.unpack_from("<HH", stream, pos)
            body = stream[pos + 4 : pos + 4 + length]
            if kind == 0x000A:
                break
            if kind == 0x0205 and len(body) >= 8 and body[7] == 1:  # BOOLERR, an error
                row, col = struct.unpack_from("<HH", body, 0)
                cells[(row, col)] = _BIFF_ERRORS.get(body[6], "#VALUE!")
            elif kind == 0x0006 and len(body) >= 14:  # FORMULA with an error result
                row, col = struct.unpack_from("<HH", body, 0)
                result = body[6:14]
                if result[0] == 2 and result[6:8] == b"\xff\xff":
                    cells[(row, col)] = _BIFF_ERRORS.get(result[2], "#VALUE!")
            pos += 4 + length
        found[name] = cells
    return found


def _ole_stream(data: bytes, names: tuple[str, ...]) -> bytes | None:
    """A named stream of an OLE compound file (just enough of [MS-CFB] for a workbook)."""
    sector_size = 1 << struct.unpack_from("<H", data, 30)[0]
    mini_size = 1 << struct.unpack_from("<H", data, 32)[0]
    (dir_start,) = struct.unpack_from("<I", data, 48)
    (mini_cutoff,) = struct.unpack_from("<I", data, 56)
    (minifat_start,) = struct.unpack_from("<I", data, 60)
    difat_start, difat_count = struct.unpack_from("<II", data, 68)
    difat = list(struct.unpack_from("<109I", data, 76))
    next_difat = difat_start
    for _step in range(difat_count):
        if next_difat >= 0xFFFFFFFA:
            break
        block = _sector(data, next_difat, sector_size)
        entries = struct.unpack(f"<{sector_size // 4}I", block)
        difat.extend(entries[:-1])
        next_difat = entries[-1]
    fat = []
    for sector in difat:
        if sector >= 0xFFFFFFFA:
            continue
        fat.extend(struct.unpack(f"<{sector_size // 4}I", _sector(data, sector, sector_size)))

    def chain(start, table, read, size):
        out, seen, sector = [], set(), start
        while sector < 0xFFFFFFFA and sector not in seen and sector < len(table):
            seen.add(sector)
            out.append(read(sector, size))
            sector = table[sector]
        return b"".join(out)

    def read_sector(sector, size):
        return _sector(data, sector, size)

    directory = chain(dir_start, fat, read_sector, sector_size)
    entries = []
    for i in range(len(directory) // 128):
        entry = directory[i * 128 : (i + 1) * 128]
        name_len = struct.unpack_from("<H", entry, 64)[0]
        name = entry[: max(name_len - 2, 0)].decode("utf-16-le", "replace")
        start, size = struct.unpack_from("<II", entry, 116)
        entries.append((name, entry[66], start, size))
    if not entries:
        return None
    root = entries[0]
    for name, _kind, start, size in entries:
        if name not in names:
            continue
        if size >= mini_cutoff:
            return chain(start, fat, read_sector, sector_size)[:size]
        ministream = chain(root[2], fat, read_sector, sector_size)
        minifat_raw = chain(minifat_start, fat, read_sector, sector_size)
        minifat = list(struct.unpack(f"<{len(minifat_raw) // 4}I", minifat_raw))

        def read_mini(sector, size_, stream=ministream):
            return stream[sector * size_ : (sector + 1) * size_]

        return chain(start, minifat, read_mini, mini_size)[:size]
    return None


def _sector(data: bytes, sector: int, size: int) -> bytes:
    offset = (sector + 1) * size
    return data[offset : offset + size]


def excel_date(serial: float) -> datetime.date | None:
    """An Excel serial day number (1900 system) as a date, or None when out of range."""
    if not 1 <= serial < 2958466:
        return None
    return datetime.date(1899, 12, 30) + datetime.timedelta(days=int(serial))
