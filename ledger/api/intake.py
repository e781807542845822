"""Work orders in: an outside system's work order becomes a ledger issue raised as the
client's account (through the workflow's door, ledger/workflow/raise_.py), or waits in the
待核实 queue until the oversight office picks the names the ledger could not map.

The sender's (client, external id) is the idempotency key (IntakeOrder's unique
constraint): the same work order twice — or twice at once — is one order and one issue.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger import rooms, workflow
from ledger.models import Category, Enterprise, Source
from ledger.validators import credit_code_normalize

from .intake_models import IntakeOrder
from .webhooks import deliveries_queue


@dataclass
class WorkOrder:
    """A work order as the sender wrote it (validated by the API's serializer)."""

    external_system: str
    external_id: str
    title: str
    description: str
    category: str
    reporter_name: str = ""
    reporter_phone: str = ""
    enterprise_name: str = ""
    credit_code: str = ""
    received_at: datetime.datetime | None = None
    deadline: datetime.date | None = None


@dataclass
class Mapped:
    enterprise: Enterprise | None = None
    category: Category | None = None
    source: Source | None = None
    # field name (as the sender calls it) -> why it could not be used
    unknown: dict[str, str] = field(default_factory=dict)


def _named(model, kind: str, text: str):
    """The core's exact name first, then a room's alias (ledger.rooms.match_name)."""
    text = (text or "").strip()
    if not text:
        return None
    # an entry no longer in use (停用, 已注销) is not offered on the screens either
    entries = model.objects.filter(is_active=True)
    found = entries.filter(name=text).first()
    if found is None:
        pk = rooms.match_name(kind, text)
        found = entries.filter(pk=pk).first() if pk is not None else None
    return found


def names_map(client, order: WorkOrder) -> Mapped:
    """What the ledger makes of the sender's names."""
    mapped = Mapped()
    code = credit_code_normalize(order.credit_code)
    if code:
        mapped.enterprise = Enterprise.objects.filter(credit_code=code, is_active=True).first()
    if mapped.enterprise is None and order.enterprise_name:
        mapped.enterprise = _named(Enterprise, "enterprise", order.enterprise_name)
    if mapped.enterprise is None and (code or order.enterprise_name.strip()):
        field_name = "enterprise_name" if order.enterprise_name.strip() else "credit_code"
        mapped.unknown[field_name] = _("名录中没有这家企业：%(name)s") % {
            "name": order.enterprise_name.strip() or code
        }
    category = _named(Category, "category", order.category)
    if category is None:
        mapped.unknown["category"] = _("无法识别的问题类别：%(name)s") % {"name": order.category}
    elif not category_allowed(client, category):
        mapped.unknown["category"] = _("此客户端不能设置问题类别“%(name)s”。") % {
            "name": category.name
        }
    else:
        mapped.category = category
    mapped.source = client.source or _named(Source, "source", order.external_system)
    if mapped.source is None:
        mapped.unknown["external_system"] = _(
            "无法确定问题来源：客户端未设来源，名录中也没有“%(name)s”。"
        ) % {"name": order.external_system}
    return mapped


def category_allowed(client, category) -> bool:
    allowed = set(client.categories.values_list("pk", flat=True))
    return not allowed or category.pk in allowed


def description_of(order: IntakeOrder) -> str:
    """The issue's description: the sender's text and a line naming the work order, so the
    issue page shows where it came from."""
    parts = [
        _("来源工单：%(system)s %(id)s")
        % {"system": order.external_system, "id": order.external_id}
    ]
    if order.reporter_name or order.reporter_phone:
        parts.append(
            _("反映人：%(name)s %(phone)s")
            % {"name": order.reporter_name, "phone": order.reporter_phone}
        )
    if order.received_at:
        parts.append(
            _("来件时间：%(at)s")
            % {"at": timezone.localtime(order.received_at).strftime("%Y-%m-%d %H:%M")}
        )
    if order.sender_deadline:
        parts.append(_("来件办理时限：%(date)s") % {"date": order.sender_deadline.isoformat()})
    return f"{order.description.strip()}\n\n【{'；'.join(parts)}】"


def _raise(order: IntakeOrder, *, enterprise, category, source) -> None:
    """Raise the order's issue as the client's account (inside the caller's transaction)."""
    client = order.client
    issue = workflow.issue_raise(
        actor=client.account,
        raising_department=client.department,
        title=order.title,
        description=description_of(order),
        category=category,
        source=source,
        enterprise=enterprise,
    )
    order.issue = issue
    order.enterprise = enterprise
    order.category = category
    order.state = IntakeOrder.State.RAISED


class NamesUnknown(Exception):
    def __init__(self, unknown: dict[str, str]):
        super().__init__(unknown)
        self.unknown = unknown


@dataclass
class Received:
    order: IntakeOrder
    created: bool  # False: the same work order had come before


def intake_receive(*, client, order: WorkOrder) -> Received:
    """Take a work order: the existing one for its external id, or a new order raised at once
    (every name known) or left pending. NamesUnknown when the client is strict about names;
    workflow.TransitionRefused when the door refuses the issue."""
    existing = IntakeOrder.objects.filter(client=client, external_id=order.external_id).first()
    if existing is not None:
        return Received(existing, created=False)
    mapped = names_map(client, order)
    if mapped.unknown and client.strict_names:
        raise NamesUnknown(mapped.unknown)
    row = IntakeOrder(
        client=client,
        external_system=order.external_system,
        external_id=order.external_id,
        title=order.title,
        description=order.description,
        reporter_name=order.reporter_name,
        reporter_phone=order.reporter_phone,
        enterprise_name=order.enterprise_name,
        credit_code=order.credit_code,
        category_name=order.category,
        received_at=order.received_at,
        sender_deadline=order.deadline,
        enterprise=mapped.enterprise,
        category=mapped.category,
        unknown=sorted(mapped.unknown),
    )
    try:
        with transaction.atomic():
            # the row first: a second identical call waits here on the unique index until this
            # one commits, then fails and returns this order — it never reaches issue_raise
            row.save()
            if not mapped.unknown:
                _raise(
                    row,
                    enterprise=mapped.enterprise,
                    category=mapped.category,
                    source=mapped.source,
                )
                row.save(update_fields=["issue", "enterprise", "category", "state"])
    except IntegrityError:
        existing = IntakeOrder.objects.filter(client=client, external_id=order.external_id).first()
        if existing is None:
            raise
        return Received(existing, created=False)
    return Received(row, created=True)


def _pending_locked(pk: int) -> IntakeOrder:
    order = (
        IntakeOrder.objects.select_for_update(of=("self",))
        .select_related("client__account", "client__department", "client__source")
        .get(pk=pk)
    )
    if order.state != IntakeOrder.State.PENDING:
        raise workflow.TransitionRefused(
            _("该工单已由%(who)s处理（%(state)s）。")
            % {"who": order.decided_by or _("他人"), "state": order.get_state_display()}
        )
    return order


def intake_raise(*, order_id: int, actor, enterprise, category, source) -> IntakeOrder:
    """The oversight office picked the names: raise the pending order's issue, still as the
    client's account and for its department."""
    if not actor.has_perm("ledger.oversee_issue"):
        raise workflow.TransitionRefused(_("只有督查室可以处理待核实工单。"))
    with transaction.atomic():
        order = _pending_locked(order_id)
        _raise(order, enterprise=enterprise, category=category, source=source)
        order.decided_by = actor
        order.decided_at = timezone.now()
        order.unknown = []
        order.save()
    return order


def intake_reject(*, order_id: int, actor, reason: str) -> IntakeOrder:
    """The oversight office refused the pending order: the sender hears it by webhook."""
    if not actor.has_perm("ledger.oversee_issue"):
        raise workflow.TransitionRefused(_("只有督查室可以处理待核实工单。"))
    reason = (reason or "").strip()
    if not reason:
        raise workflow.TransitionRefused(
            _("请说明退回理由。"), field_errors={"reason": _("请说明退回理由。")}
        )
    with transaction.atomic():
        order = _pending_locked(order_id)
        order.state = IntakeOrder.State.REJECTED
        order.reject_reason = reason
        order.decided_by = actor
        order.decided_at = order_now = timezone.now()
        order.save()
        deliveries_queue(
            order.client,
            "intake_rejected",
            {
                "event": "intake_rejected",
                "occurred_at": order_now.isoformat(),
                "external_system": order.external_system,
                "external_id": order.external_id,
                "reason": reason,
            },
        )
    return order
