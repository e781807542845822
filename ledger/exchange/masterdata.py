"""Importing master data — enterprises (credit codes validated) and their contacts, units,
leaders' 分包 lists, key projects with their investment figures — with the ledger import's
machinery: the same reading, table finding, name matching, preview and all-or-nothing commit.

Rows are matched on their natural key (an enterprise by credit code, else name; the others
by name); a matched row with different values is an update, saved with its history
(django-simple-history) like an edit in the admin. Leaders are people with accounts: the
leaders sheet updates existing leaders and their 分包 lists, it never creates an account.
"""

import copy
import datetime
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger import services
from ledger.exchange.columns import MASTER_COLUMNS
from ledger.exchange.importing import (
    Outcome,
    Problem,
    Unknown,
    _choices,
    _mappings_save,
    _Rollback,
    imports_serialise,
)
from ledger.exchange.matching import (
    AMBIGUOUS,
    DateInvalid,
    NameIndex,
    cell_text,
    date_parse,
    list_split,
    mapping_overrides,
    name_key,
    register_synonyms,
    synonyms_index,
    table_locate,
    table_rows,
)
from ledger.exchange.models import ImportBatch
from ledger.exchange.reading import CellError, ReadRefused, workbook_read
from ledger.models import Contact, Department, Enterprise, KeyProject
from ledger.validators import (
    credit_code_normalize,
    mobile_normalize,
    validate_credit_code,
    validate_mobile,
)

MASTER_SYNONYMS = {
    "enterprises": {
        "name": ["企业名称", "单位名称", "企业全称", "名称"],
        "credit_code": ["统一社会信用代码", "信用代码", "社会信用代码", "统一代码"],
        "industry": ["行业", "所属行业", "行业类别"],
        "scale": ["规模", "企业规模", "是否规上"],
        "address": ["地址", "企业地址", "注册地址"],
        "subdistrict": ["所属办事处", "办事处", "所属街道"],
        "leader": ["分包领导", "包联领导", "联系领导"],
        "contact_name": ["主要联系人", "联系人"],
        "contact_mobile": ["联系人手机", "手机", "联系电话", "手机号码"],
        "is_active": ["存续", "是否存续"],
    },
    "contacts": {
        "enterprise": ["企业名称", "企业"],
        "credit_code": ["统一社会信用代码", "信用代码"],
        "name": ["姓名", "联系人"],
        "position": ["职务"],
        "mobile": ["手机", "手机号码"],
        "office_phone": ["办公电话", "座机"],
        "email": ["电子邮箱", "邮箱"],
        "is_primary": ["主要联系人", "是否主要联系人"],
    },
    "departments": {
        "name": ["单位名称", "名称", "部门名称", "单位"],
        "short_name": ["简称"],
        "kind": ["类型", "单位类型"],
        "order": ["排序", "序号"],
        "is_active": ["启用", "是否启用"],
    },
    "leaders": {
        "name": ["姓名", "领导姓名", "区级领导"],
        "title": ["职务"],
        "order": ["排序"],
        "enterprises": ["分包企业", "包联企业"],
        "projects": ["分包项目", "包联项目", "分包重点项目"],
        "is_active": ["在任"],
    },
    "projects": {
        "name": ["项目名称", "名称"],
        "level": ["级别", "项目级别"],
        "nature": ["性质", "建设性质"],
        "sector": ["类别", "项目类别", "产业类别"],
        "year": ["计划年度", "年度"],
        "total_investment": ["总投资（万元）", "总投资", "计划总投资"],
        "annual_plan": ["年度计划投资（万元）", "年度计划投资", "年度计划"],
        "completed_this_year": ["本年累计完成投资（万元）", "累计完成投资", "本年完成投资"],
        "stage": ["阶段", "项目阶段", "进展阶段"],
        "leader": ["分包领导", "包联领导"],
        "lead_department": ["责任单位", "牵头单位"],
        "owner": ["业主单位", "建设单位"],
        "start_date": ["开工日期", "开工时间"],
        "expected_completion": ["计划竣工日期", "竣工日期", "计划竣工时间"],
    },
}
for _synonyms in MASTER_SYNONYMS.values():
    register_synonyms(_synonyms)

