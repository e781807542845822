"""The workflow door: every status × action × role, and the rules each action's input must meet.

The expected results below are written out by hand from DESIGN.md §2 (roles) and §4
(workflow), not computed from states.py or rules.py, so that a change to either shows
up here as a failing row a reviewer can read.
"""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F
from django.utils import timezone, translation

from ledger import states, workflow
from ledger.forms.actions import ACTION_FORMS
from ledger.models import ExtensionRequest, Issue, IssueDeadline, IssueEvent
from ledger.states import TRANSITIONS, Action, Status
from ledger.workflow import TransitionRefused
from tests import factories as f


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # the world fixture creates a dozen users; PBKDF2 would make each case take seconds
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# -- who acts ----------------------------------------------------------------------------
#
# The issue under test concerns `world.enterprise`, which `world.leader` 分包s; the
# responsible leader (issue.leader) is `world.other_leader`. It is raised by a member of
# dept_a, assigned to dept_b (lead) with dept_c as co-handling department.

ROLES = (
    "admin",  # system administrator (superuser)
    "supervisor",  # 督查室
    "responsible_leader",  # issue.leader
    "subject_leader",  # 分包s the issue's enterprise, but is not issue.leader
    "unrelated_leader",
    "lead_staff",  # staff of the lead department
    "raising_staff",  # a colleague of the raiser, in the raising department
    "co_staff",  # staff of a co-handling department
    "unrelated_staff",
    "inactive_admin",  # a superuser whose account was switched off
    "inactive_lead_staff",  # a lead-department member whose account was switched off
)

# -- the expected table: which actions each role may take in each status --------------------

NONE: frozenset = frozenset()

ALLOWED: dict[str, dict[str, frozenset]] = {
    "raised": {
        "admin": frozenset({"edit", "assign", "withdraw", "comment"}),
        "supervisor": frozenset({"edit", "assign", "withdraw", "comment"}),
        "responsible_leader": frozenset({"assign", "comment"}),
        "subject_leader": frozenset({"assign", "comment"}),
        "unrelated_leader": NONE,
        "lead_staff": NONE,  # no lead department yet: not theirs to see
        # the raising department may withdraw its own issue while it is still 待交办
        "raising_staff": frozenset({"edit", "withdraw", "comment"}),
        "co_staff": NONE,  # no co-handling departments yet
        "unrelated_staff": NONE,
        "inactive_admin": NONE,
        "inactive_lead_staff": NONE,
    },
    "assigned": {
        "admin": frozenset(
            {
                "accept",
                "return",
                "reassign",
                "extension_request",
                "extension_approve",
                "extension_reject",
                "withdraw",
                "urge",
                "escalate",
                "comment",
            }
        ),
        "supervisor": frozenset(
            {
                "reassign",
                "extension_approve",
                "extension_reject",
                "withdraw",
                "urge",
                "escalate",
                "comment",
            }
        ),
        "responsible_leader": frozenset(
            {"reassign", "extension_approve", "extension_reject", "comment"}
        ),
        "subject_leader": frozenset({"comment"}),
        "unrelated_leader": NONE,
        "lead_staff": frozenset({"accept", "return", "extension_request", "comment"}),
        "raising_staff": frozenset({"comment"}),
        "co_staff": frozenset({"comment"}),
        "unrelated_staff": NONE,
        "inactive_admin": NONE,
        "inactive_lead_staff": NONE,
    },
    "in_progress": {
        "admin": frozenset(
            {
                "reassign",
                "progress",
                "extension_request",
                "extension_approve",
                "extension_reject",
                "resolve",
                "urge",
                "escalate",
                "comment",
            }
        ),
        "supervisor": frozenset(
            {"reassign", "extension_approve", "extension_reject", "urge", "escalate", "comment"}
        ),
        "responsible_leader": frozenset(
            {"reassign", "extension_approve", "extension_reject", "comment"}
        ),
        "subject_leader": frozenset({"comment"}),
        "unrelated_leader": NONE,
        "lead_staff": frozenset({"progress", "extension_request", "resolve", "comment"}),
        "raising_staff": frozenset({"comment"}),
        "co_staff": frozenset({"comment"}),
        "unrelated_staff": NONE,
        "inactive_admin": NONE,
        "inactive_lead_staff": NONE,
    },
    "resolved": {
        "admin": frozenset({"close", "reopen", "comment"}),
        "supervisor": frozenset({"close", "reopen", "comment"}),
        "responsible_leader": frozenset({"close", "reopen", "comment"}),
        "subject_leader": frozenset({"comment"}),
        "unrelated_leader": NONE,
        "lead_staff": frozenset({"comment"}),
        "raising_staff": frozenset({"comment"}),
        "co_staff": frozenset({"comment"}),
        "unrelated_staff": NONE,
        "inactive_admin": NONE,
        "inactive_lead_staff": NONE,
    },
    "closed": {
        "admin": frozenset({"reopen", "comment"}),
        "supervisor": frozenset({"reopen", "comment"}),
        "responsible_leader": frozenset({"reopen", "comment"}),
        "subject_leader": frozenset({"comment"}),
        "unrelated_leader": NONE,
        "lead_staff": frozenset({"comment"}),
        "raising_staff": frozenset({"comment"}),
        "co_staff": frozenset({"comment"}),
        "unrelated_staff": NONE,
        "inactive_admin": NONE,
        "inactive_lead_staff": NONE,
    },
    # withdrawn from 已交办: the lead and co-handling departments still see the record
    "withdrawn": {
        "admin": frozenset({"comment"}),
        "supervisor": frozenset({"comment"}),
        "responsible_leader": frozenset({"comment"}),
        "subject_leader": frozenset({"comment"}),
        "unrelated_leader": NONE,
        "lead_staff": frozenset({"comment"}),
        "raising_staff": frozenset({"comment"}),
        "co_staff": frozenset({"comment"}),
        "unrelated_staff": NONE,
        "inactive_admin": NONE,
        "inactive_lead_staff": NONE,
    },
}

