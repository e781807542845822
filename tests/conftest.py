"""Shared fixtures: one small world with every role and ownership case."""

import pytest

from ledger import workflow
from tests import factories as f
from tests import profiles  # loads the CI Hypothesis profile under CI=1


def pytest_collection_modifyitems(config, items):
    profiles.second_pass_deselect(config, items)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # each test's own checkpoint files: never the repository's var/, never another test's
    settings.EVENTS_CHECKPOINT_DIR = str(tmp_path / "checkpoints")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts and ends in the site's language: a test-client request in English
    leaves English active in the thread (LocaleMiddleware activates, nothing deactivates), and
    the next test on that worker would read its messages in English."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _cache_cleared():
    """Each test starts with an empty cache: the database is rolled back after a test, and
    a figure cached under a reused user id would outlive it (ledger.summaries)."""
    from django.core.cache import cache

    cache.clear()


# the modules that move issues through the workflow (and imports): after each of their tests
# the summary rows must equal a fresh count of the issues (ledger.summaries). Not
# tests/test_events.py: it rewrites issues behind the workflow's back on purpose, to prove
# events_verify catches it
SUMMARIES_CHECKED = {
    "tests.test_workflow",
    "tests.test_imports",
    "tests.test_issue_daily_use",
    "tests.test_available_actions",
    "tests.test_property_based",
    "tests.test_deadline_workdays",
    "tests.test_print_and_batch",
    "tests.test_concurrency",
    "tests.test_views_issue",
    "tests.test_views_intake",
    "tests.exchange.test_import_ledger",
    "tests.exchange.test_import_views",
    "tests.exchange.test_roundtrip",
    "tests.notify.test_reminders",
    "tests.notify.test_long_term_chase",
}


@pytest.fixture(autouse=True)
def _summaries_verified(request):
    """After every test of a workflow module (SUMMARIES_CHECKED) that uses the database, the
    summary rows equal a fresh count (ledger.summaries.verify), checked before the test's
    database is rolled back."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if request.module.__name__ not in SUMMARIES_CHECKED or not (
        marker or names & {"db", "transactional_db"}
    ):
        yield
        return
    # requested here, so the database is torn down after this fixture's check
    transactional = "transactional_db" in names or (
        marker is not None and marker.kwargs.get("transaction", False)
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    from ledger import summaries

    problems = summaries.verify()
    assert not problems, "summary rows differ from a fresh count:\n" + "\n".join(problems[:20])


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    # PBKDF2 costs seconds per world fixture; the hasher is not what these tests check.
    # Session-wide (before module-scoped seeds) so every hash in a run uses the same hasher.
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()


class World:
    """Departments, users of every role, a leader with an enterprise and a project."""

    def __init__(self):
        self.dept_a = f.DepartmentFactory(name="区发改委", short_name="发改委")
        self.dept_b = f.DepartmentFactory(name="区住建局", short_name="住建局")
        self.dept_c = f.DepartmentFactory(name="区环保局", short_name="环保局")
        self.oversight = f.DepartmentFactory(
            name="区政府督查室", kind="oversight", short_name="督查室"
        )
        self.staff_a = f.StaffFactory(username="staff_a", department=self.dept_a)
        self.staff_b = f.StaffFactory(username="staff_b", department=self.dept_b)
        self.staff_c = f.StaffFactory(username="staff_c", department=self.dept_c)
        self.supervisor = f.SupervisorFactory(username="supervisor", department=self.oversight)
        self.admin = f.AdminFactory(username="admin")
        self.leader = f.LeaderFactory(user__username="leader1", title="副区长")
        self.other_leader = f.LeaderFactory(user__username="leader2", title="常务副区长")
        self.enterprise = f.EnterpriseFactory(leader=self.leader)
        self.project = f.KeyProjectFactory(leader=self.leader)
        self.category = f.CategoryFactory(name="用地规划")
        self.source = f.SourceFactory(name="企业走访")

    def raise_issue(self, *, actor=None, **data):
        data.setdefault("title", "厂区道路积水")
        data.setdefault("description", "雨后厂区门口道路积水严重。")
        data.setdefault("category", self.category)
        data.setdefault("source", self.source)
        return workflow.issue_raise(actor=actor or self.staff_a, **data)

    def assigned_issue(self, *, lead=None, leader=None, deadline_days=10, **data):
        issue = self.raise_issue(**data)
        workflow.transition(
            issue,
            actor=self.supervisor,
            action="assign",
            leader=leader or self.leader,
            lead_department=lead or self.dept_b,
            deadline=f.days_from_today(deadline_days),
        )
        return issue

    def in_progress_issue(self, **kwargs):
        issue = self.assigned_issue(**kwargs)
        workflow.transition(issue, actor=self.staff_b, action="accept")
        return issue

    def resolved_issue(self, **kwargs):
        issue = self.in_progress_issue(**kwargs)
        workflow.transition(issue, actor=self.staff_b, action="resolve", resolution="已修复排水。")
        return issue


@pytest.fixture
def world(db):
    return World()
