"""Writes of the service room: record and correct a visit (its problems become ledger
issues through workflow.issue_raise, in the same transaction), plan and move a key
project's procedures, and raise a late procedure as an issue. Refusals are the core's
TransitionRefused: a message for the user, optional field errors, nothing written."""

import datetime
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger import workflow
from ledger.models import Category, Department, Issue, Source
from ledger.services import (
    attachment_validate,
    attachments_validate_batch,
    leader_raising_department,
    single_line,
)
from ledger.uploads import name_shorten, suffix_of
from ledger.workflow import TransitionRefused

from .models import (
    ProcedureIssue,
    ProcedureType,
    ProjectProcedure,
    Visit,
    VisitIssue,
    VisitPhoto,
)

PHOTO_EXTENSIONS = ("jpg", "jpeg", "png", "gif")
# where the problems of a visit come from (the default Source list, migration 0002)
SOURCE_LEADER_VISIT = "领导包联"
SOURCE_STAFF_VISIT = "企业走访"
# a late procedure raised as an issue
SOURCE_PROCEDURE = "项目督查/调研"
CATEGORY_PROCEDURE = "审批手续"


def photos_validate(files, *, already: int = 0) -> None:
    """Photos only (jpg, png, gif), each checked like an attachment, at most
    LEDGER["VISIT_MAX_PHOTOS"] per visit."""
    files = list(files)
    if not files:
        return
    for file in files:
        if suffix_of(file.name) not in PHOTO_EXTENSIONS:
            raise ValidationError(
                _("“%(name)s”不是照片。走访照片只接受 %(types)s 格式。"),
                params={"name": file.name, "types": ", ".join(PHOTO_EXTENSIONS)},
                code="photo_type",
            )
        attachment_validate(file)
    attachments_validate_batch(files)
    most = settings.LEDGER["VISIT_MAX_PHOTOS"]
    if already + len(files) > most:
        raise ValidationError(
            _("每次走访最多保存 %(max)s 张照片，已有 %(already)s 张，还可上传 %(left)s 张。"),
            params={"max": most, "already": already, "left": max(most - already, 0)},
            code="photo_count",
        )


def _sha256(file) -> str:
    file.seek(0)
    digest = hashlib.file_digest(file, "sha256")
    file.seek(0)
    return digest.hexdigest()


def _photos_save(visit, files, actor, at) -> None:
    for file in files:
        VisitPhoto.objects.create(
            visit=visit,
            file=file,
            original_name=name_shorten(file.name or "photo"),
            size=file.size or 0,
            sha256=_sha256(file),
            uploaded_by=actor,
            uploaded_at=at,
        )


def _raising_department(actor):
    """Issues are raised for the actor's department; a leader's (and an administrator's
    without one) for the department the core names for leaders (the oversight office)."""
    if actor.department_id:
        return actor.department
    department = leader_raising_department()
    if department is None:
        raise TransitionRefused(
            _("尚未设置区级领导登记问题的登记单位（督查室），请联系系统管理员。")
        )
    return department


def _source(name: str) -> Source:
    source = Source.objects.filter(name=name).first()
    if source is None:
        raise TransitionRefused(
            _("问题来源列表中没有“%(name)s”，请联系系统管理员在问题来源中添加。") % {"name": name}
        )
    return source


def contacts_enterprise_id(subject) -> int | None:
    """Whose contacts may be met on a visit: the enterprise's, or a project's owner's."""
    if subject._meta.model_name == "enterprise":
        return subject.pk
    return subject.owner_id


def _contacts_check(subject, contacts) -> None:
    allowed = contacts_enterprise_id(subject)
    if any(allowed is None or contact.enterprise_id != allowed for contact in contacts):
        raise TransitionRefused(
            _("接待人员须是该企业（或项目业主单位）的联系人。"),
            field_errors={"contacts": _("接待人员须是该企业（或项目业主单位）的联系人。")},
        )


def _visit_fields_check(*, visited_on, summary, today) -> None:
    errors = {}
    if visited_on is None:
        errors["visited_on"] = _("请填写走访日期。")
    elif visited_on > today:
        errors["visited_on"] = _("走访日期不能晚于今天。")
    if not str(summary or "").strip():
        errors["summary"] = _("请填写走访情况。")
    if errors:
        raise TransitionRefused(_("请检查标出的内容。"), field_errors=errors)


