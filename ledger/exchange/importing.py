"""Importing a ledger spreadsheet: one code path for the wizard and `manage.py import_ledger`.

ledger_import() reads the file, finds the ledger table, turns every data row into the issue
it describes (or the change to an existing one), and reports each problem as
`第 R 行 · 列名：…`. Only when no row has a problem, and not in a dry run, does it write —
everything in one transaction, through workflow.issues_import(). docs/exchange.md lists the
rules (synonyms, dates, 长期坚持 / 立行立改, matching, status).
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ledger import services, workflow
from ledger.exchange.columns import LEDGER_COLUMNS
from ledger.exchange.matching import (
    AMBIGUOUS,
    DateInvalid,
    HeaderMissing,
    NameIndex,
    SheetRow,
    cell_text,
    date_parse,
    header_key,
    header_lookup,
    list_split,
    mapping_overrides,
    name_key,
    register_synonyms,
    synonyms_index,
    table_columns,
    table_locate,
    table_rows,
)
from ledger.exchange.models import ColumnChoice, ImportBatch, ImportedIssue, NameAlias
from ledger.exchange.reading import CellError, ReadRefused, workbook_read
from ledger.models import Department, Enterprise, Issue
from ledger.models.issues import EDITABLE_FIELDS
from ledger.states import RULEBOOK, STATUS_RANK, Action, Status

# the header words offices use, besides the export's own headers (columns.py)
LEDGER_SYNONYMS = {
    "row": ["序号", "序", "No"],
    "number": ["编号", "问题编号", "台账编号", "编码", "工单编号", "工单号", "诉求编号", "id"],
    "source": ["问题来源", "来源", "线索来源", "问题渠道", "信息来源", "来源渠道"],
    "subject": [
        "企业/项目名称",
        "企业/项目",
        "企业（项目）名称",
        "企业或项目",
        "涉及企业",
        "反映主体",
    ],
    "enterprise": ["企业名称", "企业", "所属企业", "企业全称", "反映企业", "反映单位"],
    "project": ["项目名称", "项目", "重点项目", "所属项目"],
    "category": ["问题类别", "类别", "问题类型", "类型", "问题分类", "性质", "诉求类型"],
    "title": ["问题标题", "标题", "问题名称", "问题概述", "问题简述", "诉求标题"],
    "description": [
        "问题描述",
        "存在问题",
        "问题内容",
        "具体问题",
        "问题及诉求",
        "反映问题",
        "主要问题",
        "问题详情",
        "诉求内容",
        "投诉件内容",
        "投诉内容",
        "来电内容",
        "工单内容",
        "企业诉求",
        "诉求事项",
        "问题事项",
        "问题",
    ],
    "urgency": ["紧急程度", "缓急程度"],
    "raising_department": ["登记单位", "报送单位", "提交单位"],
    "raised_on": [
        "登记日期",
        "登记时间",
        "提出时间",
        "反映时间",
        "收集时间",
        "时间",
        "受理时间",
        "来电时间",
    ],
    "leader": [
        "责任领导",
        "包联领导",
        "分包领导",
        "分管领导",
        "联系领导",
        "牵头领导",
        "包联/分包领导",
        "区级领导",
        "包抓领导",
        "包保领导",
        "联系区领导",
    ],
    "lead_department": [
        "牵头单位",
        "责任单位",
        "主办单位",
        "承办单位",
        "牵头部门",
        "责任部门",
        "承办部门",
    ],
    "co_departments": ["配合单位", "协办单位", "配合部门", "协助单位", "协同单位", "协办部门"],
    "responsible_person": ["责任人", "具体责任人", "经办人"],
    "measures": ["整改措施", "解决措施", "工作措施", "推进措施", "措施"],
    "deadline": [
        "完成时限",
        "办结时限",
        "办理时限",
        "时限要求",
        "整改时限",
        "完成时间",
        "解决时限",
        "完成期限",
        "办结期限",
        "整改期限",
        "时限",
    ],
    "status": ["办理状态", "状态", "办结状态"],
    "is_closed": ["是否销号"],
    "health": ["时限状态", "是否逾期"],
    "progress": [
        "进展情况",
        "推进情况",
        "办理进展",
        "最新进展",
        "工作进展",
        "办理情况",
        "落实情况",
        "目前进展",
    ],
    "resolution": [
        "办结情况",
        "办理结果",
        "解决情况",
        "整改结果",
        "完成情况",
        "处理结果",
        "回复",
        "回复内容",
        "答复内容",
        "最终回复",
    ],
    "resolved_on": ["办结日期", "办结时间", "完成日期"],
    "closed_on": ["销号日期", "销号时间"],
    "satisfaction": ["满意度", "满意程度", "企业评价"],
    "escalated": ["督办件", "是否督办"],
    "remark": ["备注"],
}
register_synonyms(LEDGER_SYNONYMS)

# the fields a column can feed, in the order the preview offers them (a person may choose
# one for any column of the sheet; the export's own columns row and health are not read)
_LABELS = {column.key: column.header for column in LEDGER_COLUMNS}
COLUMN_FIELDS = [
    (key, _LABELS.get(key) or label)
    for key, label in (
        ("number", None),
        ("title", None),
        ("description", None),
        ("subject", None),
        ("enterprise", gettext_lazy("企业名称")),
        ("project", gettext_lazy("项目名称")),
        ("category", None),
        ("source", None),
        ("urgency", None),
        ("raising_department", None),
        ("raised_on", None),
        ("leader", None),
        ("lead_department", None),
        ("co_departments", None),
        ("responsible_person", None),
        ("measures", None),
        ("deadline", None),
        ("status", None),
        ("is_closed", gettext_lazy("是否销号")),
        ("progress", None),
        ("resolution", None),
        ("resolved_on", None),
        ("closed_on", None),
        ("satisfaction", None),
        ("escalated", None),
    )
]
COLUMN_FIELD_KEYS = {key for key, _label in COLUMN_FIELDS}
# recognised headers whose column is not imported, and why (shown in the column list)
_NOT_IMPORTED = {
    "row": gettext_lazy("序号只用于核对，不导入"),
    "health": gettext_lazy("时限状态由系统按完成时限计算，不导入"),
    "remark": gettext_lazy("备注不导入；如需保留，请指定它对应的字段"),
}

# deadline words: 立行立改 = at once; 长期坚持 / 持续推进 = no fixed deadline
IMMEDIATE_WORDS = ("立行立改", "立即整改", "即知即改", "立即办理", "马上办")
ONGOING_WORDS = ("长期坚持", "持续推进", "长期推进", "持续整改", "常态化推进", "常态化", "长期")

_STATUS_WORDS = {
    Status.RAISED: ["待交办", "未交办", "新登记", "已登记", "待分办"],
    Status.ASSIGNED: ["已交办", "已派单", "待签收", "已分办"],
    Status.IN_PROGRESS: [
        "办理中",
        "正在办理",
        "推进中",
        "在办",
        "未完成",
        "未办结",
        "整改中",
        "已签收",
    ],
    Status.RESOLVED: ["已办结", "已办结待销号", "办结", "已完成", "完成", "已解决", "待销号"],
    Status.CLOSED: ["已销号", "销号", "已关闭", "已办结已销号"],
    Status.WITHDRAWN: ["已撤销", "撤销", "已作废"],
}
_YES = {"是", "已销号", "销号", "√", "yes", "y", "true", "1", "督办"}
_NO = {"否", "未销号", "×", "no", "n", "false", "0", ""}

# the fields an existing issue's update compares (when the sheet has the column): the issue's
# editable fields and what the sheet records of its handling
UPDATE_FIELDS = (
    *EDITABLE_FIELDS,
    "lead_department",
    "deadline",
    "progress",
    "resolution",
    "satisfaction",
    "is_escalated",
)
TITLE_MAX = 40
_RELATIONS = {name for name in UPDATE_FIELDS if Issue._meta.get_field(name).is_relation}


def _choices(enum) -> dict[str, str]:
    """normalised label (Chinese and English) -> value."""
    out = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for value, label in enum.choices:
                out.setdefault(name_key(str(label)), value)
    return out


def _status_words() -> dict[str, str]:
    words = _choices(Status)
    for status, synonyms in _STATUS_WORDS.items():
        for word in synonyms:
            words.setdefault(name_key(word), status.value)
    return words


@dataclass
class Problem:
    row: int
    column: str
    message: str

    def __str__(self):
        if not self.row:
            return self.message
        return _("第 %(row)s 行 · %(column)s：%(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class Unknown:
    """A name that matched nothing: mapped once in the preview, for every row using it."""

    kind: str  # leader, department, subject, enterprise, project, category, source
    key: str
    text: str
    column: str
    rows: list[int] = field(default_factory=list)


@dataclass
class Outcome:
    file_name: str
    sheet: str = ""
    header_row: int = 0
    rows_read: int = 0
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    unknown: dict[tuple[str, str], Unknown] = field(default_factory=dict)
    preview: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    refused: str = ""
    # every column of the sheet: the field it feeds, or why it is not used (column_list)
    columns: list[dict] = field(default_factory=list)
    # a required column no header was recognised as ("description"): the preview asks
    missing: str = ""
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.refused and not self.missing and not self.problems

    @property
    def unused_columns(self) -> list[dict]:
        return [c for c in self.columns if not c["field"]]

    def counts(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "to_create": self.to_create,
            "to_update": self.to_update,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "errors": len(self.problems),
        }

    def as_json(self) -> dict:
        """What the preview page shows, stored on the ImportBatch between steps."""
        return {
            "sheet": self.sheet,
            "header_row": self.header_row,
            "refused": self.refused,
            "missing": self.missing,
            "columns": self.columns,
            "problems": [[p.row, p.column, p.message] for p in self.problems],
            "notes": [[p.row, p.column, p.message] for p in self.notes],
            "unknown": [
                {"kind": u.kind, "key": u.key, "text": u.text, "column": u.column, "rows": u.rows}
                for u in self.unknown.values()
            ],
            "preview": self.preview,
            "changes": self.changes,
        }


class _Rollback(Exception):
    pass


def ledger_index() -> dict[str, str]:
    return synonyms_index(LEDGER_COLUMNS, LEDGER_SYNONYMS)


def ledger_import(
    data: bytes,
    *,
    file_name: str,
    user,
    dry_run: bool,
    mappings: dict | None = None,
    batch: ImportBatch | None = None,
    now: datetime.datetime | None = None,
) -> Outcome:
    """Read, check and (unless `dry_run` or any row has a problem) import a ledger file.

    `mappings` are the names chosen in the preview ({kind: {name key: "leader:3" …}}); at
    commit they become NameAlias rows (and "new:<code>|<name>" enterprises) in the same
    transaction as the issues. mappings["columns"] are the columns chosen in the preview
    ({header_key: field key, or "" for a column not to use}); at commit they become
    ColumnChoice rows, which later files follow. A refusal of the whole file is returned as
    `refused`; a sheet without a description column as `missing` with its column list.
    """
    now = now or timezone.now()
    outcome = Outcome(file_name=file_name)
    try:
        sheets = workbook_read(data, file_name)
    except ReadRefused as refusal:
        outcome.refused = refusal.message
        return outcome
    names = {k: v for k, v in (mappings or {}).items() if k != "columns"}
    choices = column_choices((mappings or {}).get("columns"))
    if dry_run:
        overrides = mapping_overrides(names)
        _check(outcome, sheets, user=user, now=now, overrides=overrides, choices=choices)
        return outcome
    try:
        with transaction.atomic():
            imports_serialise()
            if not _mappings_save(names, user=user, now=now, outcome=outcome):
                raise _Rollback
            _columns_save((mappings or {}).get("columns") or {}, user=user, now=now)
            plan = _check(outcome, sheets, user=user, now=now, overrides={}, choices=choices)
            if not outcome.ok:
                raise _Rollback
            _commit(plan, outcome, user=user, now=now, batch=batch)
    except _Rollback:
        return outcome
    return outcome


def column_choices(chosen: dict | None) -> dict[str, str]:
    """The columns chosen for this file over the ones remembered from earlier files."""
    remembered = dict(ColumnChoice.objects.values_list("header", "field"))
    return {**remembered, **(chosen or {})}


def _columns_save(chosen: dict, *, user, now) -> None:
    for header, key in chosen.items():
        if header and (key in COLUMN_FIELD_KEYS or key == ""):
            ColumnChoice.objects.update_or_create(
                header=header[:200],
                defaults={"field": key, "created_by": user, "created_at": now},
            )


# any constant: the key of the PostgreSQL advisory lock all imports take
_IMPORT_LOCK_KEY = 0x5A5A_1D0C


def imports_serialise() -> None:
    """Let one import at a time check and write (until the caller's transaction ends), so
    two files committed at once cannot both create the same new issue. SQLite's connection
    begins IMMEDIATE (settings), which already takes the database's write lock."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK_KEY])


def _mappings_save(mappings: dict, *, user, now, outcome: Outcome) -> bool:
    """The preview's choices become aliases, remembered for the next file (and "new"
    enterprises are created). False, with the reason in `outcome.refused`, if one cannot."""
    for kind, chosen in mappings.items():
        for key, value in chosen.items():
            target_kind, _sep, ident = str(value).partition(":")
            if target_kind == "new":
                code, _bar, name = ident.partition("|")
                enterprise = Enterprise.objects.filter(credit_code=code).first()
                if enterprise is None:
                    # through the directory's door, as the importing user (added_by, permission)
                    fields = {"name": (name or key)[:200], "credit_code": code}
                    try:
                        enterprise = services.enterprise_create(actor=user, data=fields)
                    except ValidationError as error:
                        outcome.refused = _("无法新建企业“%(name)s”：%(why)s") % {
                            "name": fields["name"],
                            "why": " ".join(error.messages),
                        }
                        return False
                target_kind, target_id = "enterprise", enterprise.pk
            elif ident.isdigit():
                target_id = int(ident)
            else:
                continue
            if kind != "subject":
                target_kind = kind
            NameAlias.objects.update_or_create(
                kind=target_kind,
                alias=key,
                defaults={"target_id": target_id, "created_by": user, "created_at": now},
            )
    return True


# -- checking ------------------------------------------------------------------------------


@dataclass
class _Plan:
    items: list[dict] = field(default_factory=list)
    externals: dict[int, str] = field(default_factory=dict)  # row -> sheet's own 编号


# the sheet's multi-line columns; every other one is a one-line text. Each is cleaned as the
# issue forms clean it (services.multi_line / single_line: control characters, bidi overrides)
MULTI_LINE_KEYS = frozenset({"description", "measures", "progress", "resolution"})


class _Row:
    """One data row being read: its values and its problems."""

    def __init__(self, sheet_row: SheetRow, table, outcome: Outcome):
        self.number = sheet_row.number
        self.cells = sheet_row.cells
        self.table = table
        self.outcome = outcome
        self.problems: list[Problem] = []
        self.notes: list[str] = []

    def column(self, key: str) -> str:
        label = next((str(c.header) for c in LEDGER_COLUMNS if c.key == key), key)
        return self.table.header(key, label)

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.number, self.column(key), message))

    def raw(self, key: str):
        return self.cells.get(key, "")

    def text(self, key: str) -> str:
        value = self.cells.get(key, "")
        if isinstance(value, CellError):
            self.problem(key, _("单元格是错误值 %(error)s") % {"error": value})
            return ""
        clean = services.multi_line if key in MULTI_LINE_KEYS else services.single_line
        return clean(cell_text(value))


