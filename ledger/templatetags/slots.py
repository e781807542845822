"""Places in the core's pages where a room adds its part: {% slot "issue_detail" %}.

A room lists the slots it fills in its AppConfig (`slots = {"issue_detail": "room/_part.html"}`);
the core names the place and never the room, so it still renders with the room removed.
The part renders with the page's own context (issue, user, request …).
"""

from django import template
from django.apps import apps
from django.utils.safestring import mark_safe

register = template.Library()


def slot_templates(name: str) -> list[str]:
    """The templates the installed rooms put in slot `name`, in INSTALLED_APPS order."""
    return [
        config.slots[name]
        for config in apps.get_app_configs()
        if name in getattr(config, "slots", {})
    ]


@register.simple_tag(takes_context=True)
def slot(context, name):
    parts = []
    for template_name in slot_templates(name):
        part = context.template.engine.get_template(template_name)
        with context.push():
            parts.append(part.render(context))
    # each part is a rendered template (autoescaped), so the joined HTML is safe
    return mark_safe("".join(parts))  # noqa: S308
