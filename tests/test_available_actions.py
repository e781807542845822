"""The buttons leave out what transition() would refuse anyway, whatever the form says.

The table (states.TRANSITIONS × rules.py) decides by status and role; on top of it the
issue as it stands decides a few actions: an extension request can be approved or
rejected only while one is pending, a second one cannot be asked for, none once the
deadline has passed, and an issue is escalated (督办) only once. The expected results are
written out by hand.
"""

import datetime
import re

import pytest
from django.db import connection
from django.db.models import prefetch_related_objects
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ledger import workflow
from ledger.models import ExtensionRequest, Issue
from ledger.states import Action
from ledger.workflow import TransitionRefused
from tests import factories as f

DECIDED_BY_THE_ISSUE = ("extension_request", "extension_approve", "extension_reject", "escalate")
ROLES = ("lead_staff", "responsible_leader", "supervisor", "admin")
SITUATIONS = ("plain", "pending", "decided", "due_today", "overdue", "escalated")

PLAIN = {
    "lead_staff": {"extension_request"},
    "responsible_leader": set(),
    "supervisor": {"escalate"},
    "admin": {"extension_request", "escalate"},
}
# which of DECIDED_BY_THE_ISSUE each role is offered on an assigned or in-progress issue
OFFERED: dict[str, dict[str, set[str]]] = {
    "plain": PLAIN,  # deadline in 10 days, no extension request, not escalated
    "pending": {
        "lead_staff": set(),
        "responsible_leader": {"extension_approve", "extension_reject"},
        "supervisor": {"extension_approve", "extension_reject", "escalate"},
        "admin": {"extension_approve", "extension_reject", "escalate"},
    },
    "decided": PLAIN,  # a request was approved: none is pending, a new one may follow
    "due_today": PLAIN,  # the deadline day itself is still in time
    "overdue": {
        "lead_staff": set(),
        "responsible_leader": set(),
        "supervisor": {"escalate"},
        "admin": {"escalate"},
    },
    "escalated": {
        "lead_staff": {"extension_request"},
        "responsible_leader": set(),
        "supervisor": set(),
        "admin": {"extension_request"},
    },
}

VALID_INPUT = {
    "extension_request": {"note": "需协调供电公司。", "new_deadline": f.days_from_today(40)},
    "extension_approve": {"note": "同意。"},
    "extension_reject": {"note": "理由不充分。"},
    "escalate": {"note": "挂牌督办。"},
}


def users(world) -> dict:
    return {
        "lead_staff": world.staff_b,
        "responsible_leader": world.leader.user,
        "supervisor": world.supervisor,
        "admin": world.admin,
    }


def build(world, status: str, situation: str) -> Issue:
    """An issue led by dept_b with world.leader responsible, in `status` and `situation`."""
    days = f.days_from_today
    if situation == "overdue":
        issue = world.raise_issue()
        workflow.transition(
            issue,
            actor=world.supervisor,
            action="assign",
            leader=world.leader,
            lead_department=world.dept_b,
            deadline=days(-1),
            at=timezone.now() - datetime.timedelta(days=10),
        )
    else:
        issue = world.assigned_issue(deadline_days=0 if situation == "due_today" else 10)
    if status == "in_progress":
        workflow.transition(issue, actor=world.staff_b, action="accept")
    if situation in ("pending", "decided"):
        workflow.transition(
            issue,
            actor=world.staff_b,
            action="extension_request",
            note="施工需要更多时间。",
            new_deadline=days(30),
        )
    if situation == "decided":
        workflow.transition(issue, actor=world.leader.user, action="extension_approve")
    if situation == "escalated":
        workflow.transition(issue, actor=world.supervisor, action="escalate", note="督办。")
    return Issue.objects.get(pk=issue.pk)


def snapshot(issue) -> tuple:
    issue = Issue.objects.get(pk=issue.pk)
    extensions = list(issue.extensions.values_list("pk", "state"))
    return (issue.version, issue.deadline, issue.is_escalated, issue.events.count(), extensions)


CASES = [
    pytest.param(status, situation, role, id=f"{status}-{situation}-{role}")
    for status in ("assigned", "in_progress")
    for situation in SITUATIONS
    for role in ROLES
]


@pytest.mark.parametrize(("status", "situation", "role"), CASES)
def test_offered_actions_follow_the_issue_as_it_stands(world, status, situation, role):
    issue = build(world, status, situation)
    user = users(world)[role]
    offered = workflow.available_actions(user, issue)
    table = workflow.available_actions(user, issue, check_preconditions=False)
    assert {a.value for a in offered if a in DECIDED_BY_THE_ISSUE} == OFFERED[situation][role]
    # everything else is the table's, in the table's order
    assert [a for a in table if a not in DECIDED_BY_THE_ISSUE] == [
        a for a in offered if a not in DECIDED_BY_THE_ISSUE
    ]
    assert offered == [a for a in table if a in offered]


