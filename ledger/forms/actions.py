"""Forms for the actions on an issue page: one form per workflow action.

They parse and explain input (dates, required reasons, files) so a person gets a
message next to the field; workflow.transition() still decides and writes, and
its refusals are put back on the same fields by the view. Every form carries the
issue `version` it was built from, so a change made meanwhile is detected.
"""

import datetime

from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger import workdays, workflow
from ledger.forms.fields import MultiLineCharField, PkMultipleChoiceField, SingleLineCharField
from ledger.forms.widgets import AttachmentsField
from ledger.models import Department, ExtensionRequest, Issue, Leader
from ledger.services import attachments_validate_batch
from ledger.states import TRANSITIONS, Action

NOTE_MAX_LENGTH = 5000


def _day_after(day: datetime.date) -> datetime.date:
    """The next day; a deadline stored as 9999-12-31 (before the horizon) has none."""
    return day if day == datetime.date.max else day + datetime.timedelta(days=1)


class DateInput(forms.DateInput):
    """The browser's date picker; the value is always sent as YYYY-MM-DD."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _note(
    label, *, required: bool, help_text="", rows: int = 3, required_message=None
) -> forms.CharField:
    """A reason or note; `required_message` says what is missing ("请说明退回理由。")."""
    return MultiLineCharField(
        label=label,
        required=required,
        max_length=NOTE_MAX_LENGTH,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": required_message or _("此项为必填项。")},
    )


def _date(label, *, required: bool = True, help_text="", required_message=None) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=DateInput(),
        error_messages={
            "required": required_message or _("请填写日期。"),
            "invalid": _("请输入有效的日期，例如 2026-11-30。"),
        },
    )


class ActionForm(forms.Form):
    """What every action form has: the issue version it was built from."""

    action: Action
    # the workflow keeps uploaded files on these actions' events
    accepts_files = False
    # fields passed to workflow.transition() besides `note`
    data_fields: tuple[str, ...] = ()
    # deadlines: a weekend or holiday is warned of and the next working day offered
    # (static/js/workdays.js before submitting, nonworking_warnings() after)
    workday_fields: tuple[str, ...] = ()
    submit_label = _("提交")

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={
            "required": _("页面信息不完整，请刷新页面后重新提交。"),
            "invalid": _("页面信息不完整，请刷新页面后重新提交。"),
            "min_value": _("页面信息不完整，请刷新页面后重新提交。"),
        },
    )

    def __init__(self, *args, issue: Issue, user, today: datetime.date | None = None, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {**self.initial_for(issue), **kwargs["initial"]}
        super().__init__(*args, **kwargs)
        self.issue = issue
        self.user = user
        self.today = today or timezone.localdate()
        if self.accepts_files:
            self.fields["attachments"] = AttachmentsField(
                help_text=_("可多选。允许的类型：%(types)s；单个文件不超过 %(max)s。")
                % {
                    "types": ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS),
                    "max": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
                }
            )
        self.horizon = workflow.deadline_horizon(self.today)
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget.attrs["max"] = self.horizon.isoformat()
        for name in self.workday_fields:
            self.fields[name].widget.attrs["data-workday-check"] = ""

    def initial_for(self, issue: Issue) -> dict:
        return {"version": issue.version}

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        if files:
            attachments_validate_batch(files, already=self.issue.attachments.count())
        return files

    def clean(self):
        cleaned = super().clean()
        # every date an action sets is a deadline: none beyond the horizon (workflow checks too)
        for name, field in self.fields.items():
            value = cleaned.get(name)
            if isinstance(field, forms.DateField) and value and value > self.horizon:
                self.add_error(
                    name,
                    _("日期不能晚于 %(latest)s（今天起 %(years)s 年内）。")
                    % {
                        "latest": self.horizon.isoformat(),
                        "years": settings.LEDGER["DEADLINE_HORIZON_YEARS"],
                    },
                )
        return cleaned

    def workday_values(self) -> dict:
        """The deadlines this form sets, by field name (a valid form)."""
        return {name: self.cleaned_data.get(name) for name in self.workday_fields}

    def nonworking_warnings(self) -> list[str]:
        """For each deadline set on a weekend or holiday: the day and the next working day."""
        warnings = []
        for name, day in self.workday_values().items():
            text = workdays.nonworking_warning(str(self.fields[name].label), day)
            if text:
                warnings.append(text)
        return warnings

    def submitted_version(self) -> int | None:
        """The version the page was built from, read even when the form is not valid."""
        value = str(self.data.get("version", "")).strip()
        return int(value) if value.isdigit() and len(value) < 10 else None

    def _no_earlier_than_today(self, name: str) -> None:
        value = self.cleaned_data.get(name)
        if value is not None and value < self.today:
            self.add_error(
                name, _("完成时限不能早于今天（%(today)s）。") % {"today": self.today.isoformat()}
            )

    def _set_min_date(self, name: str, minimum: datetime.date) -> None:
        self.fields[name].widget.attrs["min"] = minimum.isoformat()

    # -- what the view hands to the workflow ---------------------------------------------

    def transition_kwargs(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.data_fields}
        data["note"] = self.cleaned_data.get("note") or ""
        data["expected_version"] = self.cleaned_data["version"]
        data["files"] = self.cleaned_data.get("attachments") or []
        return data


class AssignForm(ActionForm):
    """交办: responsible leader, lead department, co-departments and deadline."""

    action = Action.ASSIGN
    submit_label = Action.ASSIGN.label
    data_fields = (
        "leader",
        "lead_department",
        "co_departments",
        "deadline",
        "is_long_term",
        "measures",
        "responsible_person",
    )
    workday_fields = ("deadline",)

    leader = forms.ModelChoiceField(
        label=_("责任领导"),
        queryset=Leader.objects.none(),
        empty_label=_("请选择"),
        error_messages={"required": _("请选择责任领导。")},
    )
    lead_department = forms.ModelChoiceField(
        label=_("牵头单位"),
        queryset=Department.objects.none(),
        empty_label=_("请选择"),
        error_messages={"required": _("请选择牵头单位。")},
    )
    co_departments = PkMultipleChoiceField(
        label=_("配合单位"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("可多选；牵头单位不必再选。"),
    )
    deadline = _date(_("完成时限"), required=False)
    is_long_term = forms.BooleanField(
        label=_("长期坚持（不设完成时限）"),
        required=False,
        help_text=_(
            "长期坚持、持续推进的事项不设完成时限，牵头单位按周期报送进展，逾期未报自动催办。"
        ),
    )
    responsible_person = SingleLineCharField(label=_("责任人"), max_length=50, required=False)
    measures = _note(_("整改措施"), required=False)
    note = _note(_("交办意见"), required=False, rows=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = Leader.objects.filter(is_active=True).select_related(
            "user"
        )
        departments = Department.objects.filter(is_active=True)
        self.fields["lead_department"].queryset = departments
        self.fields["co_departments"].queryset = departments
        self._set_min_date("deadline", self.today)

    def initial_for(self, issue):
        initial = super().initial_for(issue)
        initial.update(
            leader=issue.leader_id,
            lead_department=issue.lead_department_id,
            co_departments=[d.pk for d in issue.co_departments.all()],
            deadline=issue.deadline,
            is_long_term=issue.is_long_term,
            measures=issue.measures,
            responsible_person=issue.responsible_person,
        )
        return initial

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_long_term"):
            # long-term wins over a date left in the field (the reassign form prefills it)
            cleaned["deadline"] = None
            self.errors.pop("deadline", None)
        elif cleaned.get("deadline") is None and "deadline" not in self.errors:
            self.add_error("deadline", _("请填写完成时限，或选择“长期坚持”。"))
        self._no_earlier_than_today("deadline")
        lead = cleaned.get("lead_department")
        if lead is not None and cleaned.get("co_departments") is not None:
            # the lead department is not also its own co-department
            cleaned["co_departments"] = [d for d in cleaned["co_departments"] if d.pk != lead.pk]
        cleaned["measures"] = (cleaned.get("measures") or "").strip()
        cleaned["responsible_person"] = cleaned.get("responsible_person") or ""
        return cleaned


class ReassignForm(AssignForm):
    """改派: the same fields as 交办, prefilled with the current ones."""

    action = Action.REASSIGN
    submit_label = Action.REASSIGN.label
    note = _note(_("改派说明"), required=False, rows=2)


class AcceptForm(ActionForm):
    """签收: the lead department confirms it takes the issue on."""

    action = Action.ACCEPT
    submit_label = _("确认签收")
    note = _note(_("签收意见"), required=False, rows=2, help_text=_("选填。"))


class ReturnForm(ActionForm):
    action = Action.RETURN
    submit_label = Action.RETURN.label
    note = _note(
        _("退回理由"),
        required=True,
        help_text=_("例如：不属于本单位职责，建议交由某单位办理。"),
        required_message=_("请说明退回理由。"),
    )


class ProgressForm(ActionForm):
    action = Action.PROGRESS
    accepts_files = True
    submit_label = _("提交进展")
    data_fields = ("progress",)

    progress = forms.ChoiceField(
        label=_("进展情况"),
        choices=[
            (value, label)
            for value, label in Issue.Progress.choices
            if value != Issue.Progress.DONE
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择进展情况。")},
    )
    note = _note(_("进展说明"), required=True, required_message=_("请填写进展说明。"))

    def initial_for(self, issue):
        initial = super().initial_for(issue)
        if issue.progress and issue.progress != Issue.Progress.DONE:
            initial["progress"] = issue.progress
        return initial


class ExtensionRequestForm(ActionForm):
    action = Action.EXTENSION_REQUEST
    submit_label = _("提交延期申请")
    data_fields = ("new_deadline",)
    workday_fields = ("new_deadline",)

    new_deadline = _date(_("申请延至"), required_message=_("请填写申请延至的日期。"))
    note = _note(_("延期理由"), required=True, required_message=_("请说明延期理由。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.issue.deadline:
            self.fields["new_deadline"].help_text = _("当前时限：%(deadline)s。") % {
                "deadline": self.issue.deadline.isoformat()
            }
            self._set_min_date(
                "new_deadline",
                max(_day_after(self.issue.deadline), self.today),
            )

    def clean_new_deadline(self):
        value = self.cleaned_data["new_deadline"]
        current = self.issue.deadline
        if current is not None and value <= current:
            raise ValidationError(
                _("申请延至的日期须晚于当前时限（%(deadline)s）。")
                % {"deadline": current.isoformat()}
            )
        return value


class ExtensionApproveForm(ActionForm):
    """批准延期: to the requested date, or to another one the approver grants."""

    action = Action.EXTENSION_APPROVE
    submit_label = _("批准延期")
    data_fields = ("granted_deadline",)
    workday_fields = ("granted_deadline",)

    granted_deadline = _date(
        _("批准延至"),
        required=False,
        help_text=_("默认为申请的日期；可改为其他日期（不早于今天，须晚于当前时限）。"),
    )
    note = _note(_("审批意见"), required=False, rows=2, help_text=_("选填。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending = self.issue.extensions.filter(state=ExtensionRequest.State.PENDING).first()
        minimum = self.today
        if self.issue.deadline:
            minimum = max(minimum, _day_after(self.issue.deadline))
        self._set_min_date("granted_deadline", minimum)
        if self.pending is not None and not self.is_bound:
            self.initial["granted_deadline"] = self.pending.requested_deadline

    def workday_values(self) -> dict:
        granted = self.cleaned_data.get("granted_deadline")
        if granted is None and self.pending is not None:
            granted = self.pending.requested_deadline  # left blank: what was asked for
        return {"granted_deadline": granted}

    def clean_granted_deadline(self):
        value = self.cleaned_data["granted_deadline"]
        if value is None or self.pending is not None and value == self.pending.requested_deadline:
            return value  # what was asked for, checked when it was asked
        if value < self.today:
            raise ValidationError(
                _("批准的日期不能早于今天（%(today)s）。") % {"today": self.today.isoformat()}
            )
        current = self.issue.deadline
        if current is not None and value <= current:
            raise ValidationError(
                _("批准的日期须晚于当前时限（%(deadline)s）。") % {"deadline": current.isoformat()}
            )
        return value


class ExtensionRejectForm(ActionForm):
    action = Action.EXTENSION_REJECT
    submit_label = _("驳回延期")
    note = _note(_("驳回理由"), required=True, required_message=_("请说明驳回理由。"))


class ResolveForm(ActionForm):
    action = Action.RESOLVE
    accepts_files = True
    submit_label = _("提交办结")
    data_fields = ("resolution",)

    resolution = MultiLineCharField(
        label=_("办结情况"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("写明问题如何解决、结果如何，可附照片或文件。"),
        error_messages={"required": _("办结须填写办结情况。")},
    )


class CloseForm(ActionForm):
    action = Action.CLOSE
    submit_label = Action.CLOSE.label
    data_fields = ("satisfaction",)

    satisfaction = forms.ChoiceField(
        label=_("满意度"),
        choices=Issue.Satisfaction.choices,
        widget=forms.RadioSelect,
        help_text=_("企业（群众）对办理结果的评价。"),
        error_messages={"required": _("请选择满意度。")},
    )
    note = _note(
        _("满意度说明"),
        required=False,
        rows=2,
        help_text=_("例如回访情况。选择“不满意”时必填，写明企业不满意之处。"),
    )
    # the page warns that an unsatisfied enterprise normally means 重办, and links to it
    offers_reopen = True

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("satisfaction") == Issue.Satisfaction.DISSATISFIED
            and not (cleaned.get("note") or "").strip()
        ):
            self.add_error("note", _("选择“不满意”时须说明原因；如需继续办理，请改为“重办”。"))
        return cleaned


class ReopenForm(ActionForm):
    action = Action.REOPEN
    submit_label = Action.REOPEN.label
    data_fields = ("deadline", "is_long_term")
    workday_fields = ("deadline",)

    deadline = _date(_("新的完成时限"), required=False)
    is_long_term = forms.BooleanField(
        label=_("长期坚持（不设完成时限）"),
        required=False,
        help_text=_(
            "长期坚持、持续推进的事项不设完成时限，牵头单位按周期报送进展，逾期未报自动催办。"
        ),
    )
    note = _note(_("重办理由"), required=True, required_message=_("请说明重办理由。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_min_date("deadline", self.today)
        if not self.issue.is_long_term:
            # a dated issue is reopened with a new deadline; only a long-term one may stay so
            del self.fields["is_long_term"]

    def initial_for(self, issue):
        return {**super().initial_for(issue), "is_long_term": issue.is_long_term}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_long_term"):
            cleaned["deadline"] = None
            self.errors.pop("deadline", None)
        elif cleaned.get("deadline") is None and "deadline" not in self.errors:
            message = (
                _("请填写重办后的完成时限，或选择“长期坚持”。")
                if "is_long_term" in self.fields
                else _("请填写重办后的完成时限。")
            )
            self.add_error("deadline", message)
        self._no_earlier_than_today("deadline")
        return cleaned


class WithdrawForm(ActionForm):
    action = Action.WITHDRAW
    submit_label = Action.WITHDRAW.label
    note = _note(
        _("撤销理由"),
        required=True,
        help_text=_("例如：与某编号问题重复。"),
        required_message=_("请说明撤销理由。"),
    )


class UrgeForm(ActionForm):
    action = Action.URGE
    submit_label = Action.URGE.label
    note = _note(_("催办意见"), required=False, rows=2, help_text=_("选填。"))


class EscalateForm(ActionForm):
    action = Action.ESCALATE
    submit_label = _("列为督办件")
    note = _note(_("督办理由"), required=True, required_message=_("请说明督办理由。"))


class CommentForm(ActionForm):
    action = Action.COMMENT
    accepts_files = True
    submit_label = _("添加备注")
    note = _note(_("备注内容"), required=True, required_message=_("请填写备注内容。"))


# every action of states.TRANSITIONS except `edit`, which has its own screen
ACTION_FORMS: dict[Action, type[ActionForm]] = {
    form.action: form
    for form in (
        AssignForm,
        ReassignForm,
        AcceptForm,
        ReturnForm,
        ProgressForm,
        ExtensionRequestForm,
        ExtensionApproveForm,
        ExtensionRejectForm,
        ResolveForm,
        CloseForm,
        ReopenForm,
        WithdrawForm,
        UrgeForm,
        EscalateForm,
        CommentForm,
    )
}


def _forms_bound_to_actions() -> None:
    """Each form hands workflow.transition() only the input its action's module declares
    (ActionSpec.inputs), and covers every offered row but `edit` (IssueEditForm): a field
    renamed on one side fails here at import, not as a TypeError on a person's click."""
    offered = set(TRANSITIONS) - {Action.EDIT}
    if set(ACTION_FORMS) != offered:
        raise ImproperlyConfigured(f"action forms {sorted(ACTION_FORMS)} != {sorted(offered)}")
    for action, form in ACTION_FORMS.items():
        extra = set(form.data_fields) - workflow.SPECS[action].inputs
        if extra:
            raise ImproperlyConfigured(f"{form.__name__} passes {sorted(extra)} to {action}")


_forms_bound_to_actions()
