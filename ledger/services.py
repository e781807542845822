"""Every write other than an issue's workflow: named <thing>_<verb>, keyword-only arguments.

Issue changes go through workflow.py; this module holds the shared helpers it
uses (ledger numbers, attachment checks) and the directory writes.
"""

import re
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from ledger import uploads
from ledger.models import Issue, LedgerCounter


def ledger_number_next(year: int) -> tuple[int, str]:
    """Allocate the next ledger number of `year`: (seq, "ZZ-2026-0042").

    The counter row is locked for the rest of the caller's transaction, so two
    people logging at once get different numbers; a number that reached an issue
    is never handed out again (issues are never deleted).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_number_next() must run inside transaction.atomic()")
    if not LedgerCounter.objects.filter(year=year).exists():
        # a year's first number; if the row was lost (restored backup, imported issues),
        # start after the highest number already used so a number is never handed out twice
        used = Issue.objects.filter(year=year).aggregate(last=Max("seq"))["last"] or 0
        LedgerCounter.objects.bulk_create(
            [LedgerCounter(year=year, last=used)], ignore_conflicts=True
        )
    counter = LedgerCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    prefix = settings.LEDGER["NUMBER_PREFIX"]
    return counter.last, f"{prefix}-{year}-{counter.last:04d}"


def size_precise(size: int, limit: int) -> str:
    """`size` as filesizeformat shows it, with more decimals while it would read as `limit`.

    21,000,000 bytes and a 20 MB limit both round to "20.0 MB"; the message must not say
    a file is too large and show the same number as the limit. Falls back to bytes.
    """
    shown = filesizeformat(size)
    if shown != filesizeformat(limit):
        return shown
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            for places in (2, 3):
                text = f"{size / factor:.{places}f}\xa0{unit}"
                if text != f"{limit / factor:.{places}f}\xa0{unit}":
                    return text
            break
    return _("%(bytes)s 字节") % {"bytes": f"{size:,}"}


def attachment_validate(file) -> None:
    """Refuse files that are too large or of a type the ledger does not keep."""
    suffix = PurePath(file.name or "").suffix.lower().lstrip(".")
    allowed = settings.ATTACHMENT_ALLOWED_EXTENSIONS
    if suffix not in allowed:
        raise ValidationError(
            _("不支持的文件类型“%(suffix)s”。允许的类型：%(allowed)s。"),
            params={"suffix": suffix or "?", "allowed": ", ".join(allowed)},
            code="attachment_type",
        )
    if file.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("文件“%(name)s”过大（%(size)s），超过上限 %(max)s。"),
            params={
                "name": file.name,
                "size": size_precise(file.size, settings.ATTACHMENT_MAX_BYTES),
                "max": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
            },
            code="attachment_size",
        )
    if file.size == 0:
        raise ValidationError(
            _("文件“%(name)s”是空文件。"), params={"name": file.name}, code="attachment_empty"
        )
    if not uploads.content_matches(suffix, file):
        raise ValidationError(
            _("文件“%(name)s”的内容不是%(suffix)s文件，可能已损坏或被改了扩展名。"),
            params={"name": file.name, "suffix": suffix.upper()},
            code="attachment_content",
        )


def attachments_validate_batch(files, *, already: int = 0) -> None:
    """Refuse more files in one request, or more bytes together, than the settings allow;
    `already` is how many files the issue keeps, counted against the per-issue limit."""
    files = list(files)
    if not files:
        return
    most = settings.ATTACHMENT_MAX_FILES_PER_REQUEST
    if len(files) > most:
        raise ValidationError(
            _("一次最多上传 %(max)s 个文件，您选择了 %(count)s 个。"),
            params={"max": most, "count": len(files)},
            code="attachment_count",
        )
    total = sum(file.size or 0 for file in files)
    if total > settings.ATTACHMENT_MAX_REQUEST_BYTES:
        raise ValidationError(
            _("一次上传的文件合计 %(size)s，超过上限 %(max)s。请分几次上传。"),
            params={
                "size": size_precise(total, settings.ATTACHMENT_MAX_REQUEST_BYTES),
                "max": filesizeformat(settings.ATTACHMENT_MAX_REQUEST_BYTES),
            },
            code="attachment_total",
        )
    per_issue = settings.ATTACHMENT_MAX_FILES_PER_ISSUE
    if already + len(files) > per_issue:
        raise ValidationError(
            _("每个问题最多保存 %(max)s 个附件，已有 %(already)s 个，还可上传 %(left)s 个。"),
            params={"max": per_issue, "already": already, "left": max(per_issue - already, 0)},
            code="attachment_issue_count",
        )


# control characters (C0, DEL, C1) and the line and paragraph separators
_LINE_BREAKERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def single_line(value):
    """A one-line text (a title, a name) with each run of control characters or line
    breaks made one space, stripped; what is not text is returned as it is."""
    if not isinstance(value, str):
        return value
    return _LINE_BREAKERS.sub(" ", value).strip()


# -- the directories: enterprises, key projects, monthly progress reports -----------------

ENTERPRISE_FIELDS = (
    "name",
    "credit_code",
    "industry",
    "scale",
    "address",
    "subdistrict",
    "leader",
    "is_active",
)
CONTACT_FIELDS = ("name", "position", "mobile", "office_phone", "email", "is_primary")
PROJECT_FIELDS = (
    "name",
    "level",
    "nature",
    "sector",
    "year",
    "total_investment",
    "annual_plan",
    "completed_this_year",
    "stage",
    "leader",
    "lead_department",
    "owner",
    "start_date",
    "expected_completion",
)


def leader_raising_department():
    """The department a district leader's own issues (领导包联) are raised for.

    A leader belongs to no department; settings.LEDGER["LEADER_RAISING_DEPARTMENT"] names
    one (name or short name), else the first active oversight office (督查机构), which
    assigns them anyway. None when neither exists.
    """
    from django.db.models import Q

    from ledger.models import Department

    active = Department.objects.filter(is_active=True)
    name = settings.LEDGER.get("LEADER_RAISING_DEPARTMENT", "").strip()
    if name:
        return active.filter(Q(name=name) | Q(short_name=name)).order_by("pk").first()
    return active.filter(kind=Department.Kind.OVERSIGHT).order_by("order", "pk").first()


def _contacts_save(enterprise, contacts) -> None:
    """Contacts as the form gives them: [{"id": pk or None, "delete": bool, **fields}].

    Demotions are written before a new primary contact: the database allows one primary
    per enterprise at every statement, not only at the end.
    """
    from ledger.models import Contact

    existing = {contact.pk: contact for contact in enterprise.contacts.all()}
    keep = []
    for item in contacts:
        contact = existing.get(item.get("id"))
        if item.get("delete"):
            if contact is not None:
                contact.delete()
            continue
        if contact is None:
            contact = Contact(enterprise=enterprise)
        for name in CONTACT_FIELDS:
            setattr(contact, name, item.get(name) or ("" if name != "is_primary" else False))
        keep.append(contact)
    for contact in sorted(keep, key=lambda c: c.is_primary):
        contact.full_clean()
        contact.save()
    # an enterprise's only contact is the one to call: it is the primary contact
    remaining = list(enterprise.contacts.all()[:2])
    if len(remaining) == 1 and not remaining[0].is_primary:
        remaining[0].is_primary = True
        remaining[0].save(update_fields=["is_primary"])


def enterprise_create(*, actor, data: dict, contacts=(), verified: bool | None = None):
    """Add an enterprise to the directory (and its contacts).

    What the oversight office adds is verified; what others add (a sub-district office, staff
    while logging) is 待核实 until the office confirms it (enterprise_verify).
    """
    from ledger.models import Enterprise

    inline = verified is False
    if not (
        actor.has_perm("ledger.add_enterprise")
        or (inline and actor.has_perm("ledger.add_enterprise_inline"))
    ):
        raise PermissionDenied
    enterprise = Enterprise(added_by=actor)
    for name in ENTERPRISE_FIELDS:
        if name in data:
            setattr(enterprise, name, data[name])
    enterprise.is_verified = actor.sees_everything and not inline
    enterprise.full_clean()
    with transaction.atomic():
        enterprise.save()
        _contacts_save(enterprise, contacts)
    return enterprise


def enterprise_update(*, actor, enterprise, data: dict, contacts=()):
    """Change an enterprise's fields and contacts."""
    if not actor.has_perm("ledger.change_enterprise", enterprise):
        raise PermissionDenied
    for name in ENTERPRISE_FIELDS:
        if name in data:
            setattr(enterprise, name, data[name])
    enterprise.full_clean()
    with transaction.atomic():
        enterprise.save()
        _contacts_save(enterprise, contacts)
    return enterprise


