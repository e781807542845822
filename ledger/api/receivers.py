"""Receivers of the core's signals: webhook deliveries queued after commit."""

from __future__ import annotations

from ledger.signals import issue_event_written
from ledger.states import Action

# the workflow actions a client hears of, by the event name it subscribes to
ACTION_EVENTS = {
    Action.ASSIGN: "assigned",
    Action.REASSIGN: "assigned",
    Action.ACCEPT: "accepted",
    Action.EXTENSION_APPROVE: "extension_granted",
    Action.RESOLVE: "resolved",
    Action.RETURN: "returned",
    Action.CLOSE: "closed",
}


def _display(issue, name: str) -> str:
    value = getattr(issue, name)
    return str(value) if value is not None else ""


def payload_of(event, order) -> dict:
    """The JSON a client receives for one event on an issue it raised."""
    issue = event.issue
    name = ACTION_EVENTS[event.action]
    payload = {
        "event": name,
        "action": event.action,
        "occurred_at": event.created_at.isoformat(),
        "external_system": order.external_system if order else "",
        "external_id": order.external_id if order else "",
        "issue": {
            "number": issue.number,
            "title": issue.title,
            "status": issue.status,
            "deadline": issue.deadline.isoformat() if issue.deadline else None,
            "leader": _display(issue, "leader"),
            "lead_department": _display(issue, "lead_department"),
        },
        "note": event.note,
    }
    if name == "resolved":
        payload["resolution"] = issue.resolution
    if name == "closed":
        payload["satisfaction"] = issue.satisfaction
        payload["satisfaction_note"] = issue.satisfaction_note
    return payload


def webhooks_on_events(sender, events, **kwargs) -> None:
    """Inside the transaction that wrote `events`: a delivery for every subscription of the
    client that raised each issue (enqueued once that transaction commits)."""
    # import here: receivers are connected from AppConfig.ready, before models may be used
    from .intake_models import IntakeOrder
    from .models import ApiClient
    from .webhooks import deliveries_queue

    wanted = [event for event in events if event.action in ACTION_EVENTS]
    if not wanted:
        return
    raisers = {event.issue.raised_by_id for event in wanted}
    clients = {
        client.account_id: client
        for client in ApiClient.objects.filter(account_id__in=raisers, webhooks__is_active=True)
    }
    if not clients:
        return
    orders = {
        order.issue_id: order
        for order in IntakeOrder.objects.filter(issue_id__in={e.issue_id for e in wanted})
    }
    for event in wanted:
        client = clients.get(event.issue.raised_by_id)
        if client is not None:
            payload = payload_of(event, orders.get(event.issue_id))
            deliveries_queue(client, payload["event"], payload)


def receivers_connect() -> None:
    """Connect the room's receivers (called once from ApiConfig.ready)."""
    issue_event_written.connect(webhooks_on_events, dispatch_uid="api.webhooks_on_events")
