"""Slots: a room's part appears where the core names the place, with the page's context."""

from pathlib import Path

import pytest
from django.apps import apps
from django.template import Context, Engine
from django.template.loader import get_template

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
def rooms(monkeypatch):
    """Two installed rooms that fill slot "page"; every other room fills nothing there."""
    first, second = apps.get_app_config("scale"), apps.get_app_config("integrity")
    monkeypatch.setattr(first, "slots", {"page": "room/_part.html"}, raising=False)
    monkeypatch.setattr(second, "slots", {"page": "other/_part.html"}, raising=False)
    return first, second


def test_slot_renders_each_rooms_part_with_the_page_context(rooms):
    page = engine().from_string('{% load slots %}[{% slot "page" %}]{{ issue }}')
    html = page.render(Context({"issue": "ZZ-2026-0001"}))
    # INSTALLED_APPS order (integrity before scale), the page's context, and the part's
    # own variables do not leak back into the page
    assert html == "[<p>second part</p><p>part for ZZ-2026-0001</p>]ZZ-2026-0001"


def test_slot_no_room_fills_renders_nothing(rooms):
    page = engine().from_string('{% load slots %}[{% slot "nobody-fills-this" %}]')
    assert page.render(Context({})) == "[]"
    assert slot_templates("nobody-fills-this") == []


def test_core_pages_name_their_slots():
    for template, name in [
        ("ledger/issue_detail.html", "issue_detail"),
        ("ledger/issue_action.html", "issue_action"),
        ("ledger/leader_me.html", "leader_me"),
        ("ledger/project_detail.html", "project_detail"),
        ("ledger/enterprise_detail.html", "enterprise_detail"),
        ("ledger/_nav.html", "nav"),
        ("oversight/assessment.html", "assessment"),
    ]:
        # the file the site's engine finds: the project's templates/ or a room's own
        source = Path(get_template(template).origin.name).read_text()
        assert f'{{% slot "{name}" %}}' in source, template
