"""Screenshots of the service room: the visit form (with problems filled in), a visit, the
leader's due visits, coverage, a project's procedure checklist and the late board."""


def shoot(browser, *, base, out, login, watch):
    for width, height, tag in [(1366, 900, "desktop"), (375, 812, "phone")]:
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1, locale="zh-CN"
        )
        page = context.new_page()
        watch(page)
        # the leader: what is due on 我的分包, then a visit with one problem being recorded
        login(page, "leader")
        page.goto(f"{base}/leaders/me/")
        page.wait_for_load_state("networkidle")
        page.get_by_test_id("visits-due").screenshot(path=out / f"visits-due-{tag}.png")
        page.get_by_test_id("visits-due").get_by_role("link", name="登记走访").first.click()
        page.wait_for_load_state("networkidle")
        page.get_by_label("走访情况").fill("座谈了解企业三季度生产和用工情况，查看新建车间。")
        problem = page.get_by_test_id("problem-form").first
        problem.get_by_label("问题标题").fill("新建车间用电增容审批慢")
        problem.get_by_label("问题描述").fill("企业新建车间需增容 2000 千伏安，申请已提交一个月。")
        problem.get_by_label("问题类别").select_option(label="水电气暖及基础设施")
        page.screenshot(path=out / f"visit-form-{tag}.png", full_page=True)
        page.goto(f"{base}/visits/")
        page.locator("a[href^='/visits/']").filter(has_text="-").first.click()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"visit-{tag}.png", full_page=True)
        context.clear_cookies()
        # the oversight office: coverage, the late board, and the project with the late step
        login(page, "supervisor")
        page.goto(f"{base}/visits/coverage/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"visit-coverage-{tag}.png", full_page=True)
        page.goto(f"{base}/procedures/late/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"procedures-late-{tag}.png", full_page=True)
        page.get_by_test_id("late-row").first.get_by_role("link").first.click()
        page.wait_for_load_state("networkidle")
        page.get_by_test_id("procedures").screenshot(path=out / f"procedures-{tag}.png")
        context.close()