# where a successful action leads; actions not listed keep the status
TARGET = {
    "assign": "assigned",
    "accept": "in_progress",
    "return": "raised",
    "reassign": "assigned",
    "resolve": "resolved",
    "close": "closed",
    "reopen": "in_progress",
    "withdraw": "withdrawn",
}

# the keys of event.changes a successful action records, by action or (action, from status)
CHANGES = {
    "edit": {"title"},
    "assign": {"lead_department", "co_departments", "deadline", "assigned_at"},
    "accept": {"accepted_at"},
    "return": {"lead_department", "co_departments", "assigned_at"},
    ("reassign", "assigned"): {"deadline", "assigned_at"},
    ("reassign", "in_progress"): {"deadline", "assigned_at", "accepted_at"},
    "progress": {"progress", "progress_note"},
    "extension_request": {"extension_requested"},
    "extension_approve": {"deadline"},
    "extension_reject": {"extension_rejected"},
    "resolve": {"resolution", "resolved_at", "resolved_on_time", "progress"},
    "close": {"satisfaction", "satisfaction_note", "closed_at"},
    # the last resolution becomes history (kept in this event's changes)
    ("reopen", "resolved"): {
        "deadline",
        "resolution",
        "resolved_at",
        "resolved_on_time",
        "progress",
    },
    ("reopen", "closed"): {
        "deadline",
        "resolution",
        "resolved_at",
        "resolved_on_time",
        "progress",
        "closed_at",
        "satisfaction",
        "satisfaction_note",
    },
    "withdraw": set(),
    "urge": {"urge_count", "last_urged_at"},
    "escalate": {"is_escalated"},
    "comment": set(),
}

NOTE = "经核实，情况属实。"


def action_data(cast, action: str) -> dict:
    """Valid input for each action (a note is always given; some actions require it)."""
    days = f.days_from_today
    return {
        "edit": {"title": "厂区道路积水（已核实）"},
        "assign": {
            "leader": cast.responsible_leader,
            "lead_department": cast.world.dept_b,
            "co_departments": [cast.world.dept_c],
            "deadline": days(10),
        },
        "accept": {},
        "return": {},
        "reassign": {"deadline": days(20)},
        "progress": {"progress": Issue.Progress.SMOOTH},
        "extension_request": {"new_deadline": days(30)},
        "extension_approve": {},
        "extension_reject": {},
        "resolve": {"resolution": "已疏通排水管道，积水消除。"},
        "close": {"satisfaction": Issue.Satisfaction.SATISFIED},
        "reopen": {"deadline": days(15)},
        "withdraw": {},
        "urge": {},
        "escalate": {},
        "comment": {},
    }[action]


# -- the cast and the way to each status -----------------------------------------------------


class Cast:
    def __init__(self, world):
        self.world = world
        w = world
        self.responsible_leader = w.other_leader
        self.dept_d = f.DepartmentFactory(name="区教育局", short_name="教育局")
        self.third_leader = f.LeaderFactory(user__username="leader3", title="副区长")
        self.users = {
            "admin": w.admin,
            "supervisor": w.supervisor,
            "responsible_leader": w.other_leader.user,
            "subject_leader": w.leader.user,
            "unrelated_leader": self.third_leader.user,
            "lead_staff": w.staff_b,
            "raising_staff": f.StaffFactory(username="staff_a2", department=w.dept_a),
            "co_staff": w.staff_c,
            "unrelated_staff": f.StaffFactory(username="staff_d", department=self.dept_d),
            "inactive_admin": f.AdminFactory(username="gone_admin", is_active=False),
            "inactive_lead_staff": f.StaffFactory(
                username="gone_b", department=w.dept_b, is_active=False
            ),
        }

    def raised(self):
        return self.world.raise_issue(
            actor=self.world.staff_a,
            enterprise=self.world.enterprise,
            leader=self.responsible_leader,
        )

    def assigned(self):
        issue = self.raised()
        workflow.transition(
            issue,
            actor=self.world.supervisor,
            action="assign",
            leader=self.responsible_leader,
            lead_department=self.world.dept_b,
            co_departments=[self.world.dept_c],
            deadline=f.days_from_today(10),
        )
        return issue

    def in_progress(self):
        issue = self.assigned()
        workflow.transition(issue, actor=self.world.staff_b, action="accept")
        return issue

    def resolved(self):
        issue = self.in_progress()
        workflow.transition(
            issue, actor=self.world.staff_b, action="resolve", resolution="已处理。"
        )
        return issue

    def closed(self):
        issue = self.resolved()
        workflow.transition(
            issue,
            actor=self.world.supervisor,
            action="close",
            satisfaction="basically",
            note="企业表示基本满意。",
        )
        return issue

    def withdrawn(self):
        issue = self.assigned()
        workflow.transition(
            issue, actor=self.world.supervisor, action="withdraw", note="与另一问题重复。"
        )
        return issue

    def issue_in(self, status: str, *, pending_extension: bool = False) -> Issue:
        issue = getattr(self, status)()
        if pending_extension:
            request_extension(issue, self.world.staff_b, days=30)
        return Issue.objects.get(pk=issue.pk)


