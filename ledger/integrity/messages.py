"""Findings and reports of the integrity commands, kept as message + parameters so that the
commands can print each one in Chinese and in English, as the other commands do."""

from django.utils import translation
from django.utils.translation import gettext


class Message:
    """A translatable text and its %-parameters, rendered in the language active when shown.

    `_("…") % {…}` in the integrity modules builds one (makemessages still extracts `_`)."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, params: dict | None = None):
        self.msgid = msgid
        self.params = params

    def __mod__(self, params: dict) -> "Message":
        return Message(self.msgid, params)

    def __str__(self) -> str:
        text = gettext(self.msgid)
        return text % self.params if self.params is not None else text

    def __repr__(self) -> str:
        return f"Message({str(self)!r})"

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self):
        return hash(self.msgid)

    def __contains__(self, text: str) -> bool:
        return text in str(self)


_ = Message


def bilingual(message) -> str:
    """'中文 / English' (one language only when no English is in the catalogue yet)."""
    with translation.override("zh-hans"):
        chinese = str(message)
    with translation.override("en"):
        english = str(message)
    return chinese if english == chinese else f"{chinese} / {english}"
