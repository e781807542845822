"""The 待核实 queue: work orders whose names the ledger could not map, for the oversight office
to complete (pick the enterprise, category and source) and raise, or reject with a reason."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ledger import workflow
from ledger.forms.issue import EnterpriseChooserField
from ledger.forms.widgets import ChooserInput
from ledger.models import Category, Enterprise, Source

from .intake import intake_raise, intake_reject
from .intake_models import IntakeOrder

PAGE_SIZE = 50


def _require_office(user) -> None:
    if not user.has_perm("ledger.oversee_issue"):
        raise PermissionDenied


class RaiseForm(forms.Form):
    enterprise = EnterpriseChooserField(
        label=gettext_lazy("企业"),
        queryset=Enterprise.objects.none(),
        lookup_url=reverse_lazy("enterprise_lookup"),
        placeholder=gettext_lazy("输入企业名称或统一社会信用代码"),
        widget=ChooserInput(
            lookup_url=reverse_lazy("enterprise_lookup"),
            placeholder=gettext_lazy("输入企业名称或统一社会信用代码"),
        ),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("问题类别"),
        queryset=Category.objects.none(),
        empty_label=gettext_lazy("请选择"),
        error_messages={"required": gettext_lazy("请选择问题类别。")},
    )
    source = forms.ModelChoiceField(
        label=gettext_lazy("问题来源"),
        queryset=Source.objects.none(),
        empty_label=gettext_lazy("请选择"),
        error_messages={"required": gettext_lazy("请选择问题来源。")},
    )

    def __init__(self, *args, order: IntakeOrder, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.fields["enterprise"].queryset = Enterprise.objects.filter(
            Q(is_active=True) | Q(pk=order.enterprise_id)
        )
        categories = Category.objects.filter(is_active=True)
        allowed = order.client.categories.all()
        if allowed.exists():
            categories = categories.filter(pk__in=allowed)
        self.fields["category"].queryset = categories
        self.fields["source"].queryset = Source.objects.filter(is_active=True)
        self.initial.setdefault("enterprise", order.enterprise)
        self.initial.setdefault("category", order.category)
        self.initial.setdefault("source", order.client.source)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("退回理由"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("请说明退回理由。")},
        help_text=gettext_lazy("理由随推送告知来源系统。"),
    )


@login_required
def intake_queue(request):
    _require_office(request.user)
    states = dict(IntakeOrder.State.choices)
    state = request.GET.get("state") or IntakeOrder.State.PENDING
    if state not in states:
        state = IntakeOrder.State.PENDING
    orders = IntakeOrder.objects.filter(state=state).select_related("client", "issue", "decided_by")
    if state == IntakeOrder.State.PENDING:
        orders = orders.order_by("created_at", "pk")  # the oldest waits longest
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "api/intake_queue.html",
        {"page": page, "state": state, "states": states.items()},
    )


def _order_page(request, order, raise_form, reject_form, status=200):
    return render(
        request,
        "api/intake_order.html",
        {"order": order, "raise_form": raise_form, "reject_form": reject_form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def intake_order(request, pk):
    """The order as it came, and (while pending) the forms to raise or reject it."""
    _require_office(request.user)
    order = get_object_or_404(
        IntakeOrder.objects.select_related("client__source", "enterprise", "category", "issue"),
        pk=pk,
    )
    if request.method == "GET" or order.state != IntakeOrder.State.PENDING:
        if request.method == "POST":
            messages.error(request, _("该工单已处理，无需再次操作。"))
            return redirect("api:intake_order", pk=order.pk)
        return _order_page(request, order, RaiseForm(order=order), RejectForm())
    form = RaiseForm(request.POST, order=order)
    if not form.is_valid():
        return _order_page(request, order, form, RejectForm())
    try:
        order = intake_raise(
            order_id=order.pk,
            actor=request.user,
            enterprise=form.cleaned_data["enterprise"],
            category=form.cleaned_data["category"],
            source=form.cleaned_data["source"],
        )
    except workflow.TransitionRefused as refused:
        form.add_error(None, refused.message)
        for name, message in refused.field_errors.items():
            form.add_error(name if name in form.fields else None, message)
        return _order_page(request, order, form, RejectForm())
    messages.success(request, _("已登记为问题 %(number)s。") % {"number": order.issue.number})
    return redirect("issue_detail", number=order.issue.number)


@login_required
@require_POST
def intake_reject_view(request, pk):
    _require_office(request.user)
    order = get_object_or_404(IntakeOrder.objects.select_related("client__source"), pk=pk)
    if order.state != IntakeOrder.State.PENDING:
        messages.error(request, _("该工单已处理，无需再次操作。"))
        return redirect("api:intake_order", pk=order.pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _order_page(request, order, RaiseForm(order=order), form)
    try:
        intake_reject(order_id=order.pk, actor=request.user, reason=form.cleaned_data["reason"])
    except workflow.TransitionRefused as refused:
        form.add_error("reason" if "reason" in refused.field_errors else None, refused.message)
        return _order_page(request, order, RaiseForm(order=order), form)
    messages.success(request, _("已退回该工单，来源系统将收到通知。"))
    return redirect("api:intake_queue")


urlpatterns = [
    path("intake/queue/", intake_queue, name="intake_queue"),
    path("intake/queue/<int:pk>/", intake_order, name="intake_order"),
    path("intake/queue/<int:pk>/reject/", intake_reject_view, name="intake_reject"),
]
