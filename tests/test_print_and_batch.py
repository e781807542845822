"""Issue 9: the printed ledger and issue page, 交办单 / 督办单, batch actions of the oversight
office, and the ledger's free text finding people and units."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ledger import summaries, workflow
from ledger.models import Issue, IssueEvent
from tests import factories as f


def batch_post(client, data):
    """POST the batch page as the confirmation page sends it: with each chosen issue's
    version as the page showed it (a submission without them is refused whole)."""
    data = dict(data)
    for issue in Issue.objects.filter(number__in=data.get("numbers", [])):
        data.setdefault(f"version-{issue.number}", str(issue.version))
    return client.post("/issues/batch/", data)


def raised_many(world, n):
    issues = [
        f.IssueFactory(raised_by=world.staff_a, category=world.category, source=world.source)
        for _ in range(n)
    ]
    # made by the factory, not the workflow: counted into the summary rows as an import would
    summaries.issues_recount([issue.pk for issue in issues])
    return issues


def printed_rows(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<tr data-testid="ledger-row">', html)


# -- item 1: the printed ledger ---------------------------------------------------------


def test_printed_ledger_lists_the_whole_filtered_set_not_one_page(client, world, settings):
    """The bug: /issues/?status=raised says 共 28 条 but printing it printed the 25 of page 1."""
    settings.LEDGER = {**settings.LEDGER, "PAGE_SIZE": 25}
    raised_many(world, 28)
    client.force_login(world.supervisor)
    ledger = client.get("/issues/?status=raised")
    assert ledger.context["page_obj"].paginator.count == 28
    assert len(printed_rows(ledger)) == 25  # the screen pages; the print link is the fix
    assert f'href="{reverse("issue_print")}?status=raised&amp;sort=-number"' in (
        ledger.content.decode()
    )
    response = client.get("/issues/print/?status=raised")
    assert response.status_code == 200
    assert len(printed_rows(response)) == 28
    html = response.content.decode()
    assert "共 28 条问题，全部列出。" in html
    assert "中站区问题台账" in html  # title
    assert "状态：待交办" in html  # the filter in words
    assert timezone.localdate().isoformat() in html  # the date
    assert "css/print.css" in html  # page numbers: @page counters in the print stylesheet


def test_printed_ledger_beyond_the_cap_says_so_and_points_to_the_export(client, world, settings):
    settings.LEDGER = {**settings.LEDGER, "PRINT_MAX_ROWS": 5}
    raised_many(world, 7)
    client.force_login(world.supervisor)
    response = client.get("/issues/print/?status=raised&sort=number")
    assert len(printed_rows(response)) == 5
    html = response.content.decode()
    assert 'data-testid="print-cut"' in html
    assert "打印最多列出 5 条，本次筛选共 7 条" in html
    assert "以上为第 1–5 条，共 7 条" in html
    export = f"{reverse('exchange:issue_export')}?status=raised&amp;sort=number"
    assert f'href="{export}"' in html


def test_printed_ledger_keeps_visibility_filters_and_sort(client, world):
    mine = world.raise_issue(actor=world.staff_a, title="甲厂用电")
    other = world.raise_issue(actor=world.staff_c, title="乙厂用水")
    second = world.raise_issue(actor=world.staff_a, title="丙厂用电")
    client.force_login(world.staff_a)
    html = client.get("/issues/print/?q=用电&sort=number").content.decode()
    assert mine.number in html and second.number in html
    assert other.number not in html
    assert html.index(mine.number) < html.index(second.number)
    assert "关键词：用电" in html


def test_printed_ledger_reports_bad_filters_instead_of_failing(client, world):
    client.force_login(world.supervisor)
    response = client.get("/issues/print/?deadline_after=not-a-date&status=nonsense")
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in response.content.decode()


def test_printed_ledger_query_count_does_not_grow_with_rows(client, world):
    client.force_login(world.supervisor)
    raised_many(world, 3)
    with CaptureQueriesContext(connection) as few:
        client.get("/issues/print/")
    raised_many(world, 30)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/issues/print/")
    assert len(printed_rows(response)) == 33
    assert len(many) == len(few)


def test_printed_ledger_needs_sign_in(client, db):
    response = client.get("/issues/print/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_issue_page_has_a_print_button_and_the_print_stylesheet(client, world):
    issue = world.assigned_issue()
    client.force_login(world.staff_b)
    html = client.get(issue.get_absolute_url()).content.decode()
    assert "data-print" in html
    assert "css/print.css" in html and "js/print.js" in html
    # the record prints everything: fields, deadline history and timeline are on the page
    for testid in ("issue-fields", "timeline"):
        assert f'data-testid="{testid}"' in html


# -- item 16: free text finds people and units ----------------------------------------


def test_ledger_text_finds_the_leader_and_the_lead_and_co_departments(client, world):
    world.leader.user.name = "方志远"
    world.leader.user.save()
    led = world.assigned_issue(leader=world.leader, lead=world.dept_b)
    other = world.assigned_issue(leader=world.other_leader, lead=world.dept_c)
    co = world.raise_issue(title="供地")
    workflow.transition(
        co,
        actor=world.supervisor,
        action="assign",
        leader=world.other_leader,
        lead_department=world.dept_a,
        deadline=f.days_from_today(9),
        co_departments=[world.dept_b, world.dept_c],
    )
    client.force_login(world.supervisor)

    def found(q):
        response = client.get("/issues/", {"q": q})
        return [issue.number for issue in response.context["issues"]]

    assert found("方志远") == [led.number]
    assert sorted(found("住建局")) == sorted([led.number, co.number])  # lead, then co
    assert sorted(found("区环保局")) == sorted([other.number, co.number])
    # two matching co-departments: still one row (EXISTS, no join)
    assert found("供地") == [co.number]
    assert found("局").count(co.number) == 1


# -- item 17: 交办单 and 督办单 ----------------------------------------------------------


def test_assignment_notice_has_everything_an_office_files(client, world):
    world.leader.user.name = "方志远"
    world.leader.user.save()
    issue = world.raise_issue(enterprise=world.enterprise, title="厂区道路积水")
    deadline = f.days_from_today(12)
    workflow.transition(
        issue,
        actor=world.supervisor,
        action="assign",
        leader=world.leader,
        lead_department=world.dept_b,
        co_departments=[world.dept_c],
        deadline=deadline,
        measures="疏通排水管网",
    )
    client.force_login(world.staff_b)
    response = client.get(reverse("issue_notice_assign", args=[issue.number]))
    assert response.status_code == 200
    html = response.content.decode()
    today = timezone.localdate()
    for text in (
        "问题交办单",
        issue.number,
        "厂区道路积水",
        world.enterprise.name,
        "雨后厂区门口道路积水严重。",
        "方志远",
        "区住建局",
        "区环保局",
        f"{deadline.year}年{deadline.month}月{deadline.day}日",
        "疏通排水管网",
        "区政府督查室",  # the issuing office: the department of whoever assigned
        f"{today.year}年{today.month}月{today.day}日",
        "签收人",
    ):
        assert text in html, text


def test_escalation_notice_for_an_escalated_issue(client, world):
    issue = world.in_progress_issue()
    workflow.transition(issue, actor=world.supervisor, action="escalate", note="逾期未办结")
    client.force_login(world.supervisor)
    page = client.get(issue.get_absolute_url()).content.decode()
    assert reverse("issue_notice_escalate", args=[issue.number]) in page
    assert reverse("issue_notice_assign", args=[issue.number]) in page
    html = client.get(reverse("issue_notice_escalate", args=[issue.number])).content.decode()
    assert "问题督办单" in html and "逾期未办结" in html and issue.number in html


def test_no_notice_before_assignment_or_escalation(client, world):
    raised = world.raise_issue()
    running = world.assigned_issue()
    client.force_login(world.supervisor)
    page = client.get(raised.get_absolute_url()).content.decode()
    assert "notice-assign-link" not in page and "notice-escalate-link" not in page
    response = client.get(reverse("issue_notice_assign", args=[raised.number]), follow=True)
    assert "该问题尚未交办，没有交办单。" in response.content.decode()
    response = client.get(reverse("issue_notice_escalate", args=[running.number]), follow=True)
    assert "该问题不是督办件，没有督办单。" in response.content.decode()


def test_notices_only_for_those_who_may_view_the_issue(client, world):
    issue = world.assigned_issue(lead=world.dept_b)
    workflow.transition(issue, actor=world.supervisor, action="escalate", note="督办")
    client.force_login(world.staff_c)  # neither raised, leads nor co-handles it
    for name in ("issue_notice_assign", "issue_notice_escalate"):
        assert client.get(reverse(name, args=[issue.number])).status_code == 404
    assert client.get(reverse("issue_notice_assign", args=["ZZ-1999-9999"])).status_code == 404


# -- item 14: batch actions ------------------------------------------------------------


def events(issue, action):
    return IssueEvent.objects.filter(issue=issue, action=action).count()


def test_ledger_offers_batch_checkboxes_to_supervisors_only(client, world):
    world.raise_issue()
    client.force_login(world.supervisor)
    html = client.get("/issues/").content.decode()
    assert 'id="batch-form"' in html and 'form="batch-form"' in html and "js/batch.js" in html
    client.force_login(world.staff_a)
    html = client.get("/issues/").content.decode()
    assert "batch-form" not in html and "data-batch-row" not in html


def test_batch_page_lists_the_chosen_issues_and_what_the_workflow_would_say(client, world):
    a, b = world.assigned_issue(), world.raise_issue()
    client.force_login(world.supervisor)
    response = client.get("/issues/batch/", {"numbers": [a.number, b.number], "action": "urge"})
    assert response.status_code == 200
    assert [i.number for i in response.context["issues"]] == [a.number, b.number]
    assert [i.batch_ready for i in response.context["issues"]] == [True, False]


def test_batch_urge_one_event_per_issue_and_refusals_reported_per_issue(client, world):
    a, b = world.assigned_issue(), world.in_progress_issue()
    raised = world.raise_issue()
    client.force_login(world.supervisor)
    response = batch_post(
        client,
        {"numbers": [a.number, raised.number, b.number, "ZZ-1999-0001"], "action": "urge"},
    )
    assert response.status_code == 302
    assert response.url == reverse("issue_batch_result")
    assert events(a, "urge") == 1 and events(b, "urge") == 1
    assert events(raised, "urge") == 0
    a.refresh_from_db()
    assert a.urge_count == 1
    result = client.get(response.url)
    assert [row["number"] for row in result.context["done"]] == [a.number, b.number]
    refused = {row["number"]: row["reason"] for row in result.context["refused"]}
    assert set(refused) == {raised.number, "ZZ-1999-0001"}
    assert "不能执行“催办”" in refused[raised.number]
    assert "不存在或您无权查看" in refused["ZZ-1999-0001"]
    html = result.content.decode()
    assert "已办理 2 个，未办理 2 个。" in html


def test_resubmitting_the_batch_page_urges_nobody_twice(client, world):
    # the confirmation page carries each issue's version; posting the same page again
    # (Back and submit, a double click) is refused per issue and writes no second urge
    a, b = world.assigned_issue(), world.in_progress_issue()
    client.force_login(world.supervisor)
    page = client.get("/issues/batch/", {"numbers": [a.number, b.number], "action": "urge"})
    html = page.content.decode()
    for issue in (a, b):
        assert f'name="version-{issue.number}" value="{issue.version}"' in html
    posted = {
        "numbers": [a.number, b.number],
        "action": "urge",
        f"version-{a.number}": str(a.version),
        f"version-{b.number}": str(b.version),
    }
    assert client.post("/issues/batch/", posted).status_code == 302
    again = client.post("/issues/batch/", posted)
    assert again.status_code == 302
    assert events(a, "urge") == 1 and events(b, "urge") == 1
    a.refresh_from_db()
    assert a.urge_count == 1
    result = client.get(again.url)
    assert result.context["done"] == []
    assert {row["number"] for row in result.context["refused"]} == {a.number, b.number}


def test_batch_assign_gives_each_issue_its_own_assignment(client, world):
    one, two = world.raise_issue(title="一"), world.raise_issue(title="二")
    already = world.assigned_issue(lead=world.dept_c)
    deadline = f.days_from_today(15)
    client.force_login(world.supervisor)
    response = batch_post(
        client,
        {
            "numbers": [one.number, already.number, two.number],
            "action": "assign",
            "leader": world.other_leader.pk,
            "lead_department": world.dept_b.pk,
            "deadline": deadline.isoformat(),
            "note": "集中交办",
        },
    )
    assert response.status_code == 302
    for issue in (one, two):
        issue.refresh_from_db()
        assert issue.status == "assigned"
        assert (issue.leader, issue.lead_department, issue.deadline) == (
            world.other_leader,
            world.dept_b,
            deadline,
        )
        event = IssueEvent.objects.get(issue=issue, action="assign")
        assert event.note == "集中交办" and event.actor == world.supervisor
    already.refresh_from_db()
    assert already.lead_department == world.dept_c  # refused: already assigned, unchanged
    assert events(already, "assign") == 1
    result = client.get(response.url)
    assert [row["number"] for row in result.context["refused"]] == [already.number]


def test_batch_assign_needs_leader_department_and_a_deadline_not_in_the_past(client, world):
    issue = world.raise_issue()
    client.force_login(world.supervisor)
    response = batch_post(client, {"numbers": [issue.number], "action": "assign"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "批量交办须选择责任领导。" in html and "批量交办须填写完成时限。" in html
    response = batch_post(
        client,
        {
            "numbers": [issue.number],
            "action": "assign",
            "leader": world.leader.pk,
            "lead_department": world.dept_b.pk,
            "deadline": f.days_from_today(-1).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "完成时限不能早于今天。" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == "raised" and events(issue, "assign") == 0


def test_batch_with_nothing_chosen_or_a_bad_action_is_a_message(client, world):
    client.force_login(world.supervisor)
    response = batch_post(client, {"numbers": ["<x>"], "action": "urge"})
    assert response.status_code == 400
    assert "请至少选择一个您可以查看的问题。" in response.content.decode()
    issue = world.assigned_issue()
    response = batch_post(client, {"numbers": [issue.number], "action": "close"})
    assert response.status_code == 400
    assert events(issue, "close") == 0


@pytest.mark.parametrize("who", ["staff_b", "leader"])
def test_batch_actions_are_for_the_oversight_office_only(client, world, who):
    issue = world.assigned_issue()
    person = getattr(world, who)
    client.force_login(getattr(person, "user", person))
    assert client.get("/issues/batch/", {"numbers": [issue.number]}).status_code == 403
    response = batch_post(client, {"numbers": [issue.number], "action": "urge"})
    assert response.status_code == 403
    assert events(issue, "urge") == 0


def test_batch_post_needs_the_csrf_token(world):
    issue = world.assigned_issue()
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.supervisor)
    response = batch_post(client, {"numbers": [issue.number], "action": "urge"})
    assert response.status_code == 403
    assert events(issue, "urge") == 0


def test_batch_refusal_in_one_issue_leaves_the_others_committed(client, world, monkeypatch):
    """Each issue in its own transaction: an error raised while writing one is that issue's."""
    a, b = world.assigned_issue(), world.assigned_issue()
    real = workflow.transition

    def failing(issue, **kwargs):
        event = real(issue, **kwargs)
        if issue == b.pk:
            raise workflow.TransitionRefused("模拟失败")
        return event

    monkeypatch.setattr(workflow, "transition", failing)
    client.force_login(world.supervisor)
    batch_post(client, {"numbers": [a.number, b.number], "action": "urge"})
    assert events(a, "urge") == 1
    assert events(b, "urge") == 0  # rolled back with its own transaction
    assert Issue.objects.get(pk=b.pk).urge_count == 0


