"""Screenshots of the audit room (issue 18): the security audit log as the audit administrator
reads it in the admin (read-only), and the auditor's export form."""


def shoot(browser, *, base, out, login, watch):
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, device_scale_factor=1, locale="zh-CN"
    )
    page = context.new_page()
    watch(page)
    login(page, "auditor")
    page.goto(f"{base}/admin/audit/auditrecord/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "audit-log-admin-desktop.png", full_page=True)
    page.goto(f"{base}/audit/export/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "audit-export-desktop.png", full_page=True)
    context.close()
