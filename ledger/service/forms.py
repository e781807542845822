"""Forms of the service room: a visit with its problems (a formset), a procedure, and the
confirmation that raises a late procedure as an issue. The rules themselves are in
services.py; the forms only collect and explain."""

from django import forms
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.forms.fields import PkMultipleChoiceField, SingleLineCharField
from ledger.forms.widgets import AttachmentsField
from ledger.models import Category, Contact, Department, Issue, User
from ledger.rooms import people_only
from ledger.services.creation import creation_token_field

from .models import ProjectProcedure
from .services import PHOTO_EXTENSIONS, contacts_enterprise_id


def _person_label(person) -> str:
    if not person.department_id:
        return str(person)
    return _("%(name)s（%(department)s）") % {"name": person, "department": person.department.label}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


# accounts the system signs with (zz_system: automatic 催办; zz_enterprise: the enterprises'
# ratings): nobody can sign in with them (unusable password), so nobody chooses them either
SYSTEM_USERNAME_PREFIX = "zz_"


def people_choosable():
    """Active accounts a person may be chosen among: never a system account (nor a room's,
    such as an API client's service account)."""
    return (
        people_only(User.objects.filter(is_active=True))
        .exclude(role=User.Role.SYSTEM)
        .exclude(
            username__startswith=SYSTEM_USERNAME_PREFIX,
            password__startswith=UNUSABLE_PASSWORD_PREFIX,
        )
    )


def _companion_choices(user, subject):
    """People who may have gone along: the actor and their department, the departments
    serving the subject, the oversight office, the 分包 leader's own account."""
    departments = {user.department_id}
    departments.add(getattr(subject, "subdistrict_id", None))
    departments.add(getattr(subject, "lead_department_id", None))
    departments.discard(None)
    condition = (
        Q(department_id__in=departments)
        | Q(department__kind=Department.Kind.OVERSIGHT)
        | Q(pk=user.pk)
    )
    if subject.leader_id:
        condition |= Q(leader_profile=subject.leader_id)
    return (
        people_choosable()
        .filter(condition)
        .select_related("department")
        .order_by("department__order", "name", "username")
    )


def _contact_choices(subject):
    """The enterprise's contacts; for a key project, its owner's (业主单位)."""
    return Contact.objects.filter(enterprise_id=contacts_enterprise_id(subject))


