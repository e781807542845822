"""`{% health_badge issue.health beside_status=True dash=True %}`: the deadline-health badge
of ledger/_health_badge.html written in Python, for the ledger's rows (an include per row
cost more than the rest of the cell). The same HTML as the include (tests/test_views_ledger.py
compares them for every health); pages that show one badge keep the include."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()

MARKS = {"red": "● ", "yellow": "▲ ", "green": "✓ "}


@register.simple_tag
def health_badge(health, beside_status=False, dash=False):
    # every branch ends with the newline the included file ends with
    value = getattr(health, "value", "")
    if value == "none" or (value == "pending" and beside_status):
        return mark_safe('<span class="text-muted">—</span>\n' if dash else "\n")  # noqa: S308
    label = conditional_escape(getattr(health, "label", ""))
    value = conditional_escape(value)
    return mark_safe(  # noqa: S308 -- value and label are escaped
        f'<span class="badge health-badge health-{value}" title="{label}">'
        f"{MARKS.get(value, '')}{label}</span>\n"
    )
