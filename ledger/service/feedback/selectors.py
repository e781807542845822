"""Reads of the feedback room: the enterprise's view of its issue, the issue page's panel,
the 企业服务考核评价 table, and the office's list of 不满意 ratings awaiting 销号."""

from dataclasses import dataclass, field

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from ledger.models import Department, Issue
from ledger.rates import Rate
from ledger.selectors import count_rows, visible_to
from ledger.states import Status

from .models import FeedbackLink, FeedbackRating

# the status in plain words, as the enterprise reads it
PLAIN_STATUS = {
    Status.RAISED: _("已收到，正在确定办理单位"),
    Status.ASSIGNED: _("已交给办理单位，等待接手办理"),
    Status.IN_PROGRESS: _("正在办理"),
    Status.RESOLVED: _("已办理完毕，请您评价"),
    Status.CLOSED: _("已办结"),
}


@dataclass(frozen=True)
class PublicIssue:
    """Only what the enterprise is meant to see; the template gets this, never the Issue."""

    number: str
    title: str
    status: str
    status_text: str
    deadline: object
    lead_department: str
    enterprise: str
    progress: str
    progress_note: str
    resolution: str
    milestones: list = field(default_factory=list)
    is_resolved: bool = False
    is_closed: bool = False


def public_issue(link: FeedbackLink) -> PublicIssue:
    """The issue as its enterprise sees it: number, title, status in plain words, deadline,
    lead department, the lead department's latest 进展反馈 and 办结情况, and the dates of the
    milestones. No event, comment, urge, person or other issue."""
    issue = link.issue
    milestones = [
        (_("登记受理"), issue.raised_at),
        (_("交办"), issue.assigned_at),
        (_("开始办理"), issue.accepted_at),
        (_("办理完毕"), issue.resolved_at),
        (_("销号"), issue.closed_at),
    ]
    return PublicIssue(
        number=issue.number,
        title=issue.title,
        status=issue.status,
        status_text=str(PLAIN_STATUS.get(issue.status, "")),
        deadline=issue.deadline,
        lead_department=issue.lead_department.name if issue.lead_department_id else "",
        enterprise=issue.enterprise.name if issue.enterprise_id else "",
        progress=issue.get_progress_display() if issue.progress else "",
        progress_note=issue.progress_note,
        resolution=issue.resolution,
        milestones=[(label, at) for label, at in milestones if at],
        is_resolved=issue.status == Status.RESOLVED,
        is_closed=issue.status == Status.CLOSED,
    )


def current_rating(issue_id: int) -> FeedbackRating | None:
    return FeedbackRating.objects.filter(issue_id=issue_id, is_current=True).first()


def live_link(issue_id: int) -> FeedbackLink | None:
    return (
        FeedbackLink.objects.select_related("contact", "created_by")
        .filter(issue_id=issue_id, revoked_at__isnull=True)
        .first()
    )


def dissatisfied_awaiting_close(user):
    """不满意 ratings (current) on issues still 已办结（待销号） that `user` may see."""
    return (
        FeedbackRating.objects.filter(
            is_current=True,
            rating=Issue.Satisfaction.DISSATISFIED,
            issue__status=Status.RESOLVED,
            issue__in=visible_to(user),
        )
        .select_related("issue", "issue__lead_department")
        .order_by("-rated_at")
    )


# -- 企业服务考核评价 -----------------------------------------------------------------------

SATISFIED = [Issue.Satisfaction.SATISFIED, Issue.Satisfaction.BASICALLY]
RATED = [s.value for s in Issue.Satisfaction]
COUNTED = [Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]
DONE = [Status.RESOLVED, Status.CLOSED]


@dataclass
class ServiceRow:
    department: Department
    done: int
    done_enterprise: int
    enterprise_rated: int
    enterprise_satisfied: int
    enterprise_dissatisfied: int
    office_rated: int
    office_satisfied: int

    @property
    def enterprise_callback(self):
        return Rate(self.enterprise_rated, self.done_enterprise)

    @property
    def enterprise_satisfaction(self):
        return Rate(self.enterprise_satisfied, self.enterprise_rated)

    @property
    def office_satisfaction(self):
        return Rate(self.office_satisfied, self.office_rated)


def enterprise_service(user, period) -> dict:
    """Per lead department, for the issues the assessment counts in `period` (deadline in the
    period, assigned and not withdrawn; see docs/feedback.md): 已办结 (all, and those about an
    enterprise), the enterprises' own ratings and 满意率, the office's recorded 满意率, and the
    不满意 cases. Departments with no resolved issue about an enterprise and no rating are
    left out. Four queries."""
    issues = visible_to(user).filter(
        deadline__gte=period.start,
        deadline__lte=period.end,
        status__in=COUNTED,
        lead_department__isnull=False,
    )
    counts = (
        issues.order_by()
        .values("lead_department")
        .annotate(
            done=count_rows(filter=Q(status__in=DONE)),
            # only an issue about an enterprise can have a link
            done_enterprise=count_rows(filter=Q(status__in=DONE, enterprise__isnull=False)),
            office_rated=count_rows(filter=Q(satisfaction__in=RATED)),
            office_satisfied=count_rows(filter=Q(satisfaction__in=SATISFIED)),
        )
    )
    # the enterprises' ratings are few: counted from their table, by the rated issue's
    # department (a test per issue row cost half a second for a year of a million issues)
    rated = (
        FeedbackRating.objects.filter(is_current=True, issue__in=issues.values("pk"))
        .order_by()
        .values(department=F("issue__lead_department"))
        .annotate(
            enterprise_rated=Count("issue", distinct=True),
            enterprise_satisfied=Count("issue", distinct=True, filter=Q(rating__in=SATISFIED)),
            enterprise_dissatisfied=Count(
                "issue", distinct=True, filter=Q(rating=Issue.Satisfaction.DISSATISFIED)
            ),
        )
    )
    rated = {row.pop("department"): row for row in rated}
    none_rated = {"enterprise_rated": 0, "enterprise_satisfied": 0, "enterprise_dissatisfied": 0}
    counts = [{**row, **rated.get(row["lead_department"], none_rated)} for row in counts]
    counts = {row.pop("lead_department"): row for row in counts}
    departments = Department.objects.filter(pk__in=list(counts)).order_by("order", "name")
    rows = [
        ServiceRow(department=d, **counts[d.pk])
        for d in departments
        if counts[d.pk]["done_enterprise"] or counts[d.pk]["enterprise_rated"]
    ]
    cases = (
        FeedbackRating.objects.filter(
            is_current=True,
            rating=Issue.Satisfaction.DISSATISFIED,
            issue__in=issues.values("pk"),
        )
        .select_related("issue", "issue__lead_department")
        .order_by("issue__lead_department__order", "issue__number")
    )
    return {"rows": rows, "cases": list(cases)}
