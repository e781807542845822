"""Texts the system stores in Chinese, the source language, and shows in the reader's language.

A note the system writes into a signed event (an automatic 催办, an enterprise's rating, an
imported row) and the import preview kept between the wizard's steps are stored once, in
Chinese: the catalog's own msgids with their values filled in. The event's digest covers its
note, so the stored words never change; but because the msgids *are* the Chinese text, the
reader's catalog can still translate them at display. `shown()` finds the msgid a text was
made from, shows the values it recognises (a status, a field name, a date) in the reader's
language, and fills the reader's sentence. Anything else, a person's own note, stays as stored.
"""

import datetime
import functools
import re

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext, pgettext, trans_real

CJK = re.compile(r"[\u3400-\u9fff]")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")
CHINESE_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
# stored texts join their sentences with the Chinese semicolon (an import's row notes)
SEPARATOR = "；"


def stored(func, *args, **kwargs):
    """Run `func` in the source language: what it writes is stored for every reader."""
    with translation.override(settings.LANGUAGE_CODE):
        return func(*args, **kwargs)


def _pattern(msgid: str) -> re.Pattern:
    parts, names, at = [], set(), 0
    for n, match in enumerate(PLACEHOLDER.finditer(msgid)):
        parts.append(re.escape(msgid[at : match.start()].replace("%%", "%")))
        name = match.group(1) or f"_{n}"
        parts.append(f"(?P={name})" if name in names else f"(?P<{name}>.+?)")
        names.add(name)
        at = match.end()
    parts.append(re.escape(msgid[at:].replace("%%", "%")))
    return re.compile(r"\A" + "".join(parts), re.DOTALL)


@functools.cache
def _templates() -> list[tuple[str, str, re.Pattern, bool]]:
    """(literal prefix, msgid, pattern, whether it ends in its own words) for every Chinese
    msgid with values, the most specific (longest literal text) first."""
    catalog = trans_real.translation(settings.LANGUAGE_CODE)._catalog
    found = []
    for msgid in catalog.keys():  # noqa: SIM118 (TranslationCatalog is not iterable)
        if not isinstance(msgid, str) or "\x04" in msgid or not CJK.search(msgid):
            continue
        if not PLACEHOLDER.search(msgid):
            continue
        prefix = msgid.split("%", 1)[0]
        literal = len(PLACEHOLDER.sub("", msgid))
        ends_in_words = list(PLACEHOLDER.finditer(msgid))[-1].end() < len(msgid)
        found.append((literal, (prefix, msgid, _pattern(msgid), ends_in_words)))
    found.sort(key=lambda t: -t[0])
    return [template for _literal, template in found]


@functools.lru_cache(maxsize=4096)
def _match(text: str) -> tuple[str, dict, str] | None:
    """(msgid, values, the rest of the text after it) for the template `text` begins with."""
    for prefix, msgid, pattern, ends_in_words in _templates():
        if not text.startswith(prefix):
            continue
        match = pattern.fullmatch(text)
        if match is not None:
            return msgid, match.groupdict(), ""
        # a template that ends in its own words may be followed by another sentence
        if ends_in_words:
            match = pattern.match(text)
            if match is not None:
                return msgid, match.groupdict(), text[match.end() :]
    return None


def _source_language() -> bool:
    language = translation.get_language() or settings.LANGUAGE_CODE
    return language.lower().startswith(settings.LANGUAGE_CODE.split("-")[0])


def _value(value: str) -> str:
    date = CHINESE_DATE.fullmatch(value)
    if date:
        try:
            day = datetime.date(*(int(g) for g in date.groups()))
        except ValueError:
            return value
        return formats.date_format(day, "DATE_FORMAT")
    return shown(value)


def shown(text) -> str:
    """`text`, stored in the source language, in the current language where the catalog can
    say it; unchanged in Chinese or when it is not the system's own words."""
    text = "" if text is None else str(text)
    if not text or not CJK.search(text) or _source_language():
        return text
    exact = gettext(text)
    if exact != text:
        return exact
    found = _match(text)
    if found is None:
        if SEPARATOR in text:
            parts = text.split(SEPARATOR)
            if any(shown(part) != part for part in parts):
                return pgettext("list separator", "；").join(shown(part) for part in parts)
        return text
    msgid, values, rest = found
    named = {name: _value(value) for name, value in values.items() if not name.startswith("_")}
    positional = tuple(_value(values[name]) for name in sorted(values) if name.startswith("_"))
    sentence = gettext(msgid) % (positional or named)
    if not rest:
        return sentence
    if rest.startswith(SEPARATOR):
        return pgettext("list separator", "；").join([sentence, shown(rest[len(SEPARATOR) :])])
    return f"{sentence} {shown(rest)}"
