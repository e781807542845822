"""The demo data: seed_demo builds a believable, consistent ledger, and doing it twice
changes nothing; demo_logins tells people how to sign in.

Seeding takes a few seconds, so it runs once for this module inside a transaction that
is rolled back at the end (each test still runs in its own savepoint).
"""

import datetime
import importlib
import io
from collections import Counter
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from ledger import demo, workflow
from ledger.models import (
    Category,
    Contact,
    Enterprise,
    ExtensionRequest,
    Health,
    Issue,
    IssueEvent,
    KeyProject,
    Leader,
    Source,
    User,
)
from ledger.selectors import issues_most_urgent, visible_to
from ledger.states import Action, Status
from ledger.validators import validate_credit_code, validate_mobile
from ledger.workdays import is_working_day


@pytest.fixture(scope="module")
def seed_output(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seed_output, db):
    return seed_output


def _demo_issues():
    return Issue.objects.filter(title__in=demo.DEMO_TITLES)


def _snapshot() -> dict:
    """Row counts of every model plus a digest of everything an issue is made of."""
    counts = {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    issues = []
    for issue in Issue.objects.order_by("number").prefetch_related("co_departments"):
        row = {
            field.attname: getattr(issue, field.attname) for field in Issue._meta.concrete_fields
        }
        row["co_departments"] = sorted(d.pk for d in issue.co_departments.all())
        row["events"] = list(issue.events.order_by("seq").values_list("seq", "digest"))
        row["deadlines"] = list(issue.deadlines.order_by("id").values_list("deadline", "set_at"))
        row["extensions"] = list(
            issue.extensions.order_by("id").values_list("state", "requested_deadline")
        )
        issues.append(row)
    return {
        "counts": counts,
        "issues": issues,
        "users": list(User.objects.order_by("username").values()),
        "enterprises": list(Enterprise.objects.order_by("name").values()),
        "contacts": list(Contact.objects.order_by("id").values()),
        "projects": list(KeyProject.objects.order_by("name").values()),
        "leaders": list(Leader.objects.order_by("id").values()),
    }


# -- the command -------------------------------------------------------------------


def test_seed_prints_a_short_summary_by_status(seeded):
    lines = seeded.strip().splitlines()
    assert len(lines) < 20
    for status in Status:
        count = _demo_issues().filter(status=status).count()
        assert any(status.value in line and str(count) in line for line in lines), status


def test_seeding_twice_changes_nothing(seeded):
    before = _snapshot()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert _snapshot() == before
    assert "unchanged" in out.getvalue()


# -- the issues ----------------------------------------------------------------------


def test_there_are_at_least_sixty_demo_issues(seeded):
    assert _demo_issues().count() == len(demo.ISSUES) >= 60


def test_every_status_source_and_category_is_used(seeded):
    issues = _demo_issues()
    assert set(issues.values_list("status", flat=True)) == set(Status.values)
    assert set(issues.values_list("source__name", flat=True)) == set(
        Source.objects.values_list("name", flat=True)
    )
    assert set(issues.values_list("category__name", flat=True)) == set(
        Category.objects.values_list("name", flat=True)
    )


def test_red_yellow_and_green_lights_and_late_unassigned_issues_all_occur(seeded):
    today = timezone.localdate()
    annotated = {i.pk: i.health_code for i in _demo_issues().with_health(today)}
    for issue in _demo_issues():
        assert issue.health_on(today) == annotated[issue.pk], issue.number
    lights = Counter(annotated.values())
    for health in (Health.RED, Health.YELLOW, Health.GREEN):
        assert lights[health] >= 3, health
    assert lights[Health.UNASSIGNED_LATE] >= 2
    assert lights[Health.PENDING] >= 1


def test_the_oversight_cases_all_occur(seeded):
    issues = _demo_issues()
    actions = Counter(IssueEvent.objects.filter(issue__in=issues).values_list("action", flat=True))
    for action in (
        Action.RETURN,
        Action.REASSIGN,
        Action.URGE,
        Action.ESCALATE,
        Action.REOPEN,
        Action.WITHDRAW,
        Action.COMMENT,
        Action.EXTENSION_REQUEST,
        Action.EXTENSION_APPROVE,
        Action.EXTENSION_REJECT,
    ):
        assert actions[action] >= 1, action
    states = set(ExtensionRequest.objects.filter(issue__in=issues).values_list("state", flat=True))
    assert {"pending", "approved", "rejected"} <= states
    closed = issues.filter(status=Status.CLOSED)
    assert set(closed.values_list("satisfaction", flat=True)) == set(Issue.Satisfaction.values)
    assert issues.filter(is_escalated=True).exists()
    assert issues.filter(resolved_on_time=True).exists()
    assert issues.filter(resolved_on_time=False).exists()
    progress = set(
        IssueEvent.objects.filter(issue__in=issues, action=Action.PROGRESS).values_list(
            "changes__progress__1", flat=True
        )
    )
    assert {"smooth", "slow", "none"} <= progress


def test_every_timeline_runs_forward_on_working_days_in_the_past(seeded):
    now = timezone.now()
    previous_raise = None
    for issue in _demo_issues().order_by("year", "seq"):
        events = list(issue.events.order_by("seq"))
        assert events[0].action == Action.RAISE
        assert events[0].created_at == issue.raised_at
        times = [event.created_at for event in events]
        assert times == sorted(times) and len(set(times)) == len(times), issue.number
        assert times[-1] < now
        for moment in times:
            assert is_working_day(timezone.localtime(moment).date()), issue.number
        # ledger numbers follow the order in which issues were raised
        if previous_raise is not None:
            assert issue.raised_at >= previous_raise
        previous_raise = issue.raised_at
        # the hash chain is intact
        digest = ""
        for event in events:
            assert event.compute_digest(digest) == event.digest
            digest = event.digest


def test_the_demo_logins_see_plenty(seeded):
    staff = User.objects.get(username="staff")
    department = staff.department_id
    issues = _demo_issues()
    assert issues.filter(raising_department_id=department).count() >= 10
    assert issues.filter(lead_department_id=department).count() >= 5
    assert visible_to(staff).open().count() >= 8

    leader = User.objects.get(username="leader").leader_profile
    assert leader.enterprises.count() >= 3
    assert leader.projects.count() >= 3
    assert issues.filter(enterprise__leader=leader).count() >= 10
    assert issues.filter(project__leader=leader).count() >= 3
    assert visible_to(leader.user).open().count() >= 10


# -- master data ---------------------------------------------------------------------


def test_enterprises_have_valid_codes_and_one_primary_contact(seeded):
    enterprises = Enterprise.objects.filter(name__in=[e["name"] for e in demo.ENTERPRISES])
    assert enterprises.count() == len(demo.ENTERPRISES) >= 12
    for enterprise in enterprises:
        validate_credit_code(enterprise.credit_code)
        assert enterprise.credit_code[2:8] == "410803"
        assert enterprise.subdistrict.kind == "subdistrict"
        contacts = list(enterprise.contacts.all())
        assert sum(contact.is_primary for contact in contacts) == 1, enterprise.name
        for contact in contacts:
            validate_mobile(contact.mobile)
    names = " ".join(enterprises.values_list("name", flat=True))
    for named in ("风神轮胎", "龙星化工", "鑫诚耐火", "爱尔福克", "武钢物流", "聚成物流"):
        assert named in names


def test_six_fictional_leaders_with_their_titles(seeded):
    leaders = Leader.objects.filter(user__username__in=[row["username"] for row in demo.LEADERS])
    assert leaders.count() == 6
    titles = Counter(leaders.values_list("title", flat=True))
    assert titles["区长"] == 1
    assert titles["常务副区长"] == 1
    assert titles["副区长"] == 3
    assert all(leader.user.role == "leader" for leader in leaders)


# amounts of the 2014 projects in DOMAIN.md, in 万元
NAMED_PROJECTS = {
    "红砂岭生态园二期": 21000,
    "葫芦寺水上乐园": 20000,
    "麦秸河至高窑河旅游通道": 200,
    "高窑河民俗度假村": 15000,
    "武钢物流二期": 19800,
    "聚成物流园项目": 20000,
    "中原海西商品博览城": 160000,
    "集聚区综合服务中心": 15000,
    "和祥小区": 120000,
    "和美小区三期": 40000,
    "“八路三网”城乡畅通工程": 50000,
    "中小学功能室标准化建设": 1600,
    "就业和社会保障服务中心": 850,
    "绿色涂料特色产业园": 300000,
}


def test_the_named_projects_carry_the_reports_amounts_for_this_year(seeded):
    today = timezone.localdate()
    projects = {p.name: p for p in KeyProject.objects.filter(name__in=NAMED_PROJECTS)}
    assert set(projects) == set(NAMED_PROJECTS)
    for name, amount in NAMED_PROJECTS.items():
        project = projects[name]
        assert project.total_investment == Decimal(amount), name
        assert project.year == today.year
        assert project.annual_plan <= project.total_investment
        assert project.leader is not None and project.lead_department is not None


def test_projects_show_a_mix_of_paces(seeded):
    today = timezone.localdate()
    paces = {project.pace(today) for project in KeyProject.objects.all()}
    # early in the year 序时进度 is too small for a project to lag by 10 or 30 points
    if today.month >= 4:
        expected = {"green", "yellow", "red"}
    elif today.month >= 2:
        expected = {"green", "yellow"}
    else:
        expected = {"green"}
    assert expected <= paces


def test_default_lists_match_the_data_migration(seeded):
    migration = importlib.import_module("ledger.migrations.0002_default_lists")
    assert migration.CATEGORIES == demo.CATEGORIES
    assert migration.SOURCES == demo.SOURCES
    before = (Category.objects.count(), Source.objects.count())
    migration.lists_seed(apps, None)
    assert (Category.objects.count(), Source.objects.count()) == before
    ordered = list(Category.objects.filter(name__in=demo.CATEGORIES).values_list("name", flat=True))
    assert ordered == demo.CATEGORIES


# -- accounts ------------------------------------------------------------------------


def test_demo_accounts_exist_with_their_roles_and_password(seeded):
    # one real password check (each costs most of a second); the demo hash is salted
    # identically for every account, so equal hashes mean the same password
    reference = User.objects.get(username="staff")
    assert reference.check_password(demo.PASSWORD)
    assert not reference.check_password("zz-demo-2015")
    for row in demo.USERS:
        user = User.objects.get(username=row["username"])
        assert user.role == row["role"]
        assert user.is_active
        assert user.password == reference.password, row["username"]
        assert user.email.endswith("@zhongzhan.invalid")
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    supervisor = User.objects.get(username="supervisor")
    assert supervisor.department.name == "区政府督查室" and not supervisor.is_staff
    staff, staff2 = User.objects.get(username="staff"), User.objects.get(username="staff2")
    assert staff.department_id and staff2.department_id
    assert staff.department_id != staff2.department_id
    assert User.objects.get(username="leader").leader_profile.is_active


def test_every_unit_that_leads_an_issue_has_someone_to_act(seeded):
    led = set(
        _demo_issues().exclude(lead_department=None).values_list("lead_department", flat=True)
    )
    staffed = set(
        User.objects.filter(role="staff", is_active=True).values_list("department", flat=True)
    )
    assert led and led <= staffed


def test_staff_signs_in_and_sees_their_units_issues_at_home(seeded, client):
    response = client.post("/accounts/login/", {"username": "staff", "password": demo.PASSWORD})
    assert response.status_code == 302
    staff = User.objects.get(username="staff")
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    shown = list(issues_most_urgent(staff))
    assert len(shown) >= 5
    for issue in shown:
        assert issue.number in html
        assert staff.department_id in (
            issue.raising_department_id,
            issue.lead_department_id,
            *issue.co_departments.values_list("pk", flat=True),
        )
    hidden = _demo_issues().exclude(pk__in=visible_to(staff).values("pk"))
    assert hidden.exists()
    for issue in hidden:
        assert issue.number not in html


def test_view_permission_agrees_with_visible_to_for_every_demo_user_and_issue(seeded):
    issues = list(
        _demo_issues().select_related("enterprise", "project").prefetch_related("co_departments")
    )
    users = User.objects.filter(username__in=[row["username"] for row in demo.USERS])
    assert users.count() == len(demo.USERS)
    for user in users:
        visible = set(
            visible_to(user).filter(title__in=demo.DEMO_TITLES).values_list("pk", flat=True)
        )
        allowed = {issue.pk for issue in issues if user.has_perm("ledger.view_issue", issue)}
        assert allowed == visible, user.username
        assert visible, user.username


# -- demo_logins -----------------------------------------------------------------------


def test_demo_logins_lists_every_account_with_role_unit_and_password(seeded):
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert demo.PASSWORD in text
    assert "seed_demo" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line.strip()}
    for row in demo.USERS:
        line = lines[row["username"]]
        assert row["role"] in line
        assert "yes" in line
    assert "区政府督查室" in lines["supervisor"]
    assert "副区长" in lines["leader"]
    assert "区工信局" in lines["staff"]


