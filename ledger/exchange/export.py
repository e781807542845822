"""Writing the ledger and the master data to .xlsx, streamed in constant memory.

The sheets are written by the core's spreadsheet writer (ledger/excel.py: constant memory,
the formula-injection policy), and querysets are read with .iterator(chunk_size=…)
(prefetches included), so memory stays flat however many rows are written. The ledger's
rows are chosen exactly as the ledger screen chooses them (ledger_rows), so the two never
disagree, but read as plain values (ledger_values): a hundred thousand rows as model
instances cost more than writing the sheet.
"""

import contextlib
import datetime
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager

import xlsxwriter
from django.db import DatabaseError, connections
from django.db.models import Prefetch, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ledger import excel
from ledger.excel import Formats, SheetWriter
from ledger.exchange.columns import (
    CONTACT_COLUMNS,
    DEPARTMENT_COLUMNS,
    ENTERPRISE_COLUMNS,
    LEADER_COLUMNS,
    LEDGER_COLUMNS,
    PROJECT_COLUMNS,
    Column,
)
from ledger.filters import IssueFilter, ledger_order, ledger_params, parse_sort
from ledger.models import (
    Category,
    Contact,
    Department,
    Enterprise,
    Health,
    Issue,
    KeyProject,
    Leader,
    Source,
)
from ledger.replica import replica_reading
from ledger.selectors import ledger_queryset

# rows fetched per database round trip (prefetches are done per chunk)
CHUNK_SIZE = 2000


def workbook_open(output, *, title: str) -> tuple[xlsxwriter.Workbook, Formats]:
    """A constant-memory workbook writing to `output` (a path or a binary file)."""
    book = excel.workbook_open(output, title=title)
    return book, Formats(book)


def export_filename(base: str, today: datetime.date) -> str:
    """问题台账-2026-11-29.xlsx: what the user sees."""
    return f"{base}-{today.isoformat()}.xlsx"


# -- the ledger ----------------------------------------------------------------------


def ledger_rows(user, query: QueryDict) -> tuple[QuerySet, IssueFilter]:
    """The ledger's rows for `user` and a query string, exactly as the ledger screen chooses
    and orders them (same parameters, same filters, same sort, same visibility)."""
    params = ledger_params(query)
    filterset = IssueFilter(params or None, queryset=ledger_queryset(user))
    return ledger_order(filterset.qs, parse_sort(query.get("sort"))), filterset


def ledger_issues_by_ids(user, ids: list[int]) -> Iterator[dict]:
    """The ledger rows (ledger_values) of the issues with these ids that `user` sees, in the
    order of `ids`, a chunk at a time (no single IN list too long for the database)."""
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        rows = ledger_values(ledger_queryset(user).filter(pk__in=chunk))
        found = {row["pk"]: row for row in rows}
        yield from (found[pk] for pk in chunk if pk in found)


def filters_in_words(filters: list[tuple[str, str, str]]) -> str:
    """IssueFilter.active as one phrase: 状态：办理中；牵头单位：区住建局 (or 全部问题)."""
    if not filters:
        return _("全部问题")
    return _("；").join(
        _("%(label)s：%(value)s") % {"label": label, "value": value}
        for _name, label, value in filters
    )


def selection_in_words(count: int) -> str:
    return _("所选 %(count)s 条问题") % {"count": count}


def ledger_title(description: str, count: int, today: datetime.date) -> str:
    """The title row: what the sheet holds, in words, and when it was written."""
    return _("问题台账（%(filters)s）· 共 %(count)s 条 · 导出日期 %(date)s") % {
        "filters": description,
        "count": count,
        "date": today.isoformat(),
    }


# what the export reads of a ledger row: the issue's own columns, the ids of the few-row
# tables (names looked up once per export) and the names of the many-row ones
LEDGER_FIELDS = (
    "pk",
    "number",
    "source_id",
    "enterprise__name",
    "project__name",
    "category_id",
    "title",
    "description",
    "urgency",
    "raising_department_id",
    "raised_at",
    "leader_id",
    "lead_department_id",
    "responsible_person",
    "measures",
    "is_long_term",
    "deadline",
    "status",
    "health_code",
    "progress",
    "resolution",
    "resolved_at",
    "closed_at",
    "satisfaction",
    "is_escalated",
)