def _check(outcome: Outcome, sheets, *, user, now, overrides, choices) -> _Plan:
    index = ledger_index()
    try:
        table = table_locate(
            sheets, index, required=[("description", str(_("问题描述")))], choices=choices
        )
    except HeaderMissing as missing:
        if missing.table is None:
            outcome.refused = missing.message
            return _Plan()
        # not a refusal: the preview shows the header row found and asks for the column
        outcome.missing = "description"
        outcome.sheet = missing.table.sheet.name
        outcome.header_row = missing.table.header_row + 1
        outcome.columns = column_list(missing.table, index, choices)
        return _Plan()
    except ReadRefused as refusal:
        outcome.refused = refusal.message
        return _Plan()
    rows = table_rows(table, index, text_keys=("description", "title"))
    outcome.columns = column_list(
        table, index, choices, data_rows=[row.number - 1 for row in rows.data]
    )
    limit = settings.EXCHANGE["IMPORT_MAX_ROWS"]
    if len(rows.data) > limit:
        outcome.refused = _(
            "表中有 %(count)s 行问题，超过单次导入上限 %(max)s 行。请拆分后分批导入。"
        ) % {
            "count": len(rows.data),
            "max": limit,
        }
        return _Plan()
    outcome.sheet = table.sheet.name
    outcome.header_row = table.header_row + 1
    outcome.rows_read = len(rows.data)
    outcome.skipped = rows.skipped
    reader = _Reader(table, outcome, user=user, now=now, overrides=overrides)
    parsed = [reader.read(row) for row in rows.data]
    return reader.match(parsed)


