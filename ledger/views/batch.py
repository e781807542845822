"""Views: batch actions of the oversight office on the ledger (催办 or 交办 several at once).

The ledger's checkboxes (supervisors and administrators only) open /issues/batch/ with the
chosen numbers; that page lists them and asks what to do; its POST performs the action on
each issue through workflow.transition(), one transaction and one event per issue, so a
refusal on one is reported for that issue and does not stop the others. The outcome is
shown on a page of its own (post/redirect/get: going back does not post again).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from ledger import selectors, workdays, workflow
from ledger.forms.fields import PkMultipleChoiceField
from ledger.models import Department, Leader
from ledger.states import Action

# at most this many issues in one batch (the numbers travel in the URL of the GET step)
BATCH_MAX = 200
BATCH_ACTIONS = {
    Action.URGE.value: Action.URGE,
    Action.ASSIGN.value: Action.ASSIGN,
}
SESSION_KEY = "ledger_batch_result"


class BatchForm(forms.Form):
    action = forms.ChoiceField(
        label=gettext_lazy("批量操作"),
        choices=[
            (Action.URGE.value, Action.URGE.label),
            (Action.ASSIGN.value, Action.ASSIGN.label),
        ],
        error_messages={"required": gettext_lazy("请选择要执行的操作（催办或交办）。")},
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    leader = forms.ModelChoiceField(
        label=gettext_lazy("责任领导"),
        queryset=Leader.objects.filter(is_active=True).select_related("user"),
        required=False,
        empty_label=gettext_lazy("请选择"),
    )
    lead_department = forms.ModelChoiceField(
        label=gettext_lazy("牵头单位"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        empty_label=gettext_lazy("请选择"),
    )
    # ids that cannot be a primary key are a form error, not an OverflowError in the query
    co_departments = PkMultipleChoiceField(
        label=gettext_lazy("配合单位"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=gettext_lazy("可多选；牵头单位不必再选。"),
        error_messages={
            "invalid_choice": gettext_lazy("所选配合单位无效，请重新选择。"),
            "invalid_pk_value": gettext_lazy("所选配合单位无效，请重新选择。"),
        },
    )
    deadline = forms.DateField(
        label=gettext_lazy("完成时限"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "data-workday-check": ""}),
        error_messages={"invalid": gettext_lazy("请按 2026-01-31 的格式填写完成时限。")},
    )
    note = forms.CharField(
        label=gettext_lazy("说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name in ("action", "co_departments"):
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == Action.ASSIGN.value:
            needed = {
                "leader": _("批量交办须选择责任领导。"),
                "lead_department": _("批量交办须选择牵头单位。"),
                "deadline": _("批量交办须填写完成时限。"),
            }
            for name, message in needed.items():
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, message)
            deadline = cleaned.get("deadline")
            if deadline and deadline < timezone.localdate():
                self.add_error("deadline", _("完成时限不能早于今天。"))
            lead = cleaned.get("lead_department")
            if lead is not None and cleaned.get("co_departments") is not None:
                # the lead department is not also its own co-department
                cleaned["co_departments"] = [d for d in cleaned["co_departments"] if d != lead]
        return cleaned

    def chosen_action(self) -> str:
        """The action the page was opened or posted with ("" when none): only its fields show."""
        value = self["action"].value()
        return value if value in BATCH_ACTIONS else ""


# which of the form's fields each action uses (the page shows only those of the chosen one)
BATCH_FIELDS = {
    Action.URGE.value: ("note",),
    Action.ASSIGN.value: ("leader", "lead_department", "co_departments", "deadline", "note"),
}


def _require_oversight(user):
    if not user.has_perm("ledger.batch_issues"):
        raise PermissionDenied(_("只有督查人员和系统管理员可以批量操作。"))


def _chosen(user, raw_numbers):
    """(issues found in the order given, numbers not found or not visible, too many?)."""
    numbers = []
    for raw in raw_numbers:
        number = str(raw).replace("\x00", "").strip()[:30]
        if number and number not in numbers:
            numbers.append(number)
    too_many = len(numbers) > BATCH_MAX
    numbers = numbers[:BATCH_MAX]
    found = {
        issue.number: issue
        for issue in selectors.ledger_queryset(user)
        .filter(number__in=numbers)
        .prefetch_related("extensions")
    }
    issues = [found[n] for n in numbers if n in found]
    missing = [n for n in numbers if n not in found]
    return issues, missing, too_many


def _render_form(request, form, issues, missing, too_many, *, status=200):
    chosen_action = form["action"].value()
    action = BATCH_ACTIONS.get(chosen_action)
    for issue in issues:
        # what the workflow would say now; the POST asks it again for each issue
        issue.batch_ready = action is not None and action in workflow.available_actions(
            request.user, issue
        )
    return render(
        request,
        "ledger/batch_form.html",
        {
            "form": form,
            "issues": issues,
            "missing": missing,
            "too_many": too_many,
            "batch_max": BATCH_MAX,
            "action": action,
            "chosen": form.chosen_action(),
        },
        status=status,
    )


def _posted_version(post, number: str) -> int | None:
    """The issue version the confirmation page carried for `number` (None if absent or bad)."""
    value = post.get(f"version-{number}", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


@login_required
@require_http_methods(["GET", "POST"])
def issue_batch(request):
    _require_oversight(request.user)
    if request.method == "GET":
        issues, missing, too_many = _chosen(request.user, request.GET.getlist("numbers"))
        form = BatchForm(initial={"action": request.GET.get("action", "")})
        return _render_form(request, form, issues, missing, too_many)

    issues, missing, too_many = _chosen(request.user, request.POST.getlist("numbers"))
    form = BatchForm(request.POST)
    if not issues:
        form.is_valid()
        form.add_error(None, _("请至少选择一个您可以查看的问题。"))
        return _render_form(request, form, issues, missing, too_many, status=400)
    if not form.is_valid():
        return _render_form(request, form, issues, missing, too_many, status=400)
    if any(_posted_version(request.POST, issue.number) is None for issue in issues):
        # without the version the confirmation page showed, a replayed submission would act
        # again on every issue (urge twice): it is refused whole, nothing is done
        form.add_error(
            None,
            _("提交的内容缺少所选问题的版本信息，未办理任何问题。请从台账重新选择问题后再提交。"),
        )
        return _render_form(request, form, issues, missing, too_many, status=400)

    action = BATCH_ACTIONS[form.cleaned_data["action"]]
    data = {}
    if action == Action.ASSIGN:
        data = {
            "leader": form.cleaned_data["leader"],
            "lead_department": form.cleaned_data["lead_department"],
            "co_departments": form.cleaned_data["co_departments"],
            "deadline": form.cleaned_data["deadline"],
        }
    done, refused = [], []
    for issue in issues:
        try:
            # each issue in its own transaction: a refusal rolls back only that issue
            with transaction.atomic():
                workflow.transition(
                    issue.pk,
                    actor=request.user,
                    action=action,
                    note=form.cleaned_data["note"],
                    # the version the confirmation page showed: a resubmitted page (Back,
                    # double click) is refused for every issue it already acted on
                    expected_version=_posted_version(request.POST, issue.number),
                    **data,
                )
        except workflow.TransitionRefused as refusal:
            refused.append({"number": issue.number, "title": issue.title, "reason": str(refusal)})
        else:
            done.append({"number": issue.number, "title": issue.title})
    for number in missing:
        refused.append({"number": number, "title": "", "reason": _("该问题不存在或您无权查看。")})
    if action == Action.ASSIGN and done:
        warning = workdays.nonworking_warning(_("完成时限"), data["deadline"])
        if warning:
            messages.warning(request, warning)
    request.session[SESSION_KEY] = {
        "action": action.value,
        "done": done,
        "refused": refused,
        "too_many": too_many,
    }
    return redirect("issue_batch_result")


@login_required
@require_GET
def issue_batch_result(request):
    _require_oversight(request.user)
    result = request.session.get(SESSION_KEY)
    if not result:
        return redirect("issue_list")
    return render(
        request,
        "ledger/batch_result.html",
        {
            "action": Action(result["action"]),
            "done": result["done"],
            "refused": result["refused"],
            "too_many": result.get("too_many", False),
            "batch_max": BATCH_MAX,
        },
    )


urlpatterns = [
    path("issues/batch/", issue_batch, name="issue_batch"),
    path("issues/batch/result/", issue_batch_result, name="issue_batch_result"),
]
