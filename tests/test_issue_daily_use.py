"""Issue 9 (items 3, 4, 5, 11, 15, 19, 20) and issue 10 item 7: the issue page in daily use.

Closing over an unsatisfied enterprise, a reopened issue read as history, single-use action
forms, specific required-field messages, extensions granted to another date, attachments
shown in the browser, and the small things (badges, the returned marker, withdrawing one's
own issue, one date format, the sign-out message).
"""

import datetime
import re

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from ledger import workflow
from ledger.models import Attachment, ExtensionRequest, Issue, IssueDeadline
from ledger.oversight.periods import year_period
from ledger.oversight.selectors.metrics import assessment
from ledger.workflow import TransitionRefused
from tests import factories as f


def login(client, user):
    client.force_login(user)
    return client


def page(issue) -> str:
    return reverse("issue_detail", kwargs={"number": issue.number})


def act(issue, action) -> str:
    return reverse("issue_action", kwargs={"number": issue.number, "action": action})


def iso(days: int) -> str:
    return f.days_from_today(days).isoformat()


def section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : start + 3000]


def errors_of(response, field) -> str:
    return " ".join(response.context["form"].errors.get(field, []))


# -- 3. closing with 不满意 ------------------------------------------------------------------


def test_close_page_warns_and_offers_reopen_instead(client, world):
    issue = world.resolved_issue()
    html = login(client, world.supervisor).get(act(issue, "close")).content.decode()
    warning = section(html, "close-dissatisfied-warning")
    assert "重办" in warning
    assert f'href="{act(issue, "reopen")}"' in warning


def test_close_with_dissatisfied_and_no_reason_is_refused_and_changes_nothing(client, world):
    issue = world.resolved_issue()
    response = login(client, world.supervisor).post(
        act(issue, "close"), {"version": issue.version, "satisfaction": "dissatisfied", "note": ""}
    )
    assert response.status_code == 200
    assert "不满意" in errors_of(response, "note") and "重办" in errors_of(response, "note")
    issue.refresh_from_db()
    assert issue.status == "resolved" and issue.events.filter(action="close").count() == 0
    # the reopen link is still offered next to the refusal
    assert f'href="{act(issue, "reopen")}"' in response.content.decode()


def test_workflow_refuses_a_silent_dissatisfied_close(world):
    issue = world.resolved_issue()
    with pytest.raises(TransitionRefused) as refused:
        workflow.transition(
            issue, actor=world.supervisor, action="close", satisfaction="dissatisfied"
        )
    assert "note" in refused.value.field_errors
    assert Issue.objects.get(pk=issue.pk).status == "resolved"


