"""One-line text (titles, names): what every single-line field is cleaned with."""

import re

# control characters (C0, DEL, C1) and the line and paragraph separators
_LINE_BREAKERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def single_line(value):
    """A one-line text (a title, a name) with each run of control characters or line
    breaks made one space, stripped; what is not text is returned as it is."""
    if not isinstance(value, str):
        return value
    return _LINE_BREAKERS.sub(" ", value).strip()
