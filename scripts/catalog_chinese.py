"""Fill the zh_Hans catalog: Chinese is the source language, so each msgstr repeats its msgid.

The exception: English UI strings of Django and other packages that ship no Chinese
(ledger/admin_strings.py) get the Chinese that module gives them.

Run by `make messages` after extraction. English is translated by hand in
locale/en/LC_MESSAGES/django.po; tests/test_translations.py fails until it is.
"""

import os
import runpy
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"


def foreign_chinese() -> dict[str, str]:
    """English msgid -> Chinese, for the strings of other packages (ledger/admin_strings.py)."""
    # gettext_noop asks the settings whether translation is on
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhongzhan.settings")
    sys.path.insert(0, str(ROOT))
    return runpy.run_path(str(ROOT / "ledger" / "admin_strings.py"))["CHINESE"]


def main() -> None:
    po = polib.pofile(str(CATALOG))
    foreign = foreign_chinese()
    for entry in po:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid}
        else:
            entry.msgstr = foreign.get(entry.msgid, entry.msgid)
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    po.metadata_is_fuzzy = False
    po.save(str(CATALOG))


if __name__ == "__main__":
    main()