def request_extension(issue, actor, *, days):
    return workflow.transition(
        issue,
        actor=actor,
        action="extension_request",
        note="施工需要更多时间。",
        new_deadline=f.days_from_today(days),
    )


@pytest.fixture
def cast(world):
    return Cast(world)


def snapshot(issue) -> dict:
    """Everything about an issue that an action could change."""
    row = Issue.objects.filter(pk=issue.pk).values().get()
    row.pop("updated_at")
    return {
        "row": row,
        "co": sorted(issue.co_departments.values_list("pk", flat=True)),
        "events": list(issue.events.values_list("pk", flat=True)),
        "deadlines": list(issue.deadlines.values_list("pk", "deadline")),
        "extensions": list(issue.extensions.values_list("pk", "state")),
    }


# -- the table itself --------------------------------------------------------------------


def test_the_table_covers_every_status_action_and_role():
    assert set(ALLOWED) == {s.value for s in Status}
    for status, row in ALLOWED.items():
        assert set(row) == set(ROLES), status
        for role, allowed in row.items():
            assert allowed <= {a.value for a in TRANSITIONS}, (status, role)
    assert set(CHANGES) | {k[0] for k in CHANGES if isinstance(k, tuple)} >= {
        a.value for a in TRANSITIONS
    }


CASES = [
    pytest.param(status, action.value, role, id=f"{status}-{action.value}-{role}")
    for status in ALLOWED
    for action in TRANSITIONS
    for role in ROLES
]


@pytest.mark.parametrize(("status", "action", "role"), CASES)
def test_status_action_role(cast, status, action, role):
    # approving or rejecting an extension needs one pending; it can exist only while running
    pending = action in ("extension_approve", "extension_reject") and status in (
        "assigned",
        "in_progress",
    )
    issue = cast.issue_in(status, pending_extension=pending)
    user = cast.users[role]
    expected = action in ALLOWED[status][role]
    assert (Action(action) in workflow.available_actions(user, issue)) is expected
    before = snapshot(issue)

    if not expected:
        with pytest.raises(TransitionRefused) as refused:
            workflow.transition(
                issue,
                actor=user,
                action=action,
                note=NOTE,
                expected_version=issue.version,
                **action_data(cast, action),
            )
        assert isinstance(refused.value.message, str)
        assert refused.value.message.strip()
        assert snapshot(issue) == before
        return

    event = workflow.transition(
        issue,
        actor=user,
        action=action,
        note=NOTE,
        expected_version=issue.version,
        **action_data(cast, action),
    )
    issue = Issue.objects.get(pk=issue.pk)
    target = TARGET.get(action, status)
    assert issue.status == target
    assert issue.version == before["row"]["version"] + 1
    new_events = list(issue.events.exclude(pk__in=before["events"]))
    assert new_events == [event]
    assert event.actor == user
    assert event.actor_department_id == user.department_id
    assert event.action == action
    assert event.from_status == status
    assert event.to_status == target
    assert event.note == NOTE
    assert set(event.changes) == CHANGES.get((action, status), CHANGES.get(action))
    assert event.seq == len(before["events"]) + 1


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", list(ALLOWED))
def test_available_actions_are_the_tables_row(cast, status, role):
    issue = cast.issue_in(status)
    available = workflow.available_actions(cast.users[role], issue, check_preconditions=False)
    assert {a.value for a in available} == ALLOWED[status][role]
    # in the table's order, for the buttons
    assert available == [a for a in TRANSITIONS if a in available]
    # the issue as it stands only ever takes buttons away (test_available_actions.py)
    offered = workflow.available_actions(cast.users[role], issue)
    assert offered == [a for a in available if a in offered]


# -- what each action's input must be ---------------------------------------------------------


def assert_refused_and_unchanged(issue, *, field=None, contains="", **kwargs):
    before = snapshot(issue)
    with pytest.raises(TransitionRefused) as refused:
        workflow.transition(issue, **kwargs)
    message = refused.value.message
    assert isinstance(message, str) and message.strip()
    if field:
        assert field in refused.value.field_errors, refused.value.field_errors
        assert isinstance(refused.value.field_errors[field], str)
        assert refused.value.field_errors[field].strip()
    if contains:
        assert contains in message
    assert snapshot(issue) == before
    return refused.value


@pytest.mark.parametrize("days", [-1, -30])
def test_assign_refuses_a_deadline_in_the_past(cast, days):
    issue = cast.raised()
    refusal = assert_refused_and_unchanged(
        issue,
        field="deadline",
        contains="不能早于今天",
        actor=cast.world.supervisor,
        action="assign",
        leader=cast.responsible_leader,
        lead_department=cast.world.dept_b,
        deadline=f.days_from_today(days),
    )
    assert timezone.localdate().isoformat() in refusal.field_errors["deadline"]


def test_assign_accepts_today_as_the_deadline(cast):
    issue = cast.raised()
    workflow.transition(
        issue,
        actor=cast.world.supervisor,
        action="assign",
        leader=cast.responsible_leader,
        lead_department=cast.world.dept_b,
        deadline=timezone.localdate(),
    )
    assert issue.status == Status.ASSIGNED
    assert issue.deadline == timezone.localdate()


