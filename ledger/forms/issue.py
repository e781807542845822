"""Forms for logging an issue (登记) and correcting it before assignment (修改).

They parse and explain input; workflow.issue_raise() / workflow.transition()
decide and write. The enterprise and key-project fields are search-as-you-type
choosers that also work without JavaScript: the typed text is resolved on the
server to an exact name or credit code, or the person is told what was found.
"""

from django import forms
from django.conf import settings
from django.db.models import Model, Q
from django.template.defaultfilters import filesizeformat
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from ledger import selectors, services
from ledger.forms.fields import MultiLineCharField, SingleLineCharField
from ledger.forms.widgets import AttachmentsField, ChooserInput
from ledger.models import Category, Department, Enterprise, Issue, KeyProject, Leader, Source
from ledger.models.issues import EDITABLE_FIELDS
from ledger.services import attachments_validate_batch, leader_raising_department
from ledger.services.creation import TOKEN_PATTERN
from ledger.validators import credit_code_normalize, validate_credit_code

# the fields the form sends to the workflow: the issue's editable fields but the responsible
# person, who is named when the issue is assigned (forms.actions.AssignForm)
ISSUE_FIELDS = tuple(name for name in EDITABLE_FIELDS if name != "responsible_person")


def _as_pk(value) -> int | None:
    """A primary key from form input, or None (no overflow on PostgreSQL's bigint)."""
    value = str(value if value is not None else "").strip()
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def _leader_label(leader) -> str:
    return str(leader) if leader is not None else ""


class ChooserField(forms.Field):
    """A model row chosen by typing: hidden id from the list, or the typed text resolved."""

    def __init__(self, *, queryset, lookup_url, placeholder="", **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            ChooserInput(
                lookup_url=lookup_url, leader_field_id="id_leader", placeholder=placeholder
            ),
        )
        super().__init__(**kwargs)
        self.queryset = queryset

    # -- what the subclasses say -------------------------------------------------

    def names_of(self, obj) -> set[str]:
        return {obj.name}

    def named(self, text) -> list:
        raise NotImplementedError

    def near(self, text) -> list:
        raise NotImplementedError

    def message_none(self, text):
        raise NotImplementedError

    def message_one_near(self, text, names):
        raise NotImplementedError

    def message_several(self, text, names):
        raise NotImplementedError

    def hint(self, obj) -> str:
        if getattr(obj, "leader_id", None):
            return _("分包领导：%(leader)s") % {"leader": _leader_label(obj.leader)}
        return ""

    # -- forms.Field ---------------------------------------------------------------

    def _object(self, value):
        if isinstance(value, Model):
            return value
        pk = _as_pk(value)
        if pk is None:
            return None
        return self.queryset.select_related("leader__user").filter(pk=pk).first()

    def prepare_value(self, value):
        if isinstance(value, dict):
            text = value.get("text") or ""
            obj = self._object(value.get("pk"))
            hint = self.hint(obj) if obj is not None and text.strip() in self.names_of(obj) else ""
            return {"pk": value.get("pk") or "", "text": text, "hint": hint}
        obj = self._object(value)
        if obj is None:
            return {"pk": "", "text": "", "hint": ""}
        return {"pk": obj.pk, "text": obj.name, "hint": self.hint(obj)}

    def to_python(self, value):
        if not isinstance(value, dict):
            value = {"pk": "", "text": "" if value is None else str(value)}
        text = selectors.lookup_text(value.get("text"))
        if not text:
            return None
        obj = self._object(value.get("pk"))
        if obj is not None and text in self.names_of(obj):
            return obj
        matches = self.named(text)
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise forms.ValidationError(
                self.message_several(text, [m.name for m in matches]), code="several"
            )
        near = self.near(text)
        if not near:
            raise forms.ValidationError(self.message_none(text), code="none")
        names = [obj.name for obj in near]
        if len(near) == 1:
            raise forms.ValidationError(self.message_one_near(text, names), code="near")
        raise forms.ValidationError(self.message_several(text, names), code="several")

    def has_changed(self, initial, data):
        try:
            value = self.to_python(data)
        except forms.ValidationError:
            return True
        initial_obj = self._object(initial)
        return (value.pk if value else None) != (initial_obj.pk if initial_obj else None)


