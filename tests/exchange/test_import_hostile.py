"""Hostile spreadsheets (issue 18): control characters and bidi overrides in the cells of a
GB18030 .csv are cleaned as the forms clean them; archives that lie (nested, many parts,
forged sizes) are refused quickly, cheaply and without leaving an import behind."""

import functools
import io
import struct
import time
import tracemalloc
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ledger.exchange.importing import ledger_import
from ledger.exchange.masterdata import master_import
from ledger.exchange.models import ImportBatch
from ledger.forms.issue import IssueForm
from ledger.models import Enterprise, Issue
from ledger.services import multi_line, single_line
from tests import factories as f
from tests.exchange.import_sheets import csv_bytes, xlsx_bytes

HOSTILE = "\x07\x1b[31m\u202e路灯不亮\u202c\u2066夜间\u2069\x85"
HOSTILE_TEXT = "第一行\x07\r\n第二行\u202e反\x1b[0m\u2028第三行"


@pytest.fixture
def lists(world):
    f.CategoryFactory(name="其他")
    f.SourceFactory(name="其他")
    return world


def _visible(text) -> bool:
    """No control character but the line breaks, no bidi embedding, override or isolate."""
    bidi = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    return not any(
        (ord(c) < 0x20 and c not in "\t\r\n") or 0x7F <= ord(c) <= 0x9F or c in bidi for c in text
    )


def test_the_cleaners_drop_controls_and_bidi_overrides():
    assert single_line(HOSTILE) == "[31m路灯不亮夜间"
    assert multi_line(HOSTILE_TEXT) == "第一行\r\n第二行反[0m\n第三行"
    assert _visible(single_line(HOSTILE)) and _visible(multi_line(HOSTILE_TEXT))


def test_a_gb18030_csv_with_control_characters_stores_what_the_form_would(lists):
    world = lists
    header = ["问题标题", "问题描述", "牵头单位", "责任人", "整改措施"]
    row = [HOSTILE, HOSTILE_TEXT, "区住建局", "王\u202e工\x1b", HOSTILE_TEXT]
    data = csv_bytes([header, row], encoding="gb18030")
    outcome = ledger_import(data, file_name="台账.csv", user=world.supervisor, dry_run=False)
    assert outcome.committed, [str(p) for p in outcome.problems]
    issue = Issue.objects.get()
    # the issue form, given the same text, cleans it the same way
    fields = IssueForm.base_fields
    assert issue.title == fields["title"].clean(HOSTILE) == "[31m路灯不亮夜间"
    assert issue.description == fields["description"].clean(HOSTILE_TEXT)
    assert issue.description == "第一行\r\n第二行反[0m\n第三行"
    assert issue.responsible_person == "王工"
    assert issue.measures == multi_line(HOSTILE_TEXT)
    for text in (issue.title, issue.description, issue.responsible_person, issue.measures):
        assert _visible(text), repr(text)


def test_master_data_names_are_cleaned_as_one_line(world):
    rows = [
        ["企业名称", "统一社会信用代码", "地址"],
        ["焦作\u202e龙星\x07化工有限公司", f.valid_credit_code(4250), "中站区\x1b[31m龙翔街道"],
    ]
    outcome = master_import(
        csv_bytes(rows),
        kind="enterprises",
        file_name="企业.csv",
        user=world.supervisor,
        dry_run=False,
    )
    assert outcome.committed, [str(p) for p in outcome.problems]
    enterprise = Enterprise.objects.get(credit_code=f.valid_credit_code(4250))
    assert enterprise.name == "焦作龙星 化工有限公司"
    assert enterprise.address == "中站区 [31m龙翔街道"


# -- archives that lie (finding 1: nested, many parts, forged sizes) ---------------------------

GIB = 1 << 30


def _entry(name: str, body: bytes, *, method: int, crc: int, size: int, offset: int):
    """(local header + data, central directory entry) of one zip part, written by hand so
    that its declared size can be anything."""
    raw = name.encode()
    local = struct.pack(
        "<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x5A21, crc, len(body), size, len(raw), 0
    )
    central = struct.pack(
        "<4s6H3L5H2L",
        b"PK\x01\x02",
        20,
        20,
        0,
        method,
        0,
        0x5A21,
        crc,
        len(body),
        size,
        len(raw),
        0,
        0,
        0,
        0,
        0,
        offset,
    )
    return local + raw + body, central + raw


def _archive(parts) -> bytes:
    """A zip of (name, deflated body, crc, declared size) parts."""
    data, directory = b"", b""
    for name, body, crc, size in parts:
        local, central = _entry(name, body, method=8, crc=crc, size=size, offset=len(data))
        data += local
        directory += central
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(directory), len(data), 0
    )
    return data + directory + end


def _deflated(text: bytes) -> tuple[bytes, int]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(text) + compressor.flush(), zlib.crc32(text)


@functools.cache
def _gib_of_spaces() -> tuple[bytes, int]:
    """1 GiB of spaces, deflated (about 1 MB) with its CRC-32: 1,024 full-flushed copies of
    one deflated MiB (each restarts the compressor, so each block is the same bytes)."""
    mib = b" " * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(GIB >> 20):
        crc = zlib.crc32(mib, crc)
    return block * (GIB >> 20) + zlib.compressobj(9, zlib.DEFLATED, -15).flush(), crc


