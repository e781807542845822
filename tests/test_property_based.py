"""Property-based: hostile values in every form and query parameter of every screen, for a
supervisor and a staff user, give no 500, and a refused request changes nothing.

How it works:
- SCREENS lists every URL of the project (a meta-test fails when a URL pattern is neither
  in it nor in NOT_FUZZED with a reason). For each screen the test opens the page as the
  user, reads the page's own forms (fields, their current values, file inputs) and adds the
  screen's EXTRA query parameters (those no form shows: the oversight periods, `page` …).
- For each screen Hypothesis draws overrides of some of those parameters (NUL, control
  characters, very long strings, integers beyond 64 bits, impossible dates, unicode, lists
  instead of scalars, unknown names, odd files) on top of the page's own values, and sends
  them by GET and, where the page has a POST form, by POST.
- Every example runs in a transaction that is rolled back, so examples do not disturb each
  other. A 500 (an exception out of the view) fails the test with the request that caused
  it. A GET never changes the ledger's data; a POST that is not answered with a redirect
  (a form error, 403, 404, 409 …) changes nothing either (counts and contents of every
  table of the ledger, the exchange and notify apps).

Profiles: "ci" (the default: a few examples per screen, derandomized, bounded time) and
"deep" for manual runs: `HYPOTHESIS_PROFILE=deep pytest tests/test_property_based.py`.
No example database is written (database=None).
"""

import datetime
import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.forms import BaseForm
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, note
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ledger import workflow
from ledger.filters import FILTER_PARAMS
from ledger.forms.actions import ACTION_FORMS
from ledger.models import Attachment
from tests import factories as f

_COMMON = {
    "deadline": None,
    "database": None,
    "print_blob": True,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.differing_executors,
        HealthCheck.filter_too_much,
    ],
}
hsettings.register_profile("ci", max_examples=2, derandomize=True, **_COMMON)
hsettings.register_profile("deep", max_examples=150, **_COMMON)
PROFILE = hsettings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# -- hostile values ----------------------------------------------------------------------

HOSTILE = [
    "",
    " ",
    "\x00",
    "ZZ-2026-0001\x00",
    "a\r\nBcc: x@example.com",
    "\x1b[31m\x07\x08",
    "\u202etxt.exe",
    "\ufeff",
    "😀",
    "ＺＺ－２０２６",
    "١٢٣",
    "-1",
    "0",
    "1.5",
    "1e309",
    "NaN",
    "99999999999999999999999",
    str(2**63),
    str(-(2**63) - 1),
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "10000-01-01",
    "2026-13-01",
    "2026-W99",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "%00",
    "../../etc/passwd",
    "x" * 5001,
    "长" * 300,
    "true",
    "None",
    "[]",
]
_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
SCALAR = st.one_of(
    st.sampled_from(HOSTILE),
    _text,
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.dates().map(datetime.date.isoformat),
)
VALUE = st.one_of(SCALAR, st.lists(SCALAR, min_size=2, max_size=3))
FILE_NAMES = [
    "report.pdf",
    "照片.jpg",
    "a.exe",
    "noext",
    "x" * 250 + ".docx",
    "..\\..\\evil.txt",
    ".htaccess",
    "表.xlsx",
    "data.csv",
]
FILE_CONTENT = st.one_of(
    st.binary(max_size=64),
    st.sampled_from(
        [
            b"<!DOCTYPE html><script>alert(1)</script>",
            b"%PDF-1.7\n%%EOF\n",
            b"PK\x03\x04garbage",
            b"\x89PNG\r\n\x1a\n",
            "编号,标题\nZZ-1,\x00\n".encode(),
        ]
    ),
)


def _upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


FILE = st.builds(_upload, st.sampled_from(FILE_NAMES), FILE_CONTENT)

# the examples every screen gets whatever Hypothesis draws: every field at once
ALL_NUL = "\x00"
ALL_HUGE = "99999999999999999999999"
# a list where one value is expected; the last one is what request.GET.get() reads
ALL_LIST = ["9999-12-31", "x" * 5001, "0001-01-01"]


# -- the screens ---------------------------------------------------------------------------


@dataclass
class Screen:
    """A URL to fuzz: `kwargs(ns)` fills the URL, `extra` names query parameters no form
    shows, `post` says whether a POST is worth sending when the page shows no POST form."""

    name: str
    kwargs: object = None
    extra: tuple[str, ...] = ()
    post: bool = False
    label: str = ""
    params: dict = field(default_factory=dict)

    def url(self, ns) -> str:
        kwargs = self.kwargs(ns) if callable(self.kwargs) else (self.kwargs or {})
        return reverse(self.name, kwargs=kwargs)