def test_demo_logins_says_when_the_accounts_are_missing(seeded):
    User.objects.filter(username__in=[row["username"] for row in demo.USERS]).update(
        is_active=False
    )
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert "No demo account is in the database" in text
    assert "是 yes" not in text
    assert text.count("否 no") == len(demo.USERS)


def test_demo_logins_on_a_database_without_tables_says_what_to_run(tmp_path):
    # a fresh clone, before `make run`: the README's command printed a traceback
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite3"}
    env.pop("EXPECT_DB_VENDOR", None)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "demo_logins"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "python manage.py migrate" in done.stdout
    lines = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    for row in demo.USERS:
        assert "否 no" in lines[row["username"]]


def test_demo_dates_are_relative_to_today(seeded):
    today = timezone.localdate()
    raised = _demo_issues().order_by("raised_at")
    oldest = timezone.localtime(raised.first().raised_at).date()
    newest = timezone.localtime(raised.last().raised_at).date()
    # the oldest story starts 118 days back (+ up to 4 days' shift): twelve weeks of charts
    assert today - datetime.timedelta(days=130) < oldest
    assert oldest < today - datetime.timedelta(days=12 * 7)
    assert newest < today


# -- safety: never on a real database ---------------------------------------------------


def test_seed_demo_refuses_without_debug_unless_told_it_is_not_production(seeded, settings):
    settings.SEED_DEMO_ALLOWED = False
    settings.DEBUG = False
    before = _snapshot()
    with pytest.raises(CommandError, match="i-know-this-is-not-production"):
        call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", "--i-know-this-is-not-production", stdout=out)
    assert "unchanged" in out.getvalue()
    assert _snapshot() == before