def column_list(table, index, choices, data_rows=None) -> list[dict]:
    """Each column of the sheet with the field it feeds, or "" and the reason it feeds none
    (nothing is left out silently: the preview and the command list every one)."""
    columns = table_columns(table, data_rows)
    by_key = {column["key"]: column for column in columns if column["key"]}
    out = []
    for column in columns:
        key = column["key"]
        hkey = header_key(column["header"])
        note = ""
        if key in _NOT_IMPORTED:
            note, key = str(_NOT_IMPORTED[key]), ""
        elif not key and hkey in choices and choices[hkey] == "":
            note = _("已选择不使用")
        elif not key:
            same = choices.get(hkey) or header_lookup(index, column["header"])
            first = by_key.get(same)
            if same and first is not None:
                note = _("与 %(letter)s 列“%(header)s”同为“%(field)s”，只用 %(letter)s 列") % {
                    "letter": first["letter"],
                    "header": first["header"],
                    "field": _field_name(same),
                }
        out.append(
            {
                "index": column["index"],
                "letter": column["letter"],
                "header": column["header"],
                "header_key": hkey,
                "key": key,
                "field": _field_name(key) if key else "",
                "chosen": choices.get(hkey) if hkey in choices else None,
                "note": note,
            }
        )
    return out


def _field_name(key: str) -> str:
    return str(dict(COLUMN_FIELDS).get(key) or _LABELS.get(key) or key)


