"""Demo data of the feedback room: enterprise links on demo issues, and enterprise ratings
on resolved ones (one 不满意), written through services.py like a real rating. Two demo issues
are rated by their enterprise just before the office strikes them off (the core's demo calls
`feedback_before_close` between 办结 and 销号), so some closed issues carry a rating too.

Idempotent: once any demo issue has a link, nothing more is seeded. Ratings are dated shortly
after the issue's last event, on that (working) day, so the demo timelines still run
forward on working days in the past.
"""

import datetime

from django.utils import timezone

from ledger import demo
from ledger.models import Issue, User
from ledger.states import Status

from . import services
from .models import FeedbackLink, FeedbackRating

# the resolved demo issues about an enterprise, in ledger order, get these ratings; the
# next one gets a link and no rating yet (the screenshot of the rating form)
RATINGS = [
    ("satisfied", "办理及时，感谢区里的帮助。"),
    ("dissatisfied", "问题没有得到根本解决，希望尽快重新办理，并及时告知进展。"),
    ("basically", "问题已解决，希望今后沟通再及时一些。"),
]
CLOSED_LINKS = 2
# enterprise ratings given just before 销号, agreeing with the office's satisfaction
BEFORE_CLOSE = {
    "satisfied": "问题解决得很彻底，感谢各部门。",
    "basically": "已经解决，就是时间长了一些。",
}
BEFORE_CLOSE_COUNT = 2


def feedback_seed(*, today: datetime.date, stdout) -> int:
    office = User.objects.filter(username__in=demo.USERNAMES, role=User.Role.SUPERVISOR).first()
    if office is None:
        return 0
    candidates = (
        Issue.objects.filter(title__in=demo.DEMO_TITLES, enterprise__isnull=False)
        .select_related("enterprise")
        .order_by("year", "seq")
    )
    if FeedbackLink.objects.filter(issue__in=candidates, issue__status=Status.RESOLVED).exists():
        return 0  # seeded before
    resolved = list(candidates.filter(status=Status.RESOLVED)[: len(RATINGS) + 1])
    closed = list(
        candidates.filter(status=Status.CLOSED, feedback_links__isnull=True)[:CLOSED_LINKS]
    )
    rated = 0
    for issue in resolved + closed:
        contact = issue.enterprise.contacts.order_by("-is_primary", "pk").first()
        link = services.link_create(
            actor=office, issue=issue, contact=contact, contact_name="企业联系人"
        )
        if issue.status != Status.RESOLVED or rated >= len(RATINGS):
            continue
        last = issue.events.order_by("-seq").values_list("created_at", flat=True).first()
        at = last + datetime.timedelta(minutes=37)
        if timezone.localtime(at).date() != timezone.localtime(last).date() or (
            timezone.localtime(at).date() >= today
        ):
            continue
        rating, comment = RATINGS[rated]
        services.rating_submit(link=link, rating=rating, comment=comment, at=at)
        rated += 1
    if resolved or closed:
        stdout.write(f"企业服务评价：{len(resolved) + len(closed)} 个链接，{rated} 条企业评价\n")
    return rated


def feedback_before_close(*, issue: Issue, at: datetime.datetime, satisfaction: str) -> None:
    """Called by the core's demo just before it strikes a demo issue off: the first two about
    an enterprise whose office satisfaction is 满意 or 基本满意 get a link and the enterprise's
    own rating, the same as the office's."""
    if not issue.enterprise_id or satisfaction not in BEFORE_CLOSE:
        return
    if issue.status != Status.RESOLVED:
        return
    rated_closed = FeedbackRating.objects.filter(
        issue__title__in=demo.DEMO_TITLES, issue__status=Status.CLOSED
    ).count()
    rated_now = FeedbackRating.objects.filter(issue=issue).exists()
    if rated_now or rated_closed >= BEFORE_CLOSE_COUNT:
        return
    office = User.objects.filter(username__in=demo.USERNAMES, role=User.Role.SUPERVISOR).first()
    if office is None:
        return
    contact = issue.enterprise.contacts.order_by("-is_primary", "pk").first()
    link = services.link_create(
        actor=office, issue=issue, contact=contact, contact_name="企业联系人"
    )
    services.rating_submit(
        link=link, rating=satisfaction, comment=BEFORE_CLOSE[satisfaction], at=at
    )
