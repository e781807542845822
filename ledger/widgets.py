"""Form widgets that render in Python rather than through a template per option.

The ledger's filter form lists every department in three selects and every leader in one,
and every status and deadline health as a checkbox; Django's Select and
CheckboxSelectMultiple render each option through its own template includes (and build a
dict of attributes per option first), which cost about a third of the ledger page's time.
QuickSelect and QuickCheckboxSelectMultiple write the same HTML (escaped the same way)
with string formatting, and SharedChoices lets several selects over the same rows read
them with one query.
"""

from django import forms
from django.utils.choices import BaseChoiceIterator
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: in order, False left out, True as a bare name."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {escape(name)}")
        else:
            parts.append(f' {escape(name)}="{conditional_escape(value)}"')
    return "".join(parts)


class QuickSelect(forms.Select):
    """A Select whose options are written in Python; the output matches Django's templates
    (django/forms/widgets/select.html, select_option.html)."""

    def render(self, name, value, attrs=None, renderer=None):
        if self.allow_multiple_selected:
            return super().render(name, value, attrs, renderer)
        chosen = self.format_value(value)
        has_selected = False
        parts = []
        for option_value, option_label in self.choices:
            if option_value is None:
                option_value = ""
            grouped = isinstance(option_label, list | tuple)
            options = option_label if grouped else [(option_value, option_label)]
            rendered = []
            for subvalue, sublabel in options:
                selected = not has_selected and str(subvalue) in chosen
                has_selected |= selected
                rendered.append(
                    f'\n  <option value="{conditional_escape(subvalue)}"'
                    f"{' selected' if selected else ''}>{conditional_escape(sublabel)}</option>\n"
                )
            if grouped and option_value:
                parts.append(
                    f'\n  <optgroup label="{conditional_escape(option_value)}">'
                    f"{''.join(rendered)}\n  </optgroup>"
                )
            else:
                parts.extend(rendered)
        attrs_html = _attrs(self.build_attrs(self.attrs, attrs))
        html = f'<select name="{escape(name)}"{attrs_html}>{"".join(parts)}\n</select>'
        return mark_safe(html)  # noqa: S308 -- every value and label above is escaped


class QuickCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    """A CheckboxSelectMultiple written in Python; the output matches Django's templates
    (multiple_input.html, checkbox_option.html, input_option.html, input.html) for flat
    choices (grouped ones are left to Django)."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(self.choices)
        if any(isinstance(label, list | tuple) for _value, label in choices):
            return super().render(name, value, attrs, renderer)
        chosen = self.format_value(value)
        base = self.build_attrs(self.attrs, attrs)
        widget_id = base.get("id")
        name_html = escape(name)
        parts = []
        for index, (option_value, option_label) in enumerate(choices):
            if option_value is None:
                option_value = ""
            option_attrs = dict(base)
            if str(option_value) in chosen:
                option_attrs.update(self.checked_attribute)
            if "id" in option_attrs:
                option_attrs["id"] = self.id_for_label(option_attrs["id"], str(index))
            option_id = option_attrs.get("id")
            label_for = f' for="{conditional_escape(option_id)}"' if option_id else ""
            parts.append(
                f"<div>\n    <label{label_for}>"
                f'<input type="{self.input_type}" name="{name_html}"'
                f' value="{escape(str(option_value))}"{_attrs(option_attrs)}>\n'
                f" {conditional_escape(option_label)}</label>\n\n</div>"
            )
        id_html = f' id="{conditional_escape(widget_id)}"' if widget_id else ""
        class_html = f' class="{conditional_escape(base["class"])}"' if base.get("class") else ""
        return mark_safe(f"<div{id_html}{class_html}>{''.join(parts)}\n</div>")  # noqa: S308


class SharedChoices(BaseChoiceIterator):
    """The choices of one field, read once (one query) however many widgets list them: the
    ledger's three department selects share them. Lazy: no query unless a widget renders."""

    def __init__(self, field: forms.Field):
        self.field = field
        self._rows = None

    def __iter__(self):
        if self._rows is None:
            # iter(): list() of the iterator itself would ask its len(), a COUNT query
            self._rows = list(iter(self.field.choices))
        return iter(self._rows)


def quicken(field: forms.Field, choices: BaseChoiceIterator | None = None) -> None:
    """Give a form field whose widget is a plain Select (or CheckboxSelectMultiple) the quick
    one with the same settings; `choices`, when given, are what the widget lists."""
    widget = field.widget
    kinds = {forms.Select: QuickSelect, forms.CheckboxSelectMultiple: QuickCheckboxSelectMultiple}
    quick_class = kinds.get(type(widget))
    if quick_class is None:
        return
    quick = quick_class(attrs=dict(widget.attrs))
    quick.choices = widget.choices if choices is None else choices
    quick.is_required = widget.is_required
    quick.is_localized = widget.is_localized
    field.widget = quick
