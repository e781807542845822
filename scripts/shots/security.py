"""Screenshots of the security room: the lockout page after ten wrong passwords, and the
administrator's list of lockouts (admin → 登录与安全 → 登录失败与锁定)."""


def shoot(browser, *, base, out, login, watch):
    for width, height, tag in [(1366, 900, "desktop"), (375, 812, "phone")]:
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1, locale="zh-CN"
        )
        page = context.new_page()
        # the lockout page is a 429 on purpose, which the console reports as a failed load;
        # anything else (a CSP refusal) still fails the run
        errors = []
        page.on(
            "console",
            lambda msg, errors=errors: (
                msg.type == "error" and "status of 429" not in msg.text and errors.append(msg.text)
            ),
        )
        username = f"staff_{tag}_locked"  # a name of its own per run: no real account is locked
        for _attempt in range(10):
            page.goto(f"{base}/accounts/login/")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill("wrong-password")
            page.get_by_role("button", name="登录").click()
            page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"lockout-{tag}.png", full_page=True)
        if errors:
            raise RuntimeError(f"console errors on the lockout page: {errors}")
        context.close()

    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, device_scale_factor=1, locale="zh-CN"
    )
    page = context.new_page()
    watch(page)
    login(page, "admin")
    page.goto(f"{base}/admin/security/loginfailure/?locked=yes")
    page.screenshot(path=out / "lockout-admin-desktop.png", full_page=True)
    context.close()