def _workbook_parts():
    """The parts of a small real workbook (one sheet: 问题描述 / 路灯不亮)."""
    data = xlsx_bytes([["问题描述", "牵头单位"], ["路灯不亮", "区住建局"]], extra_sheet=False)
    archive = zipfile.ZipFile(io.BytesIO(data))
    parts = []
    for info in archive.infolist():
        text = archive.read(info)
        body, crc = _deflated(text)
        parts.append((info.filename, body, crc, len(text)))
    return parts


def forged_bomb() -> bytes:
    """The issue's bomb: a workbook whose sheet's headers claim 4 KiB and inflate to 1 GiB."""
    body, crc = _gib_of_spaces()
    parts = [p for p in _workbook_parts() if p[0] != "xl/worksheets/sheet1.xml"]
    return _archive([*parts, ("xl/worksheets/sheet1.xml", body, crc, 4096)])


def test_the_forged_size_bomb_is_what_the_issue_describes():
    data = forged_bomb()
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size == 4096 and len(data) < 2 * 1024 * 1024


def _measured(func):
    """(result, CPU seconds, peak bytes allocated meanwhile). CPU time, not the wall clock:
    the test machine is shared, and what is bounded is the work the refusal costs. Run
    twice: once for the time, once under tracemalloc (which slows Python code) for the
    memory."""
    started = time.process_time()
    result = func()
    seconds = time.process_time() - started
    tracemalloc.start()
    try:
        func()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, seconds, peak


def test_the_forged_size_bomb_is_refused_through_the_page_fast_cheaply_and_leaves_nothing(
    client, lists, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    data = forged_bomb()
    client.force_login(lists.supervisor)
    response, seconds, peak = _measured(
        lambda: client.post(
            reverse("exchange:issue_import"), {"file": SimpleUploadedFile("台账.xlsx", data)}
        )
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="import-refused"' in page and "解压后过大" in page
    assert seconds < 2.0, f"refused in {seconds:.2f} s of CPU"
    assert peak < 100 * 1024 * 1024, f"{peak / 1e6:.0f} MB allocated"
    # no import is left behind: no batch in any state, no stored file
    assert not ImportBatch.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_workbook_inside_the_workbook_is_not_unpacked(lists):
    """A nested archive (an embedded .xlsx that is itself the 1 GiB bomb) counts as the
    bytes it is stored in; nothing opens it, and the outer workbook reads as usual."""
    inner = forged_bomb()
    body, crc = _deflated(inner)
    data = _archive([*_workbook_parts(), ("xl/embeddings/inner.xlsx", body, crc, len(inner))])
    outcome, seconds, peak = _measured(
        lambda: ledger_import(data, file_name="a.xlsx", user=lists.supervisor, dry_run=True)
    )
    assert not outcome.refused, outcome.refused
    assert outcome.rows_read == 1
    assert seconds < 2.0 and peak < 100 * 1024 * 1024, (seconds, peak)


def test_a_zip_inside_a_zip_is_not_a_workbook(lists):
    inner = forged_bomb()
    body, crc = _deflated(inner)
    data = _archive([("台账.xlsx", body, crc, len(inner))])
    outcome = ledger_import(data, file_name="a.xlsx", user=lists.supervisor, dry_run=True)
    assert "不是 Excel 工作簿" in outcome.refused


def test_many_small_parts_share_one_budget(lists, settings):
    """1,900 parts of 20 KB each, their headers claiming 100 bytes: no part is large, all
    together inflate past the budget (40 × the upload limit)."""
    settings.EXCHANGE = {**settings.EXCHANGE, "IMPORT_MAX_BYTES": 500_000}
    body, crc = _deflated(b" " * 20_000)
    parts = _workbook_parts() + [(f"xl/media/p{n}.xml", body, crc, 100) for n in range(1900)]
    data = _archive(parts)
    assert len(data) < 500_000
    outcome, seconds, _peak = _measured(
        lambda: ledger_import(data, file_name="a.xlsx", user=lists.supervisor, dry_run=True)
    )
    assert "解压后过大" in outcome.refused
    assert seconds < 5.0


def test_an_archive_of_thousands_of_parts_is_refused_before_it_is_listed(lists):
    """60,000 empty parts fit in the upload limit; listing and opening them took minutes."""
    empty, crc = _deflated(b"")
    parts = _workbook_parts() + [(f"x/{n}", empty, crc, 0) for n in range(60_000)]
    data = _archive(parts)
    assert len(data) < 10 * 1024 * 1024
    outcome, seconds, _peak = _measured(
        lambda: ledger_import(data, file_name="a.xlsx", user=lists.supervisor, dry_run=True)
    )
    assert "部件过多" in outcome.refused
    assert seconds < 2.0


def test_a_part_with_a_broken_crc_is_refused_as_damaged(lists):
    parts = [
        (name, body, crc ^ 0xFFFF if name == "xl/worksheets/sheet1.xml" else crc, size)
        for name, body, crc, size in _workbook_parts()
    ]
    outcome = ledger_import(
        _archive(parts), file_name="a.xlsx", user=lists.supervisor, dry_run=True
    )
    assert "文件已损坏" in outcome.refused
