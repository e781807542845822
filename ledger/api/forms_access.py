"""The forms that manage who may call the API: a person's new token, an API client's
registration in the admin."""

from __future__ import annotations

import ipaddress

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ledger.services.creation import TOKEN_PATTERN, creation_token_new

from .models import ApiClient
from .permissions import SCOPES

DEFAULT_TOKEN_DAYS = 90


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("名称"),
        max_length=60,
        help_text=_("写明用在哪里，如“办公电脑客户端”，便于日后识别和吊销。"),
    )
    days = forms.IntegerField(
        label=_("有效期（天）"),
        min_value=1,
        initial=DEFAULT_TOKEN_DAYS,
        error_messages={"invalid": _("请输入天数（整数）。")},
    )
    # single use (services.creation_claim): a second submission of this page creates nothing
    creation_token = forms.RegexField(
        regex=TOKEN_PATTERN,
        widget=forms.HiddenInput,
        error_messages={
            "required": _("页面信息不完整，请刷新页面后重新提交。"),
            "invalid": _("页面信息不完整，请刷新页面后重新提交。"),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the longest life is read per form (a setting, overridden in tests), not at import
        longest = settings.API_TOKEN_MAX_DAYS
        self.fields["days"].widget.attrs["max"] = longest
        self.fields["days"].validators.append(_MaxDays(longest))
        self.fields["days"].help_text = _("最长 %(days)d 天。") % {"days": longest}
        self.fields["creation_token"].initial = creation_token_new()

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("请填写名称。"))
        return name


class _MaxDays:
    def __init__(self, longest: int):
        self.longest = longest

    def __call__(self, value):
        if value is not None and value > self.longest:
            raise ValidationError(
                _("有效期最长 %(days)d 天。"), code="max_value", params={"days": self.longest}
            )


def allowed_ips_clean(text: str) -> str:
    """Each non-empty line an IPv4/IPv6 address or network; the lines tidied, one per line.
    A wrong line is named with its number, so the administrator can find it."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            network = ipaddress.ip_network(line, strict=False)
        except ValueError:
            raise ValidationError(
                _("第 %(line)d 行“%(text)s”不是地址或网段（例如 10.1.2.3 或 10.1.2.0/24）。"),
                code="invalid",
                params={"line": number, "text": line[:60]},
            ) from None
        lines.append(str(network) if "/" in line else str(network.network_address))
    return "\n".join(lines)


class ApiClientForm(forms.ModelForm):
    """The admin's form of a client: scopes as checkboxes, the allow-list checked line by
    line. The service account and the secret are the admin's to make on saving."""

    scopes = forms.MultipleChoiceField(
        label=_("权限范围"),
        choices=list(SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ApiClient
        fields = [
            "name",
            "department",
            "source",
            "scopes",
            "sees",
            "categories",
            "strict_names",
            "allowed_ips",
            "rate_per_minute",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "department" in self.fields:
            self.fields["department"].queryset = self.fields["department"].queryset.filter(
                is_active=True
            ) | self.fields["department"].queryset.filter(pk=self.instance.department_id or 0)

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("请填写名称。"))
        return name

    def clean_scopes(self):
        # in SCOPES' order, each once
        chosen = set(self.cleaned_data["scopes"])
        return [scope for scope in SCOPES if scope in chosen]

    def clean_allowed_ips(self):
        return allowed_ips_clean(self.cleaned_data.get("allowed_ips") or "")

    def clean_rate_per_minute(self):
        rate = self.cleaned_data.get("rate_per_minute")
        if rate is not None and rate < 1:
            raise ValidationError(_("每分钟请求上限至少为 1；留空则用默认值。"))
        return rate
