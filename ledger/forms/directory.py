"""Forms for keeping the directories in the app: enterprises with contacts, key projects and
their monthly investment progress reports. They parse and explain; the
directory's door (ledger.services.directory) writes."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from ledger.models import Contact, Department, Enterprise, KeyProject, Leader, ProjectProgress
from ledger.services import CONTACT_FIELDS, ENTERPRISE_FIELDS, PROJECT_FIELDS
from ledger.services.creation import creation_token_field
from ledger.validators import credit_code_normalize, mobile_normalize


class EnterpriseForm(forms.ModelForm):
    """企业: name, credit code (GB 32100-2015, normalised), sub-district, 分包 leader …"""

    class Meta:
        model = Enterprise
        fields = list(ENTERPRISE_FIELDS)  # what enterprise_create/_update write
        error_messages = {
            "name": {
                "required": _("请填写企业名称。"),
                "unique": _("名录中已有同名企业，请在名录中查找。"),
            },
            "credit_code": {
                "required": _("请填写统一社会信用代码。"),
                "unique": _("名录中已有使用该统一社会信用代码的企业。"),
            },
        }

    # single use (services.creation_once): a second submission of the adding page adds nothing
    creation_token = creation_token_field()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            del self.fields["creation_token"]  # an edit is no creation
        self.fields["subdistrict"].queryset = Department.objects.filter(
            kind=Department.Kind.SUBDISTRICT, is_active=True
        )
        self.fields["leader"].queryset = Leader.objects.select_related("user").order_by(
            "order", "pk"
        )
        self.fields["credit_code"].widget.attrs.update(
            {"autocomplete": "off", "class": "font-monospace"}
        )
        self.fields["credit_code"].help_text = _("18 位，例如 91410803MA00000000；字母不分大小写。")
        if not user.sees_everything:
            # a sub-district office keeps the enterprises of its own sub-district
            del self.fields["subdistrict"]
            del self.fields["leader"]

    def clean_name(self):
        return " ".join((self.cleaned_data.get("name") or "").split())

    def clean_credit_code(self):
        return credit_code_normalize(self.cleaned_data.get("credit_code") or "")

    def directory_fields(self) -> dict:
        data = {
            name: self.cleaned_data[name]
            for name in self.fields
            if name in self.cleaned_data and name != "creation_token"
        }
        if "subdistrict" not in self.fields and self.instance.pk is None:
            data["subdistrict"] = self.user.department
        return data


class ContactForm(forms.ModelForm):
    # longer than the 11 stored digits: "139 1234 5678" and "+86 …" are normalised first
    mobile = forms.CharField(label=_("手机"), max_length=30, required=False)

    class Meta:
        model = Contact
        fields = list(CONTACT_FIELDS)  # what the door writes of a contact
        error_messages = {"name": {"required": _("请填写联系人姓名。")}}

    def clean_mobile(self):
        return mobile_normalize(self.cleaned_data.get("mobile") or "")

    def validate_constraints(self):
        # "one primary contact" is checked across the formset (BaseContactFormSet.clean): here
        # it would compare with the stored contacts, which the same post may demote or delete
        pass


class BaseContactFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        primaries = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("is_primary")
        ]
        if len(primaries) > 1:
            raise forms.ValidationError(_("只能有一位主要联系人，请只勾选一人。"))

    def contacts(self) -> list[dict]:
        """What services.enterprise_create/update take: one dict per filled-in contact."""
        items = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or (not form.has_changed() and form.instance.pk is None):
                continue
            item = {name: data.get(name) for name in ContactForm.Meta.fields}
            item["id"] = form.instance.pk
            item["delete"] = bool(data.get("DELETE"))
            items.append(item)
        return items


# a crafted contacts-TOTAL_FORMS builds that many forms (Django's cap is 1,000 more than
# max_num): 99999999999999999999999 took 30 s per request; no enterprise has 50 contacts
CONTACTS_MAX = 50

ContactFormSet = forms.inlineformset_factory(
    Enterprise,
    Contact,
    form=ContactForm,
    formset=BaseContactFormSet,
    # several contacts in one go (a 厂长, a 财务, an 办公室主任): blank rows are left out
    extra=3,
    can_delete=True,
    max_num=CONTACTS_MAX,
    absolute_max=CONTACTS_MAX,
    validate_max=True,
)


class KeyProjectForm(forms.ModelForm):
    class Meta:
        model = KeyProject
        fields = list(PROJECT_FIELDS)  # what project_create/_update write
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "expected_completion": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        error_messages = {
            "name": {
                "required": _("请填写项目名称。"),
                "unique": _("已有同名的重点项目。"),
            },
            "year": {"required": _("请填写计划年度。")},
            "total_investment": {"required": _("请填写总投资（万元）。")},
            "annual_plan": {"required": _("请填写年度计划投资（万元）。")},
        }

    # single use (services.creation_once): a second submission of the adding page adds nothing
    creation_token = creation_token_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["creation_token"]  # an edit is no creation
        self.fields["leader"].queryset = Leader.objects.select_related("user").order_by(
            "order", "pk"
        )
        self.fields["lead_department"].queryset = Department.objects.filter(is_active=True)
        self.fields["owner"].queryset = Enterprise.objects.filter(is_active=True)
        if not self.instance.pk:
            self.fields["year"].initial = datetime.date.today().year

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("expected_completion")
        if start and end and end < start:
            self.add_error("expected_completion", _("计划竣工日期不能早于开工日期。"))
        return data

    def directory_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("creation_token", None)
        return data


class ProgressForm(forms.ModelForm):
    """投资进度月报 of one key project."""

    month = forms.DateField(
        label=_("月份"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={
            "required": _("请选择填报的月份。"),
            "invalid": _("月份格式应为 2026-05。"),
        },
    )

    class Meta:
        model = ProjectProgress
        fields = ["month", "completed_this_year", "stage", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "completed_this_year": {
                "required": _("请填写本年累计完成投资（万元）。"),
                "min_value": _("完成投资不能为负数。"),
            },
        }

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.instance.project = project
        self.fields["completed_this_year"].help_text = _(
            "截至该月底，本年累计完成的投资，不是当月完成额。"
        )
