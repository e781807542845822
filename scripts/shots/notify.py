"""Screenshots of the notification room: the list (staff and leader) and the preferences."""


def shoot(browser, *, base, out, login, watch):
    for width, height, tag in [(1366, 900, "desktop"), (375, 812, "phone")]:
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1, locale="zh-CN"
        )
        page = context.new_page()
        watch(page)
        login(page, "leader")
        page.goto(f"{base}/notifications/")
        page.wait_for_load_state("networkidle")  # the bell's count arrives by htmx
        page.screenshot(path=out / f"notifications-{tag}.png", full_page=tag == "desktop")
        if tag == "desktop":
            page.goto(f"{base}/notifications/preferences/")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / "notification-preferences-desktop.png", full_page=True)
        context.close()
