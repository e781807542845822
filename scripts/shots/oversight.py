"""Screenshots of the oversight room: dashboard, assessment, pace board, weekly report."""

SCREENS = [
    ("supervisor", "/dashboard/", "dashboard"),
    ("supervisor", "/assessment/", "assessment"),
    ("supervisor", "/projects/pace/", "pace"),
    ("supervisor", "/reports/weekly/", "report-weekly"),
]


def shoot(browser, *, base, out, login, watch):
    for width, height, tag in [(1366, 900, "desktop"), (375, 812, "phone")]:
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1, locale="zh-CN"
        )
        page = context.new_page()
        watch(page)
        login(page, "supervisor")
        for _user, path, name in SCREENS:
            page.goto(f"{base}{path}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / f"{name}-{tag}.png", full_page=True)
        # a staff member's dashboard: only their department's share
        context.clear_cookies()
        login(page, "staff")
        page.goto(f"{base}/dashboard/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"dashboard-staff-{tag}.png", full_page=tag == "desktop")
        context.close()
    # the weekly report as printed (A4, print stylesheet)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    watch(page)
    login(page, "supervisor")
    page.goto(f"{base}/reports/weekly/")
    page.emulate_media(media="print")
    page.screenshot(path=out / "report-weekly-print.png", full_page=True)
    context.close()
