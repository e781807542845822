"""Screenshots of printing and batch work (issue 9): the printed ledger and issue record
(PDF as Chromium prints it, page numbers included, turned into PNG by pdftoppm), the
交办单 and 督办单, the home cards by set, and the ledger with batch selection."""

import subprocess
import tempfile
from pathlib import Path


def _pdf_to_png(page, out: Path, name: str, *, pages: int = 1) -> None:
    """Print the current page to PDF (print stylesheet, @page rules) and keep its first pages."""
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / f"{name}.pdf"
        page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", str(pages), str(pdf), f"{tmp}/p"],  # noqa: S607
            check=True,
        )
        for i, png in enumerate(sorted(Path(tmp).glob("p-*.png")), start=1):
            png.replace(out / f"{name}-page{i}.png")


def _first_issue(page, base, query) -> str:
    page.goto(f"{base}/issues/?{query}")
    return page.locator("[data-testid=ledger-row] .ledger-number a").first.get_attribute("href")


def shoot(browser, *, base, out, login, watch):
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, device_scale_factor=1, locale="zh-CN"
    )
    page = context.new_page()
    watch(page)
    login(page, "supervisor")

    # the printed ledger: every in-progress issue, with title, filter, date and page numbers
    page.goto(f"{base}/issues/print/?status=in_progress&sort=deadline")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "print-ledger-screen-desktop.png")
    _pdf_to_png(page, out, "print-ledger", pages=2)

    # an issue page printed as a one-issue record
    escalated = _first_issue(page, base, "escalated=1&status=in_progress")
    page.goto(f"{base}{escalated}")
    page.wait_for_load_state("networkidle")
    _pdf_to_png(page, out, "print-issue", pages=2)

    # the notices: on screen, and as printed
    page.goto(f"{base}{escalated}notice/assign/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "notice-assign-desktop.png", full_page=True)
    _pdf_to_png(page, out, "notice-assign")
    page.goto(f"{base}{escalated}notice/escalate/")
    page.wait_for_load_state("networkidle")
    _pdf_to_png(page, out, "notice-escalate")

    # batch actions: rows chosen on the ledger (one not yet assigned: refused, reported),
    # then the confirmation page and the outcome
    page.goto(f"{base}/issues/?status=raised&status=in_progress&sort=status")
    page.wait_for_load_state("networkidle")
    boxes = page.locator("[data-batch-row]")
    for i in (0, 6, 7):
        boxes.nth(i).check()
    page.screenshot(path=out / "batch-ledger-desktop.png")
    page.get_by_role("button", name="批量催办").click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "batch-form-desktop.png", full_page=True)
    page.get_by_role("button", name="执行批量操作").click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "batch-result-desktop.png", full_page=True)
    context.close()

    # the home page of a department: cards by set, rows saying which set
    for width, height, tag in [(1366, 900, "desktop"), (375, 812, "phone")]:
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1, locale="zh-CN"
        )
        page = context.new_page()
        watch(page)
        login(page, "staff")
        page.goto(f"{base}/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"home-staff-sets-{tag}.png", full_page=True)
        if tag == "phone":
            context.clear_cookies()
            login(page, "supervisor")
            page.goto(f"{base}{escalated}notice/assign/")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / "notice-assign-phone.png", full_page=True)
        context.close()
