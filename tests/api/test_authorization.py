"""The API's authorization matrix: every /api/v1/ route × the ten roles of the screens'
matrix (tests/test_authorization_matrix.py, the same world) × three system clients, with
the expected status of every cell written out by hand.

Columns: the screens' ten roles, each calling with its own personal token (anon: none) ·
cown = a system client of the raising department that sees only what it raised (sees=own) ·
cdep = the same department's client that sees what the department sees · cnone = a client
with no scope at all. Objects are the screens' matrix's (R A P X S C W, `hidden` raised by
the unrelated department) and O, raised by cown's account.

The actions (`api:issue_action`) are checked against the screens' own matrix instead of a
second table: for every issue_action POST row there, each role's API answer must be the
screen's (302 done → 200; 403 → 403; 404 → 404; a form shown again with the reason → 400 or
403; anonymous → 401), cdep answers as `raise`, cown gets 404 and cnone 403. So the API
cannot allow what a screen refuses. A refused request must leave the database as it was;
every POST is rolled back; every 200 is searched for the numbers and titles of issues the
caller may not see, and test_api_routes_all_covered fails on an /api/v1/ route without rows.
"""

import copy
import json
import re

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from ledger import selectors, workflow
from ledger.api.models import ApiClient
from tests import test_authorization_matrix as screens
from tests.api.conftest import BearerClient
from tests.api.routes import api_v1_routes
from tests.authz.world import ROLES as PEOPLE
from tests.authz.world import MatrixWorld

CLIENTS = ("cown", "cdep", "cnone")
COLUMNS = (*PEOPLE, *CLIENTS)

