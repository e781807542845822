"""`{{ event|display:"action" }}`: what `event.get_action_display` shows, for the rows of the
ledger and of an issue's timeline.

Django's get_FOO_display() builds a dict of the field's choices on every call, and hashing
each lazy label translates it: the 20 actions cost 20 translations per event shown. Here
the dict is built once per field and only the label shown is translated.
"""

from django import template
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

register = template.Library()

_LABELS: dict = {}


def _labels(field) -> dict:
    labels = _LABELS.get(field)
    if labels is None:
        # the keys are the stored values; the labels stay lazy (translated when shown)
        labels = {make_hashable(value): label for value, label in field.flatchoices}
        _LABELS[field] = labels
    return labels


@register.filter
def display(instance, name: str):
    """instance.get_<name>_display(): the label of the field's value, else the value."""
    value = getattr(instance, name)
    field = instance._meta.get_field(name)
    return force_str(_labels(field).get(make_hashable(value), value), strings_only=True)