@pytest.mark.parametrize(
    "missing", ["leader", "lead_department", "deadline"], ids=lambda name: f"without-{name}"
)
def test_assign_requires_leader_lead_department_and_deadline(cast, missing):
    issue = cast.raised()
    data = {
        "leader": cast.responsible_leader,
        "lead_department": cast.world.dept_b,
        "deadline": f.days_from_today(5),
    }
    del data[missing]
    assert_refused_and_unchanged(
        issue, field=missing, actor=cast.world.supervisor, action="assign", **data
    )


def test_assign_refuses_an_inactive_lead_department(cast):
    issue = cast.raised()
    cast.dept_d.is_active = False
    cast.dept_d.save()
    assert_refused_and_unchanged(
        issue,
        field="lead_department",
        actor=cast.world.supervisor,
        action="assign",
        leader=cast.responsible_leader,
        lead_department=cast.dept_d,
        deadline=f.days_from_today(5),
    )


NOTE_REQUIRED = [
    ("return", "assigned", "lead_staff", {}),
    ("withdraw", "raised", "supervisor", {}),
    ("escalate", "in_progress", "supervisor", {}),
    ("extension_reject", "assigned", "responsible_leader", {}),
    ("comment", "raised", "raising_staff", {}),
    ("progress", "in_progress", "lead_staff", {"progress": "slow"}),
    ("extension_request", "in_progress", "lead_staff", {"new_deadline": 30}),
    ("reopen", "resolved", "supervisor", {"deadline": 5}),
]


@pytest.mark.parametrize("note", ["", "   \n "], ids=["empty", "blank"])
@pytest.mark.parametrize(
    ("action", "status", "role", "data"), NOTE_REQUIRED, ids=[c[0] for c in NOTE_REQUIRED]
)
def test_actions_that_need_a_reason_refuse_without_one(cast, action, status, role, data, note):
    issue = cast.issue_in(status, pending_extension=action == "extension_reject")
    data = {
        k: f.days_from_today(v) if k in ("deadline", "new_deadline") else v for k, v in data.items()
    }
    assert_refused_and_unchanged(
        issue, field="note", actor=cast.users[role], action=action, note=note, **data
    )


@pytest.mark.parametrize("resolution", [None, "", "  \t "])
def test_resolve_requires_the_resolution_text(cast, resolution):
    issue = cast.in_progress()
    assert_refused_and_unchanged(
        issue,
        field="resolution",
        actor=cast.world.staff_b,
        action="resolve",
        resolution=resolution,
    )


def test_resolve_records_whether_it_was_on_time(cast):
    issue = cast.in_progress()
    late = timezone.now() + datetime.timedelta(days=11)  # the deadline is in 10 days
    workflow.transition(
        issue, actor=cast.world.staff_b, action="resolve", resolution="完成", at=late
    )
    assert issue.resolved_on_time is False
    other = cast.in_progress()
    workflow.transition(other, actor=cast.world.staff_b, action="resolve", resolution="完成")
    assert other.resolved_on_time is True


@pytest.mark.parametrize("satisfaction", [None, "", "great"])
def test_close_requires_a_satisfaction_value(cast, satisfaction):
    issue = cast.resolved()
    assert_refused_and_unchanged(
        issue,
        field="satisfaction",
        actor=cast.world.supervisor,
        action="close",
        satisfaction=satisfaction,
    )


@pytest.mark.parametrize("status", ["resolved", "closed"])
@pytest.mark.parametrize("deadline", [None, "past"])
def test_reopen_requires_a_new_deadline_not_in_the_past(cast, status, deadline):
    issue = cast.issue_in(status)
    assert_refused_and_unchanged(
        issue,
        field="deadline",
        actor=cast.world.supervisor,
        action="reopen",
        note="企业反映仍有积水。",
        deadline=f.days_from_today(-1) if deadline else None,
    )


def test_reopen_clears_the_verdict_and_keeps_the_deadline_history(cast):
    issue = cast.closed()
    workflow.transition(
        issue,
        actor=cast.world.supervisor,
        action="reopen",
        note="企业反映仍有积水。",
        deadline=f.days_from_today(7),
    )
    assert issue.status == Status.IN_PROGRESS
    assert issue.deadline == f.days_from_today(7)
    assert (issue.satisfaction, issue.closed_at, issue.resolved_at) == ("", None, None)
    history = list(issue.deadlines.values_list("reason", "previous", "deadline"))
    assert history == [
        (IssueDeadline.Reason.ASSIGNED, None, f.days_from_today(10)),
        (IssueDeadline.Reason.REOPENED, f.days_from_today(10), f.days_from_today(7)),
    ]


def test_return_sends_the_issue_back_without_a_lead_department(cast):
    issue = cast.assigned()
    workflow.transition(issue, actor=cast.world.staff_b, action="return", note="不属于本单位职责。")
    assert issue.status == Status.RAISED
    assert issue.lead_department is None
    assert list(issue.co_departments.all()) == []
    # the lead department no longer sees it; the office can assign it again
    assert not cast.world.staff_b.has_perm("ledger.view_issue", issue)
    workflow.transition(
        issue,
        actor=cast.world.supervisor,
        action="assign",
        leader=cast.responsible_leader,
        lead_department=cast.dept_d,
        deadline=f.days_from_today(5),
    )
    assert issue.status == Status.ASSIGNED
    assert issue.lead_department == cast.dept_d


# -- extensions -----------------------------------------------------------------------------


