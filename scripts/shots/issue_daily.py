"""Screenshots of the issue page in daily use (issue 9): 销号 offering 重办, a reopened issue
with its 上次办结, an extension approved to another date, the 待交办 ledger with a returned
issue marked, and the sign-out message."""


def _first_issue(page, base, query) -> str:
    page.goto(f"{base}/issues/?{query}")
    return page.locator("[data-testid=ledger-row] .ledger-number a").first.get_attribute("href")


def shoot(browser, *, base, out, login, watch):
    for width, height, suffix in ((1366, 900, "desktop"), (375, 812, "phone")):
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1, locale="zh-CN"
        )
        page = context.new_page()
        watch(page)
        login(page, "supervisor")

        # 销号: the warning and the 重办 offered instead; 不满意 without a reason refused
        resolved = _first_issue(page, base, "status=resolved")
        page.goto(f"{base}{resolved}act/close/")
        page.wait_for_load_state("networkidle")
        page.check("input[name=satisfaction][value=dissatisfied]")
        page.click("[data-testid=submit]")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"issue-close-dissatisfied-{suffix}.png", full_page=True)

        # a reopened issue: the current state, and the 上次办结 block
        page.goto(f"{base}/issues/?q=&status=in_progress")
        reopened = None
        for href in page.locator("[data-testid=ledger-row] .ledger-number a").evaluate_all(
            "els => els.map(e => e.getAttribute('href'))"
        ):
            page.goto(f"{base}{href}")
            if page.locator("[data-testid=previous-resolution]").count():
                reopened = href
                break
        if reopened:
            page.locator("[data-testid=previous-resolution]").scroll_into_view_if_needed()
            page.screenshot(path=out / f"issue-reopened-{suffix}.png")

        # the 待交办 ledger: a returned issue carries 已退回 and its reason; no repeated badge
        page.goto(f"{base}/issues/?status=raised")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"ledger-raised-returned-{suffix}.png", full_page=True)

        # pending extensions: the date asked for and the reason; the approval form's date
        page.goto(f"{base}/issues/?pending_extension=1")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"ledger-pending-extensions-{suffix}.png", full_page=True)
        pending = page.locator("[data-testid=ledger-row] .ledger-number a")
        if pending.count():
            page.goto(f"{base}{pending.first.get_attribute('href')}act/extension_approve/")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / f"issue-extension-approve-{suffix}.png", full_page=True)

        # signing out
        page.goto(f"{base}/")
        if suffix == "phone":
            toggler = page.locator(".navbar-toggler")
            if toggler.count():
                toggler.click()
        page.locator("form[action$='/logout/'] button").click()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"signed-out-{suffix}.png")
        context.close()