REQUIRED = {
    "enterprises": [("name", "企业名称"), ("credit_code", "统一社会信用代码")],
    "contacts": [("credit_code", "统一社会信用代码"), ("name", "姓名")],
    "departments": [("name", "单位名称")],
    "leaders": [("name", "姓名")],
    "projects": [("name", "项目名称")],
}
# the column a problem of the whole row is shown under
REQUIRED_KEYS = {Enterprise: "name", Contact: "name", Department: "name", KeyProject: "name"}
_YES = {"是", "√", "yes", "y", "true", "1", "规模以上", "规上"}
_NO = {"否", "×", "no", "n", "false", "0"}


@dataclass
class _Change:
    row: int
    obj: object
    fields: dict = field(default_factory=dict)
    # callables (obj, actor) run after the object is saved
    after: list = field(default_factory=list)


def master_import(
    data: bytes,
    *,
    kind: str,
    file_name: str,
    user,
    dry_run: bool,
    mappings: dict | None = None,
    batch: ImportBatch | None = None,
    now: datetime.datetime | None = None,
) -> Outcome:
    """Read, check and (unless `dry_run` or any problem) import a master-data sheet."""
    now = now or timezone.now()
    outcome = Outcome(file_name=file_name)
    try:
        sheets = workbook_read(data, file_name)
    except ReadRefused as refusal:
        outcome.refused = refusal.message
        return outcome
    if dry_run:
        _check(outcome, sheets, kind, overrides=mapping_overrides(mappings))
        return outcome
    try:
        with transaction.atomic():
            imports_serialise()
            if not _mappings_save(mappings or {}, user=user, now=now, outcome=outcome):
                raise _Rollback
            changes = _check(outcome, sheets, kind, overrides={})
            if not outcome.ok:
                raise _Rollback
            for change in changes:
                _apply(change, actor=user)  # validated in _check(), inside this transaction
            if batch is not None:
                batch.state = ImportBatch.State.COMMITTED
                batch.committed_at = now
                batch.counts = outcome.counts()
                batch.save(update_fields=["state", "committed_at", "counts"])
            outcome.committed = True
    except _Rollback:
        pass
    return outcome


def _apply(change: _Change, *, actor) -> None:
    """Write one checked row as `actor`: enterprises, contacts and key projects through the
    directory's door (ledger.services), which decides permission and `added_by`; units and
    leaders (people, not the directory) are saved as they are."""
    obj, fields = change.obj, change.fields
    if isinstance(obj, Enterprise):
        if obj.pk is None:
            obj = services.enterprise_create(
                actor=actor, data=_new(obj, fields, services.ENTERPRISE_FIELDS)
            )
        else:
            services.enterprise_update(actor=actor, enterprise=obj, data=fields)
    elif isinstance(obj, Contact):
        if obj.pk is None:
            obj = services.contact_create(
                actor=actor,
                enterprise=obj.enterprise,
                data=_new(obj, fields, services.CONTACT_FIELDS),
            )
        else:
            services.contact_update(actor=actor, contact=obj, data=fields)
    elif isinstance(obj, KeyProject):
        if obj.pk is None:
            obj = services.project_create(
                actor=actor, data=_new(obj, fields, services.PROJECT_FIELDS)
            )
        else:
            services.project_update(actor=actor, project=obj, data=fields)
    else:
        for name, value in fields.items():
            setattr(obj, name, value)
        obj.save()
    for callback in change.after:
        callback(obj, actor)


def _new(obj, fields: dict, names) -> dict:
    """A new row's values: what the reader set on the unsaved object, then the sheet's."""
    return {**{name: getattr(obj, name) for name in names}, **fields}


