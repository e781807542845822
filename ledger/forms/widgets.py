"""Widgets: the search-as-you-type chooser and a file input that takes several files.

The chooser is a text input (what the person types or picks) plus a hidden input
(the id of the row picked from the list). static/js/chooser.js fills the list
from a lookup endpoint; without JavaScript the server resolves the typed text
(see fields.ChooserField in ledger/forms/issue.py).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from ledger.services import attachment_validate


class ChooserInput(forms.Widget):
    """Text input + hidden id, wired to a JSON lookup URL by data attributes."""

    template_name = "ledger/_chooser.html"
    text_suffix = "_text"

    def __init__(self, *, lookup_url, leader_field_id="", placeholder="", attrs=None):
        super().__init__(attrs)
        self.lookup_url = lookup_url
        self.leader_field_id = leader_field_id
        self.placeholder = placeholder

    def value_from_datadict(self, data, files, name):
        return {
            "pk": data.get(name, ""),
            "text": data.get(name + self.text_suffix, ""),
        }

    def value_omitted_from_data(self, data, files, name):
        return name not in data and name + self.text_suffix not in data

    def format_value(self, value):
        # the field's prepare_value() gives {"pk": ..., "text": ..., "hint": ...}
        if isinstance(value, dict):
            return value
        return {"pk": "", "text": "", "hint": ""}

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        attrs = widget["attrs"]
        widget["text_name"] = name + self.text_suffix
        widget["text_id"] = attrs.get("id", "")
        widget["pk_id"] = (attrs.get("id") or "id_" + name) + "_pk"
        widget["list_id"] = (attrs.get("id") or "id_" + name) + "_list"
        widget["lookup_url"] = str(self.lookup_url)
        widget["leader_field_id"] = self.leader_field_id
        widget["placeholder"] = str(self.placeholder)
        widget["is_invalid"] = "is-invalid" in str(attrs.get("class", "")).split()
        widget["text_attrs"] = {k: v for k, v in attrs.items() if k != "id"}
        return context

    def _render(self, template_name, context, renderer=None):
        # rendered with the project's template engine so the partial lives in templates/ledger
        return mark_safe(render_to_string(template_name, context))  # noqa: S308

    def id_for_label(self, id_):
        return id_


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input; each is checked by services.attachment_validate()."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("附件"))
        kwargs.setdefault("validators", [attachment_validate])
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        cleaned, errors = [], []
        for file in files:
            try:
                cleaned.append(super().clean(file, initial))
            except ValidationError as error:
                # name the file: several may be refused at once
                name = getattr(file, "name", "") or "?"
                errors.extend(
                    ValidationError(
                        _("“%(name)s”：%(error)s"), params={"name": name, "error": message}
                    )
                    for message in error.messages
                )
        if errors:
            raise ValidationError(errors)
        return cleaned