class _Reader:
    def __init__(self, table, outcome, *, user, now, overrides):
        self.table = table
        self.outcome = outcome
        self.user = user
        self.now = now
        self.today = timezone.localdate(now)
        self.names = NameIndex(overrides)
        self.cache: dict[tuple[str, str], object] = {}
        self.statuses = _status_words()
        self.urgencies = _choices(Issue.Urgency)
        self.satisfactions = _choices(Issue.Satisfaction)
        self.progresses = _choices(Issue.Progress)
        self.prefix = settings.LEDGER["NUMBER_PREFIX"]
        # ASCII digits only: a number in other scripts' digits would read as another year/sequence
        self.ours = re.compile(rf"^{re.escape(self.prefix)}-([0-9]{{4}})-([0-9]{{4,6}})$")
        self.default_unit = (
            user.department
            if user.department_id
            else (
                Department.objects.filter(kind=Department.Kind.OVERSIGHT, is_active=True)
                .order_by("order", "pk")
                .first()
            )
        )

    # -- names

    def name(self, row: _Row, key: str, kind: str, text: str):
        """The entry named `text` (resolved once per distinct name), or None with a problem."""
        if not text:
            return None
        cache_key = (kind, name_key(text))
        if cache_key not in self.cache:
            if kind == "subject":
                found = self.names.find("enterprise", text)
                if found is None:
                    found = self.names.find("project", text)
            else:
                found = self.names.find(kind, text)
            self.cache[cache_key] = found
        found = self.cache[cache_key]
        if found is AMBIGUOUS:
            row.problem(key, _("“%(name)s”对应多个条目，请在预览中指定或使用全称") % {"name": text})
            self._unknown(row, key, kind, text)
            return None
        if found is None:
            row.problem(key, _unknown_message(kind, text))
            self._unknown(row, key, kind, text)
        return found

    def _unknown(self, row, key, kind, text):
        name = name_key(text)
        unknown = self.outcome.unknown.setdefault(
            (kind, name), Unknown(kind=kind, key=name, text=text, column=row.column(key))
        )
        unknown.rows.append(row.number)

    def _list_entry(self, row, key, kind, fallback_text):
        text = row.text(key)
        if not text:
            text = fallback_text
        return self.name(row, key, kind, text)

    # -- one row

    def read(self, sheet_row: SheetRow) -> dict:
        row = _Row(sheet_row, self.table, self.outcome)
        values: dict = {}
        description = row.text("description")
        if not description:
            row.problem("description", _("问题描述不能为空"))
        values["description"] = description
        title = row.text("title")
        values["title"] = (title or _derive_title(description))[:200]
        values["title_given"] = bool(title)
        values["category"] = self._list_entry(
            row, "category", "category", settings.EXCHANGE["IMPORT_DEFAULT_CATEGORY"]
        )
        values["source"] = self._list_entry(
            row, "source", "source", settings.EXCHANGE["IMPORT_DEFAULT_SOURCE"]
        )
        values["enterprise"] = values["project"] = None
        for key in ("subject", "enterprise", "project"):
            kind = key
            subject = self.name(row, key, kind, row.text(key))
            if isinstance(subject, Enterprise):
                values["enterprise"] = subject
            elif subject is not None:
                values["project"] = subject
        urgency = row.text("urgency")
        values["urgency"] = Issue.Urgency.NORMAL
        if urgency:
            values["urgency"] = self.urgencies.get(name_key(urgency))
            if values["urgency"] is None:
                row.problem("urgency", _("无法识别的紧急程度“%(value)s”") % {"value": urgency})
        unit_text = row.text("raising_department")
        values["raising_department"] = (
            self.name(row, "raising_department", "department", unit_text)
            if unit_text
            else self.default_unit
        )
        if values["raising_department"] is None and not unit_text:
            row.problem("raising_department", _("请填写登记单位（导入人没有所属单位）"))
        raised_on = self._date(row, "raised_on")
        if raised_on and raised_on > self.today:
            row.problem("raised_on", _("登记日期 %(date)s 晚于今天") % {"date": raised_on})
        values["raised_on"] = raised_on
        leader_text = row.text("leader")
        values["leader"] = self.name(row, "leader", "leader", leader_text)
        if values["leader"] is None and not leader_text:
            subject = values["enterprise"] or values["project"]
            values["leader"] = getattr(subject, "leader", None) if subject else None
        values["lead_department"] = self.name(
            row, "lead_department", "department", row.text("lead_department")
        )
        co = []
        for part in list_split(row.text("co_departments")):
            unit = self.names.find("department", part)
            if unit is None and " " in part:
                pieces = [self.names.find("department", p) for p in part.split()]
                if all(p not in (None, AMBIGUOUS) for p in pieces):
                    co += pieces
                    continue
            unit = self.name(row, "co_departments", "department", part)
            if unit is not None:
                co.append(unit)
        values["co_departments"] = co
        values["co_given"] = bool(row.text("co_departments"))
        values["responsible_person"] = row.text("responsible_person")[:50]
        values["measures"] = row.text("measures")
        values["deadline"], values["is_long_term"] = self._deadline(row, raised_on)
        values["status"] = self._status(row, values)
        progress = row.text("progress")
        values["progress"], values["progress_note"] = "", ""
        if progress:
            for word_key, code in self.progresses.items():
                if name_key(progress).startswith(word_key):
                    values["progress"] = code
                    rest = progress
                    for sep in ("：", ":"):
                        rest = rest.split(sep, 1)[1] if sep in rest else rest
                    values["progress_note"] = "" if rest == progress else rest.strip()
                    break
            else:
                values["progress_note"] = progress
        values["resolution"] = row.text("resolution")
        values["resolved_on"] = self._date(row, "resolved_on")
        values["closed_on"] = self._date(row, "closed_on")
        satisfaction = row.text("satisfaction")
        values["satisfaction"] = ""
        if satisfaction:
            values["satisfaction"] = self.satisfactions.get(name_key(satisfaction), "")
            if not values["satisfaction"]:
                row.problem(
                    "satisfaction",
                    _("无法识别的满意度“%(value)s”（可填：满意、基本满意、不满意）")
                    % {"value": satisfaction},
                )
        escalated = name_key(row.text("escalated"))
        values["is_escalated"] = escalated in _YES
        values["escalated_given"] = "escalated" in self.table.headers and bool(escalated)
        self._constraints(row, values)
        number = unicodedata.normalize("NFKC", row.text("number")).replace(" ", "").upper()
        values["number"] = number
        values["row"] = row
        return values

    def _date(self, row: _Row, key: str) -> datetime.date | None:
        value = row.raw(key)
        if isinstance(value, CellError):
            row.text(key)
            return None
        try:
            return date_parse(value)
        except DateInvalid as error:
            row.problem(key, str(error))
            return None

    def _deadline(self, row: _Row, raised_on) -> tuple[datetime.date | None, bool]:
        """(deadline, long-term): a date, 立行立改 (the raise date), or 长期坚持 (no date)."""
        value = row.raw("deadline")
        # full-width letters and spaces folded, every kind of space dropped: "长期　坚持 "
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell_text(value)))
        if text and any(text.startswith(word) for word in IMMEDIATE_WORDS):
            day = raised_on or self.today
            row.notes.append(
                _("完成时限“%(word)s”：按立行立改处理，时限记为登记当日 %(date)s")
                % {"word": text, "date": day.isoformat()}
            )
            return day, False
        # the export writes the mark's label, in English too ("Long-term")
        ongoing = (*ONGOING_WORDS, str(_field_label("is_long_term")).lower(), "long-term")
        if text and any(text.lower().startswith(word) for word in ongoing):
            row.notes.append(
                _("完成时限“%(word)s”：长期坚持事项，不设完成时限，按周期报送进展") % {"word": text}
            )
            return None, True
        return self._date(row, "deadline"), False

    def _status(self, row: _Row, values) -> str:
        text = row.text("status")
        closed = name_key(row.text("is_closed"))
        if text:
            status = self.statuses.get(name_key(text))
            if status is None:
                row.problem(
                    "status",
                    _("无法识别的办理状态“%(value)s”（可填：%(words)s）")
                    % {"value": text, "words": "、".join(str(s.label) for s in Status)},
                )
                return Status.RAISED
            return status
        if closed in _YES:
            return Status.CLOSED
        dated = values["deadline"] or values["is_long_term"]
        if values["leader"] and values["lead_department"] and dated:
            return Status.ASSIGNED
        return Status.RAISED

    def _constraints(self, row: _Row, values) -> None:
        """What the database requires of the row's status, said per column."""
        status = values["status"]
        label = Status(status).label
        if status not in (Status.RAISED, Status.WITHDRAWN):
            for key, what in (
                ("leader", _("责任领导")),
                ("lead_department", _("牵头单位")),
                ("deadline", _("完成时限")),
            ):
                if key == "deadline" and values["is_long_term"]:
                    continue  # 长期坚持 stands for the deadline
                if values[key] is None and not row.text(key):
                    row.problem(
                        key,
                        _("状态为“%(status)s”的问题须填写%(what)s")
                        % {"status": label, "what": what},
                    )
        if status in (Status.RESOLVED, Status.CLOSED) and not values["resolution"]:
            row.problem(
                "resolution",
                _("状态为“%(status)s”的问题须填写办结情况") % {"status": label},
            )
        if status == Status.CLOSED and not values["satisfaction"] and not row.text("satisfaction"):
            row.problem("satisfaction", _("已销号的问题须填写满意度"))

    # -- matching existing issues

    def match(self, parsed: list[dict]) -> _Plan:
        plan = _Plan()
        numbers = {v["number"] for v in parsed if v["number"]}
        by_number = (
            {
                issue.number: issue
                for issue in Issue.objects.filter(number__in=numbers).prefetch_related(
                    "co_departments"
                )
            }
            if numbers
            else {}
        )
        external = {}
        if numbers - set(by_number):
            origins = ImportedIssue.objects.filter(
                external_number__in=numbers - set(by_number)
            ).select_related("issue")
            external = {o.external_number: o.issue for o in origins}
        keyed = self._by_key([v for v in parsed if not v["number"]])
        seen: dict[int, int] = {}  # matched issue -> first row
        fresh: dict[tuple, int] = {}  # key of a new row -> first row
        numbered: dict[str, int] = {}  # 编号 -> first row
        for values in parsed:
            row: _Row = values["row"]
            number = values["number"]
            issue = None
            if number:
                issue = by_number.get(number) or external.get(number)
                if number in numbered:
                    row.problem(
                        "number",
                        _("与第 %(row)s 行的编号相同") % {"row": numbered[number]},
                    )
                numbered.setdefault(number, row.number)
            else:
                candidates = keyed.get(_key(values), [])
                if len(candidates) > 1:
                    candidates = [c for c in candidates if c.deadline == values["deadline"]]
                if len(candidates) > 1:
                    row.problem(
                        "description",
                        _("与系统中 %(count)s 条问题的企业/项目和描述相同，请填写编号以区分")
                        % {"count": len(candidates)},
                    )
                issue = candidates[0] if len(candidates) == 1 else None
            if issue is not None:
                if issue.pk in seen:
                    row.problem(
                        "number" if number else "description",
                        _("与第 %(row)s 行是同一问题") % {"row": seen[issue.pk]},
                    )
                seen[issue.pk] = row.number
            elif not number and values["description"]:
                # two new rows alike would be one issue twice, and ambiguous on re-import
                same = (*_key(values), values["deadline"])
                if same in fresh:
                    row.problem(
                        "description",
                        _("与第 %(row)s 行的企业/项目、描述和时限都相同（重复行）")
                        % {"row": fresh[same]},
                    )
                fresh.setdefault(same, row.number)
            if row.problems:
                self.outcome.problems += row.problems
                self.outcome.notes += [
                    Problem(row.number, row.column("deadline"), n) for n in row.notes
                ]
                continue
            if issue is None:
                item = self._create(values, number)
                action = "create"
            else:
                item = self._update(values, issue)
                action = "update" if item is not None else "unchanged"
            if row.problems:  # a status the matched issue cannot take
                self.outcome.problems += row.problems
                continue
            if action == "create":
                if number and not item["number"]:
                    plan.externals[row.number] = number
                self.outcome.to_create += 1
            elif action == "update":
                self.outcome.to_update += 1
                self.outcome.changes.append(item.pop("shown"))
            else:
                self.outcome.unchanged += 1
            self.outcome.notes += [
                Problem(row.number, row.column("deadline"), n) for n in row.notes
            ]
            if item is not None:
                plan.items.append(item)
            if len(self.outcome.preview) < settings.EXCHANGE["IMPORT_PREVIEW_ROWS"]:
                self.outcome.preview.append(_preview_row(values, issue, action))
        # the preview lists problems by row, then by column order
        self.outcome.problems.sort(key=lambda p: p.row)
        return plan

    def _by_key(self, parsed) -> dict:
        descriptions = {v["description"] for v in parsed if v["description"]}
        found: dict = {}
        chunk = sorted(descriptions)
        for start in range(0, len(chunk), 500):
            issues = Issue.objects.filter(description__in=chunk[start : start + 500])
            for issue in issues.prefetch_related("co_departments"):
                found.setdefault(
                    (issue.enterprise_id, issue.project_id, name_key(issue.description)), []
                ).append(issue)
        return found

    def _note(self, row: _Row, verb: str) -> str:
        note = _("%(verb)s自《%(file)s》工作表“%(sheet)s”第 %(row)s 行") % {
            "verb": verb,
            "file": self.outcome.file_name,
            "sheet": self.table.sheet.name,
            "row": row.number,
        }
        return "；".join([note, *row.notes])

    def _create(self, values, number) -> dict:
        row = values["row"]
        status = values["status"]
        tz = timezone.get_current_timezone()
        raised_at = (
            datetime.datetime.combine(values["raised_on"], datetime.time(), tz)
            if values["raised_on"]
            else self.now
        )

        def moment(day):
            return datetime.datetime.combine(day, datetime.time(), tz) if day else None

        fields = {
            **{name: values[name] for name in EDITABLE_FIELDS},
            "raising_department": values["raising_department"],
            "raised_at": raised_at,
            "lead_department": values["lead_department"],
            "deadline": values["deadline"],
            "is_long_term": values["is_long_term"],
            "status": status,
            "progress": values["progress"],
            "progress_note": values["progress_note"],
            "resolution": values["resolution"],
            "satisfaction": values["satisfaction"],
            "is_escalated": values["is_escalated"],
        }
        rank = STATUS_RANK.get(status, 0)
        if rank >= 1:
            fields["assigned_at"] = raised_at
        if rank >= 3:
            fields["resolved_at"] = moment(values["resolved_on"])
            if values["resolved_on"] and values["deadline"]:
                fields["resolved_on_time"] = values["resolved_on"] <= values["deadline"]
            if not fields["progress"]:
                fields["progress"] = Issue.Progress.DONE
        if rank >= 4:
            fields["closed_at"] = moment(values["closed_on"])
        ours = self.ours.match(number) if number else None
        if ours and not 1990 <= int(ours[1]) <= self.today.year + 1:
            ours = None  # not a year of this ledger: the sheet's own number, remembered
        return {
            "row": row.number,
            "issue": None,
            "fields": fields,
            "co_departments": values["co_departments"],
            "number": number if ours else None,
            "note": self._note(row, _("导入")),
        }

    def _update(self, values, issue: Issue) -> dict | None:
        """The changed fields of a matched issue, or None when the row changes nothing.

        Empty cells never clear a value; a status behind the system's is not applied (the
        system is newer than the sheet) and says so in the preview."""
        row = values["row"]
        headers = self.table.headers
        present = {
            "title": values["title_given"],
            "description": bool(values["description"]),
            "category": "category" in headers and bool(row.text("category")),
            "source": "source" in headers and bool(row.text("source")),
            "urgency": bool(row.text("urgency")),
            "enterprise": bool({"subject", "enterprise"} & set(headers))
            and values["enterprise"] is not None,
            "project": bool({"subject", "project"} & set(headers))
            and values["project"] is not None,
            "leader": bool(row.text("leader")),
            "lead_department": values["lead_department"] is not None,
            "responsible_person": bool(values["responsible_person"]),
            "measures": bool(values["measures"]),
            "deadline": values["deadline"] is not None,
            "progress": bool(values["progress"]),
            "resolution": bool(values["resolution"]),
            "satisfaction": bool(values["satisfaction"]),
            "is_escalated": values["escalated_given"],
        }
        fields = {}
        for name in UPDATE_FIELDS:
            if not present[name]:
                continue
            if name in _RELATIONS:  # compare ids: no query per row for the current value
                value = values[name]
                if getattr(issue, f"{name}_id") != (value.pk if value is not None else None):
                    fields[name] = value
            elif getattr(issue, name) != values[name]:
                fields[name] = values[name]
        # 长期坚持 in the sheet makes the issue long-term (no deadline); a date, a dated one
        if values["is_long_term"] and not issue.is_long_term:
            fields["is_long_term"] = True
            if issue.deadline is not None:
                fields["deadline"] = None
        elif values["deadline"] is not None and issue.is_long_term:
            fields["is_long_term"] = False
        status, current = values["status"], issue.status
        if status != current and (row.text("status") or row.text("is_closed")):
            # the moves the import may make are the rulebook's (states: IMPORT_CORRECT)
            if RULEBOOK[Action.IMPORT_CORRECT].allows(current, status):
                fields["status"] = status
                rank = STATUS_RANK.get(status, 0)
                tz = timezone.get_current_timezone()
                if rank >= 1 and not issue.assigned_at:
                    fields["assigned_at"] = self.now
                if rank >= 3 and values["resolved_on"]:
                    fields["resolved_at"] = datetime.datetime.combine(
                        values["resolved_on"], datetime.time(), tz
                    )
                if rank >= 4 and values["closed_on"]:
                    fields["closed_at"] = datetime.datetime.combine(
                        values["closed_on"], datetime.time(), tz
                    )
                self._merged_constraints(row, issue, fields)
            else:
                row.notes.append(
                    _("表中状态为“%(sheet)s”，系统中为“%(system)s”：以系统为准，未改动状态")
                    % {"sheet": Status(status).label, "system": Status(current).label}
                )
        co = None
        if values["co_given"]:
            lead = fields.get("lead_department")
            lead_id = lead.pk if lead is not None else issue.lead_department_id
            new = {u.pk for u in values["co_departments"]} - {lead_id}
            if new != {u.pk for u in issue.co_departments.all()}:
                co = values["co_departments"]
        if not fields and co is None:
            return None
        shown = {
            "row": row.number,
            "number": issue.number,
            "fields": [
                [_field_label(name), _shown(getattr(issue, name, "")), _shown(value)]
                for name, value in fields.items()
            ]
            + (
                [
                    [
                        _field_label("co_departments"),
                        "、".join(u.name for u in issue.co_departments.all()),
                        "、".join(u.name for u in co),
                    ]
                ]
                if co is not None
                else []
            ),
        }
        return {
            "row": row.number,
            "issue": issue.pk,
            "fields": fields,
            "co_departments": co,
            "note": self._note(row, _("导入更新")),
            "shown": shown,
        }

    def _merged_constraints(self, row: _Row, issue: Issue, fields: dict) -> None:
        merged = {
            name: fields.get(name, getattr(issue, name))
            for name in (
                "leader",
                "lead_department",
                "deadline",
                "is_long_term",
                "resolution",
                "satisfaction",
            )
        }
        status = fields["status"]
        if status not in (Status.RAISED, Status.WITHDRAWN):
            for key in ("leader", "lead_department", "deadline"):
                if key == "deadline" and merged["is_long_term"]:
                    continue  # 长期坚持 stands for the deadline
                if not merged[key]:
                    row.problem(
                        key,
                        _("状态为“%(status)s”的问题须填写%(what)s")
                        % {"status": Status(status).label, "what": _field_label(key)},
                    )
        if status in (Status.RESOLVED, Status.CLOSED) and not merged["resolution"]:
            row.problem(
                "resolution",
                _("状态为“%(status)s”的问题须填写办结情况") % {"status": Status(status).label},
            )
        if status == Status.CLOSED and not merged["satisfaction"]:
            row.problem("satisfaction", _("已销号的问题须填写满意度"))


