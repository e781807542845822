"""The parts the service room puts in the core's pages (its slots): each tag reads what it
shows itself, with a fixed number of queries, and only what the user may see."""

from django import template
from django.db.models import Count, Prefetch
from django.utils import timezone

from ledger.selectors import visible_to
from ledger.states import FINAL_STATUSES

from .. import rules, selectors
from ..models import ProcedureIssue, ProjectProcedure, VisitIssue

register = template.Library()

SUBJECT_VISITS_SHOWN = 10
# subjects due for a visit listed on /leaders/me/
DUE_SHOWN = 20


@register.inclusion_tag("service/parts/issue_origin.html", takes_context=True)
def issue_origin(context, issue):
    """来自走访 / 来自代办手续: where an issue came from, linked when the user may see it."""
    user = context["user"]
    link = VisitIssue.objects.select_related("visit__leader__user").filter(issue=issue).first()
    visit = link.visit if link else None
    procedure_link = (
        ProcedureIssue.objects.select_related("procedure__type").filter(issue=issue).first()
    )
    return {
        "visit": visit,
        "may_see_visit": bool(visit and rules.can_view_visit(user, visit)),
        "procedure": procedure_link.procedure if procedure_link else None,
        "issue": issue,
    }


@register.inclusion_tag("service/parts/visits_due.html", takes_context=True)
def visits_due(context, leader):
    today = timezone.localdate()
    start, end = selectors.visit_period(today)
    # the most pressing first (overdue, then longest unvisited); a leader with hundreds of
    # subjects sees the first DUE_SHOWN and a count, not a page of hundreds of rows
    pending, more, visited = selectors.subjects_due_summary(leader, today, DUE_SHOWN)
    return {
        "pending": pending,
        "more": more,
        "leader": leader,
        "visited": visited,
        "start": start,
        "end": end,
        "cycle": selectors.cycle_label(today),
        "OVERDUE": selectors.OVERDUE,
    }


@register.inclusion_tag("service/parts/subject_visits.html", takes_context=True)
def subject_visits(context, subject, kind):
    user = context["user"]
    visits = (
        selectors.visits_visible_to(user)
        .filter(**{kind: subject})
        .select_related("leader__user")
        .annotate(issue_count=Count("issue_links"))
        .order_by("-visited_on", "-id")
    )
    shown = list(visits[: SUBJECT_VISITS_SHOWN + 1])
    return {
        "visits": shown[:SUBJECT_VISITS_SHOWN],
        "more": len(shown) > SUBJECT_VISITS_SHOWN,
        "subject": subject,
        "kind": kind,
        "may_record": bool(rules.can_record_visit(user, subject)),
    }


@register.inclusion_tag("service/parts/procedures.html", takes_context=True)
def procedure_checklist(context, project):
    user = context["user"]
    today = timezone.localdate()
    visible = set(
        visible_to(user)
        .filter(procedure_link__procedure__project=project)
        .values_list("pk", flat=True)
    )
    procedures = list(
        ProjectProcedure.objects.filter(project=project)
        .select_related("type", "department", "agent")
        .prefetch_related(
            Prefetch(
                "issue_links",
                queryset=ProcedureIssue.objects.select_related("issue").order_by("id"),
            )
        )
        .order_by("type__order", "type__name")
    )
    may_plan = bool(rules.can_plan_procedures(user, project))
    counts = {"red": 0, "yellow": 0, "done": 0}
    for procedure in procedures:
        procedure.project = project  # the page's project: no query per row
        procedure.light = procedure.health(today)
        procedure.may_change = bool(rules.can_change_procedure(user, procedure))
        procedure.issues = [
            link.issue for link in procedure.issue_links.all() if link.issue_id in visible
        ]
        procedure.open_issue = next(
            (i for i in procedure.issues if i.status not in FINAL_STATUSES), None
        )
        if procedure.light.value in counts:
            counts[procedure.light.value] += 1
        if procedure.status == ProjectProcedure.Status.DONE:
            counts["done"] += 1
    return {
        "project": project,
        "procedures": procedures,
        "may_plan": may_plan,
        "counts": counts,
        "today": today,
        "user": user,
    }


@register.inclusion_tag("service/parts/coverage_table.html", takes_context=True)
def assessment_coverage(context, period):
    """The assessment's 包联走访覆盖率: the visit cycle the leader's page counts with, named."""
    start, end, label = selectors.assessment_cycle(period.start, period.end)
    return coverage_table(context, start, end, caption=label)


@register.inclusion_tag("service/parts/coverage_table.html", takes_context=True)
def coverage_table(context, start, end, *, caption=""):
    return {
        "rows": selectors.coverage(start, end),
        "start": start,
        "end": end,
        "caption": caption,
        "months_every": selectors.visit_months(),
    }