class VisitForm(forms.Form):
    """登记走访 / 修改走访: the record itself; the problems are a formset beside it."""

    visited_on = forms.DateField(
        label=_("走访日期"),
        widget=DateInput(),
        error_messages={
            "required": _("请填写走访日期。"),
            "invalid": _("请按 年-月-日 填写日期。"),
        },
    )
    leader_attended = forms.BooleanField(
        label=_("分包领导亲自参加"),
        required=False,
        initial=True,
        help_text=_("工作人员代为走访时取消勾选；只有领导亲自参加的走访计入走访覆盖率。"),
    )
    companions = PkMultipleChoiceField(
        label=_("参加人员"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    companions_text = SingleLineCharField(label=_("其他参加人员"), max_length=200, required=False)
    contacts = PkMultipleChoiceField(
        label=_("接待人员（企业联系人）"),
        queryset=Contact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    met_text = SingleLineCharField(
        label=_("其他接待人员"),
        max_length=200,
        required=False,
        help_text=_("不在联系人名单中的，写姓名和职务。"),
    )
    summary = forms.CharField(
        label=_("走访情况"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请填写走访情况。")},
    )
    no_problems = forms.BooleanField(
        label=_("未反映问题"),
        required=False,
        help_text=_("企业或项目没有反映需要协调的问题时勾选。"),
    )
    photos = AttachmentsField(label=_("现场照片"))
    # single use (services.creation_once): a second submission of the page records nothing
    creation_token = creation_token_field()

    def __init__(self, *args, user, subject, visit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.subject = subject
        self.visit = visit
        self.fields["companions"].queryset = _companion_choices(user, subject)
        self.fields["companions"].label_from_instance = lambda person: _person_label(person)
        contacts = _contact_choices(subject)
        self.fields["contacts"].queryset = contacts
        self.fields["contacts"].label_from_instance = lambda contact: (
            _("%(name)s（%(position)s）") % {"name": contact.name, "position": contact.position}
            if contact.position
            else contact.name
        )
        self.fields["photos"].widget.attrs["accept"] = "image/jpeg,image/png,image/gif"
        self.fields["photos"].help_text = _(
            "可多选，最多 %(count)s 张；%(types)s 格式，单张不超过 %(max)s。"
        ) % {
            "count": settings.LEDGER["VISIT_MAX_PHOTOS"],
            "types": ", ".join(PHOTO_EXTENSIONS),
            "max": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
        }
        if visit is not None:
            del self.fields["no_problems"]
            del self.fields["creation_token"]  # a change is no creation
        elif not self.is_bound:
            self.fields["visited_on"].initial = timezone.localdate()

    def clean_visited_on(self):
        day = self.cleaned_data["visited_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("走访日期不能晚于今天。"))
        return day

    def service_fields(self) -> dict:
        data = {
            name: self.cleaned_data.get(name)
            for name in (
                "visited_on",
                "leader_attended",
                "companions",
                "companions_text",
                "contacts",
                "met_text",
                "summary",
            )
        }
        data["photos"] = self.cleaned_data.get("photos") or []
        if "no_problems" in self.fields:
            data["no_problems"] = bool(self.cleaned_data.get("no_problems"))
        return data


class ProblemForm(forms.Form):
    """One problem heard on the visit: it becomes a ledger issue."""

    title = SingleLineCharField(label=_("问题标题"), max_length=200)
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ModelChoiceField(
        label=_("问题类别"), queryset=Category.objects.none(), empty_label=_("请选择")
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"), choices=Issue.Urgency.choices, initial=Issue.Urgency.NORMAL
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        for name, message in (
            ("title", _("请填写问题标题。")),
            ("description", _("请填写问题描述。")),
            ("category", _("请选择问题类别。")),
        ):
            self.fields[name].error_messages["required"] = message

    def has_changed(self):
        # a blank problem row is left out; the urgency's default alone is not an entry
        return any(
            str(self.data.get(self.add_prefix(name), "")).strip()
            for name in ("title", "description", "category")
        )


class BaseProblemFormSet(forms.BaseFormSet):
    def problems(self) -> list[dict]:
        return [
            form.cleaned_data
            for form in self.forms
            if form.has_changed() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


ProblemFormSet = forms.formset_factory(
    ProblemForm, formset=BaseProblemFormSet, extra=2, max_num=10, validate_max=True
)


class ProcedureForm(forms.Form):
    """A procedure's status and dates; department and 代办员 for those who assign them."""

    status = forms.ChoiceField(label=_("状态"), choices=ProjectProcedure.Status.choices)
    planned_on = forms.DateField(label=_("计划办结日期"), required=False, widget=DateInput())
    done_on = forms.DateField(
        label=_("办结日期"),
        required=False,
        widget=DateInput(),
        help_text=_("状态为“已办结”时填写。"),
    )
    note = SingleLineCharField(label=_("说明"), max_length=200, required=False)
    department = forms.ModelChoiceField(
        label=_("办理单位"), queryset=Department.objects.none(), required=False
    )
    agent = forms.ModelChoiceField(label=_("代办员"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, procedure, may_assign: bool, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "status": procedure.status,
                "planned_on": procedure.planned_on,
                "done_on": procedure.done_on,
                "note": procedure.note,
                # a row without a unit offers the one its type usually goes to
                "department": procedure.department_id or procedure.type.default_department_id,
                "agent": procedure.agent_id,
            },
        )
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        if may_assign:
            self.fields["department"].queryset = Department.objects.filter(
                Q(is_active=True) | Q(pk=procedure.department_id)
            )
            self.fields["agent"].queryset = (
                User.objects.filter(
                    Q(
                        pk__in=people_choosable()
                        .filter(role__in=[User.Role.STAFF, User.Role.SUPERVISOR])
                        .values("pk")
                    )
                    | Q(pk=procedure.agent_id)
                )
                .select_related("department")
                .order_by("department__order", "name", "username")
            )
            self.fields["agent"].label_from_instance = lambda person: _person_label(person)
        else:
            del self.fields["department"]
            del self.fields["agent"]

    def clean(self):
        data = super().clean()
        if data.get("status") == ProjectProcedure.Status.DONE and not data.get("done_on"):
            self.add_error("done_on", _("已办结的手续请填写办结日期。"))
        done_on = data.get("done_on")
        if done_on and done_on > timezone.localdate():
            self.add_error("done_on", _("办结日期不能晚于今天。"))
        return data


class ProcedureIssueForm(forms.Form):
    """转为台账问题: the prefilled issue, to read and adjust before it is raised."""

    title = SingleLineCharField(label=_("问题标题"), max_length=200)
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 4}))
    category = forms.ModelChoiceField(
        label=_("问题类别"), queryset=Category.objects.none(), empty_label=_("请选择")
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"), choices=Issue.Urgency.choices, initial=Issue.Urgency.NORMAL
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        self.fields["title"].error_messages["required"] = _("请填写问题标题。")
        self.fields["description"].error_messages["required"] = _("请填写问题描述。")
        self.fields["category"].error_messages["required"] = _("请选择问题类别。")