def visit_record(
    *,
    actor,
    subject,
    visited_on: datetime.date,
    summary: str,
    leader_attended: bool = True,
    companions=(),
    companions_text: str = "",
    contacts=(),
    met_text: str = "",
    no_problems: bool = False,
    problems=(),
    photos=(),
    at: datetime.datetime | None = None,
) -> Visit:
    """登记走访: the visit, its photos, and each problem raised as a ledger issue (source
    领导包联 when the leader went in person, else 企业走访; the subject and its 分包 leader
    filled in), linked to the visit — all in one transaction, or nothing.

    `subject` is an Enterprise or a KeyProject; `problems` are dicts with title,
    description, category and urgency.
    """
    if not actor.has_perm("service.record_visit", subject):
        raise TransitionRefused(_("您不能为该企业或项目登记走访。"))
    at = at or timezone.now()
    today = timezone.localtime(at).date()
    _visit_fields_check(visited_on=visited_on, summary=summary, today=today)
    problems = list(problems)
    photos = list(photos)
    if no_problems and problems:
        raise TransitionRefused(
            _("已勾选“未反映问题”，就不能再登记问题；请取消勾选或删除问题。"),
            field_errors={"no_problems": _("与下方登记的问题矛盾。")},
        )
    if not no_problems and not problems:
        raise TransitionRefused(
            _("请登记走访中反映的问题；没有问题时请勾选“未反映问题”。"),
            field_errors={"no_problems": _("没有登记问题时请勾选此项。")},
        )
    try:
        photos_validate(photos)
    except ValidationError as error:
        raise TransitionRefused(
            error.messages[0], field_errors={"photos": error.messages[0]}
        ) from None
    is_enterprise = subject._meta.model_name == "enterprise"
    contacts = list(contacts)
    _contacts_check(subject, contacts)
    if problems:
        source = _source(SOURCE_LEADER_VISIT if leader_attended else SOURCE_STAFF_VISIT)
        department = _raising_department(actor)
    with transaction.atomic():
        visit = Visit.objects.create(
            enterprise=subject if is_enterprise else None,
            project=None if is_enterprise else subject,
            leader=subject.leader,
            visited_on=visited_on,
            leader_attended=leader_attended,
            companions_text=single_line(companions_text or "")[:200],
            met_text=single_line(met_text or "")[:200],
            summary=summary.strip(),
            no_problems=no_problems,
            created_by=actor,
            created_at=at,
        )
        visit.companions.set(companions)
        visit.contacts.set(contacts)
        for problem in problems:
            issue = workflow.issue_raise(
                actor=actor,
                at=at,
                raising_department=department,
                title=problem["title"],
                description=problem["description"],
                category=problem["category"],
                urgency=problem.get("urgency") or Issue.Urgency.NORMAL,
                source=source,
                enterprise=subject if is_enterprise else None,
                project=None if is_enterprise else subject,
                leader=subject.leader,
            )
            VisitIssue.objects.create(visit=visit, issue=issue)
        _photos_save(visit, photos, actor, at)
    return visit


def visit_update(
    *,
    actor,
    visit: Visit,
    visited_on: datetime.date,
    summary: str,
    leader_attended: bool,
    companions=(),
    companions_text: str = "",
    contacts=(),
    met_text: str = "",
    photos=(),
    at: datetime.datetime | None = None,
) -> Visit:
    """修改走访: the record's own fields and more photos; the subject, the leader and the
    issues raised stay as they are (issues move on in the ledger)."""
    if not (
        actor.has_perm("service.view_visit", visit)
        and actor.has_perm("service.change_visit", visit)
    ):
        raise TransitionRefused(_("您不能修改这条走访记录。"))
    at = at or timezone.now()
    _visit_fields_check(visited_on=visited_on, summary=summary, today=timezone.localtime(at).date())
    photos = list(photos)
    try:
        photos_validate(photos, already=visit.photos.count())
    except ValidationError as error:
        raise TransitionRefused(
            error.messages[0], field_errors={"photos": error.messages[0]}
        ) from None
    contacts = list(contacts)
    _contacts_check(visit.subject, contacts)
    with transaction.atomic():
        visit = Visit.objects.select_for_update().get(pk=visit.pk)
        visit.visited_on = visited_on
        visit.summary = summary.strip()
        visit.leader_attended = leader_attended
        visit.companions_text = single_line(companions_text or "")[:200]
        visit.met_text = single_line(met_text or "")[:200]
        visit.updated_at = at
        visit.save()
        visit.companions.set(companions)
        visit.contacts.set(contacts)
        _photos_save(visit, photos, actor, at)
    return visit


# -- procedures ------------------------------------------------------------------------------

# The default list's handling units: which department usually handles each procedure type,
# by words its name holds (a district writes 区生态环境分局 or 区环保局). A type's own
# default_department (admin → 审批手续类型) comes first; migration 0003 and the demo fill it.
DEFAULT_UNITS = {
    "立项备案": ("发改", "发展和改革"),
    "用地预审/规划选址": ("自然资源",),
    "土地供应": ("自然资源",),
    "规划许可": ("自然资源",),
    "环评批复": ("生态环境", "环保"),
    "能评": ("发改", "发展和改革"),
    "施工图审查": ("住建", "住房和城乡建设"),
    "施工许可": ("住建", "住房和城乡建设"),
    "竣工验收": ("住建", "住房和城乡建设"),
}


