"""Who sees and may do what: visible_to() and the `ledger.*_issue` rules agree with the role table.

The expected permissions are written out from DESIGN.md §2, one row per role and
ownership case, for an issue that is still 待交办 (no lead department yet) and for one
that has been assigned (lead department dept_b, co-handling dept_c).
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from ledger import selectors, workflow
from ledger.models import Issue
from tests import factories as f


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


PERMS = ("view", "add", "edit", "assign", "handle", "direct", "oversee", "comment", "withdraw")

VIEW, ADD, EDIT, ASSIGN, HANDLE, DIRECT, OVERSEE, COMMENT, WITHDRAW = PERMS
STAFF_NO_ISSUE = {ADD}  # may log issues, has nothing to do with this one

# -- the expected table ------------------------------------------------------------------------
# case: (permissions on the raised issue, permissions on the assigned issue)

EXPECTED: dict[str, tuple[set, set]] = {
    # staff; the raiser has since moved to another department. The raising department may
    # withdraw its own issue only while it is still 待交办.
    "raiser_moved_department": (
        {VIEW, ADD, EDIT, COMMENT, WITHDRAW},
        {VIEW, ADD, EDIT, COMMENT},
    ),
    "raising_colleague": ({VIEW, ADD, EDIT, COMMENT, WITHDRAW}, {VIEW, ADD, EDIT, COMMENT}),
    # before 交办 there is no lead or co-handling department
    "lead_staff": (STAFF_NO_ISSUE, {VIEW, ADD, HANDLE, COMMENT}),
    "co_staff": (STAFF_NO_ISSUE, {VIEW, ADD, COMMENT}),
    "unrelated_staff": (STAFF_NO_ISSUE, STAFF_NO_ISSUE),
    "staff_without_department": (set(), set()),
    # leaders: issue.leader; the 分包 leader of its enterprise; of its key project. Leaders
    # log issues (领导包联) for what they 分包: the form keeps them to it (ADD)
    "responsible_leader": (
        {VIEW, ADD, ASSIGN, DIRECT, COMMENT},
        {VIEW, ADD, ASSIGN, DIRECT, COMMENT},
    ),
    "enterprise_leader": ({VIEW, ADD, ASSIGN, COMMENT}, {VIEW, ADD, ASSIGN, COMMENT}),
    "project_leader": ({VIEW, ADD, ASSIGN, COMMENT}, {VIEW, ADD, ASSIGN, COMMENT}),
    "unrelated_leader": ({ADD}, {ADD}),
    "leader_role_without_profile": (set(), set()),
    # oversight and administration
    "supervisor": (
        {VIEW, ADD, EDIT, ASSIGN, DIRECT, OVERSEE, COMMENT, WITHDRAW},
        {VIEW, ADD, EDIT, ASSIGN, DIRECT, OVERSEE, COMMENT, WITHDRAW},
    ),
    "admin_role_not_superuser": (set(PERMS), set(PERMS)),
    "superuser_with_staff_role": (set(PERMS), set(PERMS)),
    # nobody signed in, or switched off
    "inactive_supervisor": (set(), set()),
    "inactive_superuser": (set(), set()),
    "inactive_raising_colleague": (set(), set()),
    "anonymous": (set(), set()),
}


class Scene:
    """One issue about an enterprise and a key project with different 分包 leaders."""

    def __init__(self, world):
        w = self.world = world
        self.dept_d = f.DepartmentFactory(name="区教育局")
        self.dept_e = f.DepartmentFactory(name="区财政局")
        self.responsible = w.other_leader
        self.enterprise_leader = w.leader
        self.project_leader = f.LeaderFactory(user__username="leader_p", title="副区长")
        self.unrelated_leader = f.LeaderFactory(user__username="leader_u", title="副区长")
        self.enterprise = f.EnterpriseFactory(leader=self.enterprise_leader)
        self.project = f.KeyProjectFactory(leader=self.project_leader)
        self.mover = f.StaffFactory(username="mover", department=w.dept_a)
        self.users = {
            "raiser_moved_department": self.mover,
            "raising_colleague": w.staff_a,
            "lead_staff": w.staff_b,
            "co_staff": w.staff_c,
            "unrelated_staff": f.StaffFactory(username="staff_e", department=self.dept_e),
            "staff_without_department": f.StaffFactory(username="nodept", department=None),
            "responsible_leader": self.responsible.user,
            "enterprise_leader": self.enterprise_leader.user,
            "project_leader": self.project_leader.user,
            "unrelated_leader": self.unrelated_leader.user,
            "leader_role_without_profile": f.UserFactory(
                username="noprofile", role="leader", department=None
            ),
            "supervisor": w.supervisor,
            "admin_role_not_superuser": f.UserFactory(
                username="admin2", role="admin", department=None, is_superuser=False
            ),
            "superuser_with_staff_role": f.UserFactory(
                username="root", role="staff", department=None, is_superuser=True
            ),
            "inactive_supervisor": f.SupervisorFactory(username="gone_sup", is_active=False),
            "inactive_superuser": f.AdminFactory(username="gone_root", is_active=False),
            "inactive_raising_colleague": f.StaffFactory(
                username="gone_a", department=w.dept_a, is_active=False
            ),
            "anonymous": AnonymousUser(),
        }

    def raised(self) -> Issue:
        issue = self.world.raise_issue(
            actor=self.mover,
            enterprise=self.enterprise,
            project=self.project,
            leader=self.responsible,
        )
        # the raiser moves to another department after logging the issue
        self.mover.department = self.dept_d
        self.mover.save(update_fields=["department"])
        return issue

    def assigned(self) -> Issue:
        issue = self.raised()
        workflow.transition(
            issue,
            actor=self.world.supervisor,
            action="assign",
            leader=self.responsible,
            lead_department=self.world.dept_b,
            co_departments=[self.world.dept_c],
            deadline=f.days_from_today(10),
        )
        return issue


@pytest.fixture
def scene(world):
    return Scene(world)


def test_the_table_covers_every_case(scene):
    assert set(EXPECTED) == set(scene.users)


CASES = [
    pytest.param(case, shape, id=f"{shape}-{case}")
    for case in EXPECTED
    for shape in ("raised", "assigned")
]


@pytest.mark.parametrize(("case", "shape"), CASES)
def test_permissions_follow_the_role_table(scene, case, shape):
    issue = getattr(scene, shape)()
    issue = Issue.objects.get(pk=issue.pk)
    user = scene.users[case]
    expected = EXPECTED[case][0 if shape == "raised" else 1]
    actual = {
        perm
        for perm in PERMS
        if (
            user.has_perm("ledger.add_issue")
            if perm == ADD
            else user.has_perm(f"ledger.{perm}_issue", issue)
        )
    }
    assert actual == expected


@pytest.mark.parametrize(("case", "shape"), CASES)
def test_visible_to_agrees_with_the_view_rule(scene, case, shape):
    issue = getattr(scene, shape)()
    issue = Issue.objects.get(pk=issue.pk)
    user = scene.users[case]
    expected = VIEW in EXPECTED[case][0 if shape == "raised" else 1]
    assert user.has_perm("ledger.view_issue", issue) is expected
    assert selectors.visible_to(user).filter(pk=issue.pk).exists() is expected
    assert selectors.ledger_queryset(user).filter(pk=issue.pk).exists() is expected
    if expected:
        assert selectors.issue_for_user(user, issue.number) == issue
    else:
        with pytest.raises(Issue.DoesNotExist):
            selectors.issue_for_user(user, issue.number)


# a leader's visibility is written two ways (selectors.issues.LEADER_HASHED_FROM): with the
# subjects' ids as an array the index serves (few subjects), or a hashed IN (many)
@pytest.mark.parametrize("hashed_from", [10**6, -1], ids=["array", "hashed"])
def test_visible_to_and_the_rule_agree_over_a_mixed_ledger(scene, monkeypatch, hashed_from):
    """Many issues in every shape: each user's visible set is exactly what the rule allows."""
    from ledger.selectors import issues as issue_selectors

    monkeypatch.setattr(issue_selectors, "LEADER_HASHED_FROM", hashed_from)
    w = scene.world
    scene.assigned()
    scene.raised()
    # more co-handling departments than one, so a join could duplicate rows
    many_co = w.assigned_issue(lead=w.dept_a)
    workflow.transition(
        many_co,
        actor=w.supervisor,
        action="reassign",
        co_departments=[w.dept_b, w.dept_c, scene.dept_d],
    )
    w.resolved_issue(enterprise=scene.enterprise)
    w.assigned_issue(project=scene.project, leader=scene.unrelated_leader, lead=scene.dept_e)
    returned = w.assigned_issue(lead=w.dept_c)
    workflow.transition(returned, actor=w.staff_c, action="return", note="非本单位职责。")
    w.raise_issue(actor=w.staff_b)
    w.raise_issue(actor=w.supervisor)
    issues = list(Issue.objects.all())
    assert len(issues) == 8
    for case, user in scene.users.items():
        visible = list(selectors.visible_to(user).values_list("pk", flat=True))
        allowed = {i.pk for i in issues if user.has_perm("ledger.view_issue", i)}
        assert len(visible) == len(set(visible)), case  # no duplicate rows
        assert set(visible) == allowed, case
        if (
            connection.vendor == "postgresql"
            and getattr(user, "role", "") == "leader"
            and user.is_active
            and selectors.leader_id_of(user)
        ):
            sql = str(selectors.visible_to(user).query)
            assert ("ANY(ARRAY" in sql) == (hashed_from >= 0), (case, sql)