# fmt: off
MATRIX = """
# route                       object        method anon lead co  raise unrel rlead slead oldr sup admin cown cdep cnone
api:schema                    -             GET    200  200  200 200   200   200   200   200  200 200   200  200  200
api:docs                      -             GET    200  200  200 200   200   200   200   200  200 200   200  200  200
api:not_found                 -             GET    404  404  404 404   404   404   404   404  404 404   404  404  404
api:not_found                 -             POST   404  404  404 404   404   404   404   404  404 404   404  404  404
# -- issues ---------------------------------------------------------------------------------
api:issues                    -             GET    401  200  200 200   200   200   200   200  200 200   200  200  403
api:issues                    -             POST   401  201  201 201   201   400   201   400  201 201   201  201  403
api:issue                     R             GET    401  404  404 200   404   200   200   404  200 200   404  200  403
api:issue                     A             GET    401  200  200 200   404   200   200   404  200 200   404  200  403
api:issue                     P             GET    401  200  200 200   404   200   200   404  200 200   404  200  403
api:issue                     X             GET    401  200  200 200   404   200   200   404  200 200   404  200  403
api:issue                     S             GET    401  200  200 200   404   200   200   404  200 200   404  200  403
api:issue                     C             GET    401  200  200 200   404   200   200   404  200 200   404  200  403
api:issue                     W             GET    401  200  200 200   404   200   200   404  200 200   404  200  403
api:issue                     hidden        GET    401  404  404 404   200   404   404   404  200 200   404  404  403
api:issue                     O             GET    401  404  404 200   404   404   404   404  200 200   200  200  403
api:issue                     missing       GET    401  404  404 404   404   404   404   404  404 404   404  404  403
api:issue_action              nonsense@A    POST   401  404  404 404   404   404   404   404  404 404   404  404  403
api:issue_action              comment@O     POST   401  404  404 200   404   404   404   404  200 200   200  200  403
api:issue_attachment          P             GET    401  200  200 200   404   200   200   404  200 200   404  200  403
api:issue_attachment          R             GET    401  404  404 200   404   200   200   404  200 200   404  200  403
api:issue_attachment          P-with-hidden GET    401  404  404 404   404   404   404   404  404 404   404  404  403
api:issue_attachment          hidden        GET    401  404  404 404   200   404   404   404  200 200   404  404  403
# -- work orders in: systems only, with the intake scope ------------------------------------
api:intake                    -             POST   401  403  403 403   403   403   403   403  403 403   201  201  403
# -- directories ----------------------------------------------------------------------------
api:departments               -             GET    401  200  200 200   200   200   200   200  200 200   200  200  403
api:leaders                   -             GET    401  200  200 200   200   200   200   200  200 200   200  200  403
api:categories                -             GET    401  200  200 200   200   200   200   200  200 200   200  200  403
api:sources                   -             GET    401  200  200 200   200   200   200   200  200 200   200  200  403
api:projects                  -             GET    401  200  200 200   200   200   200   200  200 200   200  200  403
api:enterprises               -             GET    401  200  200 200   200   200   200   200  200 200   200  200  403
api:enterprises               -             POST   401  403  201 403   403   403   403   403  201 201   403  403  403
api:enterprise                E             GET    401  200  200 200   200   200   200   200  200 200   200  200  403
api:enterprise                missing       GET    401  404  404 404   404   404   404   404  404 404   404  404  403
api:enterprise                E             PATCH  401  403  200 403   403   403   403   403  200 200   403  403  403
api:enterprise                other         PATCH  401  403  403 403   403   403   403   403  200 200   403  403  403
api:enterprise_contacts       E             POST   401  403  201 403   403   403   403   403  201 201   403  403  403
api:enterprise_contacts       other         POST   401  403  403 403   403   403   403   403  201 201   403  403  403
api:enterprise_contacts       missing       POST   401  404  404 404   404   404   404   404  404 404   404  404  403
api:enterprise_contact        E             PATCH  401  403  200 403   403   403   403   403  200 200   403  403  403
api:enterprise_contact        E             DELETE 401  403  204 403   403   403   403   403  204 204   403  403  403
api:enterprise_contact        other         PATCH  401  403  403 403   403   403   403   403  200 200   403  403  403
api:enterprise_contact        E-other       PATCH  401  403  404 403   403   403   403   403  404 404   403  403  403
api:projects                  -             POST   401  403  403 403   403   403   403   403  201 201   403  403  403
api:project                   P             GET    401  200  200 200   200   200   200   200  200 200   200  200  403
api:project                   missing       GET    401  404  404 404   404   404   404   404  404 404   404  404  403
api:project                   P             PATCH  401  403  403 403   403   403   403   403  200 200   403  403  403
api:project                   missing       PATCH  401  404  404 404   404   404   404   404  404 404   404  404  403
api:project_progress          P             POST   401  201  403 403   403   403   403   403  201 201   403  403  403
api:project_progress          other         POST   401  403  403 403   403   403   403   403  201 201   403  403  403
# -- the rooms' endpoints -------------------------------------------------------------------
api:notifications             -             GET    401  200  200 200   200   200   200   200  200 200   200  200  403
api:notification_read         of-lead       POST   401  200  404 404   404   404   404   404  404 404   404  404  403
api:notification_read         of-sup        POST   401  404  404 404   404   404   404   404  200 404   404  404  403
api:notifications_read_all    -             POST   401  200  200 200   200   200   200   200  200 200   200  200  403
api:figures_dashboard         -             GET    401  200  200 200   200   200   200   200  200 200   200  200  403
api:figures_assessment        -             GET    401  403  403 403   403   403   403   403  200 200   403  403  403
"""  # noqa: E501 - a table, one row per line
# fmt: on

# routes checked another way, with the reason (the meta-test accepts them)
CHECKED_ELSEWHERE = {
    "api:issue_action": "every action × status × role of the screens' matrix, in "
    "test_actions_answer_as_the_screens (plus the rows above)",
}


def _parse(table):
    rows = []
    for line in table.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        route, obj, method, *codes = line.split()
        assert len(codes) == len(COLUMNS), line
        rows.append(screens.Row(route, obj, method, tuple(int(c) for c in codes)))
    return rows


ROWS = _parse(MATRIX)


# -- the world: the screens' matrix world, tokens for everyone, three clients -------------------


@pytest.fixture(autouse=True)
def _media_root():
    """The module's world keeps its files in one directory (see the `mx` fixture)."""