def test_dissatisfied_close_with_a_reason_is_recorded_and_counted(client, world):
    issue = world.resolved_issue()
    response = login(client, world.supervisor).post(
        act(issue, "close"),
        {"version": issue.version, "satisfaction": "dissatisfied", "note": "企业认为排水仍不畅。"},
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert (issue.status, issue.satisfaction) == ("closed", "dissatisfied")
    assert issue.satisfaction_note == "企业认为排水仍不畅。"
    event = issue.events.get(action="close")
    assert event.changes["satisfaction"] == ["", "dissatisfied"]
    # the assessment counts it as rated and not satisfied
    table = assessment(world.supervisor, year_period(issue.deadline.year))
    row = next(r for r in table.rows if r.unit == world.dept_b)
    assert (row.rated, row.satisfied) == (1, 0)


# -- 4. a reopened issue reads as being handled again ---------------------------------------


def _reopened(world, *, close_first: bool):
    issue = world.in_progress_issue()
    workflow.transition(
        issue, actor=world.staff_b, action="progress", progress="slow", note="施工中"
    )
    workflow.transition(issue, actor=world.staff_b, action="resolve", resolution="已修复排水。")
    if close_first:
        workflow.transition(
            issue,
            actor=world.supervisor,
            action="close",
            satisfaction="dissatisfied",
            note="仍积水",
        )
    workflow.transition(
        issue,
        actor=world.supervisor,
        action="reopen",
        deadline=f.days_from_today(7),
        note="复查未通过",
    )
    issue.refresh_from_db()
    return issue


@pytest.mark.parametrize("close_first", [False, True])
def test_reopen_clears_the_current_resolution_and_keeps_it_in_the_event(world, close_first):
    issue = _reopened(world, close_first=close_first)
    assert issue.status == "in_progress"
    assert (issue.resolution, issue.progress, issue.progress_note) == ("", "", "")
    assert issue.resolved_at is None and issue.satisfaction == ""
    reopen = issue.events.get(action="reopen")
    assert reopen.changes["resolution"] == ["已修复排水。", ""]


@pytest.mark.parametrize("close_first", [False, True])
def test_reopened_issue_page_shows_the_old_resolution_as_history(client, world, close_first):
    issue = _reopened(world, close_first=close_first)
    html = login(client, world.supervisor).get(page(issue)).content.decode()
    current = section(html, "resolution")
    assert "已修复排水。" not in current[: current.index("</dd>")]
    assert "—" in current[: current.index("</dd>")]
    progress = section(html, "progress")
    assert "已办结" not in progress[: progress.index("</dd>")]
    assert "施工中" not in progress[: progress.index("</dd>")]
    previous = section(html, "previous-resolution")
    previous = previous[: previous.index("</dd>")]
    assert "上次办结" in html
    assert "已修复排水。" in previous and "复查未通过" in previous
    assert ("不满意" in previous and "仍积水" in previous) is close_first
    # and in the timeline: the resolve event still shows the text it recorded, the reopen
    # event what it set aside
    timeline = html[html.index('data-testid="timeline"') :]
    assert timeline.count("已修复排水。") >= 2


def test_issue_resolved_again_shows_the_new_resolution_and_the_previous_one(client, world):
    issue = _reopened(world, close_first=False)
    workflow.transition(issue, actor=world.staff_b, action="resolve", resolution="已更换排水管。")
    html = login(client, world.supervisor).get(page(issue)).content.decode()
    current = section(html, "resolution")
    assert "已更换排水管。" in current[: current.index("</dd>")]
    previous = section(html, "previous-resolution")
    assert "已修复排水。" in previous[: previous.index("</dd>")]


def test_page_without_a_reopen_has_no_previous_resolution_block(client, world):
    issue = world.resolved_issue()
    html = login(client, world.supervisor).get(page(issue)).content.decode()
    assert 'data-testid="previous-resolution"' not in html
    assert "已修复排水。" in section(html, "resolution")


# -- 5 / issue 10 item 7. every action form is single-use ------------------------------------


@pytest.mark.parametrize(
    ("action", "actor", "data"),
    [
        ("comment", "staff_b", {"note": "已联系企业。"}),
        ("urge", "supervisor", {"note": "请加快办理。"}),
        ("progress", "staff_b", {"progress": "slow", "note": "正在施工。"}),
    ],
)
def test_resubmitted_form_is_refused_and_writes_no_second_event(client, world, action, actor, data):
    issue = world.in_progress_issue()
    user = getattr(world, actor)
    login(client, user)
    form = {"version": issue.version, **data}
    first = client.post(act(issue, action), form)
    assert first.status_code == 302
    events = issue.events.count()
    issue.refresh_from_db()
    urges = issue.urge_count
    # Back button: the same page, the same version, submitted again
    again = client.post(act(issue, action), form)
    assert again.status_code == 409
    html = again.content.decode()
    assert "重复提交" in html and "未再记录" in html
    assert 'data-testid="submit"' not in html
    assert issue.events.count() == events
    issue.refresh_from_db()
    assert issue.urge_count == urges


def test_stale_comment_after_someone_elses_change_keeps_the_text_and_names_them(client, world):
    issue = world.in_progress_issue()
    version = issue.version
    workflow.transition(issue, actor=world.supervisor, action="urge", note="请加快。")
    response = login(client, world.staff_b).post(
        act(issue, "comment"), {"version": version, "note": "我的备注"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert str(world.supervisor) in html and "催办" in html and "已保留" in html
    assert "我的备注" in html
    # the form now carries the current version: submitting it again records the comment once
    assert f'name="version" value="{version + 1}"' in html
    assert issue.events.filter(action="comment").count() == 0
    ok = login(client, world.staff_b).post(
        act(issue, "comment"), {"version": version + 1, "note": "我的备注"}
    )
    assert ok.status_code == 302
    assert issue.events.filter(action="comment").count() == 1


@pytest.mark.parametrize("action", ["urge", "comment"])
def test_workflow_refuses_a_comment_or_urge_on_an_old_version(world, action):
    issue = world.in_progress_issue()
    version = issue.version
    workflow.transition(
        issue, actor=world.supervisor, action=action, note="第一次", expected_version=version
    )
    with pytest.raises(TransitionRefused) as refused:
        workflow.transition(
            issue, actor=world.supervisor, action=action, note="第一次", expected_version=version
        )
    assert "已保留" in refused.value.message
    issue.refresh_from_db()
    assert issue.events.filter(action=action).count() == 1
    assert issue.urge_count == (1 if action == "urge" else 0)


def test_every_action_form_posts_the_issue_version(client, world):
    from ledger.forms.actions import ACTION_FORMS, ActionForm

    for form in ACTION_FORMS.values():
        assert issubclass(form, ActionForm) and "version" in form.base_fields
        assert form.base_fields["version"].required


# -- 11. specific required-field messages ------------------------------------------------


def test_extension_request_form_says_what_is_missing(client, world):
    issue = world.in_progress_issue()
    response = login(client, world.staff_b).post(
        act(issue, "extension_request"), {"version": issue.version}
    )
    assert response.status_code == 200
    assert errors_of(response, "new_deadline") == "请填写申请延至的日期。"
    assert errors_of(response, "note") == "请说明延期理由。"
    assert "此项为必填项" not in response.content.decode()
    assert "请填写日期。" not in response.content.decode()


def test_reopen_form_says_what_is_missing(client, world):
    issue = world.resolved_issue()
    response = login(client, world.supervisor).post(
        act(issue, "reopen"), {"version": issue.version}
    )
    assert response.status_code == 200
    assert errors_of(response, "deadline") == "请填写重办后的完成时限。"
    assert errors_of(response, "note") == "请说明重办理由。"
    assert "此项为必填项" not in response.content.decode()


# -- 15. an extension granted to another date -------------------------------------------------


def _pending(world):
    issue = world.in_progress_issue()  # deadline in 10 days
    workflow.transition(
        issue,
        actor=world.staff_b,
        action="extension_request",
        note="需协调供电公司。",
        new_deadline=f.days_from_today(30),
    )
    issue.refresh_from_db()
    return issue


def test_approve_form_is_prefilled_with_the_requested_date(client, world):
    issue = _pending(world)
    html = login(client, world.leader.user).get(act(issue, "extension_approve")).content.decode()
    assert re.search(rf'name="granted_deadline"[^>]*value="{iso(30)}"', html)
    summary = section(html, "pending-extension")
    assert iso(30) in summary and "需协调供电公司。" in summary


def test_approver_grants_another_date_recorded_in_the_event_and_history(client, world):
    issue = _pending(world)
    response = login(client, world.leader.user).post(
        act(issue, "extension_approve"),
        {"version": issue.version, "granted_deadline": iso(20), "note": "给二十天。"},
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.deadline == f.days_from_today(20)
    event = issue.events.get(action="extension_approve")
    assert event.changes["extension_granted"] == [iso(30), iso(20)]
    assert event.changes["deadline"] == [iso(10), iso(20)]
    assert ExtensionRequest.objects.get().state == "approved"
    row = issue.deadlines.get(reason=IssueDeadline.Reason.EXTENDED)
    assert (row.deadline, row.previous) == (f.days_from_today(20), f.days_from_today(10))
    html = client.get(page(issue)).content.decode()
    granted = section(html, "extensions")
    assert iso(30) in granted and "批准延至" in granted and iso(20) in granted


def test_approving_without_a_date_grants_the_requested_one(client, world):
    issue = _pending(world)
    response = login(client, world.leader.user).post(
        act(issue, "extension_approve"), {"version": issue.version}
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.deadline == f.days_from_today(30)
    assert "extension_granted" not in issue.events.get(action="extension_approve").changes


@pytest.mark.parametrize(
    ("days", "message"), [(-1, "不能早于今天"), (5, "须晚于当前时限"), (10, "须晚于当前时限")]
)
def test_granted_date_before_today_or_not_after_the_deadline_is_refused(
    client, world, days, message
):
    issue = _pending(world)
    response = login(client, world.leader.user).post(
        act(issue, "extension_approve"), {"version": issue.version, "granted_deadline": iso(days)}
    )
    assert response.status_code == 200
    assert message in errors_of(response, "granted_deadline")
    issue.refresh_from_db()
    assert issue.deadline == f.days_from_today(10)
    assert ExtensionRequest.objects.get().state == "pending"


def test_workflow_refuses_a_granted_date_in_the_past(world):
    issue = _pending(world)
    with pytest.raises(TransitionRefused) as refused:
        workflow.transition(
            issue,
            actor=world.supervisor,
            action="extension_approve",
            granted_deadline=f.days_from_today(-3),
        )
    assert "granted_deadline" in refused.value.field_errors
    assert ExtensionRequest.objects.get().state == "pending"


def test_ledger_pending_extension_rows_show_the_requested_date_and_reason(client, world):
    issue = _pending(world)
    html = (
        login(client, world.supervisor)
        .get(reverse("issue_list") + "?pending_extension=1")
        .content.decode()
    )
    assert issue.number in html
    cell = section(html, "pending-extension")
    assert iso(30) in cell and "需协调供电公司。" in cell


# -- 19. attachments shown in the browser ---------------------------------------------------


def _attachment(world, issue, name, content, claimed="application/octet-stream"):
    event = workflow.transition(issue, actor=world.staff_a, action="comment", note="附件")
    return Attachment.objects.create(
        issue=issue,
        event=event,
        file=ContentFile(content, name=name),
        original_name=name,
        content_type=claimed,
        size=len(content),
        uploaded_by=world.staff_a,
    )


def _download(issue, attachment):
    return reverse(
        "attachment_download", kwargs={"number": issue.number, "attachment_id": attachment.pk}
    )


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("现场照片.jpg", b"\xff\xd8\xff\xe0 photo", "image/jpeg"),
        ("photo.PNG", b"\x89PNG\r\n\x1a\n....", "image/png"),
        ("验收单.pdf", b"%PDF-1.4 ...", "application/pdf"),
    ],
)
def test_images_and_pdfs_open_inline_with_a_safe_type(client, world, name, content, expected):
    issue = world.raise_issue()
    # whatever type the uploading browser claimed, the stored extension decides
    attachment = _attachment(world, issue, name, content, claimed="text/html")
    response = login(client, world.staff_a).get(_download(issue, attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == expected
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == content
    if expected.startswith("image/"):
        assert "sandbox" in response["Content-Security-Policy"]
    html = client.get(page(issue)).content.decode()
    link = section(html, "attachment-preview")
    assert 'target="_blank"' in link and " download" not in link[: link.index(">")]


@pytest.mark.parametrize(
    ("name", "claimed"),
    [("说明.txt", "text/html"), ("台账.xlsx", "application/pdf"), ("图.svg", "image/svg+xml")],
)
def test_other_types_download_as_opaque_bytes(client, world, name, claimed):
    issue = world.raise_issue()
    attachment = _attachment(world, issue, name, b"<script>alert(1)</script>", claimed=claimed)
    response = login(client, world.staff_a).get(_download(issue, attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_inline_preview_still_checks_who_may_see_the_issue(client, world):
    issue = world.raise_issue()
    attachment = _attachment(world, issue, "现场照片.jpg", b"\xff\xd8\xff\xe0 photo")
    assert login(client, world.staff_c).get(_download(issue, attachment)).status_code == 404


# -- 20. small things ---------------------------------------------------------------------------


def _header(html: str) -> str:
    start = html.index('class="issue-head')
    return html[start : html.index("</header>", start)]


def test_raised_issue_header_says_pending_once(client, world):
    issue = world.raise_issue()
    html = login(client, world.staff_a).get(page(issue)).content.decode()
    assert _header(html).count("待交办") == 1


@pytest.mark.parametrize("state", ["closed", "withdrawn"])
def test_final_issues_show_no_not_applicable_badge(client, world, state):
    if state == "closed":
        issue = world.resolved_issue()
        workflow.transition(issue, actor=world.supervisor, action="close", satisfaction="satisfied")
    else:
        issue = world.raise_issue()
        workflow.transition(issue, actor=world.supervisor, action="withdraw", note="重复")
    html = login(client, world.supervisor).get(page(issue)).content.decode()
    assert "不适用" not in html
    listing = login(client, world.supervisor).get(reverse("issue_list")).content.decode()
    rows = listing[listing.index("<tbody>") : listing.index("</tbody>")]
    assert issue.number in rows and "不适用" not in rows  # (the filter form still offers it)


def test_ledger_row_of_a_raised_issue_does_not_repeat_its_status(client, world):
    world.raise_issue()
    html = login(client, world.supervisor).get(reverse("issue_list")).content.decode()
    row = html[html.index('data-testid="ledger-row"') :]
    row = row[: row.index("</tr>")]
    assert row.count("待交办") == 1


def _returned(world, title, reason):
    issue = world.assigned_issue(title=title)
    workflow.transition(issue, actor=world.staff_b, action="return", note=reason)
    return issue


def test_returned_issue_is_marked_with_its_reason_in_the_ledger(client, world):
    returned = _returned(world, "退回的问题", "不属于本单位职责，建议交由环保局。")
    never = world.raise_issue(title="从未交办")
    html = login(client, world.supervisor).get(reverse("issue_list")).content.decode()
    rows = {
        number: html[html.index(number) :][: html[html.index(number) :].index("</tr>")]
        for number in (returned.number, never.number)
    }
    assert "已退回" in rows[returned.number]
    assert "不属于本单位职责，建议交由环保局。" in rows[returned.number]
    assert "已退回" not in rows[never.number]
    # assigned again: no longer marked
    workflow.transition(
        returned,
        actor=world.supervisor,
        action="assign",
        leader=world.leader,
        lead_department=world.dept_c,
        deadline=f.days_from_today(5),
    )
    html = client.get(reverse("issue_list")).content.decode()
    assert "已退回" not in html


def test_returned_marker_costs_no_query_per_row(client, world):
    login(client, world.supervisor)
    _returned(world, "退回一", "理由一")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("issue_list"))
    for n in range(5):
        _returned(world, f"退回{n}", f"理由{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("issue_list"))
    assert response.content.decode().count('data-testid="returned"') == 6
    assert len(many) == len(few)


def test_raising_department_may_withdraw_its_issue_while_still_raised(client, world):
    issue = world.raise_issue()
    colleague = f.StaffFactory(username="staff_a2", department=world.dept_a)
    html = login(client, colleague).get(page(issue)).content.decode()
    assert 'data-action="withdraw"' in html
    response = client.post(act(issue, "withdraw"), {"version": issue.version, "note": "重复登记。"})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == "withdrawn"
    assert issue.events.get(action="withdraw").actor == colleague


def test_raising_department_may_not_withdraw_once_assigned(client, world):
    issue = world.assigned_issue()
    login(client, world.staff_a)
    assert 'data-action="withdraw"' not in client.get(page(issue)).content.decode()
    response = client.post(act(issue, "withdraw"), {"version": issue.version, "note": "撤回。"})
    assert response.status_code == 403
    assert Issue.objects.get(pk=issue.pk).status == "assigned"


def test_other_departments_may_not_withdraw_a_raised_issue(world):
    issue = world.raise_issue()
    with pytest.raises(TransitionRefused):
        workflow.transition(issue, actor=world.staff_b, action="withdraw", note="不是我们的")
    assert Issue.objects.get(pk=issue.pk).status == "raised"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_one_date_format_in_every_language(language):
    day = datetime.date(2026, 11, 30)
    moment = datetime.datetime(2026, 11, 30, 9, 5)
    with translation.override(language):
        assert formats.date_format(day) == "2026-11-30"
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "2026-11-30"
        assert formats.date_format(moment, "DATETIME_FORMAT") == "2026-11-30 09:05"


def test_refusal_messages_show_iso_dates(world):
    issue = world.in_progress_issue()
    version = issue.version
    workflow.transition(issue, actor=world.supervisor, action="urge")
    with pytest.raises(TransitionRefused) as refused:
        workflow.transition(
            issue, actor=world.staff_b, action="comment", note="x", expected_version=version
        )
    today = timezone.localdate().isoformat()
    assert today in refused.value.message
    assert "年" not in refused.value.message.split("于", 1)[1][:20]


def test_signing_out_says_so_on_the_login_page(client, world):
    login(client, world.staff_a)
    response = client.post(reverse("logout"), follow=True)
    html = response.content.decode()
    assert 'data-testid="signed-out"' in html and "您已安全退出" in html
    # not on an ordinary visit of the login page
    assert "您已安全退出" not in client.get(reverse("login")).content.decode()
