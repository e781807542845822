"""Screenshots of the security room: the lockout page after ten wrong passwords, the
administrator's list of lockouts (admin → 登录与安全 → 登录失败与锁定), and two-factor sign-in
(enrolment, the recovery codes, the code asked after the password)."""


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
    shoot_two_factor(browser, base=base, out=out, login=login, watch=watch)


def _app_code(secret: str) -> str:
    """The six digits an authenticator app shows for this secret now (RFC 6238)."""
    import base64  # import here: only the two-factor shots need these
    import time

    from django_otp.oath import TOTP

    secret = "".join(secret.split()).upper()  # shown in groups of four for reading
    totp = TOTP(base64.b32decode(secret + "=" * (-len(secret) % 8)), step=30, digits=6)
    totp.time = time.time()
    return f"{totp.token():06d}"


def shoot_two_factor(browser, *, base, out, login, watch):
    """Two-factor sign-in (issue 18): enrolment with the QR code, the recovery codes shown
    once, and the code asked after the password. The security administrator (secadmin) enrols:
    no other screenshot signs in as that account."""
    for width, height, tag in [(1366, 900, "desktop"), (375, 812, "phone")]:
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1, locale="zh-CN"
        )
        page = context.new_page()
        watch(page)
        login(page, "secadmin")
        if tag == "desktop":
            page.goto(f"{base}/account/two-factor/enrol/")
            page.screenshot(path=out / "two-factor-enrol-desktop.png", full_page=True)
            secret = page.get_by_test_id("otp-secret").inner_text().strip()
            page.get_by_label("验证码").fill(_app_code(secret))
            with page.expect_navigation():
                page.get_by_role("button", name="确认并启用").click()
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / "two-factor-recovery-codes-desktop.png", full_page=True)
            context.clear_cookies()
            login(page, "secadmin")
        page.goto(f"{base}/issues/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"two-factor-verify-{tag}.png", full_page=True)
        context.close()
