"""Hostile input on every service screen (Hypothesis): whatever is sent — NUL bytes, huge
numbers, lists where one value is expected, nonsense dates, files that are not photos —
the answer is never a 500, and a refused POST changes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import get_resolver, reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.service.conftest import ServiceWorld, png
from tests.service.test_authorization import fingerprint

TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["\x00", "99999999999999999999999", "-1", "0", "2026-02-30", "9999-12-31", "x" * 5001]
    ),
    st.lists(st.sampled_from(["1", "abc", "2026-01-01"]), min_size=2, max_size=3),
)
FILE = st.builds(
    lambda name, content: SimpleUploadedFile(name, content),
    st.sampled_from(["照片.png", "照片.jpg", "x.pdf", "无扩展名", "a.gif"]),
    st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"<script>alert(1)</script>", b"\xff\xd8\xff"]),
)

VISIT_FIELDS = (
    "visited_on",
    "leader_attended",
    "companions",
    "companions_text",
    "contacts",
    "met_text",
    "summary",
    "no_problems",
    "problems-TOTAL_FORMS",
    "problems-INITIAL_FORMS",
    "problems-0-title",
    "problems-0-description",
    "problems-0-category",
    "problems-0-urgency",
)
PROCEDURE_FIELDS = ("status", "planned_on", "done_on", "note", "department", "agent")
RAISE_FIELDS = ("title", "description", "category", "urgency")
QUERY_FIELDS = (
    "leader",
    "start",
    "end",
    "page",
    "year",
    "quarter",
    "month",
    "enterprise",
    "project",
)


def _screens(w):
    visit = w.visit(photos=[png()])
    procedure = w.procedure(status="in_progress", planned_on=w.today)
    return {
        "visit_list": (reverse("service:visit_list"), ()),
        "visit_create": (reverse("service:visit_create"), VISIT_FIELDS),
        "visit_create_e": (
            f"{reverse('service:visit_create')}?enterprise={w.enterprise.pk}",
            VISIT_FIELDS,
        ),
        "visit_detail": (reverse("service:visit_detail", kwargs={"pk": visit.pk}), ()),
        "visit_edit": (reverse("service:visit_edit", kwargs={"pk": visit.pk}), VISIT_FIELDS),
        "visit_photo": (
            reverse(
                "service:visit_photo",
                kwargs={"pk": visit.pk, "photo_id": visit.photos.get().pk},
            ),
            (),
        ),
        "coverage": (reverse("service:coverage"), ()),
        "coverage_export": (reverse("service:coverage_export"), ()),
        "procedures_late": (reverse("service:procedures_late"), ()),
        "procedure_edit": (
            reverse("service:procedure_edit", kwargs={"pk": procedure.pk}),
            PROCEDURE_FIELDS,
        ),
        "procedure_raise": (
            reverse("service:procedure_raise", kwargs={"pk": procedure.pk}),
            RAISE_FIELDS,
        ),
        "procedure_plan": (reverse("service:procedure_plan", kwargs={"pk": w.project.pk}), ()),
    }


@pytest.fixture
def fz(db):
    """Built once per screen and user; every example's requests are rolled back."""
    world = ServiceWorld()
    world.screens = _screens(world)
    return world


def test_every_service_route_is_fuzzed():
    names = set()
    for entry in get_resolver().url_patterns:
        if getattr(entry, "namespace", None) == "service":
            names |= {pattern.name for pattern in entry.url_patterns}
    assert names <= {key.removesuffix("_e") for key in _SCREEN_KEYS}


_SCREEN_KEYS = (
    "visit_list",
    "visit_create",
    "visit_create_e",
    "visit_detail",
    "visit_edit",
    "visit_photo",
    "coverage",
    "coverage_export",
    "procedures_late",
    "procedure_edit",
    "procedure_raise",
    "procedure_plan",
)


@pytest.mark.parametrize("key", _SCREEN_KEYS)
@pytest.mark.parametrize("who", ["leader", "supervisor"])
@hsettings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    query=st.dictionaries(st.sampled_from(QUERY_FIELDS), TEXT, max_size=4),
    data=st.data(),
)
def test_hostile_input_never_breaks_a_service_screen(fz, client, key, who, query, data):
    url, fields = fz.screens[key]
    user = fz.leader.user if who == "leader" else fz.supervisor
    client.force_login(user)
    with transaction.atomic():
        response = client.get(url, query)
        assert response.status_code < 500, (url, query)
        post = data.draw(st.dictionaries(st.sampled_from(fields or ("x",)), TEXT, max_size=8))
        if key in ("visit_create_e", "visit_edit") and data.draw(st.booleans()):
            post["photos"] = data.draw(FILE)
        before = fingerprint()
        response = client.post(url, post)
        assert response.status_code < 500, (url, post)
        if response.status_code != 302:
            assert fingerprint() == before, (url, post)
        transaction.set_rollback(True)
