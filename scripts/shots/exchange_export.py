"""Screenshots of the ledger export: the background job's page, and an exported sheet as
LibreOffice renders it (the real file, downloaded through the ledger's 导出 Excel button).

The job page appears only when the export is over the threshold; to shoot it, run with a
small one: EXCHANGE_EXPORT_BACKGROUND_ROWS=10 SCREENSHOT_ONLY=exchange_export DEBUG=1 \
.venv/bin/python scripts/screenshots.py. Rendering needs Debian's libreoffice-calc and
poppler-utils (pdftoppm).
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# the demo ledger's open issues, most pressing first: the sheet offices would ask for
LEDGER_QUERY = "status=raised&status=assigned&status=in_progress&sort=health"


def _threshold() -> int:
    try:
        return int(os.environ.get("EXCHANGE_EXPORT_BACKGROUND_ROWS", "20000"))
    except ValueError:
        return 20000


def render_sheet(xlsx: Path, out: Path) -> None:
    """xlsx → PDF (LibreOffice, headless, the sheet's own A3 landscape print setup) → PNGs:
    export-sheet.png, the top left of the first page at a legible scale (title row, header,
    first rows and columns), and export-sheet-page.png, the whole first page."""
    office = shutil.which("libreoffice") or shutil.which("soffice")
    pdftoppm = shutil.which("pdftoppm")
    if not office or not pdftoppm:
        raise SystemExit("export-sheet.png needs libreoffice-calc and poppler-utils")
    work = xlsx.parent
    profile = (work / "lo-profile").as_uri()
    subprocess.run(  # noqa: S603
        [
            office,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = xlsx.with_suffix(".pdf")
    crops = [
        # 200 dpi, past the page margins: about the first 14 columns and 30 rows
        ("export-sheet", ["-r", "200", "-x", "110", "-y", "120", "-W", "2100", "-H", "1150"]),
        ("export-sheet-page", ["-r", "110"]),
    ]
    for name, options in crops:
        stem = work / name
        subprocess.run(  # noqa: S603
            [pdftoppm, "-png", *options, "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
            check=True,
            timeout=120,
        )
        shutil.copyfile(stem.with_suffix(".png"), out / f"{name}.png")


def shoot(browser, *, base, out, login, watch):
    work = Path(tempfile.mkdtemp(prefix="zz-export-shot-"))
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, device_scale_factor=1, locale="zh-CN"
    )
    page = context.new_page()
    watch(page)
    login(page, "supervisor")
    page.goto(f"{base}/issues/?{LEDGER_QUERY}")
    page.wait_for_load_state("networkidle")
    button = page.get_by_role("link", name="导出 Excel")
    rows = int(page.get_by_test_id("ledger-summary").inner_text().split("共")[1].split("条")[0])
    if rows > _threshold():
        # a background job: its page, finished (the development backend runs it at once)
        button.click()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / "export-job-desktop.png", full_page=True)
        with page.expect_download() as download:
            page.get_by_test_id("export-download").click()
    else:
        print(f"export job page not shot: {rows} rows ≤ EXCHANGE_EXPORT_BACKGROUND_ROWS")
        with page.expect_download() as download:
            button.click()
    xlsx = work / "ledger.xlsx"
    download.value.save_as(xlsx)
    print(f"exported sheet downloaded as {download.value.suggested_filename}")
    context.close()
    render_sheet(xlsx, out)

    if rows > _threshold():  # the job page on a phone
        context = browser.new_context(
            viewport={"width": 375, "height": 812}, device_scale_factor=1, locale="zh-CN"
        )
        page = context.new_page()
        watch(page)
        login(page, "supervisor")
        page.goto(f"{base}/issues/export.xlsx?{LEDGER_QUERY}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / "export-job-phone.png", full_page=True)
        context.close()
    shutil.rmtree(work, ignore_errors=True)
