"""The service room's authorization matrix: every service: URL × role × ownership, GET and
POST, written out by hand from docs/service.md (never computed from rules.py), like
tests/test_authorization_matrix.py does for the core.

Roles: anon · lead = the leader who 分包 the enterprise E and the project P · oldr = another
leader (分包 the enterprise O) · sub = staff of E's 办事处 · plead = staff of P's 责任单位, the
代办员 of its procedures · unrel = staff of an unrelated unit · sup · admin.

Objects: VE = a visit to E recorded by its leader; VP = a visit to P; VO = a visit to O,
recorded by the office, that `unrel` went on; PR = a running procedure of P (late), PD = a
done one; E/P/O the subjects; missing = an id that does not exist.

A refused POST (403/404/405, a login redirect) must leave the database as it was; every 200
answer is searched for the marker of each visit the role may not see.
"""

import datetime
import uuid

import pytest
from django.db import transaction
from django.urls import get_resolver, reverse

from ledger.models import Issue
from ledger.service.models import ProjectProcedure, Visit, VisitPhoto
from tests.service.conftest import ServiceWorld, png

ROLES = ("anon", "lead", "oldr", "sub", "plead", "unrel", "sup", "admin")

# fmt: off
MATRIX = """
# route             object   method anon lead oldr sub  plead unrel sup  admin
visit_list          -        GET    302  200  200  200  200   200   200  200
visit_create        -        GET    302  200  200  200  200   200   200  200
visit_create        E        GET    302  200  403  200  403   403   200  200
visit_create        E        POST   302  302  403  302  403   403   302  302
visit_create        P        GET    302  200  403  403  200   403   200  200
visit_create        P        POST   302  302  403  403  302   403   302  302
visit_create        O        GET    302  403  200  403  403   403   200  200
visit_create        missing  GET    302  404  404  404  404   404   404  404
visit_detail        VE       GET    302  200  404  200  404   404   200  200
visit_detail        VP       GET    302  200  404  404  200   404   200  200
visit_detail        VO       GET    302  404  200  404  404   200   200  200
visit_detail        missing  GET    302  404  404  404  404   404   404  404
visit_edit          VE       GET    302  200  404  200  404   404   200  200
visit_edit          VE       POST   302  302  404  302  404   404   302  302
visit_edit          VP       POST   302  302  404  404  302   404   302  302
visit_edit          VO       GET    302  404  200  404  404   403   200  200
visit_edit          VO       POST   302  404  302  404  404   403   302  302
visit_edit          missing  POST   302  404  404  404  404   404   404  404
visit_photo         VE       GET    302  200  404  200  404   404   200  200
visit_photo         VE-VO    GET    302  404  404  404  404   404   404  404
coverage            -        GET    302  403  403  403  403   403   200  200
coverage_export     -        GET    302  403  403  403  403   403   200  200
procedures_late     -        GET    302  200  200  200  200   200   200  200
procedure_edit      PR       GET    302  200  403  403  200   403   200  200
procedure_edit      PR       POST   302  302  403  403  302   403   302  302
procedure_edit      missing  GET    302  404  404  404  404   404   404  404
procedure_raise     PR       GET    302  200  403  403  200   403   200  200
procedure_raise     PR       POST   302  302  403  403  302   403   302  302
procedure_raise     PD       GET    302  403  403  403  403   403   403  403
procedure_raise     PD       POST   302  403  403  403  403   403   403  403
procedure_plan      P        GET    302  405  405  405  405   405   405  405
procedure_plan      P        POST   302  302  403  403  403   403   302  302
procedure_plan      missing  POST   302  404  404  404  404   404   404  404
"""
# fmt: on

MARKERS = {"VE": "甲企业走访纪要", "VP": "乙项目走访纪要", "VO": "丙企业走访纪要"}
SEES = {
    "VE": {"lead", "sub", "sup", "admin"},
    "VP": {"lead", "plead", "sup", "admin"},
    "VO": {"oldr", "unrel", "sup", "admin"},
}


def _parse():
    rows = []
    for line in MATRIX.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        route, obj, method, *codes = line.split()
        assert len(codes) == len(ROLES), line
        rows.append((route, obj, method, tuple(int(c) for c in codes)))
    return rows


ROWS = _parse()


