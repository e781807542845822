"""Screenshots of the feedback room: the enterprise's page with its rating form (desktop and
phone), the issue page's link panel with its QR code, the rating on the 销号 form, and the
企业服务考核评价 table."""

from urllib.parse import urlsplit


def _issue_with_link(page, base):
    """A resolved demo issue whose link is in force and not yet rated, and its link's path."""
    page.goto(f"{base}/issues/?status=resolved")
    hrefs = page.locator("a[href^='/issues/ZZ-']").evaluate_all(
        "links => [...new Set(links.map(a => a.getAttribute('href')))]"
    )
    for href in hrefs:
        page.goto(f"{base}{href}")
        if (
            page.get_by_test_id("feedback-link-url").count()
            and not page.get_by_test_id("feedback-panel-rating").count()
        ):
            return href, urlsplit(page.get_by_test_id("feedback-link-url").input_value()).path
    raise SystemExit("no resolved demo issue with an unrated enterprise link")


def shoot(browser, *, base, out, login, watch):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    watch(page)
    login(page, "supervisor")
    issue_path, link_path = _issue_with_link(page, base)
    page.goto(f"{base}{issue_path}")
    page.wait_for_load_state("networkidle")
    page.get_by_test_id("feedback-panel").screenshot(path=out / "feedback-panel-desktop.png")
    page.screenshot(path=out / "feedback-issue-desktop.png", full_page=True)
    context.close()

    # the enterprise's page: nobody signed in
    for width, height, tag in [(1366, 900, "desktop"), (375, 812, "phone")]:
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1, locale="zh-CN"
        )
        page = context.new_page()
        watch(page)
        page.goto(f"{base}{link_path}")
        page.get_by_label("基本满意").check()
        page.get_by_label("意见或建议（选填；不满意时请写明原因）").fill(
            "问题已解决，希望今后办理再快一些。"
        )
        page.screenshot(path=out / f"feedback-public-{tag}.png", full_page=True)
        context.close()

    # the panel on a phone, and the rated issue's 销号 form, as the office sees them
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    watch(page)
    login(page, "supervisor")
    page.goto(f"{base}{issue_path}")
    page.get_by_test_id("feedback-panel").screenshot(path=out / "feedback-panel-phone.png")
    context.close()

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    watch(page)
    login(page, "supervisor")
    page.goto(f"{base}/feedback/dissatisfied/")
    page.screenshot(path=out / "feedback-dissatisfied-desktop.png", full_page=True)
    rated = page.get_by_test_id("feedback-dissatisfied-list").locator("a").first
    rated_path = rated.get_attribute("href")
    page.goto(f"{base}{rated_path}act/close/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "feedback-close-form-desktop.png", full_page=True)
    page.goto(f"{base}/assessment/")
    page.get_by_test_id("enterprise-service").screenshot(
        path=out / "feedback-assessment-desktop.png"
    )
    context.close()