def test_extension_must_be_asked_before_the_deadline(cast):
    issue = cast.raised()
    ten_days_ago = timezone.now() - datetime.timedelta(days=10)
    workflow.transition(
        issue,
        actor=cast.world.supervisor,
        action="assign",
        leader=cast.responsible_leader,
        lead_department=cast.world.dept_b,
        deadline=f.days_from_today(-1),
        at=ten_days_ago,
    )
    assert issue.is_overdue
    assert_refused_and_unchanged(
        issue,
        contains="逾期",
        actor=cast.world.staff_b,
        action="extension_request",
        note="需要更多时间。",
        new_deadline=f.days_from_today(10),
    )


def test_extension_may_be_asked_on_the_deadline_day(cast):
    issue = cast.raised()
    workflow.transition(
        issue,
        actor=cast.world.supervisor,
        action="assign",
        leader=cast.responsible_leader,
        lead_department=cast.world.dept_b,
        deadline=timezone.localdate(),
    )
    request_extension(issue, cast.world.staff_b, days=3)
    assert issue.extensions.get().state == ExtensionRequest.State.PENDING


@pytest.mark.parametrize("days", [None, 10, 9, -2], ids=["missing", "same", "earlier", "past"])
def test_extension_must_be_later_than_the_current_deadline(cast, days):
    issue = cast.in_progress()  # deadline in 10 days
    assert_refused_and_unchanged(
        issue,
        field="new_deadline",
        actor=cast.world.staff_b,
        action="extension_request",
        note="需要更多时间。",
        new_deadline=None if days is None else f.days_from_today(days),
    )


def test_only_one_extension_may_be_pending(cast):
    issue = cast.in_progress()
    request_extension(issue, cast.world.staff_b, days=20)
    assert_refused_and_unchanged(
        issue,
        contains="待审批",
        actor=cast.world.staff_b,
        action="extension_request",
        note="再延一次。",
        new_deadline=f.days_from_today(40),
    )
    assert issue.extensions.count() == 1


def test_approving_an_extension_moves_the_deadline_and_keeps_its_history(cast):
    issue = cast.in_progress()
    request_extension(issue, cast.world.staff_b, days=20)
    leader = cast.responsible_leader.user
    event = workflow.transition(issue, actor=leader, action="extension_approve", note="同意。")
    assert issue.deadline == f.days_from_today(20)
    assert event.changes == {
        "deadline": [f.days_from_today(10).isoformat(), f.days_from_today(20).isoformat()]
    }
    request = issue.extensions.get()
    assert request.state == ExtensionRequest.State.APPROVED
    assert (request.decided_by, request.decision_note) == (leader, "同意。")
    history = list(issue.deadlines.values_list("reason", "previous", "deadline", "set_by"))
    assert history == [
        (IssueDeadline.Reason.ASSIGNED, None, f.days_from_today(10), cast.world.supervisor.pk),
        (IssueDeadline.Reason.EXTENDED, f.days_from_today(10), f.days_from_today(20), leader.pk),
    ]
    # a second request may follow once the first is decided
    request_extension(issue, cast.world.staff_b, days=25)
    assert issue.extensions.filter(state=ExtensionRequest.State.PENDING).count() == 1


def test_rejecting_an_extension_keeps_the_deadline(cast):
    issue = cast.in_progress()
    request_extension(issue, cast.world.staff_b, days=20)
    workflow.transition(
        issue, actor=cast.world.supervisor, action="extension_reject", note="理由不充分。"
    )
    assert issue.deadline == f.days_from_today(10)
    request = issue.extensions.get()
    assert request.state == ExtensionRequest.State.REJECTED
    assert request.decision_note == "理由不充分。"
    assert issue.deadlines.count() == 1


@pytest.mark.parametrize("action", ["extension_approve", "extension_reject"])
def test_deciding_without_a_pending_extension_is_refused(cast, action):
    issue = cast.in_progress()
    assert_refused_and_unchanged(
        issue, contains="延期申请", actor=cast.world.supervisor, action=action, note="同意。"
    )


@pytest.mark.parametrize(
    ("action", "data"),
    [("resolve", {"resolution": "已办结。"}), ("return", {})],
)
def test_resolving_or_returning_cancels_a_pending_extension(cast, action, data):
    issue = cast.in_progress() if action == "resolve" else cast.assigned()
    request_extension(issue, cast.world.staff_b, days=20)
    workflow.transition(issue, actor=cast.world.staff_b, action=action, note="说明。", **data)
    assert issue.extensions.get().state == ExtensionRequest.State.CANCELLED


def test_reassigning_cancels_a_pending_extension_so_it_cannot_move_the_new_deadline_back(cast):
    issue = cast.in_progress()  # deadline in 10 days
    request_extension(issue, cast.world.staff_b, days=20)
    workflow.transition(
        issue, actor=cast.world.supervisor, action="reassign", deadline=f.days_from_today(40)
    )
    request = issue.extensions.get()
    assert request.state == ExtensionRequest.State.CANCELLED
    assert request.decided_by == cast.world.supervisor
    assert_refused_and_unchanged(
        issue, contains="延期申请", actor=cast.responsible_leader.user, action="extension_approve"
    )
    assert issue.deadline == f.days_from_today(40)


def test_reassigning_only_the_co_departments_keeps_a_pending_extension(cast):
    issue = cast.in_progress()
    request_extension(issue, cast.world.staff_b, days=20)
    workflow.transition(
        issue, actor=cast.world.supervisor, action="reassign", co_departments=[cast.dept_d]
    )
    assert issue.extensions.get().state == ExtensionRequest.State.PENDING