def _names(names) -> str:
    shown = "、".join(f"“{name}”" for name in names[:5])
    return shown + ("……" if len(names) > 5 else "")


class EnterpriseChooserField(ChooserField):
    def names_of(self, obj):
        return {obj.name, obj.credit_code}

    def named(self, text):
        return selectors.enterprises_named(text, self.queryset)

    def near(self, text):
        return selectors.enterprises_matching(text, limit=6)

    def message_none(self, text):
        return _("未找到名称或统一社会信用代码为“%(text)s”的企业，请检查输入。") % {"text": text}

    def message_one_near(self, text, names):
        return _(
            "没有名称或信用代码与“%(text)s”完全一致的企业。您要找的是否是%(names)s？"
            "请输入完整名称或统一社会信用代码。"
        ) % {"text": text, "names": _names(names)}

    def message_several(self, text, names):
        return _("有多家企业与“%(text)s”相符：%(names)s。请输入完整名称或统一社会信用代码。") % {
            "text": text,
            "names": _names(names),
        }


class ProjectChooserField(ChooserField):
    def named(self, text):
        return selectors.projects_named(text, self.queryset)

    def near(self, text):
        return selectors.projects_matching(text, limit=6)

    def message_none(self, text):
        return _("未找到名称为“%(text)s”的重点项目，请检查输入。") % {"text": text}

    def message_one_near(self, text, names):
        return _(
            "没有名称与“%(text)s”完全一致的重点项目。您要找的是否是%(names)s？请输入完整名称。"
        ) % {"text": text, "names": _names(names)}

    def message_several(self, text, names):
        return _("有多个重点项目与“%(text)s”相符：%(names)s。请输入完整名称。") % {
            "text": text,
            "names": _names(names),
        }


def _required(message):
    return {"required": message}


