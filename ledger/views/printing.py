"""Views: printable pages — the whole filtered ledger, and the 交办单 / 督办单 of one issue.

The printed ledger takes the ledger's own parameters, filters, sort and visibility
(ledger_params, IssueFilter, ledger_order, ledger_queryset), so paper and screen list the
same issues; it lists them all up to LEDGER["PRINT_MAX_ROWS"] and says so beyond. Page
numbers come from the print stylesheet (static/css/print.css, CSS @page counters).
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ledger import selectors
from ledger.filters import IssueFilter, ledger_order, ledger_params, parse_sort
from ledger.models import Department, Issue, IssueEvent
from ledger.states import Action, Status
from ledger.views.ledger import SUBJECT_FILTERS

# statuses from which an issue has been assigned (交办) and so has a 交办单
ASSIGNED_OR_LATER = (Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED)


@login_required
@require_GET
def ledger_print(request):
    params = ledger_params(request.GET)
    filterset = IssueFilter(params or None, queryset=selectors.ledger_queryset(request.user))
    sort = parse_sort(request.GET.get("sort"))
    rows = ledger_order(filterset.qs, sort)
    cap = settings.LEDGER["PRINT_MAX_ROWS"]
    total = rows.count()
    issues = list(rows[:cap])

    errors = []
    if filterset.is_bound:
        for name, problems in filterset.form.errors.items():
            label = filterset.form.fields[name].label if name in filterset.form.fields else name
            errors.append((label, " ".join(str(m) for m in problems)))
    cleaned = getattr(filterset.form, "cleaned_data", {})
    # the filter in words: subjects by name, every other filter as the ledger summarises it
    described = [
        (str(filterset.form.fields[name].label), cleaned[name].name)
        for name in SUBJECT_FILTERS
        if cleaned.get(name)
    ]
    described += [
        (label, text) for name, label, text in filterset.active if name not in SUBJECT_FILTERS
    ]
    query = params.copy()
    query["sort"] = sort
    return render(
        request,
        "ledger/print_ledger.html",
        {
            "issues": issues,
            "total": total,
            "shown": len(issues),
            "cap": cap,
            "is_cut": total > cap,
            "filters": described,
            "filter_errors": errors,
            "printed_at": timezone.localtime(),
            "query": query.urlencode(),
        },
    )


def _visible_issue(user, number) -> Issue:
    try:
        return selectors.issue_for_user(user, number)
    except Issue.DoesNotExist:
        raise Http404 from None


def _last_event(issue: Issue, actions) -> IssueEvent | None:
    return (
        issue.events.filter(action__in=actions)
        .select_related("actor", "actor_department")
        .order_by("-created_at", "-seq")
        .first()
    )


def _local_date(moment):
    return timezone.localdate(moment) if moment is not None else None


def _issuing_office(event: IssueEvent | None):
    """The unit that issued the notice: the department of whoever assigned / escalated,
    else the oversight office."""
    if event is not None and event.actor_department is not None:
        return event.actor_department
    return Department.objects.filter(kind="oversight", is_active=True).order_by("pk").first()


# the events that start a round of handling (交办, 改派, 重办), and the one that moves a round's
# deadline within it (批准延期)
ROUND_ACTIONS = (Action.ASSIGN, Action.REASSIGN, Action.REOPEN)


def assignment_rounds(issue: Issue) -> list[dict]:
    """Each round of handling in order: what started it (交办 / 改派 / 重办), when, by whom,
    its opinion (the event's note) and its own deadline, and the deadline an approved
    extension moved it to. The 交办单 prints them all once the issue was reopened."""
    events = (
        issue.events.filter(action__in=[*ROUND_ACTIONS, Action.EXTENSION_APPROVE])
        .select_related("actor")
        .order_by("seq")
    )
    rounds: list[dict] = []
    for event in events:
        change = event.changes.get("deadline") if isinstance(event.changes, dict) else None
        new = _parse_day(change[1]) if isinstance(change, list) and len(change) == 2 else None
        if event.action == Action.EXTENSION_APPROVE:
            if rounds and new is not None:
                rounds[-1]["extended_to"] = new
            continue
        deadline = new if new is not None else (rounds[-1]["deadline"] if rounds else None)
        rounds.append(
            {
                "number": len(rounds) + 1,
                "action": Action(event.action),
                "on": _local_date(event.created_at),
                "actor": event.actor,
                "note": event.note,
                "deadline": deadline,
                "extended_to": None,
            }
        )
    return rounds


def _parse_day(value):
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@login_required
@require_GET
def notice_assign(request, number):
    """交办单: the assignment notice the lead department signs for and files."""
    issue = _visible_issue(request.user, number)
    if issue.status not in ASSIGNED_OR_LATER or issue.lead_department_id is None:
        messages.warning(request, _("该问题尚未交办，没有交办单。"))
        return redirect(issue)
    event = _last_event(issue, [Action.ASSIGN, Action.REASSIGN])
    return render(
        request,
        "ledger/notice_assign.html",
        {
            "issue": issue,
            "event": event,
            "notice_title": _("问题交办单"),
            "date_label": _("交办日期"),
            "office": _issuing_office(event),
            "issued_on": _local_date(event.created_at if event else issue.assigned_at),
            "accept_days": settings.LEDGER["ACCEPT_WITHIN_WORKING_DAYS"],
            "rounds": assignment_rounds(issue),
        },
    )


@login_required
@require_GET
def notice_escalate(request, number):
    """督办单: the notice of a 督办 (escalated) issue."""
    issue = _visible_issue(request.user, number)
    if not issue.is_escalated:
        messages.warning(request, _("该问题不是督办件，没有督办单。"))
        return redirect(issue)
    event = _last_event(issue, [Action.ESCALATE])
    return render(
        request,
        "ledger/notice_escalate.html",
        {
            "issue": issue,
            "event": event,
            "notice_title": _("问题督办单"),
            "date_label": _("督办日期"),
            "office": _issuing_office(event),
            "issued_on": _local_date(event.created_at if event else None),
        },
    )


urlpatterns = [
    path("issues/print/", ledger_print, name="issue_print"),
    path("issues/<issue_number:number>/notice/assign/", notice_assign, name="issue_notice_assign"),
    path(
        "issues/<issue_number:number>/notice/escalate/",
        notice_escalate,
        name="issue_notice_escalate",
    ),
]
