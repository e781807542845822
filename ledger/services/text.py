"""Text as people type it and as sheets bring it: what every single-line field (titles,
names) and every multi-line field (descriptions, notes) is cleaned with, by the forms and
by the imports alike."""

import re

# control characters (C0, DEL, C1) and the line and paragraph separators
_LINE_BREAKERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# the bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): a
# U+202E in a title shows the rest of it, and of the line it sits in, reversed
_BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# in a multi-line text: every control character but the tab and the line breaks (CR, LF)
_CONTROLS_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def single_line(value):
    """A one-line text (a title, a name) with each run of control characters or line
    breaks made one space, bidi controls dropped, stripped; what is not text is returned
    as it is."""
    if not isinstance(value, str):
        return value
    return _LINE_BREAKERS.sub(" ", _BIDI_CONTROLS.sub("", value)).strip()


def multi_line(value):
    """A multi-line text (a description, a note): its lines kept as typed (a browser sends
    CR LF), the Unicode line and paragraph separators made a line feed, other control
    characters and bidi controls dropped, stripped; what is not text is returned as is."""
    if not isinstance(value, str):
        return value
    value = value.replace("\u2028", "\n").replace("\u2029", "\n")
    return _CONTROLS_BUT_LINES.sub("", _BIDI_CONTROLS.sub("", value)).strip()