def test_seed_demo_never_touches_an_account_it_did_not_create(seeded):
    # accounts with demo user names that seed_demo did not create (no demo address): a
    # real administrator, disabled and without superuser rights, and a real clerk
    from django.contrib.auth.hashers import make_password

    User.objects.filter(username="admin").update(
        email="it@jiaozuo.example",
        is_superuser=False,
        is_active=False,
        password=make_password("real-secret"),
    )
    User.objects.filter(username="staff").update(
        email="li@jiaozuo.example", password=make_password("real-secret")
    )
    real_admin = User.objects.get(username="admin")
    real_staff = User.objects.get(username="staff")
    password = real_admin.password
    counts = {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    with pytest.raises(CommandError) as refused:
        call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    assert "admin" in str(refused.value) and "staff" in str(refused.value)
    real_admin.refresh_from_db()
    assert real_admin.password == password
    assert not real_admin.is_superuser and not real_admin.is_active
    assert not real_admin.check_password(demo.PASSWORD)
    real_staff.refresh_from_db()
    assert not real_staff.check_password(demo.PASSWORD)
    after = {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    assert after == counts  # nothing at all was written


def test_seed_demo_refuses_on_a_database_with_issues_it_did_not_create(seeded):
    from tests import factories as f

    clerk = f.StaffFactory(username="wang", email="wang@jiaozuo.example")
    issue = workflow.issue_raise(
        actor=clerk,
        title=sorted(demo.DEMO_TITLES)[0],  # even with a demo title: raised by a real account
        description="真实问题",
        category=Category.objects.first(),
        source=Source.objects.first(),
    )
    before = _snapshot()
    with pytest.raises(CommandError, match=issue.number):
        call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    assert _snapshot() == before


def test_issues_raised_with_the_demo_accounts_do_not_stop_a_reseed(seeded):
    # people trying the demo raise issues as `staff`; `make run` seeds again each time
    staff = User.objects.get(username="staff")
    workflow.issue_raise(
        actor=staff,
        title="试用时登记的问题",
        description="试用",
        category=Category.objects.first(),
        source=Source.objects.first(),
    )
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "unchanged" in out.getvalue()