def ledger_values(issues: QuerySet) -> QuerySet:
    """The same rows in the same order, as dicts of LEDGER_FIELDS: no model instances, no
    joins to the few-row tables, none of the screen's other annotations (the returned
    reason, the pending extension: subqueries per row the sheet does not show)."""
    if "health_code" not in issues.query.annotations:
        issues = issues.with_health()
    return issues.prefetch_related(None).values(*LEDGER_FIELDS)


class _Names:
    """The names of the few-row tables a ledger row points at, read once per export."""

    def __init__(self):
        self.sources = dict(Source.objects.values_list("pk", "name"))
        self.categories = dict(Category.objects.values_list("pk", "name"))
        # in the departments' own order (Department.Meta.ordering), which lists co-departments
        departments = list(Department.objects.order_by("order", "name").values_list("pk", "name"))
        self.departments = dict(departments)
        self.department_rank = {pk: rank for rank, (pk, _name) in enumerate(departments)}
        self.leaders = {
            leader.pk: str(leader.user) for leader in Leader.objects.select_related("user")
        }

    def co_departments(self, issue_ids: list[int]) -> dict[int, list[str]]:
        """issue id -> names of its co-departments, in the departments' order."""
        through = Issue.co_departments.through
        found: dict[int, list[int]] = {}
        pairs = through.objects.filter(issue_id__in=issue_ids).values_list(
            "issue_id", "department_id"
        )
        for issue_id, department_id in pairs:
            found.setdefault(issue_id, []).append(department_id)
        rank = self.department_rank
        return {
            issue_id: [self.departments[pk] for pk in sorted(ids, key=rank.__getitem__)]
            for issue_id, ids in found.items()
        }


def _ledger_cells(names: _Names) -> dict[str, Callable]:
    """key of LEDGER_COLUMNS -> value of that cell for (row, row number, co-departments),
    in the current language (labels are resolved once per export, not once per cell)."""
    status = {value: str(label) for value, label in Issue._meta.get_field("status").choices}
    urgency = {value: str(label) for value, label in Issue.Urgency.choices}
    progress = {value: str(label) for value, label in Issue.Progress.choices}
    satisfaction = {value: str(label) for value, label in Issue.Satisfaction.choices}
    health = {value: str(label) for value, label in Health.choices}
    yes, no = _("是"), _("否")
    long_term = str(Issue._meta.get_field("is_long_term").verbose_name)
    separator = pgettext("list separator", "、")
    sources, categories = names.sources, names.categories
    departments, leaders = names.departments, names.leaders

    def subject(row):
        # the enterprise, else the key project (Issue.subject)
        name = row["enterprise__name"]
        return name if name is not None else row["project__name"]

    return {
        "row": lambda row, n, co: n,
        "number": lambda row, n, co: row["number"],
        "source": lambda row, n, co: sources[row["source_id"]],
        "subject": lambda row, n, co: subject(row),
        "category": lambda row, n, co: categories[row["category_id"]],
        "title": lambda row, n, co: row["title"],
        "description": lambda row, n, co: row["description"],
        "urgency": lambda row, n, co: urgency.get(row["urgency"], row["urgency"]),
        "raising_department": lambda row, n, co: departments[row["raising_department_id"]],
        "raised_on": lambda row, n, co: row["raised_at"],
        "leader": lambda row, n, co: leaders.get(row["leader_id"]),
        "lead_department": lambda row, n, co: departments.get(row["lead_department_id"]),
        "co_departments": lambda row, n, co: separator.join(co),
        "responsible_person": lambda row, n, co: row["responsible_person"],
        "measures": lambda row, n, co: row["measures"],
        # a long-term item has no date: its word, which the import reads back as the mark
        "deadline": lambda row, n, co: long_term if row["is_long_term"] else row["deadline"],
        "status": lambda row, n, co: status.get(row["status"], row["status"]),
        "health": lambda row, n, co: health[row["health_code"]],
        "progress": lambda row, n, co: progress.get(row["progress"], ""),
        "resolution": lambda row, n, co: row["resolution"],
        "resolved_on": lambda row, n, co: row["resolved_at"],
        "closed_on": lambda row, n, co: row["closed_at"],
        "satisfaction": lambda row, n, co: satisfaction.get(row["satisfaction"], ""),
        "escalated": lambda row, n, co: yes if row["is_escalated"] else no,
    }


