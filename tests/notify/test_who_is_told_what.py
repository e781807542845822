"""What each person is told, in their own words: the co-departments' wording and the news
they get (extensions, 重办, 销号), an extension request that shows its date and reason and
leads its decider to the approval, a 请审核销号 that is done once anyone closes the issue,
and issues imported as 已交办 told to each lead department once, as a digest."""

import datetime

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ledger import workflow
from ledger.notify.models import Kind, Notification
from ledger.notify.services import notification_text
from tests import factories as f

from .test_recipients import _closed, _pending_extension, _resolved


def _texts(issue, kind) -> dict[str, str]:
    """username -> the sentence their bell shows for `kind` on `issue`."""
    found = Notification.objects.filter(issue=issue, kind=kind).select_related("recipient", "actor")
    return {n.recipient.username: notification_text(n) for n in found}


def test_assignment_speaks_to_each_in_their_own_capacity(people, committed):
    issue = people.raise_issue()
    committed(
        workflow.transition,
        issue,
        actor=people.supervisor,
        action="assign",
        leader=people.leader,
        lead_department=people.dept_b,
        co_departments=[people.dept_c],
        deadline=f.days_from_today(10),
    )
    texts = _texts(issue, Kind.ASSIGN)
    assert "请牵头单位及时签收办理" in texts["staff_b"]
    # the co-department is not asked to 签收 like the lead department
    assert "签收" not in texts["staff_c"]
    assert "配合单位" in texts["staff_c"]
    assert "责任领导" in texts["leader1"] and "签收" not in texts["leader1"]
    assert len(set(texts.values()) & {texts["staff_b"], texts["staff_c"], texts["leader1"]}) == 3


def test_the_co_department_is_told_the_new_deadline_of_an_approved_extension(people, committed):
    issue = _pending_extension(people)
    Notification.objects.all().delete()
    committed(workflow.transition, issue, actor=people.leader.user, action="extension_approve")
    issue.refresh_from_db()
    new = issue.deadline
    texts = _texts(issue, Kind.EXTENSION_APPROVE)
    assert "staff_c" in texts
    assert new.isoformat() in texts["staff_c"]
    assert "配合" in texts["staff_c"]
    assert new.isoformat() in texts["staff_b"]


def test_the_co_department_is_told_of_reopen_and_close(people, committed):
    issue = _resolved(people)
    Notification.objects.all().delete()
    committed(
        workflow.transition,
        issue,
        actor=people.supervisor,
        action="close",
        satisfaction="satisfied",
    )
    assert "配合工作结束" in _texts(issue, Kind.CLOSE)["staff_c"]
    issue = _closed(people)
    deadline = f.days_from_today(20)
    committed(
        workflow.transition,
        issue,
        actor=people.leader.user,
        action="reopen",
        note="企业不满意",
        deadline=deadline,
    )
    text = _texts(issue, Kind.REOPEN)["staff_c"]
    assert "重办" in text and deadline.isoformat() in text


def test_an_extension_request_shows_the_date_and_reason_and_leads_to_the_approval(
    people, committed, client
):
    issue = people.in_progress_issue()
    asked = f.days_from_today(30)
    committed(
        workflow.transition,
        issue,
        actor=people.staff_b,
        action="extension_request",
        note="设备到货推迟。",
        new_deadline=asked,
    )
    notification = Notification.objects.get(
        issue=issue, kind=Kind.EXTENSION_REQUEST, recipient=people.leader.user
    )
    text = notification_text(notification)
    assert asked.isoformat() in text and "理由：设备到货推迟。请审批" in text
    client.force_login(people.leader.user)
    assert "设备到货推迟" in client.get(reverse("notify:notification_list")).content.decode()
    response = client.get(reverse("notify:notification_open", args=[notification.pk]))
    approve = reverse("issue_action", args=[issue.number, "extension_approve"])
    assert response.status_code == 302
    assert response.url == f"{approve}?notification={notification.pk}"
    page = client.get(approve).content.decode()
    assert asked.isoformat() in page and "设备到货推迟" in page and "批准延期" in page
    # once decided, the same link leads to the issue page
    committed(
        workflow.transition,
        issue,
        actor=people.supervisor,
        action="extension_reject",
        note="理由不充分",
    )
    response = client.get(reverse("notify:notification_open", args=[notification.pk]))
    assert response.url == f"/issues/{issue.number}/?notification={notification.pk}"