class IssueForm(forms.Form):
    """登记问题: the short form staff fill in."""

    title = SingleLineCharField(
        label=_("问题标题"),
        max_length=200,
        error_messages=_required(_("请填写问题标题。")),
        help_text=_("一句话说明问题，例如“厂区门前道路雨后积水”。"),
    )
    description = MultiLineCharField(
        label=_("问题描述"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages=_required(_("请填写问题描述。")),
    )
    category = forms.ModelChoiceField(
        label=_("问题类别"),
        queryset=Category.objects.none(),
        empty_label=_("请选择"),
        error_messages=_required(_("请选择问题类别。")),
    )
    source = forms.ModelChoiceField(
        label=_("问题来源"),
        queryset=Source.objects.none(),
        empty_label=_("请选择"),
        error_messages=_required(_("请选择问题来源。")),
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"),
        choices=Issue.Urgency.choices,
        initial=Issue.Urgency.NORMAL,
        error_messages=_required(_("请选择紧急程度。")),
    )
    enterprise = EnterpriseChooserField(
        label=_("企业"),
        queryset=Enterprise.objects.none(),
        lookup_url=reverse_lazy("enterprise_lookup"),
        placeholder=_("输入企业名称或统一社会信用代码"),
    )
    project = ProjectChooserField(
        label=_("重点项目"),
        queryset=KeyProject.objects.none(),
        lookup_url=reverse_lazy("project_lookup"),
        placeholder=_("输入项目名称"),
        # choosing a project proposes its owner enterprise there (static/js/chooser.js)
        widget=ChooserInput(
            lookup_url=reverse_lazy("project_lookup"),
            leader_field_id="id_leader",
            placeholder=_("输入项目名称"),
            attrs={"data-owner-field": "id_enterprise"},
        ),
    )
    leader = forms.ModelChoiceField(
        label=_("建议责任领导"),
        queryset=Leader.objects.none(),
        required=False,
        empty_label=_("（按企业或项目的分包领导）"),
        help_text=_("留空时，默认为所选企业或重点项目的分包领导。"),
    )
    measures = MultiLineCharField(
        label=_("整改措施"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attachments = AttachmentsField()
    confirm_duplicates = forms.BooleanField(label=_("仍然登记"), required=False)
    # single use (services.creation_claim): a second submission of this page creates nothing
    creation_token = forms.RegexField(
        regex=TOKEN_PATTERN,
        widget=forms.HiddenInput,
        error_messages={
            "required": _("页面信息不完整，请刷新页面后重新提交。"),
            "invalid": _("页面信息不完整，请刷新页面后重新提交。"),
        },
    )

    def __init__(self, *args, user, issue: Issue | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.issue = issue
        self.fields["creation_token"].initial = services.creation_token_new()

        def active_or_current(model, current_id):
            condition = Q(is_active=True)
            if current_id:
                condition |= Q(pk=current_id)
            return model.objects.filter(condition)

        self.fields["category"].queryset = active_or_current(
            Category, issue.category_id if issue else None
        )
        self.fields["source"].queryset = active_or_current(
            Source, issue.source_id if issue else None
        )
        self.fields["leader"].queryset = active_or_current(
            Leader, issue.leader_id if issue else None
        ).select_related("user")
        self.fields["enterprise"].queryset = active_or_current(
            Enterprise, issue.enterprise_id if issue else None
        )
        self.fields["project"].queryset = KeyProject.objects.all()
        if "attachments" in self.fields:
            self.fields["attachments"].help_text = _(
                "可多选。允许的类型：%(types)s；单个文件不超过 %(max)s。"
            ) % {
                "types": ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS),
                "max": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
            }
        self.leader_profile = None
        if issue is None and getattr(user, "role", "") == "leader":
            # a leader on a site visit (领导包联): for the enterprises and projects they 分包;
            # raised for services.leader_raising_department(), not a department of their own
            self.leader_profile = getattr(user, "leader_profile", None)
            self.fields["source"].initial = (
                Source.objects.filter(name="领导包联", is_active=True).values_list("pk", flat=True)
            ).first()
            self.fields["leader"].initial = self.leader_profile.pk if self.leader_profile else None
        elif issue is None and user.has_perm("ledger.add_enterprise_inline"):
            self.fields["new_enterprise_name"] = forms.CharField(
                label=_("新企业名称"),
                max_length=200,
                required=False,
                help_text=_("名录中找不到该企业时填写；保存后显示为“待核实”，由督查室核实。"),
            )
            self.fields["new_enterprise_credit_code"] = forms.CharField(
                label=_("新企业统一社会信用代码"),
                max_length=40,
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
        proposed = self.initial.get("leader") or self.fields["leader"].initial
        if issue is None and proposed is not None:
            # a proposal (as chooser.js marks one): choosing another subject may replace it
            self.fields["leader"].widget.attrs["data-proposed"] = str(
                getattr(proposed, "pk", proposed)
            )
        if (
            issue is None
            and self.leader_profile is None
            and not getattr(user, "department_id", None)
        ):
            # people without a department (e.g. the system administrator) say for whom they log
            self.fields["raising_department"] = forms.ModelChoiceField(
                label=_("登记单位"),
                queryset=Department.objects.filter(is_active=True),
                empty_label=_("请选择"),
                error_messages=_required(_("请选择登记单位。")),
            )

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        attachments_validate_batch(files)
        return files

    def clean(self):
        data = super().clean()
        if self.new_enterprise_requested():
            self._clean_new_enterprise(data)
        if self.leader_profile is not None:
            if "enterprise" not in self.errors and "project" not in self.errors:
                self._clean_leader_subject(data)
            self.leader_department = leader_raising_department()
            if self.leader_department is None:
                self.add_error(
                    None,
                    _("尚未设置区级领导登记问题的登记单位（督查室），请联系系统管理员。"),
                )
        return data

    def new_enterprise_requested(self) -> bool:
        return "new_enterprise_name" in self.fields and bool(
            str(self.data.get(self.add_prefix("new_enterprise_name"), "")).strip()
            or str(self.data.get(self.add_prefix("new_enterprise_credit_code"), "")).strip()
        )

    def _clean_new_enterprise(self, data):
        """名录中没有的企业: name and credit code, validated; the typed search text yields."""
        # what was typed in the search box found nothing: the new enterprise replaces it
        self.errors.pop("enterprise", None)
        data["enterprise"] = None
        name = " ".join(str(data.get("new_enterprise_name") or "").split())
        code = credit_code_normalize(data.get("new_enterprise_credit_code") or "")
        if not name:
            self.add_error("new_enterprise_name", _("请填写新企业的名称。"))
        elif Enterprise.objects.filter(name=name).exists():
            self.add_error(
                "new_enterprise_name",
                _("名录中已有“%(name)s”，请在上方“企业”中直接选择。") % {"name": name},
            )
        if not code:
            self.add_error("new_enterprise_credit_code", _("请填写新企业的统一社会信用代码。"))
        else:
            try:
                validate_credit_code(code)
            except forms.ValidationError as error:
                self.add_error("new_enterprise_credit_code", error)
            else:
                if Enterprise.objects.filter(credit_code=code).exists():
                    self.add_error(
                        "new_enterprise_credit_code",
                        _("名录中已有使用该统一社会信用代码的企业，请在上方“企业”中直接选择。"),
                    )
        data["new_enterprise"] = {"name": name, "credit_code": code}

    def _clean_leader_subject(self, data):
        """A leader logs for the enterprises and key projects they 分包."""
        mine = self.leader_profile.pk
        enterprise, project = data.get("enterprise"), data.get("project")
        if enterprise is None and project is None:
            self.add_error("enterprise", _("请选择您分包的企业或重点项目，问题将登记在其名下。"))
            return
        for subject in (enterprise, project):
            if subject is not None and subject.leader_id == mine:
                return
        field = "enterprise" if enterprise is not None else "project"
        self.add_error(
            field,
            _(
                "区级领导可为本人分包的企业或重点项目登记问题；“%(name)s”不在您的分包范围内。"
                "其他问题请转交督查室登记。"
            )
            % {"name": (enterprise or project).name},
        )

    def workflow_fields(self) -> dict:
        """The cleaned values in the shape workflow.issue_raise() takes."""
        data = {name: self.cleaned_data.get(name) for name in ISSUE_FIELDS}
        data["measures"] = (data["measures"] or "").strip()
        if "raising_department" in self.fields:
            data["raising_department"] = self.cleaned_data.get("raising_department")
        if self.leader_profile is not None:
            data["raising_department"] = self.leader_department
        return data


class IssueEditForm(IssueForm):
    """修改: the same fields as logging, before assignment; no attachments."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, issue: Issue, **kwargs):
        super().__init__(*args, issue=issue, **kwargs)
        del self.fields["attachments"]
        del self.fields["confirm_duplicates"]
        del self.fields["creation_token"]  # a change carries the issue's version instead
        self.fields["leader"].label = _("责任领导")
        self.fields["version"].error_messages["required"] = _(
            "页面信息不完整，请刷新页面后重新修改。"
        )

    @classmethod
    def initial_for(cls, issue: Issue) -> dict:
        initial = {name: getattr(issue, name) for name in ISSUE_FIELDS}
        initial["version"] = issue.version
        return initial

    def changed_fields(self) -> dict:
        """Only what differs from the issue: the workflow records exactly that."""
        return {
            name: value
            for name, value in self.workflow_fields().items()
            if name in ISSUE_FIELDS and value != getattr(self.issue, name)
        }