def _chunks(rows: Iterable[dict]) -> Iterator[list[dict]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@contextmanager
def whole_result_plan(alias: str):
    """Within the block, PostgreSQL plans a server-side cursor's query for its whole result
    (cursor_tuple_fraction 1), as it plans any other query.

    By default it plans a cursor for the first tenth of its rows: for the ledger's order
    that is a walk down the (year, seq) index through every issue, filtered as it goes,
    where the export reads all its rows anyway (and Django's cursor outside a transaction,
    WITH HOLD, computes the whole result before the first fetch). At 1,000,000 issues the
    export's 100,000 rows came in 2.9 s that way, 1.2–1.8 s planned whole (a sort).
    Only where iterator() uses server-side cursors: without them (a transaction-pooling
    PgBouncer, docs/scaling.md) a session setting could outlive the block on another
    client's connection."""
    connection = connections[alias]
    if connection.vendor != "postgresql" or connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    ):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET cursor_tuple_fraction = 1")
    try:
        yield
    finally:
        # a failed RESET must not hide the export's own error: it fails only in a transaction
        # already aborted (whose rollback undoes a SET made in it) or on a lost connection
        # (the session and its setting are gone with it)
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("RESET cursor_tuple_fraction")


def ledger_write(
    output,
    issues: QuerySet | Iterable[dict],
    *,
    title: str,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 1000,
) -> int:
    """Write the ledger sheet of `issues` (in their order) to `output`; returns rows written.

    A queryset is read as ledger_values() with .iterator(chunk_size=CHUNK_SIZE); otherwise
    `issues` are such rows already (ledger_issues_by_ids). The co-departments are read per
    chunk of rows. `progress(rows_written)` is called every `progress_every` rows. The rows
    are read from the read replica when one is set (ledger/replica.py): an export is a
    figure, and the background job's rows need not be a second fresher than its count."""
    with replica_reading(), ExitStack() as stack:
        names = _Names()
        cells = _ledger_cells(names)
        getters = [cells[column.key] for column in LEDGER_COLUMNS]
        if isinstance(issues, QuerySet):
            rows = ledger_values(issues)
            stack.enter_context(whole_result_plan(rows.db))
            issues = rows.iterator(chunk_size=CHUNK_SIZE)
        book, formats = workbook_open(output, title=title)
        sheet = SheetWriter(book, formats, name=_("问题台账"), columns=LEDGER_COLUMNS, title=title)
        n = 0
        for chunk in _chunks(issues):
            co_departments = names.co_departments([row["pk"] for row in chunk])
            for row in chunk:
                n += 1
                co = co_departments.get(row["pk"], ())
                sheet.append([get(row, n, co) for get in getters])
                if progress is not None and n % progress_every == 0:
                    progress(n)
    sheet.finish()
    book.close()
    return n


# -- master data -----------------------------------------------------------------------


def _yes_no(value: bool) -> str:
    return _("是") if value else _("否")


def _leader_name(leader) -> str:
    return str(leader.user) if leader is not None else ""


def _enterprise_rows() -> Iterator[list]:
    scale = {value: str(label) for value, label in Enterprise.Scale.choices}
    primary = Prefetch(
        "contacts", queryset=Contact.objects.filter(is_primary=True), to_attr="primary_contacts"
    )
    enterprises = (
        Enterprise.objects.select_related("leader__user", "subdistrict")
        .prefetch_related(primary)
        .order_by("name", "pk")
    )
    for enterprise in enterprises.iterator(chunk_size=CHUNK_SIZE):
        contact = enterprise.primary_contacts[0] if enterprise.primary_contacts else None
        values = {
            "name": enterprise.name,
            "credit_code": enterprise.credit_code,
            "industry": enterprise.industry,
            "scale": scale.get(enterprise.scale, enterprise.scale),
            "address": enterprise.address,
            "subdistrict": enterprise.subdistrict.name if enterprise.subdistrict else "",
            "leader": _leader_name(enterprise.leader),
            "contact_name": contact.name if contact else "",
            "contact_mobile": contact.mobile if contact else "",
            "is_active": _yes_no(enterprise.is_active),
        }
        yield [values[column.key] for column in ENTERPRISE_COLUMNS]


def _contact_rows() -> Iterator[list]:
    contacts = Contact.objects.select_related("enterprise").order_by(
        "enterprise__name", "-is_primary", "pk"
    )
    for contact in contacts.iterator(chunk_size=CHUNK_SIZE):
        values = {
            "enterprise": contact.enterprise.name,
            "credit_code": contact.enterprise.credit_code,
            "name": contact.name,
            "position": contact.position,
            "mobile": contact.mobile,
            "office_phone": contact.office_phone,
            "email": contact.email,
            "is_primary": _yes_no(contact.is_primary),
        }
        yield [values[column.key] for column in CONTACT_COLUMNS]


