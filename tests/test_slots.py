"""Slots: a room's part appears where the core names the place, with the page's context; the
room interface (ledger/rooms.py) is declared and checked."""

from pathlib import Path

import pytest
from django.apps import apps
from django.template import Context, Engine
from django.template.loader import get_template

from ledger.rooms import Room, Slot, rooms, rooms_check
from ledger.templatetags.slots import slot_templates

PARTS = {
    "room/_part.html": "<p>part for {{ issue }}</p>{% with issue='changed' %}{% endwith %}",
    "other/_part.html": "<p>second part</p>",
}


def engine():
    return Engine(
        loaders=[("django.template.loaders.locmem.Loader", PARTS)],
        libraries={"slots": "ledger.templatetags.slots"},
    )


@pytest.fixture
def only_two_rooms(monkeypatch):
    """Two installed rooms fill slot issue_detail; every other room fills nothing."""
    for room in rooms():
        monkeypatch.setattr(room, "slots", {})
    first, second = apps.get_app_config("scale"), apps.get_app_config("integrity")
    monkeypatch.setattr(first, "slots", {Slot.ISSUE_DETAIL: "room/_part.html"})
    monkeypatch.setattr(second, "slots", {Slot.ISSUE_DETAIL: "other/_part.html"})
    return first, second


def test_slot_renders_each_rooms_part_with_the_page_context(only_two_rooms):
    page = engine().from_string('{% load slots %}[{% slot "issue_detail" %}]{{ issue }}')
    html = page.render(Context({"issue": "ZZ-2026-0001"}))
    # INSTALLED_APPS order (integrity before scale), the page's context, and the part's
    # own variables do not leak back into the page
    assert html == "[<p>second part</p><p>part for ZZ-2026-0001</p>]ZZ-2026-0001"


def test_slot_no_room_fills_renders_nothing(only_two_rooms):
    page = engine().from_string('{% load slots %}[{% slot "leader_me" %}]')
    assert page.render(Context({})) == "[]"
    assert slot_templates("leader_me") == []


def test_an_undeclared_slot_name_is_an_error():
    page = engine().from_string('{% load slots %}[{% slot "nobody-declared-this" %}]')
    with pytest.raises(ValueError):
        page.render(Context({}))


def test_every_room_is_a_room_and_every_app_in_ledger_but_the_core_is_one():
    labels = {room.label for room in rooms()}
    assert labels == {
        "notify",
        "oversight",
        "exchange",
        "integrity",
        "security",
        "service",
        "feedback",
        "scale",
        "audit",
        "api",
    }
    assert rooms_check() == []


def test_rooms_check_refuses_an_undeclared_slot_and_a_missing_template(monkeypatch):
    room = apps.get_app_config("scale")
    monkeypatch.setattr(room, "slots", {"navbar": "scale/slots/navbar.html"})
    assert [e.id for e in rooms_check()] == ["ledger.E102"]
    monkeypatch.setattr(room, "slots", {Slot.NAV: "scale/slots/no-such-part.html"})
    assert [e.id for e in rooms_check()] == ["ledger.E103"]


def test_rooms_check_refuses_an_app_in_ledger_that_is_not_a_room(monkeypatch):
    room = apps.get_app_config("scale")
    monkeypatch.setattr(room, "__class__", type("PlainConfig", (Room.__base__,), {}))
    assert [e.id for e in rooms_check()] == ["ledger.E101"]


def test_the_hooks_default_to_nothing():
    room = apps.get_app_config("scale")
    assert room.export_sheets(Slot.ASSESSMENT, user=None, period=None) == []
    assert room.seed_demo(today=None, stdout=None) is None
    assert room.demo_before_close(issue=None, at=None, satisfaction="") is None


def test_core_pages_name_their_slots():
    places = [
        ("ledger/issue_detail.html", "issue_detail"),
        ("ledger/issue_action.html", "issue_action"),
        ("ledger/leader_me.html", "leader_me"),
        ("ledger/project_detail.html", "project_detail"),
        ("ledger/enterprise_detail.html", "enterprise_detail"),
        ("ledger/_nav.html", "nav"),
        ("oversight/assessment.html", "assessment"),
        ("base.html", "navbar_bell"),
        ("ledger/issue_list.html", "ledger_tools"),
        ("ledger/print_ledger.html", "print_tools"),
        ("ledger/print_ledger.html", "print_cut_link"),
        ("ledger/enterprise_list.html", "enterprise_list_tools"),
        ("ledger/project_list.html", "project_list_tools"),
    ]
    for template, name in places:
        source = Path(get_template(template).origin.name).read_text()
        assert f'{{% slot "{name}" %}}' in source, template
    # every declared slot is named by some page
    assert {name for _, name in places} == set(Slot)