def _action_kwargs(action: str):
    return lambda ns: {"number": ns.for_action[action], "action": action}


LEDGER_PARAMS = tuple(sorted(FILTER_PARAMS | {"page"}))
PERIOD = ("start", "end", "year", "month", "quarter", "by", "week")

SCREENS = [
    Screen("home"),
    Screen("issue_list", extra=LEDGER_PARAMS),
    Screen("issue_print", extra=LEDGER_PARAMS),
    Screen("exchange:issue_export", extra=LEDGER_PARAMS),
    Screen("issue_batch", extra=("numbers", "action"), post=True),
    Screen("issue_batch_result", extra=("key", "batch")),
    Screen("issue_create", extra=("enterprise", "project"), post=True),
    Screen(
        "issue_duplicates",
        extra=("title", "enterprise", "enterprise_text", "project", "project_text", "exclude"),
    ),
    Screen("issue_edit", lambda ns: {"number": ns.raised}, post=True),
    Screen("issue_detail", lambda ns: {"number": ns.assigned}),
    Screen("issue_notice_assign", lambda ns: {"number": ns.assigned}),
    Screen("issue_notice_escalate", lambda ns: {"number": ns.assigned}),
    Screen(
        "attachment_download",
        lambda ns: {"number": ns.attachment_number, "attachment_id": ns.attachment_id},
    ),
    Screen("enterprise_lookup", extra=("q",)),
    Screen("project_lookup", extra=("q",)),
    Screen("leader_me"),
    Screen("enterprise_list", extra=("q", "scale", "subdistrict", "leader", "page")),
    Screen("enterprise_create", post=True),
    Screen("enterprise_detail", lambda ns: {"pk": ns.enterprise}, extra=("page",)),
    Screen("enterprise_edit", lambda ns: {"pk": ns.enterprise}, post=True),
    Screen("enterprise_verify", lambda ns: {"pk": ns.enterprise}, post=True),
    Screen("project_list", extra=("q", "level", "sector", "stage", "leader", "pace", "page")),
    Screen("project_create", post=True),
    Screen("project_detail", lambda ns: {"pk": ns.project}, extra=("page",)),
    Screen("project_edit", lambda ns: {"pk": ns.project}, post=True),
    Screen("project_progress", lambda ns: {"pk": ns.project}, post=True),
    Screen("oversight:dashboard", extra=PERIOD),
    Screen("oversight:assessment", extra=PERIOD),
    Screen("oversight:assessment_export", extra=PERIOD),
    Screen("oversight:project_pace", extra=("sort",)),
    Screen("oversight:project_pace_export", extra=("sort",)),
    Screen("oversight:report_weekly", extra=PERIOD),
    Screen("oversight:report_weekly_export", extra=PERIOD),
    Screen("oversight:report_monthly", extra=PERIOD),
    Screen("oversight:report_monthly_export", extra=PERIOD),
    Screen("notify:notification_list", extra=("unread", "page")),
    Screen("notify:notification_count"),
    Screen("notify:notification_read_all", post=True),
    Screen("notify:notification_preferences", post=True),
    Screen("notify:notification_open", lambda ns: {"pk": ns.notification}),
    Screen("notify:notification_arrived", post=True, extra=("pk",)),
    Screen("exchange:export_job_list", extra=("page",)),
    Screen("exchange:export_job", {"pk": 1}),
    Screen("exchange:export_job_download", {"pk": 1}),
    Screen("exchange:master_export", {"kind": "enterprises"}),
    Screen("exchange:issue_import", post=True, extra=("kind",)),
    Screen("exchange:master_import", post=True, extra=("kind",)),
    Screen("exchange:import_aliases", post=True, extra=("delete",)),
    Screen("exchange:import_preview", lambda ns: {"pk": ns.batch}, post=True),
    Screen("exchange:import_commit", lambda ns: {"pk": ns.batch}, post=True),
    Screen("exchange:import_problems", lambda ns: {"pk": ns.batch}),
    Screen("api:token_list", post=True),
    # one screen per action form: on an issue where this user may take it, if any
    *[
        Screen("issue_action", _action_kwargs(action.value), post=True, label=action.value)
        for action in ACTION_FORMS
    ],
]