def test_a_co_department_made_lead_is_no_longer_listed_as_co_department(cast):
    issue = cast.assigned()  # lead dept_b, co dept_c
    event = workflow.transition(
        issue, actor=cast.world.supervisor, action="reassign", lead_department=cast.world.dept_c
    )
    assert issue.lead_department == cast.world.dept_c
    assert list(issue.co_departments.all()) == []
    assert event.changes["co_departments"] == [str(cast.world.dept_c), ""]


@pytest.mark.parametrize("field", ["title", "description"])
def test_editing_a_required_text_to_blank_is_refused(cast, field):
    issue = cast.raised()
    assert_refused_and_unchanged(
        issue, field=field, actor=cast.world.staff_a, action="edit", **{field: " \u3000 \n"}
    )


def test_edit_stores_trimmed_text(cast):
    issue = cast.raised()
    workflow.transition(issue, actor=cast.world.staff_a, action="edit", title="  新标题  ")
    assert issue.title == "新标题"


# -- other refusals ---------------------------------------------------------------------------


def test_escalating_twice_is_refused(cast):
    issue = cast.in_progress()
    workflow.transition(issue, actor=cast.world.supervisor, action="escalate", note="挂牌督办。")
    assert_refused_and_unchanged(
        issue, contains="督办件", actor=cast.world.supervisor, action="escalate", note="再次督办。"
    )


def test_edit_without_any_change_is_refused(cast):
    issue = cast.raised()
    assert_refused_and_unchanged(issue, actor=cast.world.staff_a, action="edit", title=issue.title)


def test_reassign_without_any_change_is_refused(cast):
    issue = cast.assigned()
    assert_refused_and_unchanged(
        issue, contains="改派", actor=cast.world.supervisor, action="reassign"
    )


@pytest.mark.parametrize("action", ["fly", "", "RAISE", "raise"])
def test_unknown_or_non_transition_action_is_refused(cast, action):
    issue = cast.raised()
    assert_refused_and_unchanged(issue, actor=cast.world.supervisor, action=action, note="x")


def test_an_issue_the_actor_cannot_see_is_refused_as_not_found(cast):
    issue = cast.assigned()
    refusal = assert_refused_and_unchanged(
        issue, actor=cast.users["unrelated_staff"], action="comment", note="看看。"
    )
    # the same words as for a number that does not exist: nothing leaks
    with pytest.raises(TransitionRefused) as missing:
        workflow.transition(
            10**9, actor=cast.users["unrelated_staff"], action="comment", note="看看。"
        )
    assert refusal.message == missing.value.message


# -- stale pages and lost races -----------------------------------------------------------------


def test_a_stale_expected_version_is_refused_naming_who_did_what(cast):
    issue = cast.assigned()
    seen = issue.version
    supervisor = cast.world.supervisor
    leader = cast.responsible_leader.user
    workflow.transition(
        Issue.objects.get(pk=issue.pk),
        actor=leader,
        action="reassign",
        lead_department=cast.dept_d,
        note="改由教育局牵头。",
    )
    refusal = assert_refused_and_unchanged(
        issue,
        actor=supervisor,
        action="escalate",
        note="挂牌督办。",
        expected_version=seen,
    )
    assert str(leader) in refusal.message
    assert "改派" in refusal.message
    # the same action with the current version goes through
    workflow.transition(
        issue,
        actor=supervisor,
        action="escalate",
        note="挂牌督办。",
        expected_version=Issue.objects.get(pk=issue.pk).version,
    )
    assert Issue.objects.get(pk=issue.pk).is_escalated


def test_a_second_actor_with_a_stale_object_gets_who_already_did_it(cast):
    issue = cast.assigned()
    first = cast.world.staff_b
    second = f.StaffFactory(username="staff_b2", name="李四", department=cast.world.dept_b)
    stale = Issue.objects.get(pk=issue.pk)
    workflow.transition(issue, actor=first, action="accept")
    refusal = assert_refused_and_unchanged(stale, actor=second, action="accept")
    assert str(first) in refusal.message
    assert str(Action.ACCEPT.label) in refusal.message
    assert "签收" in refusal.message
    assert str(Status.IN_PROGRESS.label) in refusal.message
    assert issue.events.filter(action="accept").count() == 1


def test_the_stale_status_message_names_the_closer(cast):
    issue = cast.resolved()
    leader = cast.responsible_leader.user
    workflow.transition(issue, actor=leader, action="close", satisfaction="satisfied")
    refusal = assert_refused_and_unchanged(
        issue, actor=cast.world.supervisor, action="close", satisfaction="satisfied"
    )
    assert str(leader) in refusal.message
    assert "销号" in refusal.message


def test_messages_are_plain_strings_in_english_too(cast):
    issue = cast.assigned()
    first = cast.world.staff_b
    workflow.transition(issue, actor=first, action="accept")
    with translation.override("en"):
        with pytest.raises(TransitionRefused) as stale:
            workflow.transition(issue, actor=cast.world.admin, action="accept")
        with pytest.raises(TransitionRefused) as field:
            workflow.transition(issue, actor=cast.world.staff_b, action="resolve", resolution="")
        with pytest.raises(TransitionRefused) as forbidden:
            workflow.transition(issue, actor=cast.world.staff_a, action="resolve", resolution="x")
    for refusal in (stale.value, field.value, forbidden.value):
        assert type(refusal.message) is str and refusal.message.strip()
        assert all(type(m) is str for m in refusal.field_errors.values())
        assert str(refusal) == refusal.message
    assert str(first) in stale.value.message
    assert type(field.value.field_errors["resolution"]) is str


