"""Crafted input is a 404 or a message, never a 500 (issue 10, findings 4 and 5).

- a NUL in the ledger number never reaches the database (PostgreSQL refuses NUL in text);
- deadlines are bounded by LEDGER["DEADLINE_HORIZON_YEARS"] wherever one is set, and a
  deadline stored before the bound does not break the extension form;
- date filters refuse dates that overflow when made aware (0001-01-01 in Asia/Shanghai);
- ids beyond 64 bits in a multiple choice are a form error (SQLite: OverflowError);
- titles and names are one line, and an issue whose stored title has a CR/LF still has
  its notifications sent.
"""

import datetime
import io
import logging
import zipfile

import openpyxl
import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ledger import workflow
from ledger.exchange import reading
from ledger.forms.directory import CONTACTS_MAX
from ledger.models import ExtensionRequest, Issue, IssueEvent
from ledger.notify import tasks as notify_tasks
from ledger.notify.models import Notification
from tests import factories as f

HUGE = "99999999999999999999999"


def _snapshot(issue):
    issue.refresh_from_db()
    return (issue.version, issue.deadline, IssueEvent.objects.filter(issue=issue).count())


# -- NUL in the URL --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/issues/%00/",
        "/issues/ZZ-2026-0001%00/",
        "/issues/%00/act/urge/",
        "/issues/%00/act/assign/",
        "/issues/%00/edit/",
        "/issues/%00/attachments/1/",
        "/issues/a%00b/act/reassign/",
    ],
)
def test_nul_in_the_ledger_number_is_a_404_and_never_queried(client, world, path):
    world.assigned_issue()
    client.force_login(world.supervisor)
    with CaptureQueriesContext(connection) as queries:
        get = client.get(path)
        post = client.post(path, {"version": "1", "note": "x"})
    assert get.status_code == 404
    assert post.status_code == 404
    # on PostgreSQL a NUL parameter is a DataError (500): none may reach the database
    assert not [q["sql"] for q in queries.captured_queries if "\x00" in q["sql"]]


# -- deadlines within the horizon ------------------------------------------------------


def _reassign_data(world, issue, **extra):
    return {
        "version": issue.version,
        "leader": world.leader.pk,
        "lead_department": world.dept_b.pk,
        "deadline": f.days_from_today(20).isoformat(),
        **extra,
    }


@pytest.mark.parametrize("deadline", ["9999-12-31", "2200-01-01"])
def test_reassign_to_a_far_deadline_is_a_form_error(client, world, deadline):
    issue = world.assigned_issue()
    before = _snapshot(issue)
    client.force_login(world.supervisor)
    url = reverse("issue_action", args=[issue.number, "reassign"])
    response = client.post(url, _reassign_data(world, issue, deadline=deadline))
    assert response.status_code == 200
    assert "今天起 5 年内" in response.content.decode()
    assert _snapshot(issue) == before


def test_the_horizon_is_a_setting_and_its_last_day_is_allowed(world, settings):
    settings.LEDGER = {**settings.LEDGER, "DEADLINE_HORIZON_YEARS": 1}
    today = datetime.date.today()
    issue = world.assigned_issue()
    latest = workflow.deadline_horizon(today)
    assert latest == today.replace(year=today.year + 1) or latest.day == 28
    with pytest.raises(workflow.TransitionRefused) as refused:
        workflow.transition(
            issue,
            actor=world.supervisor,
            action="reassign",
            deadline=latest + datetime.timedelta(days=1),
        )
    assert "deadline" in refused.value.field_errors
    workflow.transition(issue, actor=world.supervisor, action="reassign", deadline=latest)
    issue.refresh_from_db()
    assert issue.deadline == latest


def test_horizon_on_29_february():
    assert workflow.deadline_horizon(datetime.date(2028, 2, 29)) == datetime.date(2033, 2, 28)


@pytest.mark.parametrize("action", ["assign", "reopen"])
def test_workflow_refuses_far_deadlines_on_assign_and_reopen(world, action):
    issue = world.raise_issue() if action == "assign" else world.resolved_issue()
    far = datetime.date(9999, 12, 31)
    data = {"deadline": far, "note": "重办"}
    if action == "assign":
        data.update(leader=world.leader, lead_department=world.dept_b)
    with pytest.raises(workflow.TransitionRefused) as refused:
        workflow.transition(issue, actor=world.supervisor, action=action, **data)
    assert "deadline" in refused.value.field_errors


