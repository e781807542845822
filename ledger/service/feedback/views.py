"""Views of the feedback room.

The enterprise's page (/feedback/<token>/) is public: no login, its own bare layout, nothing
but selectors.public_issue(); a token that is altered, unknown, revoked or expired is a
plain 404 before anything is counted or written. The link panel's buttons (create, revoke,
e-mail) are for the lead department and the office (rules.py), each a POST that redirects
back to the issue page.
"""

import datetime
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import decorator_from_middleware
from django.utils.log import log_response
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ledger import selectors as core_selectors
from ledger.client_ip import client_ip
from ledger.models import Issue
from ledger.throttle import throttle_hit

from . import selectors, services
from .forms import LinkCreateForm, RatingForm
from .models import FeedbackLink


def _public_headers(response):
    # The token is in the URL. `same-origin`: the page's address goes as Referer only to this
    # server (which has it anyway), and no other site ever receives it, nor even our origin.
    # Not `no-referrer`: under it browsers post the form with `Origin: null` and no Referer,
    # and Django's CSRF check refuses the enterprise's rating (403).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _not_found(request):
    """Any link that is altered, unknown, revoked or expired: one answer, on the enterprise's
    own layout (never the staff 404, which points into the ledger)."""
    return _public_headers(render(request, "feedback/not_found.html", status=404))


class _PublicCsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF checks, unchanged; only a refusal is the enterprise's own page instead
    of CSRF_FAILURE_VIEW's staff page (页面已过期 … 返回工作台)."""

    def _reject(self, request, reason):
        response = _public_headers(
            render(
                request,
                "feedback/csrf_failure.html",
                {"page_url": request.path},
                status=403,
            )
        )
        add_never_cache_headers(response)  # it links to the token's page, like the page itself
        log_response(
            "Forbidden (%s): %s",
            reason,
            request.path,
            response=response,
            request=request,
            logger=logging.getLogger("django.security.csrf"),
        )
        return response


public_csrf_protect = decorator_from_middleware(_PublicCsrfMiddleware)


def _throttled(link: FeedbackLink, request) -> bool:
    conf = settings.LEDGER
    limits = {
        f"link:{link.pk}": conf["FEEDBACK_POSTS_PER_LINK"],
        f"ip:{client_ip(request)}": conf["FEEDBACK_POSTS_PER_ADDRESS"],
    }
    window = datetime.timedelta(minutes=conf["FEEDBACK_WINDOW_MINUTES"])
    return throttle_hit("feedback_rating", limits, window=window)


# the site-wide CSRF middleware skips this view only because public_csrf_protect makes the
# very same checks (token, Origin, Referer on HTTPS) with the public refusal page
@csrf_exempt
@public_csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def feedback_public(request, token):
    link = services.link_for_token(token)
    if link is None:
        return _not_found(request)
    status = 200
    form = RatingForm()
    if request.method == "POST":
        if _throttled(link, request):
            response = render(
                request,
                "feedback/throttled.html",
                {"window_minutes": settings.LEDGER["FEEDBACK_WINDOW_MINUTES"]},
                status=429,
            )
            return _public_headers(response)
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                services.rating_submit(
                    link=link,
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                )
            except services.FeedbackRefused as refusal:
                form.add_error(
                    refusal.field if refusal.field in form.fields else None, refusal.message
                )
            else:
                return _public_headers(redirect(f"{request.path}?saved=1"))
        status = 400
        link = services.link_for_token(token) or link
    rating = selectors.current_rating(link.issue_id)
    if rating is not None and request.method == "GET":
        form = RatingForm(initial={"rating": rating.rating, "comment": rating.comment})
    context = {
        "issue": selectors.public_issue(link),
        "contact_name": link.contact_name,
        "rating": rating,
        "form": form,
        "saved": request.GET.get("saved") == "1" and rating is not None,
    }
    return _public_headers(render(request, "feedback/public.html", context, status=status))


# -- the link panel's buttons ----------------------------------------------------------------


def _issue(request, number) -> Issue:
    try:
        return core_selectors.issue_for_user(request.user, number)
    except Issue.DoesNotExist:
        raise Http404 from None


def _back(issue):
    return redirect(f"{issue.get_absolute_url()}#feedback-heading")


@login_required
@require_POST
def link_create(request, number):
    issue = _issue(request, number)
    if not request.user.has_perm("feedback.manage_link", issue):
        raise PermissionDenied
    form = LinkCreateForm(request.POST, issue=issue)
    if not form.is_valid():
        messages.error(request, _("所选联系人无效，未生成链接。"))
        return _back(issue)
    try:
        services.link_create(
            actor=request.user,
            issue=issue,
            contact=form.cleaned_data["contact"],
            contact_name=form.cleaned_data["contact_name"],
        )
    except services.FeedbackRefused as refusal:
        messages.error(request, refusal.message + " " + _("未生成链接。"))
    else:
        messages.success(request, _("已生成企业评价链接，请发送给企业联系人。"))
    return _back(issue)


def _live_link(issue, pk) -> FeedbackLink:
    return get_object_or_404(FeedbackLink, pk=pk, issue=issue, revoked_at__isnull=True)


@login_required
@require_POST
def link_revoke(request, number, pk):
    issue = _issue(request, number)
    if not request.user.has_perm("feedback.manage_link", issue):
        raise PermissionDenied
    link = _live_link(issue, pk)
    try:
        services.link_revoke(actor=request.user, link=link)
    except services.FeedbackRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("链接已作废，企业将无法再打开。"))
    return _back(issue)


@login_required
@require_POST
def link_email(request, number, pk):
    issue = _issue(request, number)
    if not request.user.has_perm("feedback.manage_link", issue):
        raise PermissionDenied
    link = _live_link(issue, pk)
    link.issue = issue
    try:
        address = services.link_email(actor=request.user, link=link)
    except services.FeedbackRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, _("链接将通过电子邮件发送至 %(address)s。") % {"address": address}
        )
    return _back(issue)


@login_required
def dissatisfied_list(request):
    """The office's list of 不满意 ratings on issues awaiting 销号 (the navbar shows the count)."""
    if not request.user.sees_everything:
        raise PermissionDenied
    ratings = selectors.dissatisfied_awaiting_close(request.user)
    return render(request, "feedback/dissatisfied.html", {"ratings": ratings})