def test_the_offices_close_request_is_done_when_someone_else_closes(people, committed, client):
    issue = people.in_progress_issue()
    committed(
        workflow.transition, issue, actor=people.staff_b, action="resolve", resolution="已解决。"
    )
    asked = Notification.objects.get(issue=issue, kind=Kind.RESOLVE, recipient=people.supervisor)
    assert asked.read_at is None
    committed(
        workflow.transition,
        issue,
        actor=people.leader.user,
        action="close",
        satisfaction="satisfied",
    )
    asked.refresh_from_db()
    assert asked.read_at is not None
    client.force_login(people.supervisor)
    assert "已销号，无需处理" in client.get(reverse("notify:notification_list")).content.decode()


def test_the_approval_request_is_done_when_someone_else_decides(people, committed):
    issue = committed(_pending_extension, people)
    asked = Notification.objects.get(
        issue=issue, kind=Kind.EXTENSION_REQUEST, recipient=people.leader.user
    )
    assert asked.read_at is None
    committed(workflow.transition, issue, actor=people.supervisor, action="extension_approve")
    asked.refresh_from_db()
    assert asked.read_at is not None


def _imported(world, *, lead, status="assigned", n=1):
    now = timezone.now()
    fields = {
        "description": "从旧台账导入。",
        "category": world.category,
        "source": world.source,
        "raising_department": world.dept_a,
        "raised_at": now - datetime.timedelta(days=30),
        "status": status,
    }
    if status == "assigned":
        fields.update(
            leader=world.leader,
            lead_department=lead,
            deadline=f.days_from_today(40),
            assigned_at=now - datetime.timedelta(days=29),
        )
    return [
        {
            "row": 0,
            "fields": {**fields, "title": f"导入的问题 {lead} {k}"},
            "co_departments": [],
            "number": None,
            "note": "导入",
        }
        for k in range(n)
    ]


def test_issues_imported_as_assigned_tell_each_lead_department_once(people, committed, client):
    items = (
        _imported(people, lead=people.dept_b, n=3)
        + _imported(people, lead=people.dept_c, n=2)
        + _imported(people, lead=None, status="raised", n=2)
    )
    for row, item in enumerate(items, start=3):
        item["row"] = row
    committed(
        workflow.issues_import,
        actor=people.supervisor,
        at=timezone.now(),
        file_name="旧台账.xlsx",
        items=items,
    )
    told = Notification.objects.select_related("recipient", "actor", "issue")
    by_user = {}
    for n in told:
        by_user.setdefault(n.recipient.username, []).append(n)
    # one digest per person of each lead department, none per issue, none for the raised ones
    assert sorted(by_user) == ["staff_b", "staff_b2", "staff_c"]
    assert all(len(found) == 1 for found in by_user.values())
    (digest,) = by_user["staff_b"]
    assert digest.kind == Kind.IMPORTED
    assert notification_text(digest).startswith("3 件问题已交办给你单位")
    assert notification_text(by_user["staff_c"][0]).startswith("2 件问题已交办给你单位")
    client.force_login(people.staff_b)
    response = client.get(reverse("notify:notification_open", args=[digest.pk]))
    assert response.url.startswith(reverse("issue_list") + "?")
    assert f"lead_department={people.dept_b.pk}" in response.url
    assert response.url.endswith(f"&notification={digest.pk}")
    ledger = client.get(response.url).content.decode()
    assert ledger.count("导入的问题 区住建局") == 3
    # the e-mail says the same and links to the same filtered ledger
    (message,) = [m for m in mail.outbox if m.to == [people.staff_b.email]]
    assert "3 件问题已交办给你单位" in message.body
    assert response.url.rsplit("&", 1)[0] in message.body


def test_the_spreadsheet_import_tells_each_lead_department_once(people, committed):
    from ledger.exchange.importing import ledger_import
    from ledger.models import Issue
    from tests.exchange.import_sheets import messy_rows, xlsx_bytes

    f.SourceFactory(name="12345 热线")
    f.CategoryFactory(name="其他")
    f.SourceFactory(name="其他")
    rows, merged, _expected = messy_rows(people)
    data = xlsx_bytes(rows, merged)
    outcome = committed(
        ledger_import, data, file_name="台账.xlsx", user=people.supervisor, dry_run=False
    )
    assert not outcome.problems
    assigned = Issue.objects.filter(status="assigned", lead_department=people.dept_b).count()
    assert assigned >= 2
    for username in ("staff_b", "staff_b2"):
        (digest,) = Notification.objects.filter(recipient__username=username).select_related(
            "actor"
        )
        assert digest.kind == Kind.IMPORTED
        assert notification_text(digest).startswith(f"{assigned} 件问题已交办给你单位")
    # the same file again creates nothing, and tells nobody again
    committed(ledger_import, data, file_name="台账.xlsx", user=people.supervisor, dry_run=False)
    assert Notification.objects.filter(recipient__username="staff_b").count() == 1