def test_extension_request_beyond_the_horizon_is_refused_by_form_and_workflow(client, world):
    issue = world.in_progress_issue()
    with pytest.raises(workflow.TransitionRefused) as refused:
        workflow.transition(
            issue,
            actor=world.staff_b,
            action="extension_request",
            new_deadline=datetime.date(9999, 12, 31),
            note="需要更多时间",
        )
    assert "new_deadline" in refused.value.field_errors
    client.force_login(world.staff_b)
    url = reverse("issue_action", args=[issue.number, "extension_request"])
    issue.refresh_from_db()
    response = client.post(
        url, {"version": issue.version, "new_deadline": "9999-12-31", "note": "需要更多时间"}
    )
    assert response.status_code == 200
    assert not ExtensionRequest.objects.filter(issue=issue).exists()


def test_approving_a_request_stored_beyond_the_horizon_is_refused(world):
    issue = world.in_progress_issue()
    workflow.transition(
        issue,
        actor=world.staff_b,
        action="extension_request",
        new_deadline=f.days_from_today(30),
        note="需要更多时间",
    )
    # a request written before the horizon existed
    ExtensionRequest.objects.filter(issue=issue).update(
        requested_deadline=datetime.date(9999, 12, 31)
    )
    before = _snapshot(issue)
    with pytest.raises(workflow.TransitionRefused):
        workflow.transition(issue, actor=world.leader.user, action="extension_approve")
    assert _snapshot(issue) == before


def test_extension_form_of_an_issue_whose_deadline_is_the_last_date_is_not_a_500(client, world):
    issue = world.in_progress_issue()
    # stored before the horizon existed (the finding: reassign accepted 9999-12-31)
    Issue.objects.filter(pk=issue.pk).update(deadline=datetime.date(9999, 12, 31))
    client.force_login(world.staff_b)
    response = client.get(reverse("issue_action", args=[issue.number, "extension_request"]))
    assert response.status_code == 200
    response = client.get(reverse("issue_detail", args=[issue.number]))
    assert response.status_code == 200


def test_date_inputs_carry_the_horizon_as_their_maximum(client, world):
    issue = world.assigned_issue()
    client.force_login(world.supervisor)
    response = client.get(reverse("issue_action", args=[issue.number, "reassign"]))
    latest = workflow.deadline_horizon(datetime.date.today())
    assert f'max="{latest.isoformat()}"' in response.content.decode()


# -- date filters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "raised_after=0001-01-01",
        "raised_before=0001-01-01",
        "assigned_after=0001-01-01",
        "closed_before=9999-12-31",
        "escalated_on_after=0001-01-01",
        "deadline_after=0001-01-01",
    ],
)
def test_out_of_range_filter_dates_are_a_form_error(client, world, query):
    world.assigned_issue()
    client.force_login(world.supervisor)
    response = client.get(f"/issues/?{query}")
    assert response.status_code == 200
    assert "1900-01-01 至 2999-12-31" in response.content.decode()


def test_a_plausible_date_range_still_filters(client, world):
    issue = world.assigned_issue()
    client.force_login(world.supervisor)
    response = client.get("/issues/?raised_after=1900-01-01&raised_before=2999-12-31")
    assert response.status_code == 200
    assert issue.number in response.content.decode()


# -- ids beyond 64 bits ----------------------------------------------------------------


@pytest.mark.parametrize("action", ["assign", "reassign"])
@pytest.mark.parametrize("value", [HUGE, "-1", "1x", "١٢"])
def test_co_department_ids_that_cannot_be_keys_are_a_form_error(client, world, action, value):
    issue = world.raise_issue() if action == "assign" else world.assigned_issue()
    before = _snapshot(issue)
    client.force_login(world.supervisor)
    url = reverse("issue_action", args=[issue.number, action])
    data = _reassign_data(world, issue, co_departments=[str(world.dept_c.pk), value])
    response = client.post(url, data)
    assert response.status_code == 200
    assert _snapshot(issue) == before


# -- one-line titles and names ---------------------------------------------------------


def test_logging_form_makes_the_title_one_line(client, world):
    client.force_login(world.staff_a)
    response = client.post(
        reverse("issue_create"),
        {
            "title": "厂区道路\r\n积水\u2028严重\x0b",
            "description": "第一行\r\n第二行",
            "creation_token": "0123456789abcdef0123456789abcdef",
            "category": world.category.pk,
            "source": world.source.pk,
            "urgency": "normal",
        },
    )
    assert response.status_code == 302
    issue = Issue.objects.get()
    assert issue.title == "厂区道路 积水 严重"
    assert issue.description == "第一行\r\n第二行"  # several lines are what a description is


