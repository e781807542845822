"""The auditor's export filter: a date range, a kind, a user name."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import kind_choices

# one export covers at most this span: a year of records is what an annual review reads
MAX_SPAN_DAYS = 366


class AuditExportForm(forms.Form):
    date_from = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("类别"), required=False)
    username = forms.CharField(label=_("用户名"), required=False, max_length=150)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("全部"))] + kind_choices()

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("结束日期不能早于开始日期。"))
            if end - start > datetime.timedelta(days=MAX_SPAN_DAYS):
                raise forms.ValidationError(
                    _("一次最多导出 %(days)d 天的记录，请缩小日期范围。") % {"days": MAX_SPAN_DAYS}
                )
        return data

    def in_words(self) -> dict:
        """The filter as the export's audit record and the sheet's title name it."""
        data = self.cleaned_data
        return {
            "date_from": data["date_from"].isoformat(),
            "date_to": data["date_to"].isoformat(),
            "kind": data.get("kind") or "",
            "username": data.get("username") or "",
        }
