"""Form widgets that render in Python rather than through a template per option.

The ledger's filter form lists every department in four selects and every leader in one;
Django's Select renders each <option> through its own template include, which at a
hundred departments cost about a third of the ledger page's time. QuickSelect writes the
same HTML (escaped the same way) with format_html.
"""

from django import forms
from django.utils.html import format_html, format_html_join


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: in order, False left out, True as a bare name."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


class QuickSelect(forms.Select):
    """A Select whose options are written in Python; the output matches Django's templates."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = []
        for group_name, options, _index in widget["optgroups"]:
            rendered = format_html_join(
                "",
                '\n  <option value="{}"{}>{}</option>\n',
                ((str(o["value"]), _attrs(o["attrs"]), o["label"]) for o in options),
            )
            if group_name:
                parts.append(
                    format_html('\n  <optgroup label="{}">{}\n  </optgroup>', group_name, rendered)
                )
            else:
                parts.append(rendered)
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            widget["name"],
            _attrs(widget["attrs"]),
            format_html_join("", "{}", ((part,) for part in parts)),
        )


def quicken(field: forms.Field) -> None:
    """Give a form field whose widget is a plain Select a QuickSelect with the same settings."""
    widget = field.widget
    if type(widget) is not forms.Select:
        return
    quick = QuickSelect(attrs=dict(widget.attrs))
    quick.choices = widget.choices
    quick.is_required = widget.is_required
    quick.is_localized = widget.is_localized
    field.widget = quick
