"""Places in the core's pages where a room adds its part: {% slot "issue_detail" %}.

A room lists the slots it fills on its AppConfig (a ledger.rooms.Room:
`slots = {Slot.ISSUE_DETAIL: "room/slots/issue_detail.html"}`); the core names the place and
never the room, so the page still renders with the room removed. The part renders with the
page's own context (issue, user, request …). The slot names are declared in ledger.rooms.Slot.
"""

from django import template
from django.utils.safestring import mark_safe

from ledger.rooms import slot_templates

register = template.Library()


@register.simple_tag(takes_context=True)
def slot(context, name):
    """The parts the installed rooms put in slot `name`, in INSTALLED_APPS order; an
    undeclared name raises ValueError (ledger.rooms.slot_templates)."""
    parts = []
    for template_name in slot_templates(name):
        part = context.template.engine.get_template(template_name)
        with context.push():
            parts.append(part.render(context))
    # each part is a rendered template (autoescaped), so the joined HTML is safe
    return mark_safe("".join(parts))  # noqa: S308
