"""Uploads are checked by content, limited per request and per issue, and a long name keeps
its extension (issue 10, finding 6)."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ledger import services, uploads, workflow
from ledger.models import Attachment, IssueEvent

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
GIF = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 20
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"


def _zip(names) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


DOCX = _zip(["[Content_Types].xml", "_rels/.rels", "word/document.xml"])
XLSX = _zip(["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"])
ZIP = _zip(["photos/1.txt"])
GOOD = {
    "a.pdf": PDF,
    "a.png": PNG,
    "a.jpg": JPEG,
    "a.JPEG": JPEG,
    "a.gif": GIF,
    "a.doc": OLE,
    "a.xls": OLE,
    "a.docx": DOCX,
    "a.xlsx": XLSX,
    "a.zip": ZIP,
    "a.txt": "厂区道路积水，已于 11 月 30 日修复。\r\n第二行\t完。".encode(),
    "b.txt": "厂区道路积水".encode("gb18030"),
    "c.txt": "\ufeffBOM 开头的文本".encode(),
}
BAD = {
    "report.pdf": HTML,
    "photo.png": JPEG,
    "photo.jpg": PNG,
    "anim.gif": HTML,
    "old.doc": DOCX,
    "sheet.xlsx": DOCX,  # a Word package named as a workbook
    "letter.docx": ZIP,  # a zip that is no Office document
    "table.xls": PDF,
    "files.zip": b"PK\x03\x04 not really a zip",
    "page.txt": HTML,
    "svg.txt": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "binary.txt": b"abc\x00\x01\x02def",
    "latin.txt": bytes(range(0x80, 0x100)) * 4,
}


def _file(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize("name", sorted(GOOD))
def test_files_whose_content_matches_their_type_are_accepted(name):
    services.attachment_validate(_file(name, GOOD[name]))


@pytest.mark.parametrize("name", sorted(BAD))
def test_files_whose_content_does_not_match_are_refused(name):
    with pytest.raises(ValidationError) as refused:
        services.attachment_validate(_file(name, BAD[name]))
    assert refused.value.code == "attachment_content"


def test_a_type_added_by_setting_passes_unless_it_is_markup(settings):
    settings.ATTACHMENT_ALLOWED_EXTENSIONS = [*settings.ATTACHMENT_ALLOWED_EXTENSIONS, "bmp"]
    services.attachment_validate(_file("a.bmp", b"BM" + b"\x00" * 60))
    with pytest.raises(ValidationError):
        services.attachment_validate(_file("a.bmp", HTML))


def test_the_check_leaves_the_file_at_its_start():
    upload = _file("a.docx", DOCX)
    services.attachment_validate(upload)
    assert upload.tell() == 0 and upload.read() == DOCX


def test_html_named_pdf_is_refused_on_the_comment_form(client, world):
    issue = world.in_progress_issue()
    client.force_login(world.staff_b)
    response = client.post(
        reverse("issue_action", args=[issue.number, "comment"]),
        {
            "version": issue.version,
            "note": "附报告",
            "attachments": [_file("report.pdf", HTML, "application/pdf")],
        },
    )
    assert response.status_code == 200
    assert "不是PDF文件" in response.content.decode()
    assert not Attachment.objects.exists()


# -- limits per request and per issue --------------------------------------------------


def test_four_large_files_in_one_post_are_refused(client, world, settings):
    # the finding: four 20 MiB files passed; scaled down (same ratio) to keep the test quick
    settings.ATTACHMENT_MAX_BYTES = 200_000
    settings.ATTACHMENT_MAX_REQUEST_BYTES = 500_000
    issue = world.in_progress_issue()
    client.force_login(world.staff_b)
    big = PDF + b"0" * (200_000 - len(PDF))
    response = client.post(
        reverse("issue_action", args=[issue.number, "comment"]),
        {
            "version": issue.version,
            "note": "附件",
            "attachments": [_file(f"{n}.pdf", big) for n in range(4)],
        },
    )
    assert response.status_code == 200
    assert "超过上限" in response.content.decode()
    assert not Attachment.objects.exists()


def test_more_files_than_allowed_in_one_post_are_refused(client, world):
    issue = world.in_progress_issue()
    client.force_login(world.staff_b)
    response = client.post(
        reverse("issue_action", args=[issue.number, "comment"]),
        {
            "version": issue.version,
            "note": "附件",
            "attachments": [_file(f"{n}.png", PNG) for n in range(11)],
        },
    )
    assert response.status_code == 200
    assert "一次最多上传 10 个文件" in response.content.decode()
    assert not Attachment.objects.exists()


def test_logging_form_limits_the_files_too(client, world, settings):
    settings.ATTACHMENT_MAX_FILES_PER_REQUEST = 2
    client.force_login(world.staff_a)
    response = client.post(
        reverse("issue_create"),
        {
            "title": "厂区道路积水",
            "description": "雨后积水。",
            "category": world.category.pk,
            "source": world.source.pk,
            "urgency": "normal",
            "attachments": [_file(f"{n}.png", PNG) for n in range(3)],
        },
    )
    assert response.status_code == 200
    assert "一次最多上传 2 个文件" in response.content.decode()


def test_an_issue_keeps_at_most_the_configured_number_of_files(client, world, settings):
    settings.ATTACHMENT_MAX_FILES_PER_ISSUE = 3
    issue = world.in_progress_issue()
    workflow.transition(
        issue,
        actor=world.staff_b,
        action="comment",
        note="两张照片",
        files=[_file("1.png", PNG), _file("2.png", PNG)],
    )
    client.force_login(world.staff_b)
    issue.refresh_from_db()
    response = client.post(
        reverse("issue_action", args=[issue.number, "comment"]),
        {
            "version": issue.version,
            "note": "再两张",
            "attachments": [_file("3.png", PNG), _file("4.png", PNG)],
        },
    )
    assert response.status_code == 200
    assert "每个问题最多保存 3 个附件" in response.content.decode()
    assert Attachment.objects.filter(issue=issue).count() == 2
    # the workflow holds the line too, under the issue lock
    events = IssueEvent.objects.count()
    with pytest.raises(ValidationError):
        workflow.transition(
            issue,
            actor=world.staff_b,
            action="comment",
            note="再两张",
            files=[_file("3.png", PNG), _file("4.png", PNG)],
        )
    assert IssueEvent.objects.count() == events
    workflow.transition(
        issue, actor=world.staff_b, action="comment", note="一张", files=[_file("3.png", PNG)]
    )
    assert Attachment.objects.filter(issue=issue).count() == 3


def test_workflow_refuses_too_many_bytes_in_one_call(world, settings):
    settings.ATTACHMENT_MAX_REQUEST_BYTES = 100
    issue = world.in_progress_issue()
    with pytest.raises(ValidationError) as refused:
        workflow.transition(
            issue,
            actor=world.staff_b,
            action="comment",
            note="x",
            files=[_file("1.pdf", PDF), _file("2.pdf", PDF), _file("3.pdf", PDF)],
        )
    assert refused.value.code == "attachment_total"


# -- long names ----------------------------------------------------------------------


def test_a_long_file_name_keeps_its_extension(world):
    issue = world.in_progress_issue()
    name = "关于厂区道路积水问题的整改报告" * 20 + ".pdf"
    workflow.transition(
        issue, actor=world.staff_b, action="comment", note="报告", files=[_file(name, PDF)]
    )
    stored = Attachment.objects.get().original_name
    assert len(stored) == 200
    assert stored.endswith(".pdf")
    assert stored.startswith("关于厂区道路积水问题的整改报告")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("short.pdf", "short.pdf"),
        ("a" * 300 + ".docx", "a" * 195 + ".docx"),
        ("a" * 300, "a" * 200),
        ("a" * 250 + "." + "b" * 40, ("a" * 250 + "." + "b" * 40)[:200]),
    ],
)
def test_name_shorten(name, expected):
    assert uploads.name_shorten(name) == expected
