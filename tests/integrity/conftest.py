"""Fixtures of the integrity tests: an issue that went through the whole workflow."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from ledger import workflow
from tests import factories as f

PDF = b"%PDF-1.4\n% the inspection report\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def pdf(name="整改报告.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def verify(*args) -> str:
    """events_verify in Chinese; its stdout. A finding raises CommandError."""
    out = io.StringIO()
    with translation.override("zh-hans"):
        call_command("events_verify", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def findings(*args) -> str:
    """events_verify must fail; its stderr (one line per finding)."""
    err = io.StringIO()
    with translation.override("zh-hans"), pytest.raises(CommandError) as failed:
        call_command("events_verify", *args, stdout=io.StringIO(), stderr=err)
    assert failed.value.returncode != 0
    assert err.getvalue().strip(), "a failure names its findings"
    return err.getvalue()


def checkpoint(*args) -> str:
    out = io.StringIO()
    with translation.override("zh-hans"):
        call_command("events_checkpoint", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def full(world):
    """An issue edited, assigned with measures, accepted, progressed with a file, resolved."""
    issue = world.raise_issue(title="厂区道路积水")
    workflow.transition(issue, actor=world.staff_a, action="edit", title="厂区门口道路积水")
    workflow.transition(
        issue,
        actor=world.supervisor,
        action="assign",
        leader=world.leader,
        lead_department=world.dept_b,
        deadline=f.days_from_today(10),
        measures="疏通排水管网。",
    )
    workflow.transition(issue, actor=world.staff_b, action="accept")
    workflow.transition(
        issue,
        actor=world.staff_b,
        action="progress",
        progress="smooth",
        note="已开工。",
        files=[pdf()],
    )
    workflow.transition(issue, actor=world.staff_b, action="resolve", resolution="已修复。")
    issue.refresh_from_db()
    return issue
