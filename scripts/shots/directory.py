"""Screenshots of the directories (issue 9): the enterprise and project directories as cards
on a phone (no sideways scrolling), the enterprise add/edit form, a key project's monthly
progress report with its history, and a leader logging an issue on a phone. It also checks
in the browser that choosing a key project proposes its owner enterprise and leader."""


def _no_overflow(page, what):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    if width > viewport:
        raise AssertionError(f"{what}: {width} px wide in a {viewport} px window")


def _first_href(page, prefix):
    return page.eval_on_selector(f"table a[href^='{prefix}']", "a => a.getAttribute('href')")


def shoot(browser, *, base, out, login, watch):
    # phones: the directories as cards
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, device_scale_factor=1, locale="zh-CN"
    )
    page = context.new_page()
    watch(page)
    login(page, "supervisor")
    for path, name in [("/enterprises/", "enterprise-directory"), ("/projects/", "projects")]:
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        _no_overflow(page, path)
        page.screenshot(path=out / f"{name}-phone.png")
    project = _first_href(page, "/projects/")
    page.goto(f"{base}{project}progress/")
    page.wait_for_load_state("networkidle")
    _no_overflow(page, "progress form")
    page.screenshot(path=out / "project-progress-phone.png", full_page=True)
    # a leader on a site visit logs an issue from the phone
    context.clear_cookies()
    login(page, "leader")
    page.goto(f"{base}/issues/new/")
    page.wait_for_load_state("networkidle")
    _no_overflow(page, "leader logging form")
    page.screenshot(path=out / "issue-form-leader-phone.png", full_page=True)
    context.close()

    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, device_scale_factor=1, locale="zh-CN"
    )
    page = context.new_page()
    watch(page)
    login(page, "supervisor")
    page.goto(f"{base}/enterprises/new/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "enterprise-form-desktop.png", full_page=True)
    page.goto(f"{base}/enterprises/")
    enterprise = _first_href(page, "/enterprises/")
    page.goto(f"{base}{enterprise}edit/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "enterprise-edit-desktop.png", full_page=True)
    # a refused credit code and mobile number, explained next to the fields
    page.get_by_label("统一社会信用代码").fill("91410803MA0000000X")
    page.locator("#id_contacts-0-mobile").fill("1391234")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "enterprise-edit-errors-desktop.png", full_page=True)
    page.goto(f"{base}/projects/")
    project = _first_href(page, "/projects/")
    page.goto(f"{base}{project}progress/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "project-progress-desktop.png", full_page=True)
    # submit this month's report: the project page then shows it as history
    page.get_by_label("进展说明").fill("主体结构完工，设备进场安装。")
    page.get_by_role("button", name="提交月报").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{base}{project}")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "project-detail-progress-desktop.png", full_page=True)

    # choosing a key project in the logging form proposes its owner enterprise and leader
    page.goto(f"{base}/issues/new/")
    page.wait_for_load_state("networkidle")
    page.get_by_label("重点项目").fill("绿色涂料")
    page.locator("#id_project_list [role=option]").first.click()
    owner = page.input_value("#id_enterprise")
    leader = page.input_value("#id_leader")
    if not owner or not leader:
        raise AssertionError(f"choosing a project proposed owner={owner!r} leader={leader!r}")
    page.screenshot(path=out / "issue-form-project-owner-desktop.png")
    context.close()