def test_an_issue_raised_for_another_department_is_seen_by_that_department(scene):
    w = scene.world
    issue = w.raise_issue(actor=w.supervisor, raising_department=w.dept_c)
    assert w.staff_c.has_perm("ledger.view_issue", issue)
    assert selectors.visible_to(w.staff_c).filter(pk=issue.pk).exists()
    assert not w.staff_a.has_perm("ledger.view_issue", issue)
    assert not selectors.visible_to(w.staff_a).filter(pk=issue.pk).exists()


def test_returned_issue_leaves_the_lead_departments_sight(scene):
    w = scene.world
    issue = scene.assigned()
    assert selectors.visible_to(w.staff_b).filter(pk=issue.pk).exists()
    workflow.transition(issue, actor=w.staff_b, action="return", note="非本单位职责。")
    assert not w.staff_b.has_perm("ledger.view_issue", issue)
    assert not selectors.visible_to(w.staff_b).filter(pk=issue.pk).exists()
    assert not selectors.visible_to(w.staff_c).filter(pk=issue.pk).exists()


def test_a_leader_who_leaves_office_keeps_no_extra_sight(scene):
    """Reassigning the 分包 of an enterprise moves its issues to the new leader's view."""
    issue = scene.assigned()
    leader_user = scene.enterprise_leader.user
    assert selectors.visible_to(leader_user).filter(pk=issue.pk).exists()
    scene.enterprise.leader = scene.unrelated_leader
    scene.enterprise.save()
    issue = Issue.objects.get(pk=issue.pk)
    for user, sees in ((leader_user, False), (scene.unrelated_leader.user, True)):
        assert user.has_perm("ledger.view_issue", issue) is sees
        assert selectors.visible_to(user).filter(pk=issue.pk).exists() is sees


