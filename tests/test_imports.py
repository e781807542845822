"""No import inside a function in ledger/ unless a comment says why.

An import inside a function hides a module's dependencies from its head and from the import
contract's reader, and it is how import cycles were kept alive. Where one is needed (an
AppConfig's ready() registering signal receivers or rules, a hook that must not load a module
at start-up), the line, or the line above it, carries a comment in this form:

    # import here: <why>

A comment above a run of imports (blank lines between them allowed) covers the whole run.

Migrations are left alone (Django writes them).
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
LEDGER = ROOT / "ledger"
MARK = "# import here:"

# TEMPORARY: files other branches of the restructuring are changing at the same time, each
# to lose its imports inside functions (or to mark them) there. The lead empties this list
# after merging them; a file that no longer needs its place here fails the last test.
NOT_YET = {
    "ledger/exchange/apps.py",
    "ledger/exchange/export.py",
    "ledger/exchange/export_views.py",
    "ledger/exchange/importing.py",
    "ledger/forms/issue.py",
    "ledger/integrity/apps.py",
    "ledger/integrity/triggers.py",
    "ledger/integrity/verify.py",
    "ledger/models/calendar.py",
    "ledger/models/issues.py",
    "ledger/oversight/periods.py",
    "ledger/oversight/selectors/metrics.py",
    "ledger/scale/seeding.py",
    "ledger/service/feedback/services.py",
    "ledger/services.py",
    "ledger/workdays.py",
}


def _sources() -> list[pathlib.Path]:
    return sorted(
        path for path in LEDGER.rglob("*.py") if "migrations" not in path.relative_to(ROOT).parts
    )


def unexplained_imports(source: str) -> list[int]:
    """Line numbers of imports inside a function or method without a `# import here:`
    comment on the same line, or above the run of imports it belongs to."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        imports = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
        import_lines = {
            line for n in imports for line in range(n.lineno, (n.end_lineno or n.lineno) + 1)
        }
        for inner in imports:
            if MARK in lines[inner.lineno - 1]:
                continue
            above = inner.lineno - 1  # 1-based number of the line above
            while above >= 1 and (above in import_lines or not lines[above - 1].strip()):
                if MARK in lines[above - 1]:
                    break
                above -= 1
            if above < 1 or MARK not in lines[above - 1]:
                found.append(inner.lineno)
    return sorted(set(found))


def test_the_check_finds_an_unexplained_import_and_accepts_an_explained_one():
    source = (
        "import os\n"
        "def f():\n"
        "    import json\n"
        "    # import here: a hook that must not load the module at start-up\n"
        "    from decimal import Decimal\n"
        "    import re  # import here: the same, said on the line\n"
        "\n"
        "    import sys\n"
        "    x = 1\n"
        "    import csv\n"
        "    class A:\n"
        "        def g(self):\n"
        "            from math import pi\n"
        "            return pi\n"
        "    return json, Decimal, re, sys, x, csv, A\n"
    )
    # json: no comment; sys is in the commented run; csv follows other code; pi: no comment
    assert unexplained_imports(source) == [3, 10, 13]


@pytest.mark.parametrize(
    "path",
    [p for p in _sources() if str(p.relative_to(ROOT)) not in NOT_YET],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_import_inside_a_function_without_a_comment_saying_why(path):
    lines = unexplained_imports(path.read_text(encoding="utf-8"))
    assert not lines, f"{path.relative_to(ROOT)}: imports inside a function at lines {lines}"


def test_the_temporary_list_names_only_files_that_still_need_it():
    relative = {str(p.relative_to(ROOT)): p for p in _sources()}
    for name in sorted(NOT_YET):
        assert name in relative, f"{name} is gone: take it off NOT_YET"
        assert unexplained_imports(relative[name].read_text(encoding="utf-8")), (
            f"{name} has no unexplained import left: take it off NOT_YET"
        )
