"""Fill the zh_Hans catalog: Chinese is the source language, so each msgstr repeats its msgid.

Run by `make messages` after extraction. English is translated by hand in
locale/en/LC_MESSAGES/django.po; tests/test_translations.py fails until it is.
"""

from pathlib import Path

import polib

CATALOG = Path(__file__).resolve().parent.parent / "locale/zh_Hans/LC_MESSAGES/django.po"


def main() -> None:
    po = polib.pofile(str(CATALOG))
    for entry in po:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid}
        else:
            entry.msgstr = entry.msgid
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    po.metadata_is_fuzzy = False
    po.save(str(CATALOG))


if __name__ == "__main__":
    main()