def test_workflow_makes_titles_and_responsible_person_one_line(world):
    issue = world.raise_issue(title="标题\r\nBcc: evil@example.com")
    assert issue.title == "标题 Bcc: evil@example.com"
    workflow.transition(issue, actor=world.staff_a, action="edit", title="新\n标题\r")
    issue.refresh_from_db()
    assert issue.title == "新 标题"
    workflow.transition(
        issue,
        actor=world.supervisor,
        action="assign",
        leader=world.leader,
        lead_department=world.dept_b,
        deadline=f.days_from_today(5),
        responsible_person="张三\r\n李四",
    )
    issue.refresh_from_db()
    assert issue.responsible_person == "张三 李四"


def test_an_issue_whose_stored_title_has_crlf_still_sends_its_email(
    world, django_capture_on_commit_callbacks
):
    issue = world.assigned_issue()
    Issue.objects.filter(pk=issue.pk).update(title="积水\r\nBcc: evil@example.com\r\n\r\n")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.transition(issue, actor=world.supervisor, action="urge", note="请抓紧")
    notifications = Notification.objects.filter(issue=issue, kind="urge")
    assert notifications.exists()
    assert set(notifications.values_list("email_state", flat=True)) == {"sent"}
    assert len(mail.outbox) == notifications.count()
    for message in mail.outbox:
        assert "\r" not in message.subject and "\n" not in message.subject
        assert "积水 Bcc: evil@example.com" in message.subject
        assert message.bcc == [] and message.message()["Bcc"] is None


def test_a_message_the_mailer_refuses_is_logged_and_retried(
    world, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    issue = world.assigned_issue()

    def refuse(notification):
        # what Django's mail raises for a header with a line break (BadHeaderError before 6.0)
        raise ValueError("Header values can't contain newlines")

    monkeypatch.setattr(notify_tasks, "_email_build", refuse)
    with (
        caplog.at_level(logging.WARNING, logger="ledger.notify.tasks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        workflow.transition(issue, actor=world.supervisor, action="urge", note="请抓紧")
    notification = Notification.objects.filter(issue=issue, kind="urge").first()
    assert notification is not None
    # the immediate backend retries at once: every attempt is counted, none is lost silently
    assert notification.email_state == Notification.Email.FAILED
    assert notification.email_attempts >= 2
    assert "newlines" in notification.email_error
    assert "newlines" in caplog.text


# -- formsets --------------------------------------------------------------------------


@pytest.mark.parametrize("total", [HUGE, "100000", "51"])
def test_a_crafted_contact_count_is_a_quick_form_error(client, world, total):
    client.force_login(world.supervisor)
    url = reverse("enterprise_edit", args=[world.enterprise.pk])
    response = client.post(
        url,
        {
            "name": world.enterprise.name,
            "credit_code": world.enterprise.credit_code,
            "contacts-TOTAL_FORMS": total,
            "contacts-INITIAL_FORMS": "0",
        },
    )
    # the hostile probe: contacts-TOTAL_FORMS=99999999999999999999999 built 2,000 forms (30 s);
    # what makes it quick is how many forms are built, counted here rather than timed (a
    # wall-clock limit fails on a busy machine and proves less)
    assert response.status_code == 200
    contacts = response.context["contacts"]
    assert contacts.non_form_errors()
    assert len(contacts.forms) <= CONTACTS_MAX == contacts.absolute_max


def test_a_sheet_declaring_xml_entities_is_read_without_expanding_them():
    """The error-cell scan parses sheet XML with defusedxml, which refuses a sheet that
    declares entities (the billion-laughs shape): that refusal ends the scan of that sheet,
    not the import (no 500), and calamine still reads the cells."""
    book = openpyxl.Workbook()
    book.active.append(["问题描述"])
    book.active.append(["路灯不亮"])
    plain = io.BytesIO()
    book.save(plain)
    source, forged = zipfile.ZipFile(plain), io.BytesIO()
    laughs = b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    with zipfile.ZipFile(forged, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", laughs + b"<worksheet", 1)
                assert laughs in data
            archive.writestr(info.filename, data)
    (sheet,) = reading.workbook_read(forged.getvalue(), "a.xlsx")
    assert sheet.rows == [["问题描述"], ["路灯不亮"]]
