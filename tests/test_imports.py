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
    _sources(),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_import_inside_a_function_without_a_comment_saying_why(path):
    lines = unexplained_imports(path.read_text(encoding="utf-8"))
    assert not lines, f"{path.relative_to(ROOT)}: imports inside a function at lines {lines}"