def test_batch_page_query_count_does_not_grow_with_the_issues_chosen(client, world):
    client.force_login(world.supervisor)
    few = [world.assigned_issue().number for _ in range(2)]
    with CaptureQueriesContext(connection) as small:
        client.get("/issues/batch/", {"numbers": few, "action": "urge"})
    many = few + [world.assigned_issue().number for _ in range(8)]
    with CaptureQueriesContext(connection) as large:
        response = client.get("/issues/batch/", {"numbers": many, "action": "urge"})
    assert len(response.context["issues"]) == 10
    assert len(large) == len(small)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_print_notice_and_batch_pages_render_in_both_languages(client, world, language):
    issue = world.in_progress_issue()
    workflow.transition(issue, actor=world.supervisor, action="escalate", note="督办")
    client.force_login(world.supervisor)
    for url in (
        "/issues/print/",
        reverse("issue_notice_assign", args=[issue.number]),
        reverse("issue_notice_escalate", args=[issue.number]),
        f"/issues/batch/?numbers={issue.number}&action=assign",
    ):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url


def test_batch_assign_includes_co_departments(client, world):
    one, two = world.raise_issue(title="一"), world.raise_issue(title="二")
    client.force_login(world.supervisor)
    response = batch_post(
        client,
        {
            "numbers": [one.number, two.number],
            "action": "assign",
            "leader": world.leader.pk,
            "lead_department": world.dept_b.pk,
            # the lead department ticked as well: it is not its own co-department
            "co_departments": [world.dept_a.pk, world.dept_c.pk, world.dept_b.pk],
            "deadline": f.days_from_today(15).isoformat(),
        },
    )
    assert response.status_code == 302
    for issue in (one, two):
        issue.refresh_from_db()
        assert issue.status == "assigned" and issue.lead_department == world.dept_b
        assert set(issue.co_departments.all()) == {world.dept_a, world.dept_c}