class _Reader:
    def __init__(self, outcome, table, overrides, kind):
        self.outcome = outcome
        self.table = table
        self.names = NameIndex(overrides)
        # a column the sheet lacks is named by the export's header for it
        self.labels = {column.key: str(column.header) for column in MASTER_COLUMNS[kind]}

    def problem(self, row, key, message):
        column = self.table.header(key, self.labels.get(key, key))
        self.outcome.problems.append(Problem(row.number, column, message))

    def text(self, row, key) -> str:
        value = row.cells.get(key, "")
        if isinstance(value, CellError):
            self.problem(row, key, _("单元格是错误值 %(error)s") % {"error": value})
            return ""
        # every column of the directory sheets is one line of text (a name, a code, an address)
        return services.single_line(cell_text(value))

    def present(self, key) -> bool:
        return key in self.table.headers

    def name(self, row, key, kind):
        text = self.text(row, key)
        if not text:
            return None
        found = self.names.find(kind, text)
        if found is None or found is AMBIGUOUS:
            self.problem(row, key, _("系统中没有名为“%(name)s”的条目") % {"name": text})
            unknown = self.outcome.unknown.setdefault(
                (kind, name_key(text)),
                Unknown(
                    kind=kind, key=name_key(text), text=text, column=self.table.header(key, key)
                ),
            )
            unknown.rows.append(row.number)
            return None
        return found

    def choice(self, row, key, enum):
        text = self.text(row, key)
        if not text:
            return None
        value = _choices(enum).get(name_key(text))
        if value is None:
            labels = "、".join(str(label) for _v, label in enum.choices)
            self.problem(
                row,
                key,
                _("无法识别“%(value)s”（可填：%(labels)s）") % {"value": text, "labels": labels},
            )
        return value

    def boolean(self, row, key):
        text = name_key(self.text(row, key))
        if not text:
            return None
        if text in _YES:
            return True
        if text in _NO:
            return False
        self.problem(row, key, _("请填写“是”或“否”"))
        return None

    def number(self, row, key, *, integer=False):
        value = row.cells.get(key, "")
        text = unicodedata.normalize("NFKC", self.text(row, key)).replace(",", "")
        if not text:
            return None
        try:
            number = Decimal(str(value) if isinstance(value, int | float) else text)
        except InvalidOperation:
            self.problem(row, key, _("“%(value)s”不是数字") % {"value": text})
            return None
        if number < 0:
            self.problem(row, key, _("不能为负数"))
            return None
        if integer:
            return int(number)
        return number.quantize(Decimal("0.01"))

    def date(self, row, key):
        try:
            return date_parse(row.cells.get(key, ""))
        except DateInvalid as error:
            self.problem(row, key, str(error))
            return None

    def credit_code(self, row, key):
        code = credit_code_normalize(self.text(row, key))
        if not code:
            self.problem(row, key, _("统一社会信用代码不能为空"))
            return None
        try:
            validate_credit_code(code)
        except ValidationError as error:
            self.problem(row, key, " ".join(error.messages))
            return None
        return code

    def mobile(self, row, key):
        mobile = mobile_normalize(self.text(row, key))
        if not mobile:
            return ""
        try:
            validate_mobile(mobile)
        except ValidationError as error:
            self.problem(row, key, " ".join(error.messages))
            return ""
        return mobile


def _check(outcome: Outcome, sheets, kind, *, overrides) -> list[_Change]:
    index = synonyms_index(MASTER_COLUMNS[kind], MASTER_SYNONYMS[kind])
    required = [(key, _(label)) for key, label in REQUIRED[kind]]
    try:
        table = table_locate(sheets, index, required)
    except ReadRefused as refusal:
        outcome.refused = refusal.message
        return []
    rows = table_rows(table, index, text_keys=("name",))
    outcome.sheet, outcome.header_row = table.sheet.name, table.header_row + 1
    outcome.rows_read, outcome.skipped = len(rows.data), rows.skipped
    reader = _Reader(outcome, table, overrides, kind)
    read = {
        "enterprises": _enterprise,
        "contacts": _contact,
        "departments": _department,
        "leaders": _leader,
        "projects": _project,
    }[kind]
    changes, seen = [], {}
    for row in rows.data:
        before = len(outcome.problems)
        change = read(reader, row)
        if change is None or len(outcome.problems) > before:
            continue
        key = (type(change.obj), change.obj.pk or name_key(str(change.obj)))
        if key in seen:
            reader.problem(row, REQUIRED[kind][0][0], _("与第 %(row)s 行重复") % {"row": seen[key]})
            continue
        seen[key] = row.number
        if not _valid(reader, row, change):
            continue
        if change.obj.pk is None:
            outcome.to_create += 1
        elif change.fields or change.after:
            outcome.to_update += 1
            outcome.changes.append(
                {
                    "row": row.number,
                    "number": str(change.obj),
                    "fields": [
                        [
                            _label(change.obj, n),
                            _shown(change.obj, n, getattr(change.obj, n)),
                            _shown(change.obj, n, v),
                        ]
                        for n, v in change.fields.items()
                    ],
                }
            )
        else:
            outcome.unchanged += 1
            continue
        changes.append(change)
        if len(outcome.preview) < 20:
            outcome.preview.append(
                {
                    "row": row.number,
                    "action": "create" if change.obj.pk is None else "update",
                    "number": "",
                    "title": str(change.fields.get("name", change.obj)),
                }
            )
    outcome.problems.sort(key=lambda p: p.row)
    return changes