def _department_rows() -> Iterator[list]:
    kind = {value: str(label) for value, label in Department.Kind.choices}
    for department in Department.objects.order_by("order", "name", "pk"):
        values = {
            "name": department.name,
            "short_name": department.short_name,
            "kind": kind.get(department.kind, department.kind),
            "order": department.order,
            "is_active": _yes_no(department.is_active),
        }
        yield [values[column.key] for column in DEPARTMENT_COLUMNS]


def _leader_rows() -> Iterator[list]:
    separator = pgettext("list separator", "、")
    leaders = (
        Leader.objects.select_related("user")
        .prefetch_related(
            Prefetch("enterprises", queryset=Enterprise.objects.order_by("name")),
            Prefetch("projects", queryset=KeyProject.objects.order_by("level", "name")),
        )
        .order_by("order", "pk")
    )
    for leader in leaders:
        values = {
            "name": str(leader.user),
            "title": leader.title,
            "order": leader.order,
            "enterprises": separator.join(e.name for e in leader.enterprises.all()),
            "projects": separator.join(p.name for p in leader.projects.all()),
            "is_active": _yes_no(leader.is_active),
        }
        yield [values[column.key] for column in LEADER_COLUMNS]


def _project_rows() -> Iterator[list]:
    level = {value: str(label) for value, label in KeyProject.Level.choices}
    nature = {value: str(label) for value, label in KeyProject.Nature.choices}
    sector = {value: str(label) for value, label in KeyProject.Sector.choices}
    stage = {value: str(label) for value, label in KeyProject.Stage.choices}
    projects = KeyProject.objects.select_related("leader__user", "lead_department", "owner")
    for project in projects.order_by("level", "name", "pk").iterator(chunk_size=CHUNK_SIZE):
        values = {
            "name": project.name,
            "level": level.get(project.level, project.level),
            "nature": nature.get(project.nature, project.nature),
            "sector": sector.get(project.sector, project.sector),
            "year": project.year,
            "total_investment": project.total_investment,
            "annual_plan": project.annual_plan,
            "completed_this_year": project.completed_this_year,
            "stage": stage.get(project.stage, project.stage),
            "leader": _leader_name(project.leader),
            "lead_department": project.lead_department.name if project.lead_department else "",
            "owner": project.owner.name if project.owner else "",
            "start_date": project.start_date,
            "expected_completion": project.expected_completion,
        }
        yield [values[column.key] for column in PROJECT_COLUMNS]


def master_sheets(kind: str) -> list[tuple[str, list[Column], Callable[[], Iterator[list]]]]:
    """(sheet name, columns, rows) of each sheet of a master-data export, in order.
    The enterprise export carries all contacts on a second sheet."""
    contacts = (_("联系人"), CONTACT_COLUMNS, _contact_rows)
    return {
        "enterprises": [(_("企业"), ENTERPRISE_COLUMNS, _enterprise_rows), contacts],
        "contacts": [contacts],
        "departments": [(_("单位"), DEPARTMENT_COLUMNS, _department_rows)],
        "leaders": [(_("区级领导"), LEADER_COLUMNS, _leader_rows)],
        "projects": [(_("重点项目"), PROJECT_COLUMNS, _project_rows)],
    }[kind]


def master_title(kind: str) -> str:
    """The sheet's heading and the file name's base, in the current language."""
    return {
        "enterprises": _("企业名录"),
        "contacts": _("企业联系人"),
        "departments": _("单位名录"),
        "leaders": _("区级领导分包名单"),
        "projects": _("重点项目台账"),
    }[kind]


MASTER_KINDS = ("enterprises", "contacts", "departments", "leaders", "projects")


def master_write(output, kind: str, *, today: datetime.date) -> int:
    """Write a master-data workbook (`kind` in MASTER_KINDS); returns rows written."""
    heading = master_title(kind)
    book, formats = workbook_open(output, title=heading)
    written = 0
    for index, (name, columns, rows) in enumerate(master_sheets(kind)):
        # the first sheet carries the export's heading, a further sheet its own name too
        shown = heading if index == 0 else f"{heading} · {name}"
        title = _("%(title)s · 导出日期 %(date)s") % {"title": shown, "date": today.isoformat()}
        sheet = SheetWriter(book, formats, name=name, columns=columns, title=title)
        for values in rows():
            sheet.append(values)
        sheet.finish()
        written += sheet.rows_written
    book.close()
    return written