@pytest.fixture(scope="module")
def mx(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.test import override_settings

    from ledger.api.permissions import SCOPES
    from ledger.api.secrets import CLIENT, PERSONAL, secret_make
    from tests import factories as f

    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("api-authz-media"))
    media.enable()
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            world = MatrixWorld()
            world.callers = {"anon": Client(raise_request_exception=False)}
            for role in PEOPLE[1:]:
                new = secret_make(PERSONAL)
                world.users[role].api_tokens.create(
                    name="矩阵",
                    prefix=new.prefix,
                    digest=new.digest,
                    expires_at=_in_days(30),
                )
                world.callers[role] = BearerClient(new.plain, raise_request_exception=False)
            admin = world.users["admin"]
            for role, sees, scopes in (
                ("cown", ApiClient.Sees.OWN, list(SCOPES)),
                ("cdep", ApiClient.Sees.DEPARTMENT, list(SCOPES)),
                ("cnone", ApiClient.Sees.DEPARTMENT, []),
            ):
                account = f.StaffFactory(username=f"mx_{role}", department=world.dept_raise)
                client = ApiClient.objects.create(
                    name=f"矩阵系统{role}",
                    account=account,
                    department=world.dept_raise,
                    scopes=scopes,
                    sees=sees,
                    created_by=admin,
                )
                new = secret_make(CLIENT)
                client.secrets.create(prefix=new.prefix, digest=new.digest)
                world.users[role] = account
                world.callers[role] = BearerClient(new.plain, raise_request_exception=False)
            # contacts to change and remove (the matrix world's enterprises have none)
            world.contact = f.ContactFactory(
                enterprise=world.enterprise, name="矩阵联系人", is_primary=True
            )
            world.other_contact = f.ContactFactory(
                enterprise=world.other_enterprise, name="矩阵旁支联系人", is_primary=True
            )
            world.own_issue = workflow.issue_raise(
                actor=world.users["cown"],
                title="矩阵系统登记的问题",
                description="外部系统推送。",
                category=world.category,
                source=world.source,
            )
            world.visible = {role: _visible_numbers(world, role) for role in COLUMNS}
            everything = {i.number: i.title for i in _all_issues()}
            world.leak_patterns = {
                role: re.compile(
                    "|".join(
                        re.escape(text) + r"(?!\d)"
                        for number, title in everything.items()
                        if number not in world.visible[role]
                        for text in (number, title)
                    )
                )
                for role in COLUMNS
                if set(everything) - world.visible[role]
            }
            world.baseline = fingerprint()
            yield world
            transaction.set_rollback(True)
    finally:
        media.disable()


def _in_days(days):
    import datetime

    from django.utils import timezone

    return timezone.now() + datetime.timedelta(days=days)


def _all_issues():
    from ledger.models import Issue

    return Issue.objects.all()


def _visible_numbers(world, role) -> set[str]:
    """What the caller may open on a screen: its account's `visible_to`, and for the client
    that sees only its own, the issues its account raised (written out: O alone)."""
    if role == "anon":
        return set()
    if role == "cown":
        return {world.own_issue.number}
    return set(selectors.visible_to(world.users[role]).values_list("number", flat=True))


def fingerprint():
    """The screens' fingerprint, and the directory rows the API may change."""
    from ledger.models import Contact, Enterprise, KeyProject, ProjectProgress

    fields = Enterprise.objects.order_by("pk").values_list("pk", "industry", "address")
    contacts = Contact.objects.order_by("pk").values_list("pk", "name", "position", "is_primary")
    projects = KeyProject.objects.order_by("pk").values_list(
        "pk", "name", "stage", "completed_this_year"
    )
    reports = ProjectProgress.objects.order_by("pk").values_list("pk", "month", "note")
    return [*screens.fingerprint(), list(fields), list(contacts), list(projects), list(reports)]


# -- one cell --------------------------------------------------------------------------------


def _issue_number(mx, obj):
    if obj == "missing":
        return "ZZ-1999-9999"
    if obj == "hidden":
        return mx.hidden_d.number
    if obj == "O":
        return mx.own_issue.number
    return mx.issues[obj].number


def url_of(mx, row) -> str:
    route, obj = row.route, row.obj
    if route == "api:issue":
        return reverse(route, kwargs={"number": _issue_number(mx, obj)})
    if route == "api:issue_action":
        action, key = obj.split("@")
        return reverse(route, kwargs={"number": _issue_number(mx, key), "action": action})
    if route == "api:issue_attachment":
        kwargs = screens._attachment_kwargs(mx, obj)
        return reverse(route, kwargs=kwargs)
    if route == "api:enterprise":
        pk = {"E": mx.enterprise.pk, "other": mx.other_enterprise.pk}.get(obj, 99999)
        return reverse(route, kwargs={"pk": pk})
    if route == "api:enterprise_contacts":
        pk = {"E": mx.enterprise.pk, "other": mx.other_enterprise.pk}.get(obj, 99999)
        return reverse(route, kwargs={"pk": pk})
    if route == "api:enterprise_contact":
        enterprise, contact = {
            "E": (mx.enterprise, mx.contact),
            "other": (mx.other_enterprise, mx.other_contact),
            "E-other": (mx.enterprise, mx.other_contact),  # a contact of another enterprise
        }[obj]
        return reverse(route, kwargs={"pk": enterprise.pk, "contact_id": contact.pk})
    if route in ("api:project", "api:project_progress"):
        pk = {"P": mx.project.pk, "other": mx.other_project.pk}.get(obj, 99999)
        return reverse(route, kwargs={"pk": pk})
    if route == "api:notification_read":
        return reverse(route, kwargs=screens._notification_kwargs(mx, obj))
    if route == "api:not_found":
        return "/api/v1/nothing-here/"
    return reverse(route)


