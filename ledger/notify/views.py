"""Views of ledger.notify: the notification list, the bell's unread count, marking read,
and the preferences page. Only the recipient ever sees or marks a notification."""

import contextlib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ledger.forms.fields import is_pk
from ledger.selectors import visible_to

from .models import Kind, Notification
from .services import (
    notification_mark_read,
    notification_target,
    notification_text,
    notifications_mark_all_read,
    preference_for,
    preference_update,
    unread_count,
)

PAGE_SIZE = 20


@login_required
@require_GET
def notification_list(request):
    only_unread = request.GET.get("unread") == "1"
    # a notification outlives the reader's right to see its issue (a reassignment): the
    # issue's current number, title and the sentence are shown only while it is visible
    notifications = (
        Notification.objects.filter(recipient=request.user)
        .annotate(issue_visible=Exists(visible_to(request.user).filter(pk=OuterRef("issue_id"))))
        .select_related("issue", "actor")
        .order_by("-created_at", "-id")
    )
    if only_unread:
        notifications = notifications.filter(read_at=None)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    for notification in page:
        if notification.issue_visible:
            notification.text = notification_text(notification)
    return render(
        request,
        "notify/notification_list.html",
        {
            "page_obj": page,
            "only_unread": only_unread,
            "unread": unread_count(request.user),
            "page_query": "unread=1" if only_unread else "",
        },
    )


@require_GET
def notification_count(request):
    """The bell's badge, loaded by htmx after the page so pages' own queries do not change.

    Not login_required: after the session expires, a redirect would make htmx put the login
    page inside the bell; an anonymous request gets an empty answer instead.
    """
    if not request.user.is_authenticated:
        return HttpResponse("")
    return render(request, "notify/_bell_count.html", {"unread": unread_count(request.user)})


@login_required
@require_GET
def notification_open(request, pk: int):
    """A notification's link (opened in this tab or a new one): go on to what it is about
    (notification_target), saying which notification brought the person there. The bell of
    the page they arrive at marks it read (notification_arrived): a GET never writes."""
    notification = (
        Notification.objects.filter(pk=pk, recipient=request.user).select_related("issue").first()
    )
    if notification is None:
        raise Http404
    if not request.user.has_perm("ledger.view_issue", notification.issue):
        messages.info(request, _("该问题已不在您的查看范围内。"))
        return redirect("notify:notification_list")
    target = notification_target(notification, request.user)
    joiner = "&" if "?" in target else "?"
    return redirect(f"{target}{joiner}{ARRIVED_PARAM}={notification.pk}")


# the query parameter notification_open adds to the page it leads to
ARRIVED_PARAM = "notification"


@require_POST
def notification_arrived(request):
    """Sent by the bell (htmx, with the CSRF token) of the page a notification's link led to:
    mark that notification read if it is the user's own, and answer with the bell's count.
    Anything else (someone else's, a stale or made-up number) marks nothing."""
    if not request.user.is_authenticated:
        return HttpResponse("")
    raw = request.GET.get("pk", "")
    if is_pk(raw):  # a number any primary key column holds (no overflow error from the database)
        with contextlib.suppress(Notification.DoesNotExist):
            notification_mark_read(user=request.user, notification_id=int(raw))
    return render(request, "notify/_bell_count.html", {"unread": unread_count(request.user)})


@login_required
@require_POST
def notification_read_all(request):
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("已将 %(count)s 条通知标为已读。") % {"count": count})
    return redirect("notify:notification_list")


class PreferenceForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("邮件语言"),
        choices=settings.LANGUAGES,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    email_on = forms.MultipleChoiceField(
        label=gettext_lazy("通过邮件接收以下通知"),
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=gettext_lazy("未勾选的类型只在站内通知中显示，不发邮件。"),
    )


@login_required
def notification_preferences(request):
    preference = preference_for(request.user)
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            email_on = set(form.cleaned_data["email_on"])
            preference_update(
                user=request.user,
                language=form.cleaned_data["language"],
                email_off=[kind for kind in Kind.values if kind not in email_on],
            )
            messages.success(request, _("通知设置已保存。"))
            return redirect("notify:notification_preferences")
    else:
        form = PreferenceForm(
            initial={
                "language": preference.language,
                "email_on": [k for k in Kind.values if preference.wants_email(k)],
            }
        )
    return render(
        request,
        "notify/preferences.html",
        {
            "form": form,
            "has_email": bool(request.user.email),
            "list_url": reverse("notify:notification_list"),
        },
    )
