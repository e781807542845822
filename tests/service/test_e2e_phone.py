"""The service screens in a browser at 375 px (`pytest -m e2e tests/service`; `make e2e` runs
tests/e2e only): a leader records a visit with a problem on a phone, nothing overflows
sideways, axe-core finds no serious violation, and no console error (a CSP refusal) occurs."""

import re

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import axe_violations

# the e2e fixtures (one demo server and one browser per run), shared with tests/e2e/
base_url = e2e.base_url
browser = e2e.browser
chromium_browser = e2e.chromium_browser
signed_in = e2e.signed_in
session_factory = e2e.session_factory

pytestmark = pytest.mark.e2e


def _no_sideways_scroll(page, where):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{where}: the page is {width}px wide at 375px"


def test_a_leader_records_a_visit_with_a_problem_on_a_phone(session_factory):
    session = session_factory("phone", "leader")
    page = session.page
    session.goto("/leaders/me/")
    due = page.get_by_test_id("visits-due")
    _no_sideways_scroll(page, "leaders/me")
    due.get_by_role("link", name="登记走访").first.click()
    page.wait_for_url(re.compile(r"/visits/new/\?(enterprise|project)=\d+"))
    _no_sideways_scroll(page, "visit form")
    found = axe_violations(page, "visit form 375px")
    page.get_by_label("走访情况").fill("查看新建车间，座谈用电情况。")
    problem = page.get_by_test_id("problem-form").first
    problem.get_by_label("问题标题").fill("手机端登记的用电增容问题")
    problem.get_by_label("问题描述").fill("新车间需增容，申请已提交一个月。")
    problem.get_by_label("问题类别").select_option(label="水电气暖及基础设施")
    page.get_by_role("button", name="登记走访").click()
    page.wait_for_url(re.compile(r"/visits/\d+/$"))
    assert page.get_by_test_id("visit-issues").get_by_role("link").count() == 1
    _no_sideways_scroll(page, "visit page")
    found += axe_violations(page, "visit page 375px")
    # the issue it raised says where it came from
    page.get_by_test_id("visit-issues").get_by_role("link").first.click()
    page.get_by_test_id("from-visit").wait_for()
    assert not found, "\n".join(found)
    assert not session.errors, "\n".join(session.errors)


@pytest.mark.parametrize("path", ["/visits/", "/procedures/late/", "/visits/coverage/"])
def test_service_lists_fit_a_phone(session_factory, path):
    session = session_factory("phone", "supervisor")
    response = session.goto(path)
    assert response.status == 200
    _no_sideways_scroll(session.page, path)
    found = axe_violations(session.page, f"{path} 375px")
    assert not found, "\n".join(found)
    assert not session.errors, "\n".join(session.errors)


def test_a_projects_checklist_fits_a_phone(session_factory):
    session = session_factory("phone", "supervisor")
    session.goto("/procedures/late/")
    session.page.get_by_test_id("late-row").first.get_by_role("link").first.click()
    checklist = session.page.get_by_test_id("procedures")
    checklist.wait_for()
    assert checklist.locator("[data-light=red]").count() == 1
    _no_sideways_scroll(session.page, "project page")
    found = axe_violations(session.page, "checklist 375px", context="#procedures")
    assert not found, "\n".join(found)