def _key(values) -> tuple:
    enterprise, project = values["enterprise"], values["project"]
    return (
        enterprise.pk if enterprise is not None else None,
        project.pk if project is not None else None,
        name_key(values["description"]),
    )


def _derive_title(description: str) -> str:
    """The first clause of the description, up to TITLE_MAX characters."""
    first = re.split(r"[。；;！!？?\n，,：:]", description.strip(), maxsplit=1)[0].strip()
    return (first or description.strip())[:TITLE_MAX]


def _unknown_message(kind: str, text: str) -> str:
    messages = {
        "leader": _("系统中没有名为“%(name)s”的责任领导"),
        "department": _("系统中没有名为“%(name)s”的单位"),
        "subject": _("系统中没有名为“%(name)s”的企业或重点项目"),
        "enterprise": _("系统中没有名为“%(name)s”的企业"),
        "project": _("系统中没有名为“%(name)s”的重点项目"),
        "category": _("系统中没有名为“%(name)s”的问题类别"),
        "source": _("系统中没有名为“%(name)s”的问题来源"),
    }
    return messages[kind] % {"name": text}


def _field_label(name: str) -> str:
    if name == "subject":
        return str(_("企业/项目名称"))
    try:
        return str(Issue._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001
        return name


def _shown(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, str):
        for enum in (Status, Issue.Satisfaction, Issue.Urgency, Issue.Progress):
            if value in enum.values:
                return str(enum(value).label)
        return value
    if hasattr(value, "user"):
        return str(value.user)
    if hasattr(value, "name"):
        return value.name
    return str(value)


def _preview_row(values, issue, action) -> dict:
    subject = values["enterprise"] or values["project"]
    return {
        "row": values["row"].number,
        "action": action,
        "number": issue.number if issue else values["number"],
        "title": values["title"],
        "subject": subject.name if subject else "",
        "category": _shown(values["category"]),
        "source": _shown(values["source"]),
        "leader": _shown(values["leader"]),
        "lead_department": _shown(values["lead_department"]),
        "co_departments": "、".join(u.name for u in values["co_departments"]),
        "deadline": _field_label("is_long_term")
        if values["is_long_term"]
        else _shown(values["deadline"]),
        "status": _shown(values["status"]),
    }


# -- writing ----------------------------------------------------------------------------------


def _commit(plan: _Plan, outcome: Outcome, *, user, now, batch) -> None:
    created = workflow.issues_import(
        actor=user, at=now, file_name=outcome.file_name, items=plan.items
    )
    new_rows = {item["row"] for item in plan.items if item["issue"] is None}
    ImportedIssue.objects.bulk_create(
        [
            ImportedIssue(
                issue_id=created[row],
                batch=batch,
                file_name=outcome.file_name[:200],
                row=row,
                external_number=plan.externals.get(row, "")[:100],
            )
            for row in sorted(new_rows)
        ],
        batch_size=500,
    )
    if batch is not None:
        batch.state = ImportBatch.State.COMMITTED
        batch.committed_at = now
        batch.counts = outcome.counts()
        batch.save(update_fields=["state", "committed_at", "counts"])
    outcome.committed = True
