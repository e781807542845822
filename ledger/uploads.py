"""What an uploaded file is, judged by its content: the signature (magic bytes) of each type
the ledger keeps, and file names shortened without losing their extension.

The extension alone proves nothing (an HTML page renamed report.pdf is still a page a
browser would run); services.attachment_validate() asks content_matches() as well.
"""

import codecs
import re
import zipfile
from pathlib import PurePath

# the bytes a file of each type starts with
# (the leading bytes that tell the type apart; a real file has more, e.g. "%PDF-1.7")
PDF = b"%PDF"
PNG = b"\x89PNG"
JPEG = b"\xff\xd8\xff"
GIF = (b"GIF87a", b"GIF89a")
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (doc, xls): a compound file
ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with entries; an empty zip
# an Office Open XML package names its content types and keeps its parts in this folder
OOXML_PARTS = {"docx": "word/", "xlsx": "xl/"}

HEAD_BYTES = 2048
# a text file is decoded this far (a multi-byte character cut at the end is not an error)
TEXT_CHECK_BYTES = 1024 * 1024
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
# what browsers treat as a page or script when sniffing, whatever the name says
MARKUP = re.compile(
    rb"^\s*<(!doctype\s+html|html|head|body|script|iframe|svg|\?xml|!--)[\s>/]",
    re.IGNORECASE,
)


def suffix_of(name: str) -> str:
    return PurePath(name or "").suffix.lower().lstrip(".")


def _read(file, size: int, *, offset: int = 0) -> bytes:
    file.seek(offset)
    data = file.read(size)
    file.seek(0)
    return data or b""


def _zip_names(file) -> list[str] | None:
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return None
    finally:
        file.seek(0)


def _is_text(file) -> bool:
    data = _read(file, TEXT_CHECK_BYTES + 1)
    complete = len(data) <= TEXT_CHECK_BYTES
    data = data[:TEXT_CHECK_BYTES]
    if b"\x00" in data or MARKUP.match(data.lstrip(codecs.BOM_UTF8)):
        return False
    for encoding in TEXT_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            text = decoder.decode(data, final=complete)
        except UnicodeDecodeError:
            continue
        # control characters other than tab, line feed, carriage return and form feed
        # do not occur in a text document (they do in binary files that happen to decode)
        return not any(ord(c) < 32 and c not in "\t\n\r\f" for c in text)
    return False


def content_matches(suffix: str, file) -> bool:
    """Whether the file's content is what its extension says (`suffix` without the dot).

    An extension with no known signature (a type added to ATTACHMENT_ALLOWED_EXTENSIONS)
    passes unless its content reads as a web page or script.
    """
    head = _read(file, HEAD_BYTES)
    if suffix == "pdf":
        # the header may follow a little garbage (PDF 1.7, 7.5.2): within the first KiB
        return PDF in head[:1024]
    if suffix == "png":
        return head.startswith(PNG)
    if suffix in ("jpg", "jpeg"):
        return head.startswith(JPEG)
    if suffix == "gif":
        return head.startswith(GIF)
    if suffix in ("doc", "xls"):
        return head.startswith(OLE)
    if suffix in OOXML_PARTS:
        if not head.startswith(ZIP[0]):
            return False
        names = _zip_names(file)
        part = OOXML_PARTS[suffix]
        return (
            bool(names)
            and "[Content_Types].xml" in names
            and any(name.startswith(part) for name in names)
        )
    if suffix == "zip":
        return head.startswith(ZIP) and _zip_names(file) is not None
    if suffix == "txt":
        return _is_text(file)
    return not MARKUP.match(head.lstrip(codecs.BOM_UTF8))


def name_shorten(name: str, limit: int = 200) -> str:
    """`name` cut to `limit` characters, keeping its extension (report….pdf stays a .pdf)."""
    name = name or ""
    if len(name) <= limit:
        return name
    path = PurePath(name)
    suffix = path.suffix if 0 < len(path.suffix) <= 16 else ""
    return name[: limit - len(suffix)] + suffix