def enterprise_verify(*, actor, enterprise):
    """核实: the oversight office confirms an enterprise added by staff."""
    if not actor.has_perm("ledger.verify_enterprise"):
        raise PermissionDenied
    if not enterprise.is_verified:
        enterprise.is_verified = True
        enterprise.save(update_fields=["is_verified"])
    return enterprise


def project_create(*, actor, data: dict):
    from ledger.models import KeyProject

    if not actor.has_perm("ledger.add_project"):
        raise PermissionDenied
    project = KeyProject(**{name: data[name] for name in PROJECT_FIELDS if name in data})
    project.full_clean()
    project.save()
    return project


def project_update(*, actor, project, data: dict):
    if not actor.has_perm("ledger.change_project", project):
        raise PermissionDenied
    for name in PROJECT_FIELDS:
        if name in data:
            setattr(project, name, data[name])
    project.full_clean()
    project.save()
    return project


def project_progress_report(*, actor, project, month, completed_this_year, stage, note="", at=None):
    """投资进度月报: record (or correct) one month's figures, kept as history.

    The latest month's figures become the project's completed_this_year and stage, so its
    序时进度 pace flag moves with what was really done. A cumulative figure may not be
    smaller than an earlier month's nor larger than a later month's.
    """
    import datetime

    from django.utils import timezone

    from ledger.models import ProjectProgress

    if not actor.has_perm("ledger.report_progress", project):
        raise PermissionDenied
    at = at or timezone.now()
    month = datetime.date(month.year, month.month, 1)
    today = timezone.localdate(at)
    errors = {}
    if month.year != project.year:
        errors["month"] = _("月份应在项目的计划年度 %(year)s 年内。") % {"year": project.year}
    elif month > today.replace(day=1):
        errors["month"] = _("不能填报尚未到来的月份。")
    with transaction.atomic():
        # one report at a time per project: the figures are compared with the neighbours
        project = type(project).objects.select_for_update().get(pk=project.pk)
        reports = ProjectProgress.objects.filter(project=project)
        before = reports.filter(month__lt=month).order_by("-month").first()
        after = reports.filter(month__gt=month).order_by("month").first()
        if before is not None and completed_this_year < before.completed_this_year:
            errors["completed_this_year"] = _(
                "本年累计完成投资不能少于 %(month)s 已填报的 %(amount)s 万元。"
            ) % {"month": f"{before.month:%Y-%m}", "amount": before.completed_this_year}
        elif after is not None and completed_this_year > after.completed_this_year:
            errors["completed_this_year"] = _(
                "本年累计完成投资不能多于 %(month)s 已填报的 %(amount)s 万元。"
            ) % {"month": f"{after.month:%Y-%m}", "amount": after.completed_this_year}
        if errors:
            raise ValidationError(errors)
        report, _created = ProjectProgress.objects.update_or_create(
            project=project,
            month=month,
            defaults={
                "completed_this_year": completed_this_year,
                "stage": stage,
                "note": note,
                "reported_by": actor,
                "reported_at": at,
            },
        )
        if after is None:
            project.completed_this_year = completed_this_year
            project.stage = stage
            project.save(update_fields=["completed_this_year", "stage"])
    return report