SIGNED_OUT = {
    "anonymous",
    "inactive_supervisor",
    "inactive_superuser",
    "inactive_raising_colleague",
}


def test_directories_are_for_signed_in_active_users(scene):
    for case, user in scene.users.items():
        expected = case not in SIGNED_OUT
        assert user.has_perm("ledger.view_directory") is expected, case


OFFICE_WORK = [
    "ledger.import_ledger",
    "ledger.export_master",
    "ledger.batch_issues",
    "ledger.view_assessment",
]


@pytest.mark.parametrize("perm", OFFICE_WORK)
def test_the_office_work_is_the_oversight_office_and_administrators(world, perm):
    # the templates show these buttons with user.sees_everything: the two must agree
    inactive = f.SupervisorFactory(username="gone", is_active=False)
    cases = {
        world.supervisor: True,
        world.admin: True,
        world.staff_a: False,
        world.leader.user: False,
        inactive: False,
        AnonymousUser(): False,
    }
    for user, expected in cases.items():
        assert user.has_perm(perm) is expected, (perm, user)
        assert bool(getattr(user, "sees_everything", False)) is expected, user


def test_an_inactive_supervisor_cannot_import_history(world):
    gone = f.SupervisorFactory(username="gone", is_active=False)
    with pytest.raises(workflow.TransitionRefused):
        workflow.issues_import(actor=gone, at=timezone.now(), file_name="x.xlsx", items=[])