@pytest.mark.parametrize("co_department", ["999999", "99999999999999999999999", "1x"])
def test_batch_assign_with_an_unknown_co_department_is_a_message(client, world, co_department):
    issue = world.raise_issue()
    client.force_login(world.supervisor)
    response = batch_post(
        client,
        {
            "numbers": [issue.number],
            "action": "assign",
            "leader": world.leader.pk,
            "lead_department": world.dept_b.pk,
            "co_departments": [co_department],
            "deadline": f.days_from_today(15).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "所选配合单位无效" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == "raised"


def _block(html: str, marker: str) -> str:
    """The opening tag of the element carrying `marker`."""
    start = html.rindex("<", 0, html.index(marker))
    return html[start : html.index(">", start) + 1]


def test_batch_page_shows_only_the_fields_of_the_chosen_action(client, world):
    issue = world.raise_issue()
    client.force_login(world.supervisor)

    def page(action=""):
        query = f"numbers={issue.number}" + (f"&action={action}" if action else "")
        return client.get(f"/issues/batch/?{query}").content.decode()

    assign_block = 'data-batch-fields="assign" data-testid="batch-assign-fields"'
    note_block = 'data-batch-fields="urge assign"'

    urge = page("urge")
    assert " hidden" in _block(urge, assign_block)  # no leader, department or deadline
    assert " hidden" not in _block(urge, note_block)

    assign = page("assign")
    assert " hidden" not in _block(assign, assign_block)
    fields = assign[assign.index(assign_block) :]
    for label in ("责任领导", "牵头单位", "配合单位", "完成时限"):
        assert label in fields[: fields.index("</fieldset>")]
    assert f'name="co_departments" value="{world.dept_c.pk}"' in fields

    nothing = page()
    assert " hidden" in _block(nothing, assign_block) and " hidden" in _block(nothing, note_block)
    assert "请先选择批量催办或批量交办" in nothing
    assert "js/batch.js" in nothing  # switches the fields as the choice changes


def test_assignment_notice_after_reopening_prints_each_rounds_opinion_and_deadline(client, world):
    issue = world.raise_issue(title="重办的问题")
    first, extended, second = (f.days_from_today(n) for n in (10, 20, 30))
    sup = world.supervisor
    workflow.transition(
        issue,
        actor=sup,
        action="assign",
        leader=world.leader,
        lead_department=world.dept_b,
        deadline=first,
        note="请于十日内疏通排水",
    )
    workflow.transition(issue, actor=world.staff_b, action="accept")
    workflow.transition(
        issue, actor=world.staff_b, action="extension_request", new_deadline=extended, note="等雨停"
    )
    workflow.transition(issue, actor=sup, action="extension_approve", note="同意")
    workflow.transition(issue, actor=world.staff_b, action="resolve", resolution="已疏通")
    workflow.transition(issue, actor=sup, action="reopen", deadline=second, note="企业反映仍积水")

    client.force_login(world.staff_b)
    html = client.get(reverse("issue_notice_assign", args=[issue.number])).content.decode()
    rounds = re.findall(r'<tr data-testid="notice-round">(.*?)</tr>', html, re.S)
    assert len(rounds) == 2

    def day(d):
        return f"{d.year}年{d.month}月{d.day}日"

    assert "第1轮 交办意见" in rounds[0] and "请于十日内疏通排水" in rounds[0]
    assert f'data-testid="round-deadline">{day(first)}<' in rounds[0]
    assert f"经批准延期至 {day(extended)}" in rounds[0]
    assert "第2轮 重办意见" in rounds[1] and "企业反映仍积水" in rounds[1]
    assert f'data-testid="round-deadline">{day(second)}<' in rounds[1]
    assert "请于十日内疏通排水" not in rounds[1]
    notice_deadline = html[html.index('data-testid="notice-deadline"') :]
    assert notice_deadline.index(day(second)) < notice_deadline.index("</td>")  # in force now