class Matrix(ServiceWorld):
    def __init__(self):
        super().__init__()
        self.users = {
            "anon": None,
            "lead": self.leader.user,
            "oldr": self.other_leader.user,
            "sub": self.staff_sub,
            "plead": self.staff_lead,
            "unrel": self.staff_unrel,
            "sup": self.supervisor,
            "admin": self.admin,
        }
        self.visits = {
            "VE": self.visit(summary=MARKERS["VE"], photos=[png()]),
            "VP": self.visit(subject=self.project, summary=MARKERS["VP"]),
            "VO": self.visit(
                actor=self.supervisor,
                subject=self.other_enterprise,
                summary=MARKERS["VO"],
                companions=[self.staff_unrel],
                photos=[png()],
            ),
        }
        self.procedures = {
            "PR": self.procedure(
                "规划许可", status="in_progress", planned_on=self.today - datetime.timedelta(days=4)
            ),
            "PD": self.procedure(
                "立项备案", status="done", done_on=self.today - datetime.timedelta(days=9)
            ),
        }

    def url(self, route, obj):
        name = f"service:{route}"
        if route == "visit_create":
            query = {
                "-": "",
                "E": f"?enterprise={self.enterprise.pk}",
                "P": f"?project={self.project.pk}",
                "O": f"?enterprise={self.other_enterprise.pk}",
                "missing": "?enterprise=99999",
            }[obj]
            return reverse(name) + query
        if route in ("visit_detail", "visit_edit"):
            pk = 99999 if obj == "missing" else self.visits[obj].pk
            return reverse(name, kwargs={"pk": pk})
        if route == "visit_photo":
            visit, _, photo_of = obj.partition("-")
            photo = self.visits[photo_of or visit].photos.get()
            return reverse(name, kwargs={"pk": self.visits[visit].pk, "photo_id": photo.pk})
        if route in ("procedure_edit", "procedure_raise"):
            pk = 99999 if obj == "missing" else self.procedures[obj].pk
            return reverse(name, kwargs={"pk": pk})
        if route == "procedure_plan":
            return reverse(name, kwargs={"pk": 99999 if obj == "missing" else self.project.pk})
        return reverse(name)

    def post_data(self, route, obj):
        day = (self.today - datetime.timedelta(days=2)).isoformat()
        if route == "visit_create":
            return {
                "visited_on": day,
                "leader_attended": "on",
                "summary": "矩阵走访。",
                "no_problems": "on",
                "problems-TOTAL_FORMS": "0",
                "problems-INITIAL_FORMS": "0",
                "problems-MIN_NUM_FORMS": "0",
                "problems-MAX_NUM_FORMS": "10",
                "creation_token": uuid.uuid4().hex,  # a fresh page each time
            }
        if route == "visit_edit":
            return {"visited_on": day, "summary": "矩阵修改。", "leader_attended": "on"}
        if route == "procedure_edit":
            return {"status": "in_progress", "planned_on": day, "note": "矩阵"}
        if route == "procedure_raise":
            return {
                "title": "矩阵手续滞后",
                "description": "滞后。",
                "category": self.category.pk,
                "urgency": "normal",
            }
        return {}


def fingerprint():
    return [
        list(Visit.objects.order_by("pk").values_list("pk", "summary", "visited_on")),
        VisitPhoto.objects.count(),
        Issue.objects.count(),
        list(
            ProjectProcedure.objects.order_by("pk").values_list(
                "pk", "status", "planned_on", "note"
            )
        ),
    ]


@pytest.fixture
def mx(db):
    return Matrix()


@pytest.mark.parametrize("row", ROWS, ids=[f"{r[2]} {r[0]} [{r[1]}]" for r in ROWS])
def test_matrix(client, mx, row):
    route, obj, method, expected = row
    url = mx.url(route, obj)
    failures = []
    for role, code in zip(ROLES, expected, strict=True):
        client.logout()
        if mx.users[role] is not None:
            client.force_login(mx.users[role])
        before = fingerprint()
        with transaction.atomic():
            if method == "GET":
                response = client.get(url)
                if fingerprint() != before:
                    failures.append(f"{role}: a GET changed the database")
            else:
                response = client.post(url, mx.post_data(route, obj))
                refused = response.status_code in (403, 404, 405) or (
                    response.status_code == 302 and "login" in response["Location"]
                )
                if refused and fingerprint() != before:
                    failures.append(f"{role}: refused but the database changed")
            transaction.set_rollback(True)
        if response.status_code != code:
            failures.append(f"{role}: expected {code}, got {response.status_code}")
        if role == "anon" and response.status_code == 302 and "login" not in response["Location"]:
            failures.append("anon: not sent to the login page")
        if response.status_code == 200 and not response.streaming:
            text = response.content.decode("utf-8", errors="replace")
            for key, marker in MARKERS.items():
                if role not in SEES[key] and marker in text:
                    failures.append(f"{role}: shows visit {key} it may not see")
    assert not failures, f"{method} {url}\n" + "\n".join(failures)


def test_every_service_route_has_rows():
    resolver = get_resolver()
    routes = set()
    for entry in resolver.url_patterns:
        if getattr(entry, "namespace", None) == "service":
            routes |= {pattern.name for pattern in entry.url_patterns}
    assert routes, "the service: namespace is not included"
    covered = {row[0] for row in ROWS}
    assert routes == covered, (routes - covered, covered - routes)


def test_the_written_out_visibility_agrees_with_the_selector(mx):
    from ledger.service.selectors import visits_visible_to

    for role, user in mx.users.items():
        if user is None:
            continue
        seen = set(visits_visible_to(user).values_list("pk", flat=True))
        expected = {mx.visits[key].pk for key, roles in SEES.items() if role in roles}
        assert seen == expected, role
