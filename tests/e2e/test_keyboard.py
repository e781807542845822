"""Keyboard only: logging an issue with a long, scrolling chooser list and the duplicates
panel, and a visible focus indicator on every element Tab reaches (navbar included).

    make e2e
"""

import re

import pytest

from tests.e2e.conftest import (
    KEYBOARD_DUPLICATE,
    KEYBOARD_PREFIX,
    KEYBOARD_TITLE,
    axe_violations,
)

pytestmark = pytest.mark.e2e

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(), id: el.id, type: el.type || "",
    text: (el.textContent || "").trim(), name: el.name || "",
    outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
    color: style.outlineColor, inDuplicates: !!el.closest("[data-testid=duplicates]"),
  };
}"""


def focused(page):
    return page.evaluate(FOCUSED)


def assert_visible_focus(info):
    assert info["tag"] != "body", "focus fell to the page body"
    assert info["outline"] != "none" and info["width"] >= 2, f"no visible focus ring on {info}"


def tab(page, *, back=False):
    page.keyboard.press("Shift+Tab" if back else "Tab")
    info = focused(page)
    assert_visible_focus(info)
    return info


def tab_until(page, check, limit=25):
    for _ in range(limit):
        info = tab(page)
        if check(info):
            return info
    raise AssertionError(f"Tab never reached the element; last focused: {info}")


def list_state(page, list_id):
    return page.evaluate(
        """(id) => {
          const list = document.getElementById(id);
          const active = list.querySelector("[role=option].active");
          const box = list.getBoundingClientRect();
          const shown = active ? active.getBoundingClientRect() : null;
          return {
            hidden: list.hidden,
            options: list.querySelectorAll("[role=option]").length,
            scrolls: list.scrollHeight > list.clientHeight,
            active: active ? active.textContent : null,
            activeInView: shown ? shown.top >= box.top - 1 && shown.bottom <= box.bottom + 1 : null,
          };
        }""",
        list_id,
    )


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_log_an_issue_with_the_keyboard_only(session_factory, width):
    session = session_factory(width, "staff")
    page = session.page
    session.goto("/issues/new/")
    page.evaluate("window.__sameDocument = true")  # gone if the form was submitted

    # the skip link, then the first field
    info = tab(page)
    assert info["text"] == "跳到正文"
    page.keyboard.press("Enter")
    assert tab(page)["id"] == "id_title"
    page.keyboard.type(KEYBOARD_TITLE)
    assert tab(page)["id"] == "id_description"
    page.keyboard.type("路灯损坏，夜间进出车辆有安全隐患。")
    assert tab(page)["id"] == "id_category"
    page.keyboard.press("ArrowDown")
    assert tab(page)["id"] == "id_source"
    page.keyboard.press("ArrowDown")
    assert page.locator("#id_category").input_value()
    assert page.locator("#id_source").input_value()
    assert tab(page)["id"] == "id_urgency"

    # the enterprise chooser: a long list that scrolls
    assert tab(page)["id"] == "id_enterprise"
    page.keyboard.type(KEYBOARD_PREFIX)
    page.locator("#id_enterprise_list [role=option]").first.wait_for()
    state = list_state(page, "id_enterprise_list")
    assert state["options"] == 20 and state["scrolls"], state

    # Tab with the list open moves on to the next field and closes the list
    info = tab(page)
    assert info["id"] == "id_project", info
    assert list_state(page, "id_enterprise_list")["hidden"]

    # back, reopen with ArrowDown; Enter with nothing highlighted does not submit the form
    assert tab(page, back=True)["id"] == "id_enterprise"
    page.keyboard.press("ArrowDown")
    page.locator("#id_enterprise_list [role=option]").first.wait_for()
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__sameDocument === true"), "Enter submitted the form"
    assert page.locator("#id_enterprise_pk").input_value() == ""
    assert focused(page)["id"] == "id_enterprise"

    # down the list (it scrolls with the highlight) and pick the 15th with Enter
    for _ in range(15):
        page.keyboard.press("ArrowDown")
    state = list_state(page, "id_enterprise_list")
    assert state["active"].startswith(KEYBOARD_DUPLICATE) and state["activeInView"], state
    # the open list, a row highlighted, passes axe too
    assert not axe_violations(page, "chooser list", context=".chooser")
    page.keyboard.press("Enter")
    assert page.locator("#id_enterprise").input_value() == KEYBOARD_DUPLICATE
    assert page.locator("#id_enterprise_pk").input_value()
    assert list_state(page, "id_enterprise_list")["hidden"]
    # its 分包 leader is proposed
    leader = page.locator("#id_leader option:checked").text_content()
    assert "方志远" in leader, leader

    # the duplicates panel: its link and the 仍然登记 checkbox are reached and operated by Tab/Space
    # (the other width's run may have logged one more)
    page.get_by_test_id("duplicates").get_by_text(KEYBOARD_TITLE).first.wait_for()
    assert not axe_violations(page, "duplicates panel", context="[data-testid=duplicates]")
    assert tab(page)["id"] == "id_project"
    info = tab_until(page, lambda i: i["inDuplicates"])
    assert info["tag"] == "a" and re.match(r"ZZ-", info["text"]), info
    tab_until(page, lambda i: i["id"] == "id_confirm_duplicates", limit=6)
    page.keyboard.press("Space")
    assert page.locator("#id_confirm_duplicates").is_checked()

    # on to the submit button and send the form with Enter
    tab_until(page, lambda i: i["tag"] == "button" and i["type"] == "submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/issues/ZZ-[\w-]+/(#main)?$", page.url), page.url
    assert page.get_by_role("alert").filter(has_text="问题已登记").is_visible()
    assert page.get_by_text(KEYBOARD_DUPLICATE).first.is_visible()
    assert not session.errors, "\n".join(session.errors)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_focus_is_visible_on_every_element_of_the_home_page(session_factory, width):
    session = session_factory(width, "supervisor")
    page = session.page
    session.goto("/")
    if width == "phone":
        page.locator(".navbar-toggler").click()
        page.locator("#mainnav.show").wait_for()
    seen = []
    page.locator("body").focus()
    for _ in range(40):
        info = tab(page)
        in_navbar = page.evaluate("() => !!document.activeElement.closest('nav.navbar')")
        if in_navbar:
            # white on the dark navbar, where Bootstrap's blue glow cannot be seen
            assert info["color"] == "rgb(255, 255, 255)", info
        seen.append((in_navbar, info["text"] or info["id"]))
    navbar = [text for in_navbar, text in seen if in_navbar]
    assert "问题台账" in navbar and "退出" in navbar, navbar
    assert any(not in_navbar for in_navbar, _ in seen), "Tab never left the navbar"