def _post_data(mx, row) -> dict:
    if row.route == "api:issues":
        return {
            "title": "矩阵接口登记问题",
            "description": "矩阵测试。",
            "category": mx.category.pk,
            "source": mx.source.pk,
            "enterprise": mx.enterprise.pk,
            "raising_department": mx.dept_raise.pk,
            "confirm_duplicates": True,
        }
    if row.route == "api:intake":
        return {
            "external_system": mx.source.name,
            "external_id": "MX-0001",
            "title": "矩阵工单",
            "description": "矩阵测试推送的工单。",
            "enterprise_name": mx.enterprise.name,
            "category": mx.category.name,
            "received_at": "2026-12-06T09:00:00+08:00",
        }
    if row.route == "api:enterprises":
        from tests.factories import valid_credit_code

        return {
            "name": "矩阵接口新增企业有限公司",
            "credit_code": valid_credit_code(990077),
            "subdistrict": mx.dept_co.pk,
        }
    if row.route == "api:enterprise":
        return {"industry": "矩阵化工", "address": "中站区矩阵路 2 号"}
    if row.route in ("api:enterprise_contacts", "api:enterprise_contact"):
        return {"name": "矩阵接口联系人", "position": "办公室主任", "mobile": "139 0000 7788"}
    if row.route == "api:projects":
        return {
            "name": "矩阵接口新增项目",
            "level": "district",
            "sector": "industry",
            "year": mx.project.year,
            "total_investment": "12000.00",
            "annual_plan": "3000.00",
            "lead_department": mx.dept_lead.pk,
        }
    if row.route == "api:project":
        return {"stage": "construction", "completed_this_year": "800.50"}
    if row.route == "api:project_progress":
        return {
            "month": f"{mx.project.year}-01",
            "completed_this_year": "120.00",
            "stage": "construction",
            "note": "矩阵接口填报。",
        }
    if row.route == "api:issue_action" and row.obj == "comment@O":
        return {"note": "矩阵接口备注。"}
    return {}


def _if_match(mx, row) -> dict:
    if row.route != "api:issue_action":
        return {}
    key = row.obj.split("@")[1]
    issue = mx.own_issue if key == "O" else mx.issue(key)
    issue.refresh_from_db()
    return {"HTTP_IF_MATCH": f'"{issue.version}"'}


def call(mx, role, method, url, data=None, extra=None):
    """One request as `role`; POSTs are rolled back, and a refused one must change nothing."""
    client = mx.callers[role]
    cookies = copy.deepcopy(client.cookies)
    cache.clear()  # limits count per cell, not per run
    try:
        if method == "GET":
            return client.get(url), []
        with transaction.atomic():
            send = {"PATCH": client.patch, "DELETE": client.delete}.get(method, client.post)
            response = send(
                url, json.dumps(data or {}), content_type="application/json", **(extra or {})
            )
            problems = []
            if response.status_code >= 400 and fingerprint() != mx.baseline:
                problems.append("refused but the database changed")
            transaction.set_rollback(True)
            return response, problems
    finally:
        client.cookies = cookies


def leaks(mx, role, response) -> list[str]:
    pattern = mx.leak_patterns.get(role)
    if pattern is None or response.status_code != 200:
        return []
    return sorted(set(pattern.findall(screens.body_text(response))))


# -- the matrix ------------------------------------------------------------------------------