def _valid(reader: _Reader, row, change: _Change) -> bool:
    """What the model and the database would refuse (lengths, e-mail, unique names,
    completion after start …), said per column before anything is written."""
    candidate = copy.copy(change.obj)
    for name, value in change.fields.items():
        setattr(candidate, name, value)
    try:
        candidate.full_clean()
    except ValidationError as error:
        first = REQUIRED_KEYS.get(type(candidate), "name")
        for name, messages in error.message_dict.items():
            key = first if name == NON_FIELD_ERRORS else name
            reader.problem(row, key, " ".join(messages))
        return False
    return True


def _label(obj, name):
    try:
        return str(obj._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001
        return name


def _shown(obj, name, value):
    if value is None:
        return ""
    try:
        choices = dict(obj._meta.get_field(name).flatchoices)
    except Exception:  # noqa: BLE001
        choices = {}
    if value in choices:
        return str(choices[value])
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _diff(obj, values: dict, change: _Change) -> None:
    for name, value in values.items():
        if value is None:
            continue
        if obj.pk is None or getattr(obj, name) != value:
            change.fields[name] = value


def _enterprise(reader: _Reader, row):
    # every cell is read before giving up on the row, so each problem is reported at once
    name = reader.text(row, "name")
    if not name:
        reader.problem(row, "name", _("企业名称不能为空"))
    code = reader.credit_code(row, "credit_code")
    values = {
        "name": name,
        "credit_code": code,
        "industry": reader.text(row, "industry") or None,
        "scale": reader.choice(row, "scale", Enterprise.Scale),
        "address": reader.text(row, "address") or None,
        "subdistrict": reader.name(row, "subdistrict", "department"),
        "leader": reader.name(row, "leader", "leader"),
        "is_active": reader.boolean(row, "is_active"),
    }
    contact_name = reader.text(row, "contact_name")
    if len(contact_name) > Contact._meta.get_field("name").max_length:
        reader.problem(row, "contact_name", _("姓名过长"))
    mobile = reader.mobile(row, "contact_mobile")
    if not name or not code:
        return None
    obj = (
        Enterprise.objects.filter(credit_code=code).first()
        or Enterprise.objects.filter(name=name).first()
        or Enterprise(name=name, credit_code=code)
    )
    change = _Change(row.number, obj)
    _diff(obj, values, change)
    if contact_name:
        existing = obj.contacts.filter(name=contact_name).first() if obj.pk else None
        if existing is None or not existing.is_primary or (mobile and existing.mobile != mobile):
            change.after.append(lambda e, actor: _primary_contact(e, actor, contact_name, mobile))
    return change


def _primary_contact(enterprise, actor, name, mobile):
    """The enterprise sheet's 联系人 becomes the primary contact (the door demotes the one
    before), found by name or added."""
    data = {"is_primary": True, **({"mobile": mobile} if mobile else {})}
    contact = enterprise.contacts.filter(name=name).first()
    if contact is None:
        services.contact_create(actor=actor, enterprise=enterprise, data={"name": name, **data})
    else:
        services.contact_update(actor=actor, contact=contact, data=data)


def _contact(reader: _Reader, row):
    code = reader.credit_code(row, "credit_code")
    name = reader.text(row, "name")
    if not name:
        reader.problem(row, "name", _("姓名不能为空"))
    if not code or not name:
        return None
    enterprise = Enterprise.objects.filter(credit_code=code).first()
    if enterprise is None:
        reader.problem(
            row, "credit_code", _("系统中没有统一社会信用代码为 %(code)s 的企业") % {"code": code}
        )
        return None
    obj = enterprise.contacts.filter(name=name).first() or Contact(enterprise=enterprise, name=name)
    change = _Change(row.number, obj)
    values = {
        "position": reader.text(row, "position") or None,
        "mobile": reader.mobile(row, "mobile") or None,
        "office_phone": reader.text(row, "office_phone") or None,
        "email": reader.text(row, "email") or None,
        "is_primary": reader.boolean(row, "is_primary"),
    }
    _diff(obj, values, change)
    if change.fields.get("is_primary"):
        # made primary after it is saved, when the door demotes the one before; checked
        # (_valid) as it is, the database's "one primary" would refuse it
        change.fields.pop("is_primary")
        change.after.append(
            lambda c, actor: services.contact_update(
                actor=actor, contact=c, data={"is_primary": True}
            )
        )
    return change


def _department(reader: _Reader, row):
    name = reader.text(row, "name")
    if not name:
        return None
    obj = Department.objects.filter(name=name).first() or Department(name=name)
    change = _Change(row.number, obj)
    values = {
        "short_name": reader.text(row, "short_name") or None,
        "kind": reader.choice(row, "kind", Department.Kind),
        "order": reader.number(row, "order", integer=True),
        "is_active": reader.boolean(row, "is_active"),
    }
    _diff(obj, values, change)
    return change


def _leader(reader: _Reader, row):
    leader = reader.name(row, "name", "leader")
    if leader is None:
        return None
    change = _Change(row.number, leader)
    values = {
        "title": reader.text(row, "title") or None,
        "order": reader.number(row, "order", integer=True),
        "is_active": reader.boolean(row, "is_active"),
    }
    _diff(leader, values, change)
    for key, kind, model in (
        ("enterprises", "enterprise", Enterprise),
        ("projects", "project", KeyProject),
    ):
        if not reader.present(key):
            continue
        wanted = []
        for part in list_split(reader.text(row, key)):
            found = reader.names.find(kind, part)
            if found is None or found is AMBIGUOUS:
                reader.problem(row, key, _("系统中没有名为“%(name)s”的条目") % {"name": part})
                continue
            wanted.append(found)
        current = set(model.objects.filter(leader=leader).values_list("pk", flat=True))
        if {w.pk for w in wanted} != current:
            change.after.append(
                lambda obj, actor, wanted=wanted, model=model: _subjects(obj, actor, wanted, model)
            )
            change.fields.setdefault("title", leader.title)
    return change


def _subjects(leader, actor, wanted, model):
    """The leader 分包s exactly `wanted`: others of theirs lose the leader, history kept;
    written through the directory's door."""

    def leader_set(obj, value):
        if model is Enterprise:
            services.enterprise_update(actor=actor, enterprise=obj, data={"leader": value})
        else:
            services.project_update(actor=actor, project=obj, data={"leader": value})

    for obj in model.objects.filter(leader=leader).exclude(pk__in=[w.pk for w in wanted]):
        leader_set(obj, None)
    for obj in wanted:
        if obj.leader_id != leader.pk:
            leader_set(obj, leader)


def _project(reader: _Reader, row):
    name = reader.text(row, "name")
    if not name:
        return None
    obj = KeyProject.objects.filter(name=name).first() or KeyProject(name=name)
    change = _Change(row.number, obj)
    values = {
        "level": reader.choice(row, "level", KeyProject.Level),
        "nature": reader.choice(row, "nature", KeyProject.Nature),
        "sector": reader.choice(row, "sector", KeyProject.Sector),
        "year": reader.number(row, "year", integer=True),
        "total_investment": reader.number(row, "total_investment"),
        "annual_plan": reader.number(row, "annual_plan"),
        "completed_this_year": reader.number(row, "completed_this_year"),
        "stage": reader.choice(row, "stage", KeyProject.Stage),
        "leader": reader.name(row, "leader", "leader"),
        "lead_department": reader.name(row, "lead_department", "department"),
        "owner": reader.name(row, "owner", "enterprise"),
        "start_date": reader.date(row, "start_date"),
        "expected_completion": reader.date(row, "expected_completion"),
    }
    if obj.pk is None:
        for key in ("level", "sector", "year", "total_investment", "annual_plan"):
            if values[key] is None and not reader.text(row, key):
                reader.problem(row, key, _("新项目须填写此项"))
    start, end = (
        values["start_date"] or obj.start_date,
        values["expected_completion"] or obj.expected_completion,
    )
    if start and end and end < start:
        reader.problem(row, "expected_completion", _("计划竣工日期早于开工日期"))
    _diff(obj, values, change)
    return change