@pytest.mark.parametrize(("status", "situation", "role"), CASES)
def test_what_is_left_out_transition_refuses_and_what_is_offered_it_takes(
    world, status, situation, role
):
    user = users(world)[role]
    for action in DECIDED_BY_THE_ISSUE:
        issue = build(world, status, situation)
        if Action(action) not in workflow.available_actions(user, issue, check_preconditions=False):
            continue  # the table refuses it; test_workflow.py covers that
        if action in OFFERED[situation][role]:
            event = workflow.transition(
                issue,
                actor=user,
                action=action,
                expected_version=issue.version,
                **VALID_INPUT[action],
            )
            assert event.action == action
            continue
        reason = workflow.unmet_precondition(
            issue,
            Action(action),
            extension_pending=issue.extensions.filter(state="pending").exists(),
            today=timezone.localdate(),
        )
        assert reason, action
        before = snapshot(issue)
        with pytest.raises(TransitionRefused) as refused:
            workflow.transition(
                issue,
                actor=user,
                action=action,
                expected_version=issue.version,
                **VALID_INPUT[action],
            )
        assert refused.value.message == reason
        assert snapshot(issue) == before


@pytest.mark.parametrize(
    ("action", "situation", "words"),
    [
        ("extension_request", "pending", "已有一项待审批的延期申请"),
        ("extension_request", "overdue", "已逾期"),
        ("extension_approve", "plain", "没有待审批的延期申请"),
        ("extension_reject", "decided", "没有待审批的延期申请"),
        ("escalate", "escalated", "已是督办件"),
    ],
)
def test_the_refusal_comes_before_the_form_is_read(world, action, situation, words):
    # even a form with nothing in it is refused for the issue, not for the blank fields
    issue = build(world, "in_progress", situation)
    user = world.admin
    before = snapshot(issue)
    with pytest.raises(TransitionRefused) as refused:
        workflow.transition(issue, actor=user, action=action)
    assert words in refused.value.message
    assert refused.value.field_errors == {}
    assert snapshot(issue) == before


# -- what it costs ----------------------------------------------------------------------


def extension_queries(captured) -> int:
    table = ExtensionRequest._meta.db_table
    return sum(table in q["sql"] for q in captured.captured_queries)


@pytest.mark.parametrize(
    ("status", "role", "queries"),
    [
        ("in_progress", "lead_staff", 1),
        ("in_progress", "supervisor", 1),
        ("in_progress", "admin", 1),  # request, approve and reject share one look-up
        ("in_progress", "raising_staff", 0),  # no extension action within reach
        ("resolved", "supervisor", 0),
        ("raised", "supervisor", 0),
    ],
)
def test_pending_request_is_looked_up_at_most_once(world, status, role, queries):
    issue = {
        "raised": world.raise_issue,
        "in_progress": world.in_progress_issue,
        "resolved": world.resolved_issue,
    }[status]()
    issue = Issue.objects.select_related("enterprise", "project").get(pk=issue.pk)
    user = {**users(world), "raising_staff": world.staff_a}[role]
    with CaptureQueriesContext(connection) as captured:
        workflow.available_actions(user, issue)
    assert extension_queries(captured) == queries
    prefetch_related_objects([issue], "extensions")
    with CaptureQueriesContext(connection) as captured:
        workflow.available_actions(user, issue)
    assert extension_queries(captured) == 0


# -- the issue page and the action pages ---------------------------------------------------


def page_actions(client, user, issue) -> set[str]:
    client.force_login(user)
    html = client.get(reverse("issue_detail", kwargs={"number": issue.number})).content.decode()
    return set(re.findall(r'data-action="([a-z_]+)"', html))


def act(issue, action) -> str:
    return reverse("issue_action", kwargs={"number": issue.number, "action": action})


def test_issue_page_offers_no_second_request_and_no_decision_without_one(client, world):
    issue = build(world, "in_progress", "plain")
    assert "extension_request" in page_actions(client, world.staff_b, issue)
    assert not {"extension_approve", "extension_reject"} & page_actions(
        client, world.leader.user, issue
    )
    issue = build(world, "in_progress", "pending")
    assert "extension_request" not in page_actions(client, world.staff_b, issue)
    assert {"extension_approve", "extension_reject"} <= page_actions(
        client, world.leader.user, issue
    )


@pytest.mark.parametrize(
    ("situation", "role", "action", "words"),
    [
        ("pending", "lead_staff", "extension_request", "已有一项待审批的延期申请"),
        ("plain", "responsible_leader", "extension_approve", "没有待审批的延期申请"),
        ("escalated", "supervisor", "escalate", "已是督办件"),
    ],
)
def test_action_page_left_out_says_why_and_a_post_changes_nothing(
    client, world, situation, role, action, words
):
    issue = build(world, "in_progress", situation)
    client.force_login(users(world)[role])
    response = client.get(act(issue, action))
    assert response.status_code == 403
    assert words in response.content.decode()
    before = snapshot(issue)
    posted = client.post(
        act(issue, action),
        {"version": issue.version, "note": "再试一次", "new_deadline": "2099-01-01"},
    )
    assert posted.status_code == 200
    assert any(words in e for e in posted.context["form"].non_field_errors())
    assert 'data-testid="submit"' not in posted.content.decode()
    assert snapshot(issue) == before