# URL names not fuzzed here, and why
NOT_FUZZED = {
    "login": "sign-in and lockout: tests/test_security_auth.py (fuzzing would lock accounts)",
    "logout": "no input",
    "password_change": "Django's own form; password tests elsewhere",
    "password_change_done": "static page",
    "password_reset": "Django's own form, throttled: tests/test_security_auth.py",
    "password_reset_done": "static page",
    "password_reset_confirm": "Django's signed token view",
    "password_reset_complete": "static page",
    "security:healthz": "no input",
    "audit:export": "the audit administrator's alone (403 to both fuzzed roles): its bad filters "
    "(dates, span, kind) in tests/audit/test_roles.py",
    None: "unnamed redirects (favicon.ico)",
    "api:token_revoke": "no input but the token's id in the path (POST to revoke): another "
    "person's and missing ids in tests/api/test_tokens_page.py and the authorization matrix",
    # wrong codes lock the account and sign the session out (a fuzzer would test the lockout):
    # odd codes, NUL, full-width digits, 10,000 characters … in tests/test_two_factor.py
    **dict.fromkeys(
        (
            "security:two_factor",
            "security:two_factor_verify",
            "security:two_factor_enrol",
            "security:two_factor_recovery_codes",
            "security:two_factor_remove",
        ),
        "two-factor pages: odd codes in tests/test_two_factor.py (fuzzing would lock the account)",
    ),
    # the feedback room's forms (rating, link buttons): tests/feedback/test_fuzz.py
    **dict.fromkeys(
        (
            "feedback:public",
            "feedback:link_create",
            "feedback:link_revoke",
            "feedback:link_email",
            "feedback:dissatisfied",
        ),
        "the feedback room: tests/feedback/test_fuzz.py (the list has no input)",
    ),
    # the API room's work orders in and their 待核实 queue (namespace api:)
    "api:intake": "JSON, not a form: bad bodies in tests/api/test_intake.py (and the API's "
    "schema fuzzing)",
    **dict.fromkeys(
        ("api:intake_queue", "api:intake_order", "api:intake_reject"),
        "the 待核实 queue (oversight office only): odd states, blank and foreign choices in "
        "tests/api/test_intake_queue.py",
    ),
    # the service room's screens (namespace service:): tests/service/test_fuzz.py
    **dict.fromkeys(
        (
            "service:visit_list",
            "service:visit_create",
            "service:visit_detail",
            "service:visit_edit",
            "service:visit_photo",
            "service:coverage",
            "service:coverage_export",
            "service:procedures_late",
            "service:procedure_edit",
            "service:procedure_raise",
            "service:procedure_plan",
        ),
        "the service room: fuzzed in tests/service/test_fuzz.py",
    ),
    # the JSON API (/api/v1/): fuzzed against its OpenAPI document by schemathesis, with a
    # person's token and a system client, in tests/api/test_schemathesis.py
    **dict.fromkeys(
        (
            "api:schema",
            "api:docs",
            "api:not_found",
            "api:issues",
            "api:issue",
            "api:issue_action",
            "api:issue_attachment",
            "api:departments",
            "api:leaders",
            "api:categories",
            "api:sources",
            "api:enterprises",
            "api:enterprise",
            "api:enterprise_contacts",
            "api:enterprise_contact",
            "api:projects",
            "api:project",
            "api:project_progress",
            "api:notifications",
            "api:notification_read",
            "api:notifications_read_all",
            "api:figures_dashboard",
            "api:figures_assessment",
        ),
        "the JSON API: schemathesis in tests/api/test_schemathesis.py",
    ),
}


def _url_names():
    """Every URL name of the project as reverse() takes it: with its namespace (`notify:…`)."""

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern).startswith(("admin/", "i18n/")):
                    continue  # Django's admin and language switch
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                yield f"{namespace}{pattern.name}" if pattern.name else None

    return set(walk(get_resolver().url_patterns))


def test_every_url_of_the_project_is_fuzzed_or_said_why_not():
    covered = {screen.name for screen in SCREENS} | set(NOT_FUZZED)
    missing = _url_names() - covered
    assert not missing, f"add these URL names to SCREENS (or NOT_FUZZED, with a reason): {missing}"


# -- reading a page's forms ------------------------------------------------------------------