def test_matrix_rows_are_distinct():
    assert len({row.id for row in ROWS}) == len(ROWS), "a row is listed twice"


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_api_matrix(db, mx, row):
    failures = []
    for index, role in enumerate(COLUMNS):
        data = _post_data(mx, row) if row.method != "GET" else None
        response, problems = call(mx, role, row.method, url_of(mx, row), data, _if_match(mx, row))
        expected = row.expected[index]
        if response.status_code != expected:
            problems.insert(0, f"expected {expected}, got {response.status_code}")
        leaked = leaks(mx, role, response)
        if leaked:
            problems.append(f"shows issues it may not see: {leaked}")
        failures += [f"{role}: {p}" for p in problems]
    assert not failures, f"{row.id}\n" + "\n".join(failures)


# -- the actions answer as the screens do ------------------------------------------------------

SCREEN_ACTION_ROWS = [
    row for row in screens.ROWS if row.route == "issue_action" and row.method == "POST"
]


def _api_expected(screen_code: int, role: str) -> set[int]:
    if role == "anon":
        return {401}
    return {302: {200}, 403: {403}, 404: {404}, 200: {400, 403}}[screen_code]


def _api_payload(mx, obj) -> dict:
    if obj.startswith("edit@"):  # the screen's POST only leads to the edit page
        return {"title": "矩阵问题（接口修改）"}
    data = screens._action_data(mx, obj)
    data.pop("version", None)
    return data


@pytest.mark.parametrize("row", SCREEN_ACTION_ROWS, ids=[r.id for r in SCREEN_ACTION_ROWS])
def test_actions_answer_as_the_screens(db, mx, row):
    action, key = row.obj.split("@")
    url = reverse("api:issue_action", kwargs={"number": mx.issues[key].number, "action": action})
    screen = dict(zip(PEOPLE, row.expected, strict=True))
    expected = {role: _api_expected(code, role) for role, code in screen.items()}
    expected["cdep"] = expected["raise"]
    expected["cown"] = {404}
    expected["cnone"] = {403}
    if action == "nonsense":  # no such action
        expected = {role: {401 if role == "anon" else 404} for role in PEOPLE}
        expected.update(cdep={404}, cown={404}, cnone={403})
    failures = []
    for role in COLUMNS:
        extra = {"HTTP_IF_MATCH": f'"{mx.issue(key).version}"'}
        response, problems = call(mx, role, "POST", url, _api_payload(mx, row.obj), extra)
        if response.status_code not in expected[role]:
            problems.insert(
                0,
                f"screen {screen.get(role, '-')}, API expected {sorted(expected[role])}, "
                f"got {response.status_code}: {response.content[:200]!r}",
            )
        failures += [f"{role}: {p}" for p in problems]
    assert not failures, f"{row.id}\n" + "\n".join(failures)


# -- lists hold exactly what the caller may open on a screen ---------------------------------------


@pytest.mark.parametrize("role", [c for c in COLUMNS if c not in ("anon", "cnone")])
def test_issue_list_holds_exactly_what_the_caller_may_open(db, mx, role):
    client = mx.callers[role]
    cache.clear()
    numbers, cursor = [], None
    while True:
        query = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        body = client.get(reverse("api:issues"), query).json()
        numbers += [row["number"] for row in body["results"]]
        cursor = body["next"]
        if not cursor:
            break
    assert sorted(numbers) == sorted(mx.visible[role])
    # and each of them opens; the screens' world gives every role at least one to compare
    for number in numbers:
        assert client.get(reverse("api:issue", kwargs={"number": number})).status_code == 200


def test_screen_visibility_written_out_holds_for_people(db, mx):
    for role, (count, *_rest) in screens.VISIBLE.items():
        # the world adds O, raised for the raising department: `raise` and the office see it
        extra = 1 if role in ("raise", "sup", "admin") else 0
        assert len(mx.visible[role]) == count + extra, role


# -- every /api/v1/ route has rows -----------------------------------------------------------


def test_api_routes_all_covered():
    covered = {row.route for row in ROWS} | set(CHECKED_ELSEWHERE)
    missing = sorted(api_v1_routes() - covered)
    assert not missing, (
        f"/api/v1/ routes without a row in tests/api/test_authorization.py: {missing}"
    )
    stale = sorted(covered - api_v1_routes())
    assert not stale, f"rows for routes the API no longer has: {stale}"


def test_meta_test_notices_a_missing_api_row(monkeypatch):
    import sys

    kept = [row for row in ROWS if row.route != "api:leaders"]
    monkeypatch.setattr(sys.modules[__name__], "ROWS", kept)
    with pytest.raises(AssertionError, match="api:leaders"):
        test_api_routes_all_covered()