# -- raising ----------------------------------------------------------------------------------


def test_raising_writes_the_first_event_and_proposes_the_subjects_leader(cast):
    world = cast.world
    issue = world.raise_issue(enterprise=world.enterprise)
    assert issue.status == Status.RAISED
    assert issue.leader == world.leader  # the enterprise's 分包 leader
    assert issue.raising_department == world.dept_a
    event = issue.events.get()
    assert (event.seq, event.action, event.from_status, event.to_status) == (
        1,
        "raise",
        "",
        "raised",
    )
    assert event.actor == world.staff_a


@pytest.mark.parametrize("field", ["title", "description", "category", "source"])
def test_raising_requires_its_fields(cast, field):
    world = cast.world
    with pytest.raises(TransitionRefused) as refused:
        world.raise_issue(**{field: "  " if field in ("title", "description") else None})
    assert field in refused.value.field_errors
    assert not Issue.objects.exists()
    assert not IssueEvent.objects.exists()


def test_a_leader_raises_for_the_department_given_and_needs_one(cast):
    """Leaders log issues (领导包联); having no department, they name one (the form gives
    services.leader_raising_department(), the oversight office by default)."""
    world = cast.world
    with pytest.raises(TransitionRefused) as refused:
        world.raise_issue(actor=world.leader.user, enterprise=world.enterprise)
    assert "raising_department" in refused.value.field_errors
    issue = world.raise_issue(
        actor=world.leader.user, enterprise=world.enterprise, raising_department=world.oversight
    )
    assert issue.raised_by == world.leader.user and issue.raising_department == world.oversight


@pytest.mark.parametrize("who", ["anonymous", "inactive_staff"])
def test_only_staff_the_office_and_leaders_may_raise(cast, who):
    from django.contrib.auth.models import AnonymousUser

    actor = {
        "anonymous": AnonymousUser(),
        "inactive_staff": cast.users["inactive_lead_staff"],
    }[who]
    with pytest.raises(TransitionRefused) as refused:
        cast.world.raise_issue(actor=actor, raising_department=cast.world.dept_a)
    assert refused.value.message.strip()
    assert not Issue.objects.exists()


# -- the whole spine ----------------------------------------------------------------------------


def test_an_issue_goes_from_raised_to_closed(world):
    issue = world.resolved_issue()
    workflow.transition(issue, actor=world.leader.user, action="close", satisfaction="satisfied")
    assert issue.status == "closed"
    assert list(issue.events.values_list("seq", "action", "from_status", "to_status")) == [
        (1, "raise", "", "raised"),
        (2, "assign", "raised", "assigned"),
        (3, "accept", "assigned", "in_progress"),
        (4, "resolve", "in_progress", "resolved"),
        (5, "close", "resolved", "closed"),
    ]


def test_feedback_record_is_for_resolved_issues_only_and_changes_no_status(world):
    running = world.in_progress_issue()
    before = IssueEvent.objects.count()
    with pytest.raises(TransitionRefused):
        workflow.feedback_record(
            running, actor=world.supervisor, satisfaction="satisfied", note="回访。"
        )
    resolved = world.resolved_issue()
    with pytest.raises(TransitionRefused):
        workflow.feedback_record(resolved, actor=world.supervisor, satisfaction="", note="回访。")
    assert IssueEvent.objects.count() == before + resolved.events.count()
    version = resolved.version
    event = workflow.feedback_record(
        resolved, actor=world.supervisor, satisfaction="satisfied", note="回访。"
    )
    assert (event.action, event.from_status, event.to_status) == (
        Action.FEEDBACK,
        Status.RESOLVED,
        Status.RESOLVED,
    )
    assert resolved.status == Status.RESOLVED and resolved.version == version + 1


# -- the package: one module per row, typed input, the system's rows ---------------------------

# The rows no one is offered as a button, written out by hand: action, from, to (None: no
# change, or what `moves` allows), permission (None: the door's caller decides), note needed.
SYSTEM_ROWS = {
    "feedback": ({"resolved"}, None, None, True),
    # a sheet may correct a matched issue's fields in any status (a move: IMPORT_MOVES only)
    "import_correct": (
        {"raised", "assigned", "in_progress", "resolved", "closed", "withdrawn"},
        None,
        None,
        False,
    ),
}
# the import may move a matched issue forward only, or withdraw one not yet being handled
IMPORT_MOVES = {
    ("raised", "assigned"),
    ("raised", "in_progress"),
    ("raised", "resolved"),
    ("raised", "closed"),
    ("assigned", "in_progress"),
    ("assigned", "resolved"),
    ("assigned", "closed"),
    ("in_progress", "resolved"),
    ("in_progress", "closed"),
    ("resolved", "closed"),
    ("raised", "withdrawn"),
    ("assigned", "withdrawn"),
}


def test_the_system_rows_are_the_ones_written_out_here():
    assert {a.value for a in states.SYSTEM_TRANSITIONS} == set(SYSTEM_ROWS)
    for action, (sources, target, permission, needs_note) in SYSTEM_ROWS.items():
        row = states.SYSTEM_TRANSITIONS[Action(action)]
        assert {s.value for s in row.sources} == sources, action
        assert (row.target, row.permission, row.needs_note) == (target, permission, needs_note)
    moves = states.SYSTEM_TRANSITIONS[Action.IMPORT_CORRECT].moves
    assert {(a.value, b.value) for a, b in moves} == IMPORT_MOVES
    assert not set(states.SYSTEM_TRANSITIONS) & set(TRANSITIONS)
    assert states.RULEBOOK == {**TRANSITIONS, **states.SYSTEM_TRANSITIONS}


