"""The one door for directory writes: enterprises with their contacts, key projects and their
monthly progress reports (<thing>_<verb>, keyword-only).

The app's forms, the ledger import (an enterprise first seen in a sheet) and the master-data
import all write through here, so who may add, change or verify, `added_by`, "at most one
primary contact" and the model's validation are decided once. Writing directly stays with
fixtures only: the demo seeding (seed_demo, ledger/demo.py) and the bulk loaders of
ledger/scale/ build whole worlds at once; the Django admin saves through its own ModelAdmin.
django-simple-history records the request's user (HistoryRequestMiddleware) as before: the
door does not set `_history_user`.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger.models import Contact, Enterprise, KeyProject, ProjectProgress

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


def _fields_set(obj, data: dict, names: tuple) -> None:
    """Copy `data` onto `obj`; a key the door does not write is an error, not silently lost."""
    unknown = set(data) - set(names)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no writable field(s) {sorted(unknown)}")
    for name in names:
        if name in data:
            setattr(obj, name, data[name])


# -- enterprises -----------------------------------------------------------------------------


def enterprise_create(*, actor, data: dict, contacts=(), verified: bool | None = None):
    """Add an enterprise to the directory (and its contacts).

    What the oversight office adds is verified; what others add (a sub-district office, staff
    while logging) is 待核实 until the office confirms it (enterprise_verify).
    """
    inline = verified is False
    if not (
        actor.has_perm("ledger.add_enterprise")
        or (inline and actor.has_perm("ledger.add_enterprise_inline"))
    ):
        raise PermissionDenied
    enterprise = Enterprise(added_by=actor)
    _fields_set(enterprise, data, ENTERPRISE_FIELDS)
    enterprise.is_verified = actor.sees_everything and not inline
    enterprise.full_clean()
    with transaction.atomic():
        enterprise.save()
        _contacts_save(enterprise, contacts)
    return enterprise


def enterprise_update(*, actor, enterprise, data: dict, contacts=None):
    """Change an enterprise's fields and, when `contacts` is given (the form's whole list),
    its contacts; `contacts=None` leaves them as they are (an import changing a field)."""
    if not actor.has_perm("ledger.change_enterprise", enterprise):
        raise PermissionDenied
    _fields_set(enterprise, data, ENTERPRISE_FIELDS)
    enterprise.full_clean()
    with transaction.atomic():
        enterprise.save()
        if contacts is not None:
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


# -- contacts --------------------------------------------------------------------------------


def _contact_save(contact) -> None:
    """Validate and save one contact. A primary contact demotes the enterprise's other one
    first: the database allows one primary per enterprise at every statement, not only at
    the end. Each demotion is saved (not queryset.update) so history records it."""
    if contact.is_primary:
        others = Contact.objects.filter(enterprise_id=contact.enterprise_id, is_primary=True)
        if contact.pk is not None:
            others = others.exclude(pk=contact.pk)
        for other in others:
            other.is_primary = False
            other.save(update_fields=["is_primary"])
    contact.full_clean()
    contact.save()


def _contacts_save(enterprise, contacts) -> None:
    """Contacts as the form gives them: [{"id": pk or None, "delete": bool, **fields}]."""
    contacts = list(contacts)
    primaries = [c for c in contacts if c.get("is_primary") and not c.get("delete")]
    if len(primaries) > 1:
        raise ValidationError(_("只能有一位主要联系人，请只勾选一人。"), code="primary_contacts")
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
    # the primary one last, so the contacts this list demotes are saved before it
    for contact in sorted(keep, key=lambda c: c.is_primary):
        _contact_save(contact)
    # an enterprise's only contact is the one to call: it is the primary contact
    remaining = list(enterprise.contacts.all()[:2])
    if len(remaining) == 1 and not remaining[0].is_primary:
        remaining[0].is_primary = True
        remaining[0].save(update_fields=["is_primary"])


def contact_create(*, actor, enterprise, data: dict):
    """Add one contact to an enterprise (the master-data import's row); made the primary
    contact, it takes the place of the one before."""
    if not actor.has_perm("ledger.change_enterprise", enterprise):
        raise PermissionDenied
    contact = Contact(enterprise=enterprise)
    _fields_set(contact, data, CONTACT_FIELDS)
    with transaction.atomic():
        _contact_save(contact)
    return contact


def contact_update(*, actor, contact, data: dict):
    """Change one contact's fields; made the primary contact, it takes the place of the one
    before."""
    if not actor.has_perm("ledger.change_enterprise", contact.enterprise):
        raise PermissionDenied
    _fields_set(contact, data, CONTACT_FIELDS)
    with transaction.atomic():
        _contact_save(contact)
    return contact


def contact_delete(*, actor, contact) -> None:
    """Remove one contact; an enterprise's only remaining contact becomes its primary one, as
    when the page's list is saved."""
    enterprise = contact.enterprise
    if not actor.has_perm("ledger.change_enterprise", enterprise):
        raise PermissionDenied
    with transaction.atomic():
        contact.delete()
        remaining = list(enterprise.contacts.all()[:2])
        if len(remaining) == 1 and not remaining[0].is_primary:
            remaining[0].is_primary = True
            remaining[0].save(update_fields=["is_primary"])


# -- key projects ----------------------------------------------------------------------------


def project_create(*, actor, data: dict):
    """Add a key project (the oversight office)."""
    if not actor.has_perm("ledger.add_project"):
        raise PermissionDenied
    project = KeyProject()
    _fields_set(project, data, PROJECT_FIELDS)
    project.full_clean()
    project.save()
    return project


def project_update(*, actor, project, data: dict):
    """Change a key project's fields."""
    if not actor.has_perm("ledger.change_project", project):
        raise PermissionDenied
    _fields_set(project, data, PROJECT_FIELDS)
    project.full_clean()
    project.save()
    return project


def project_progress_report(*, actor, project, month, completed_this_year, stage, note="", at=None):
    """投资进度月报: record (or correct) one month's figures, kept as history.

    The latest month's figures become the project's completed_this_year and stage, so its
    序时进度 pace flag moves with what was really done. A cumulative figure may not be
    smaller than an earlier month's nor larger than a later month's.
    """
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