class _Forms(HTMLParser):
    """The forms of a page: method, action, and what a browser would submit as it stands."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {
                "method": (attrs.get("method") or "get").lower(),
                "action": attrs.get("action") or "",
                "values": {},
                "names": set(),
                "files": set(),
            }
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or not attrs.get("name"):
            return
        name = attrs["name"]
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            form["names"].add(name)
            if kind == "file":
                form["files"].add(name)
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    form["values"].setdefault(name, []).append(attrs.get("value") or "on")
            elif kind not in ("submit", "button", "image", "reset"):
                form["values"].setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "select":
            form["names"].add(name)
            self._select = {"name": name, "first": None, "chosen": []}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._select["chosen"].append(value)
        elif tag == "textarea":
            form["names"].add(name)
            self._textarea = name
            form["values"][name] = [""]
        elif tag == "button":
            form["names"].add(name)

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["values"][self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            chosen = self._select["chosen"] or (
                [self._select["first"]] if self._select["first"] is not None else []
            )
            if chosen:
                self._form["values"][self._select["name"]] = chosen
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def page_forms(client, url):
    """(GET field names, POST baseline values, POST field names, file fields) of the page's
    own forms (those that submit to the page itself)."""
    response = client.get(url)
    get_names, post_values, post_names, files = set(), {}, set(), set()
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return get_names, post_values, post_names, files
    parser = _Forms()
    parser.feed(response.content.decode(errors="replace"))
    path = urlsplit(url).path
    for form in parser.forms:
        action = urlsplit(form["action"]).path
        if action not in ("", path):
            continue  # the language switch, sign-out, another screen's form
        if form["method"] == "post":
            post_values.update(form["values"])
            post_names |= form["names"]
            files |= form["files"]
        else:
            get_names |= form["names"]
    post_values.pop("csrfmiddlewaretoken", None)
    post_names.discard("csrfmiddlewaretoken")
    return get_names, post_values, post_names, files


# -- what must not change ------------------------------------------------------------------

SNAPSHOT_APPS = ("ledger", "exchange", "notify")
# what a GET may write: the preferences page creates the user's row; a big export queues a
# job (a notification's link writes nothing: the page it leads to marks it read by a POST)
GET_MAY_WRITE = {"notify.preference", "exchange.exportjob"}
# besides the row count of every table: what an update without a new row would change
# (the directory models keep a history row per save, so their counts move on any change)
AGGREGATES = {
    "ledger.issue": ["SUM(version)", "MAX(updated_at)"],
    "ledger.extensionrequest": ["SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END)"],
    "ledger.ledgercounter": ["SUM(last)"],
    "ledger.user": ["SUM(CASE WHEN is_active THEN 1 ELSE 0 END)", "MAX(password)"],
    "notify.notification": ["SUM(CASE WHEN read_at IS NULL THEN 1 ELSE 0 END)"],
}


def _snapshot_sql(*, for_get: bool) -> tuple[list[str], str]:
    labels, terms = [], []
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label not in SNAPSHOT_APPS or model._meta.proxy:
            continue
        if for_get and label in GET_MAY_WRITE:
            continue
        table = connection.ops.quote_name(model._meta.db_table)
        for term in ["COUNT(*)", *AGGREGATES.get(label, [])]:
            labels.append(f"{label} {term}")
            terms.append(f"(SELECT {term} FROM {table})")
    return labels, "SELECT " + ", ".join(terms)


def snapshot(*, for_get: bool) -> dict:
    """Row counts of every table of the ledger, exchange and notify apps, with the issues'
    versions and the other AGGREGATES: one query."""
    labels, sql = _snapshot_sql(for_get=for_get)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        values = cursor.fetchone()
    return {label: str(value) for label, value in zip(labels, values, strict=True)}


def _refused(response) -> bool:
    if response.status_code >= 400:
        return True
    if response.status_code in (301, 302, 303):
        return False
    forms = []
    contexts = response.context or []
    if not isinstance(contexts, list):  # one template rendered: a Context, not a ContextList
        contexts = [contexts]
    for context in contexts:
        forms += [v for v in context.flatten().values() if isinstance(v, BaseForm)]
    return response.status_code == 200 and (
        any(form.is_bound and form.errors for form in forms) or not forms
    )


# -- the world ---------------------------------------------------------------------------------


class NS:
    pass


def _world_for_fuzz(world, client):
    """Issues in every status, an attachment, a pending extension, a notification, an import."""
    from ledger.notify.models import Notification

    ns = NS()
    raised = world.raise_issue()
    assigned = world.assigned_issue()
    in_progress = world.in_progress_issue()
    pending = world.in_progress_issue(deadline_days=3)
    workflow.transition(
        pending,
        actor=world.staff_b,
        action="extension_request",
        new_deadline=f.days_from_today(20),
        note="需要更多时间",
    )
    resolved = world.resolved_issue()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    workflow.transition(
        in_progress,
        actor=world.staff_b,
        action="comment",
        note="照片",
        files=[_upload("photo.png", png)],
    )
    attachment = Attachment.objects.get()
    ns.raised, ns.assigned = raised.number, assigned.number
    ns.attachment_number, ns.attachment_id = in_progress.number, attachment.pk
    ns.issues = [raised, assigned, in_progress, pending, resolved]
    ns.enterprise, ns.project = world.enterprise.pk, world.project.pk
    ns.notification = Notification.objects.create(
        recipient=world.supervisor, issue=assigned, kind="assign", created_at=timezone.now()
    ).pk
    ns.batch = 1
    client.force_login(world.supervisor)
    csv = "编号,问题标题,问题描述\n,道路积水,雨后积水\n".encode()
    client.post(reverse("exchange:issue_import"), {"file": _upload("ledger.csv", csv)})
    from ledger.exchange.models import ImportBatch

    batch = ImportBatch.objects.order_by("-pk").first()
    if batch is not None:
        ns.batch = batch.pk
    return ns


def _actions_for(ns, user):
    """For each action form: an issue on which `user` may take it, else the first issue."""
    chosen = {}
    for action in ACTION_FORMS:
        for issue in ns.issues:
            issue.refresh_from_db()
            if action in workflow.available_actions(user, issue):
                chosen[action.value] = issue.number
                break
        else:
            chosen[action.value] = ns.issues[0].number
    return chosen


# -- the property ----------------------------------------------------------------------------------


def _send(client, method, url, data):
    try:
        if method == "GET":
            return client.get(url, data)
        return client.post(url, data)
    except Exception as error:  # a 500: the view raised
        raise AssertionError(
            f"{method} {url} with {data!r} raised {type(error).__name__}: {error}"
        ) from error


def _fuzz_screen(client, screen, url, user_label):
    get_names, post_values, post_names, files = page_forms(client, url)
    get_params = sorted(get_names | set(screen.extra))
    post_fields = sorted((post_names | set(screen.extra)) - files)
    sends_post = bool(post_names) or screen.post
    names = sorted(set(get_params) | set(post_fields) | {"zz_unknown"})
    file_fields = sorted(files)

    overrides = st.dictionaries(st.sampled_from(names), VALUE, max_size=4)
    uploads = (
        st.dictionaries(st.sampled_from(file_fields), st.lists(FILE, max_size=3), max_size=1)
        if file_fields
        else st.just({})
    )

    @PROFILE
    @given(overrides=overrides, uploads=uploads)
    @example(overrides=dict.fromkeys(names, ALL_NUL), uploads={})
    @example(overrides=dict.fromkeys(names, ALL_HUGE), uploads={})
    @example(overrides=dict.fromkeys(names, ALL_LIST), uploads={})
    def run(overrides, uploads):
        note(f"{user_label} {screen.name} {screen.label} {url}")
        query = {k: v for k, v in overrides.items() if k in get_params}
        if query or not sends_post:
            with transaction.atomic():
                before = snapshot(for_get=True)
                response = _send(client, "GET", url, {**query, "zz_unknown": ALL_NUL})
                assert response.status_code < 500, f"GET {url} {query!r}: {response.status_code}"
                assert snapshot(for_get=True) == before, f"GET {url} {query!r} changed data"
                transaction.set_rollback(True)
        if not sends_post:
            return
        with transaction.atomic():
            before = snapshot(for_get=False)
            data = {**post_values, **overrides, **uploads}
            response = _send(client, "POST", url, data)
            assert response.status_code < 500, f"POST {url} {data!r}: {response.status_code}"
            if _refused(response):
                assert snapshot(for_get=False) == before, (
                    f"POST {url} {data!r} was refused ({response.status_code}) but changed data"
                )
            transaction.set_rollback(True)

    run()


@pytest.mark.parametrize("role", ["supervisor", "staff_b"])
def test_hostile_input_on_every_screen_is_never_a_500_and_a_refusal_changes_nothing(
    client, world, role
):
    ns = _world_for_fuzz(world, client)
    user = getattr(world, role)
    ns.for_action = _actions_for(ns, user)
    client.force_login(user)
    failures = []
    for screen in SCREENS:
        url = screen.url(ns)
        try:
            _fuzz_screen(client, screen, url, role)
        except Exception as error:  # collect every screen's failure, not only the first
            failures.append(
                f"[{screen.name} {screen.label}] {type(error).__name__}: {error}"[:3000]
            )
    assert not failures, "\n\n".join(failures)
