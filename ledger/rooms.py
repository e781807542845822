"""The rooms' interface to the core: the declared slots of the core's pages and the hooks a room
may answer, as one AppConfig base class (`Room`) every room subclasses.

The core calls rooms only through this module (`rooms()`, `slot_templates()`, the hooks), so it
never imports a room and every page renders the same with any room removed.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, TextIO

from django.apps import AppConfig, apps
from django.core import checks
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template

if TYPE_CHECKING:  # only for the hooks' annotations: models are not loaded when apps.py is
    from ledger.models import Issue


class Slot(StrEnum):
    """The places in the core's pages where a room may add its part (`{% slot "…" %}`)."""

    # the issue page (beside the timeline) and the action form (under the fields)
    ISSUE_DETAIL = "issue_detail"
    ISSUE_ACTION = "issue_action"
    LEADER_ME = "leader_me"
    PROJECT_DETAIL = "project_detail"
    ENTERPRISE_DETAIL = "enterprise_detail"
    # the assessment page and its spreadsheet (Room.export_sheets)
    ASSESSMENT = "assessment"
    # the navbar's entries after the core's own, and the bell beside the brand
    NAV = "nav"
    NAVBAR_BELL = "navbar_bell"
    # the ledger's toolbar (after 打印台账), the print page's toolbar, and the link to the
    # whole set on a cut print
    LEDGER_TOOLS = "ledger_tools"
    PRINT_TOOLS = "print_tools"
    PRINT_CUT_LINK = "print_cut_link"
    # the directory pages' toolbars (after 添加企业 / 添加重点项目)
    ENTERPRISE_LIST_TOOLS = "enterprise_list_tools"
    PROJECT_LIST_TOOLS = "project_list_tools"


class Room(AppConfig):
    """A capability in its own Django app under ledger/. The defaults do nothing, so a room
    declares only the slots it fills and overrides only the hooks it answers."""

    # slot → the room's template rendered there with the page's context (ledger/templatetags/
    # slots.py); rooms' parts follow INSTALLED_APPS order
    slots: ClassVar[Mapping[Slot, str]] = {}

    # Django picks a room's AppConfig from its apps.py only if it is the one AppConfig subclass
    # there, or the one marked default: Room itself, imported there, is not a candidate, and
    # each subclass is (unless it says otherwise)
    default = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "default" not in cls.__dict__:
            cls.default = True

    def seed_demo(self, *, today: datetime.date, stdout: TextIO) -> None:
        """Add the room's demo data (manage.py seed_demo). Must be idempotent like the command."""

    def demo_before_close(self, *, issue: Issue, at: datetime.datetime, satisfaction: str) -> None:
        """Act on a demo issue at `at`, just before seed_demo strikes it off (销号)."""

    def export_sheets(self, slot: Slot, **context: Any) -> list[Mapping[str, Any]]:
        """The sheets this room adds to the spreadsheet of page `slot` (the fields of
        ledger/oversight/xlsx.py Sheet: name, title, headers, rows, optionally
        percent_columns). `context` is what the exporting view names (user, period …)."""
        return []

    def api_routes(self) -> list[Any]:
        """The URL patterns this room serves under /api/v1/ (Django REST framework views in
        the room's own module; authentication, throttles and errors come from the
        REST_FRAMEWORK setting, so a room never imports the API room)."""
        return []

    def match_name(self, kind: str, text: str) -> int | None:
        """The id of the directory or list entry that `text` names for this room, or None:
        `kind` is leader, department, enterprise, project, category or source. The exchange
        room answers from the aliases people mapped on imports; the API's work orders ask."""
        return None

    def system_accounts(self) -> Any:
        """A Q over users naming the accounts this room runs for systems, not people (the API
        room: its clients' service accounts), or None. They are never told anything nor
        offered as a person (`people_only`)."""
        return None

    def health(self) -> Mapping[str, Any] | None:
        """The room's part of /healthz: {"name": {"status": "ok" | another word, …}} or None.
        A status other than "ok" makes the whole answer "degraded". Cheap and read-only: a
        probe calls it every few seconds."""
        return None


def rooms() -> list[Room]:
    """The installed rooms, in INSTALLED_APPS order."""
    return [config for config in apps.get_app_configs() if isinstance(config, Room)]


def api_routes() -> list[Any]:
    """Every installed room's API URL patterns, in INSTALLED_APPS order."""
    return [route for room in rooms() for route in room.api_routes()]


def match_name(kind: str, text: str) -> int | None:
    """The first installed room's answer to `Room.match_name`, or None."""
    for room in rooms():
        found = room.match_name(kind, text)
        if found is not None:
            return found
    return None


def people_only(users: Any) -> Any:
    """`users` (a queryset of users) less every room's system accounts (Room.system_accounts)."""
    for room in rooms():
        condition = room.system_accounts()
        if condition is not None:
            users = users.exclude(condition)
    return users


def slot_templates(name: Slot | str) -> list[str]:
    """The templates the installed rooms put in slot `name`, in INSTALLED_APPS order. An
    undeclared name is an error (ValueError), so a misspelt slot cannot stay silently empty."""
    slot = Slot(name)
    return [room.slots[slot] for room in rooms() if slot in room.slots]


@checks.register(checks.Tags.templates)
def rooms_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every app inside ledger/ but the core is a Room; a room fills only declared slots, with
    templates that exist."""
    errors: list[checks.CheckMessage] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("ledger.") or config.name == "ledger":
            continue
        if not isinstance(config, Room):
            errors.append(
                checks.Error(
                    f"{config.name}: AppConfig {type(config).__name__} is not a Room.",
                    hint="Subclass ledger.rooms.Room: the core reaches rooms only through it.",
                    obj=config,
                    id="ledger.E101",
                )
            )
            continue
        for name, template_name in config.slots.items():
            if name not in set(Slot):
                errors.append(
                    checks.Error(
                        f"{config.label} fills slot {name!r}, which no core page declares.",
                        hint=f"Declared slots: {', '.join(Slot)} (ledger/rooms.py Slot).",
                        obj=config,
                        id="ledger.E102",
                    )
                )
                continue
            try:
                get_template(template_name)
            except (TemplateDoesNotExist, TemplateSyntaxError) as error:
                errors.append(
                    checks.Error(
                        f"{config.label} fills slot {name!r} with template {template_name!r},"
                        f" which cannot be loaded: {error}",
                        obj=config,
                        id="ledger.E103",
                    )
                )
    return errors
