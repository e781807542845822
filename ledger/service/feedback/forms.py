"""Forms of the feedback room: handing out a link, and the enterprise's rating."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ledger.models import Contact, Issue

from .services import COMMENT_MAX


class LinkCreateForm(forms.Form):
    contact = forms.ModelChoiceField(
        label=_("企业联系人"), queryset=Contact.objects.none(), required=False
    )
    contact_name = forms.CharField(label=_("或填写联系人姓名"), max_length=50, required=False)

    def __init__(self, *args, issue, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(
            enterprise_id=issue.enterprise_id
        ).order_by("-is_primary", "name")
        self.fields["contact"].empty_label = _("（不从名录选择）")


class RatingForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("您对办理结果的评价"),
        choices=Issue.Satisfaction.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": _("请选择您的评价。")},
    )
    comment = forms.CharField(
        label=_("意见或建议（选填；不满意时请写明原因）"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