def default_units(kinds) -> dict:
    """{type id: the department that usually handles it, or None}: the type's own default
    unit, else the active department DEFAULT_UNITS names for it. One query at most."""
    kinds = list(kinds)
    units = {kind.pk: kind.default_department for kind in kinds}
    if all(units.values()):
        return units
    departments = list(Department.objects.filter(is_active=True).order_by("order", "pk"))
    for kind in kinds:
        if units[kind.pk] is None:
            words = DEFAULT_UNITS.get(kind.name, ())
            units[kind.pk] = next(
                (d for d in departments if any(word in d.name for word in words)), None
            )
    return units


def default_units_fill() -> int:
    """Give every procedure type without a default handling unit the one DEFAULT_UNITS
    names, where that department exists (the demo calls it once its departments exist)."""
    kinds = list(
        ProcedureType.objects.filter(default_department__isnull=True).select_related(
            "default_department"
        )
    )
    filled = 0
    for kind_id, department in default_units(kinds).items():
        if department is not None:
            filled += ProcedureType.objects.filter(
                pk=kind_id, default_department__isnull=True
            ).update(default_department=department)
    return filled


def procedures_plan(*, actor, project, at: datetime.datetime | None = None) -> int:
    """按清单生成: add every active procedure type the project does not have yet (未启动)."""
    if not actor.has_perm("service.plan_procedures", project):
        raise TransitionRefused(_("您不能编制该项目的手续清单。"))
    at = at or timezone.now()
    with transaction.atomic():
        have = set(project.procedures.values_list("type_id", flat=True))
        kinds = list(
            ProcedureType.objects.filter(is_active=True)
            .exclude(pk__in=have)
            .select_related("default_department")
        )
        units = default_units(kinds)
        rows = [
            ProjectProcedure(
                project=project,
                type=kind,
                # 环评批复 goes to 生态环境分局, not to the project's 责任单位
                department=units[kind.pk] or project.lead_department,
                updated_by=actor,
                updated_at=at,
            )
            for kind in kinds
        ]
        ProjectProcedure.objects.bulk_create(rows)
    return len(rows)


PROCEDURE_FIELDS = ("status", "planned_on", "done_on", "note")
PROCEDURE_ASSIGN_FIELDS = ("department", "agent")


def procedure_update(*, actor, procedure: ProjectProcedure, at=None, **data) -> ProjectProcedure:
    """Move a procedure: status, planned and done dates, note; the office and the project's
    leader also say which department acts and who carries it (代办员)."""
    if not actor.has_perm("service.change_procedure", procedure):
        raise TransitionRefused(_("您不能修改这项手续。"))
    allowed = set(PROCEDURE_FIELDS)
    if actor.has_perm("service.assign_procedure", procedure):
        allowed |= set(PROCEDURE_ASSIGN_FIELDS)
    unknown = set(data) - allowed
    if unknown:
        raise TransitionRefused(_("您不能修改：%(f)s") % {"f": ", ".join(sorted(unknown))})
    status = data.get("status", procedure.status)
    done_on = data.get("done_on", procedure.done_on)
    today = timezone.localdate()
    if status == ProjectProcedure.Status.DONE:
        if done_on is None:
            raise TransitionRefused(
                _("已办结的手续请填写办结日期。"), field_errors={"done_on": _("请填写办结日期。")}
            )
        if done_on > today:
            raise TransitionRefused(
                _("办结日期不能晚于今天。"), field_errors={"done_on": _("办结日期不能晚于今天。")}
            )
    else:
        data["done_on"] = None
    if "note" in data:
        data["note"] = single_line(data["note"] or "")[:200]
    with transaction.atomic():
        procedure = ProjectProcedure.objects.select_for_update().get(pk=procedure.pk)
        for name, value in data.items():
            setattr(procedure, name, value)
        procedure.updated_by = actor
        procedure.updated_at = at or timezone.now()
        procedure.save()
    return procedure


def procedure_issue_raise(
    *, actor, procedure: ProjectProcedure, title: str, description: str, category=None, urgency=None
) -> Issue:
    """转为台账问题: a stuck or late procedure raised as an issue about its project (source
    项目督查/调研, category 审批手续 unless another is chosen), linked to the procedure."""
    if not actor.has_perm("service.change_procedure", procedure):
        raise TransitionRefused(_("您不能为这项手续登记问题。"))
    if not procedure.is_open:
        raise TransitionRefused(_("这项手续已办结或不涉及，无需登记问题。"))
    category = category or Category.objects.filter(name=CATEGORY_PROCEDURE).first()
    if category is None:
        raise TransitionRefused(
            _("问题类别列表中没有“%(name)s”，请选择类别。") % {"name": CATEGORY_PROCEDURE},
            field_errors={"category": _("请选择类别。")},
        )
    source = _source(SOURCE_PROCEDURE)
    department = _raising_department(actor)
    project = procedure.project
    with transaction.atomic():
        issue = workflow.issue_raise(
            actor=actor,
            raising_department=department,
            title=title,
            description=description,
            category=category,
            source=source,
            urgency=urgency or Issue.Urgency.NORMAL,
            project=project,
            enterprise=project.owner,
            leader=project.leader,
        )
        ProcedureIssue.objects.create(procedure=procedure, issue=issue)
    return issue