def test_edit_never_changes_the_status_in_the_rulebook():
    edit = TRANSITIONS[Action.EDIT]
    assert edit.target is None and not edit.moves
    for status in Status:
        for other in Status:
            assert edit.allows(status, other) == (status == other == Status.RAISED)


def test_every_row_has_exactly_one_action_module_and_every_module_a_row():
    assert list(workflow.SPECS) == list(states.RULEBOOK)
    declared = [module.SPEC.action for module in workflow.ACTION_MODULES]
    assert sorted(declared) == sorted(states.RULEBOOK)
    assert len(declared) == len(set(declared))
    for module in workflow.ACTION_MODULES:
        assert workflow.SPECS[module.SPEC.action] is module.SPEC, module.__name__


def test_declaring_an_action_twice_or_without_a_row_is_refused():
    spec = workflow.SPECS[Action.COMMENT]
    with pytest.raises(ImproperlyConfigured, match="twice"):
        workflow.core.declare(spec)
    assert workflow.SPECS[Action.COMMENT] is spec
    with pytest.raises(ImproperlyConfigured, match="no row"):
        workflow.core.declare(workflow.ActionSpec(Action.RAISE, lambda change, *, actor: None))


def test_system_rows_are_never_offered_nor_taken_through_transition(cast):
    for status in ALLOWED:
        issue = cast.issue_in(status)
        for role in ROLES:
            offered = workflow.available_actions(cast.users[role], issue)
            assert not set(offered) & set(states.SYSTEM_TRANSITIONS), (status, role)
    resolved = cast.issue_in("resolved")
    for action in states.SYSTEM_TRANSITIONS:
        assert_refused_and_unchanged(
            resolved, actor=cast.users["admin"], action=action, note="x", satisfaction="satisfied"
        )


@pytest.mark.parametrize(
    ("action", "status", "data"),
    [
        ("comment", "raised", {"comment": "typo for note"}),
        ("resolve", "in_progress", {"resolution": "已修复。", "resolutoin": "已修复。"}),
        ("close", "resolved", {"satisfation": "satisfied"}),
        ("assign", "raised", {"deadlien": datetime.date(2099, 1, 1)}),
        ("edit", "raised", {"titel": "新标题"}),
    ],
)
def test_a_misspelt_input_is_an_error_and_writes_nothing(cast, action, status, data):
    issue = cast.issue_in(status)
    before = snapshot(issue)
    with pytest.raises(TypeError, match="unexpected input"):
        workflow.transition(issue, actor=cast.users["admin"], action=action, note="说明", **data)
    assert snapshot(issue) == before


def test_a_misspelt_feedback_rating_is_refused_and_writes_nothing(world):
    resolved = world.resolved_issue()
    before = IssueEvent.objects.count()
    with pytest.raises(TypeError):
        workflow.feedback_record(resolved, actor=world.supervisor, satisfation="x", note="回访。")
    assert IssueEvent.objects.count() == before


def test_import_corrections_move_forward_only_as_the_rulebook_says(world):
    issue = world.in_progress_issue()
    version = issue.version
    item = {"row": 2, "issue": issue.pk, "fields": {"status": Status.RAISED}, "note": "导入"}
    with pytest.raises(TransitionRefused):
        workflow.issues_import(
            actor=world.supervisor, at=timezone.now(), file_name="a", items=[item]
        )
    issue.refresh_from_db()
    assert (issue.status, issue.version) == (Status.IN_PROGRESS, version)
    # a correction that leaves the status is a 修改, one that moves it a 导入更正; neither tells
    item["fields"] = {"measures": "加装路灯"}
    workflow.issues_import(actor=world.supervisor, at=timezone.now(), file_name="a", items=[item])
    item["fields"] = {"status": Status.RESOLVED, "resolution": "已修复。"}
    workflow.issues_import(actor=world.supervisor, at=timezone.now(), file_name="a", items=[item])
    issue.refresh_from_db()
    assert issue.status == Status.RESOLVED and issue.version == version + 2
    edit, correct = issue.events.order_by("-seq")[1], issue.events.order_by("-seq")[0]
    # a correction that moves nothing is a 导入更正 too: EDIT is a person's, from 待交办 only
    assert (edit.action, edit.from_status, edit.to_status) == (
        "import_correct",
        "in_progress",
        "in_progress",
    )
    assert (correct.action, correct.from_status, correct.to_status) == (
        "import_correct",
        "in_progress",
        "resolved",
    )
    assert not workflow.SPECS[Action.IMPORT_CORRECT].concerns


def test_an_edit_event_never_changes_the_status(world):
    issue = world.raise_issue()
    workflow.transition(issue, actor=world.supervisor, action="edit", title="新的标题")
    assert (
        not IssueEvent.objects.filter(action=Action.EDIT)
        .exclude(from_status=F("to_status"))
        .exists()
    )
    assert IssueEvent.objects.filter(action=Action.EDIT).exists()


def test_every_action_form_passes_only_its_actions_declared_input():
    # the forms' binding is checked at import (ledger/forms/actions.py); the check can fail
    assert set(ACTION_FORMS) == set(TRANSITIONS) - {Action.EDIT}
    for action, form in ACTION_FORMS.items():
        assert set(form.data_fields) <= workflow.SPECS[action].inputs, action
    assert "resolution" not in workflow.SPECS[Action.CLOSE].inputs
