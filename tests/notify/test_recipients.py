"""Who hears what: for every action, exactly the people in the table, never the actor,
never an inactive user or the system account, only people who can open the issue."""

import pytest

from ledger import workflow
from ledger.models import User
from ledger.notify.models import Notification
from ledger.notify.recipients import RECIPIENTS, SILENT_ACTIONS, SYSTEM_USERNAME, recipients_for
from ledger.states import Action
from tests import factories as f


def _assigned(w):
    issue = w.raise_issue()
    workflow.transition(
        issue,
        actor=w.supervisor,
        action="assign",
        leader=w.leader,
        lead_department=w.dept_b,
        co_departments=[w.dept_c],
        deadline=f.days_from_today(10),
    )
    return issue


def _in_progress(w):
    issue = _assigned(w)
    workflow.transition(issue, actor=w.staff_b, action="accept")
    return issue


def _pending_extension(w):
    issue = _in_progress(w)
    workflow.transition(
        issue,
        actor=w.staff_b,
        action="extension_request",
        note="需要更多时间",
        new_deadline=f.days_from_today(30),
    )
    return issue


def _resolved(w):
    issue = _in_progress(w)
    workflow.transition(issue, actor=w.staff_b, action="resolve", resolution="已解决。")
    return issue


def _closed(w):
    issue = _resolved(w)
    workflow.transition(issue, actor=w.supervisor, action="close", satisfaction="satisfied")
    return issue


# action: (issue before it, actor, input, the usernames told) — written out by hand from the
# table in docs/notifications.md; the world: staff_a raises for 发改委 (dept_a), 住建局 (dept_b:
# staff_b, staff_b2, an inactive colleague) leads, 环保局 (dept_c: staff_c) co-handles,
# leader1 is responsible, supervisor and supervisor2 are the office
CASES = {
    "raise": (None, "staff_a", {}, {"supervisor", "supervisor2"}),
    "edit": (lambda w: w.raise_issue(), "staff_a", {"title": "新标题"}, set()),
    "assign": (
        lambda w: w.raise_issue(),
        "supervisor",
        "assign",
        {"staff_b", "staff_b2", "staff_c", "leader1", "staff_a"},
    ),
    "reassign": (
        _in_progress,
        "supervisor",
        "reassign",
        {"staff_c", "leader1", "staff_a"},
    ),
    "accept": (_assigned, "staff_b", {}, {"supervisor", "supervisor2", "staff_a"}),
    "return": (
        _assigned,
        "staff_b",
        {"note": "非本单位职责"},
        {"supervisor", "supervisor2", "staff_a"},
    ),
    "progress": (_in_progress, "staff_b", {"note": "推进中", "progress": "smooth"}, set()),
    "extension_request": (
        _in_progress,
        "staff_b",
        {"note": "需要更多时间", "new_deadline": f.days_from_today(30)},
        {"leader1", "supervisor", "supervisor2"},
    ),
    # the co-department works to the new deadline too
    "extension_approve": (_pending_extension, "leader1", {}, {"staff_b", "staff_b2", "staff_c"}),
    "extension_reject": (
        _pending_extension,
        "supervisor",
        {"note": "理由不充分"},
        {"staff_b", "staff_b2"},
    ),
    "resolve": (
        _in_progress,
        "staff_b",
        {"resolution": "已解决。"},
        {"supervisor", "supervisor2", "leader1", "staff_a"},
    ),
    "close": (
        _resolved,
        "supervisor",
        {"satisfaction": "satisfied"},
        {"staff_b", "staff_b2", "staff_c", "staff_a"},
    ),
    "reopen": (
        _closed,
        "leader1",
        {"note": "企业不满意", "deadline": f.days_from_today(20)},
        {"staff_b", "staff_b2", "staff_c", "staff_a"},
    ),
    "withdraw": (_assigned, "supervisor", {"note": "重复登记"}, {"staff_b", "staff_b2", "staff_a"}),
    "urge": (_in_progress, "supervisor", {}, {"staff_b", "staff_b2", "leader1"}),
    "escalate": (
        _in_progress,
        "supervisor",
        {"note": "挂牌督办"},
        {"staff_b", "staff_b2", "leader1", "supervisor2"},
    ),
    "comment": (_in_progress, "staff_c", {"note": "配合单位意见"}, set()),
}


def test_every_action_has_a_case():
    # 回访 and 导入更正 are system rows (the enterprise's link, the import): 回访 has its own
    # test below; an import correction tells nobody (tests/test_workflow.py)
    assert set(CASES) == set(Action.values) - {Action.FEEDBACK, Action.IMPORT_CORRECT}
    assert set(RECIPIENTS) >= set(Action.values) - SILENT_ACTIONS


@pytest.mark.parametrize(
    ("satisfaction", "expected"),
    [
        ("satisfied", set()),
        ("basically", set()),
        # 不满意: the responsible leader and the office, before 销号
        ("dissatisfied", {"leader1", "supervisor", "supervisor2"}),
    ],
)
def test_the_enterprises_feedback_tells_the_leader_and_office_only_when_dissatisfied(
    people, committed, satisfaction, expected
):
    issue = _resolved(people)
    Notification.objects.all().delete()
    event = committed(
        workflow.feedback_record,
        issue,
        actor=f.UserFactory(username="zz_enterprise_test"),
        satisfaction=satisfaction,
        note="企业回访。",
    )
    assert event.action == Action.FEEDBACK
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == expected


def _user(w, username):
    return User.objects.get(username=username)


@pytest.mark.parametrize("action", sorted(CASES))
def test_each_action_tells_exactly_the_people_in_the_table(people, committed, action):
    w = people
    before, actor_name, data, expected = CASES[action]
    actor = _user(w, actor_name)
    if before is None:
        issue = committed(w.raise_issue, actor=actor)
    else:
        issue = before(w)
        Notification.objects.all().delete()
        if data == "assign":
            data = {
                "leader": w.leader,
                "lead_department": w.dept_b,
                "co_departments": [w.dept_c],
                "deadline": f.days_from_today(10),
            }
        elif data == "reassign":
            data = {"lead_department": w.dept_c, "co_departments": []}
        committed(workflow.transition, issue, actor=actor, action=action, **data)
    told = set(
        Notification.objects.filter(issue=issue).values_list("recipient__username", flat=True)
    )
    assert told == expected
    assert actor_name not in told
    assert "inactive_b" not in told and SYSTEM_USERNAME not in told
    for notification in Notification.objects.filter(issue=issue).select_related("recipient"):
        assert notification.kind == action
        assert notification.recipient.has_perm("ledger.view_issue", issue)


def test_a_second_signal_for_the_same_event_tells_nobody_twice(people, committed):
    from ledger.notify.services import event_notify

    issue = committed(people.raise_issue)
    event = issue.events.get()
    assert event_notify(event.pk) == []
    assert Notification.objects.filter(issue=issue).count() == 2


def test_nobody_is_told_who_cannot_open_the_issue(people):
    issue = _assigned(people)
    assert "leader1" in {u.username for u in recipients_for("urge", issue)}
    # the responsible leader's account is turned into a staff account without a unit: the
    # table still names them, but they can no longer open the issue
    User.objects.filter(pk=people.leader.user_id).update(role=User.Role.STAFF, department=None)
    assert {u.username for u in recipients_for("urge", issue)} == {"staff_b", "staff_b2"}


def test_nothing_is_sent_while_the_core_switches_notifications_off(people, committed, settings):
    settings.LEDGER = {**settings.LEDGER, "NOTIFY": False}
    committed(people.raise_issue)
    assert not Notification.objects.exists()
