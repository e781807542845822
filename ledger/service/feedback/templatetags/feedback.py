"""The feedback room's parts of core pages (slots): each tag reads through selectors.py."""

import segno
from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .. import links, selectors
from ..forms import LinkCreateForm
from ..rules import can_manage_feedback_link
from ..services import issue_may_have_link

register = template.Library()


def qr_svg(url: str) -> str:
    """The link as an inline SVG QR code: paths only (no script, no style attribute), so the
    page's strict CSP holds."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=4, svgclass="feedback-qr", lineclass=None, title=_("二维码"))
    # segno's own markup of a URL it encoded (escaped inside <title>): nothing from a person
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308


@register.inclusion_tag("feedback/_issue_panel_body.html", takes_context=True)
def feedback_issue_panel(context):
    issue, user, request = context["issue"], context["user"], context.get("request")
    # the predicate itself: a has_perm that rules answers False would fall through to
    # Django's ModelBackend, two queries on every issue page of those who may not
    can_manage = can_manage_feedback_link.test(user, issue) and issue_may_have_link(issue)
    rating = selectors.current_rating(issue.pk) if issue.enterprise_id else None
    data = {"issue": issue, "can_manage": can_manage, "rating": rating, "show": False}
    if not issue.enterprise_id or not (can_manage or rating):
        return data
    data["show"] = True
    if can_manage:
        link = selectors.live_link(issue.pk)
        if link is not None:
            link.issue = issue
            url = links.link_url(link, request)
            data.update(
                {
                    "link": link,
                    "url": url,
                    "qr": qr_svg(url),
                    "is_live": link.is_live(),
                    "has_email": bool(link.contact_id and link.contact.email),
                }
            )
        data["form"] = LinkCreateForm(issue=issue)
    return data


@register.inclusion_tag("feedback/_close_rating_body.html")
def feedback_close_rating(issue):
    rating = selectors.current_rating(issue.pk) if issue.enterprise_id else None
    return {"rating": rating, "issue": issue}


@register.inclusion_tag("feedback/_assessment_table.html", takes_context=True)
def feedback_assessment(context):
    period = context.get("period")
    user = context["user"]
    if period is None:
        return {"table": None}
    return {"table": selectors.enterprise_service(user, period), "period": period}


@register.inclusion_tag("feedback/_nav_body.html", takes_context=True)
def feedback_nav(context):
    user = context["user"]
    if not (user.is_authenticated and user.sees_everything):
        return {"count": None}
    return {"count": selectors.dissatisfied_awaiting_close(user).count()}
