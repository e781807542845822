"""`{{ event.note|shown }}`: a text the system stored in Chinese, in the reader's language."""

from django import template

from ledger import stored_text

register = template.Library()


@register.filter
def shown(text):
    return stored_text.shown(text)
