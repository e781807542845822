"""Screenshots of the API (issue 20): a person's token page (the list, and a new token shown
once), the administrator's registration of a system in the admin (the add form, and the
secret shown once), the oversight office's 待核实 queue of work orders (the list and one
order), and the API's reference page."""

import re


def shoot(browser, *, base, out, login, watch):
    for width, height, tag in [(1366, 900, "desktop"), (375, 812, "phone")]:
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1, locale="zh-CN"
        )
        page = context.new_page()
        watch(page)
        login(page, "staff")
        page.goto(f"{base}/account/tokens/")
        page.get_by_label("名称").fill("办公电脑客户端" if tag == "desktop" else "手机客户端")
        page.get_by_label("有效期（天）").fill("90")
        with page.expect_navigation():
            page.get_by_role("button", name="创建令牌").click()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"api-token-created-{tag}.png", full_page=True)
        page.goto(f"{base}/account/tokens/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"api-tokens-{tag}.png", full_page=True)
        context.close()

    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, device_scale_factor=1, locale="zh-CN"
    )
    page = context.new_page()
    watch(page)
    login(page, "admin")
    page.goto(f"{base}/admin/api/apiclient/add/")
    page.get_by_label(re.compile(r"^名称[:：]?$")).fill("区企业服务平台")
    page.get_by_label("代为登记的单位").select_option(label="区政府督查室")
    page.get_by_label("推送工单").check()
    page.get_by_label("读取问题").check()
    page.get_by_label("允许的来源地址").fill("10.20.0.0/16")
    page.screenshot(path=out / "api-client-add-desktop.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "api-client-secret-desktop.png", full_page=True)
    context.close()

    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, device_scale_factor=1, locale="zh-CN"
    )
    page = context.new_page()
    watch(page)
    login(page, "supervisor")
    page.goto(f"{base}/intake/queue/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "intake-queue-desktop.png", full_page=True)
    page.get_by_role("link", name=re.compile("商铺门前人行道破损")).first.click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "intake-order-desktop.png", full_page=True)
    page.goto(f"{base}/api/v1/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for()
    page.screenshot(path=out / "api-docs-desktop.png")
    context.close()
