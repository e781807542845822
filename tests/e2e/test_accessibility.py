"""axe-core (bundled by axe-playwright-python) on the main screens at 1366 and 375 px, and at
375 px again with the phone menu opened: no serious or critical violation, no console error.

    make e2e
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.e2e

AXE = Axe()
BLOCKING = {"serious", "critical"}


def first_link(session, list_path, pattern):
    """The first link on a list page whose href matches `pattern` (demo ids are not fixed)."""
    session.goto(list_path)
    hrefs = session.page.locator("main a[href]").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    found = [href for href in hrefs if re.fullmatch(pattern, href)]
    assert found, f"no link like {pattern} on {list_path}"
    return found[0]


FOUND: dict[str, str] = {}


def issue_with_history(session):
    """An issue under way whose timeline shows changed values (old values struck out)."""
    if "issue" in FOUND:
        return FOUND["issue"]
    session.goto("/issues/?status=in_progress&sort=health")
    hrefs = session.page.locator("a[href^='/issues/ZZ-']").evaluate_all(
        "links => [...new Set(links.map(a => a.getAttribute('href')))]"
    )
    for href in hrefs[:15]:
        session.goto(href)
        if session.page.locator(".issue-change-old").count():
            break
    else:
        href = hrefs[0]
    FOUND["issue"] = href
    return href


# (name, user, path or a function giving the path); user None is signed out
SCREENS = [
    ("login", None, "/accounts/login/"),
    ("home", "staff", "/"),
    ("home-supervisor", "supervisor", "/"),
    ("ledger", "supervisor", "/issues/"),
    ("issue", "supervisor", issue_with_history),
    (
        "issue-action",
        "supervisor",
        lambda s: issue_with_history(s).rstrip("/") + "/act/comment/",
    ),
    ("log-form", "staff", "/issues/new/"),
    ("enterprises", "staff", "/enterprises/"),
    (
        "enterprise",
        "staff",
        lambda s: first_link(s, "/enterprises/", r"/enterprises/\d+/"),
    ),
    ("projects", "staff", "/projects/"),
    (
        "project",
        "staff",
        lambda s: first_link(s, "/projects/", r"/projects/\d+/"),
    ),
    ("leader", "leader", "/leaders/me/"),
    ("dashboard", "supervisor", "/dashboard/"),
    ("assessment", "supervisor", "/assessment/"),
    ("pace", "supervisor", "/projects/pace/"),
    ("report-weekly", "supervisor", "/reports/weekly/"),
    ("report-monthly", "supervisor", "/reports/monthly/"),
    ("notifications", "staff", "/notifications/"),
    ("import", "supervisor", "/issues/import/"),
]


def violations(session, where, context=None):
    results = AXE.run(session.page, context=context)
    found = []
    for rule in results.response["violations"]:
        if rule.get("impact") not in BLOCKING:
            continue
        for node in rule["nodes"]:
            found.append(
                f"{where}: {rule['id']} ({rule['impact']}) {node['target']} "
                f"{node.get('failureSummary', '').splitlines()[-1:]}"
            )
    return found


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize(("name", "user", "path"), SCREENS, ids=[s[0] for s in SCREENS])
def test_no_serious_violation(session_factory, name, user, path, width):
    session = session_factory(width, user)
    if callable(path):
        path = path(session)
    response = session.goto(path)
    assert response.status == 200, f"{path} gave {response.status}"
    found = violations(session, f"{name} {width}")
    if width == "phone" and user:
        toggler = session.page.locator(".navbar-toggler")
        toggler.click()
        session.page.locator("#mainnav.show").wait_for()  # after the collapse animation
        assert toggler.get_attribute("aria-expanded") == "true"
        # the opened menu is the only part that changed: check the navbar again
        found += violations(session, f"{name} {width} menu open", context="nav.navbar")
    assert not found, "\n".join(found)
    assert not session.errors, "\n".join(session.errors)
