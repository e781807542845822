"""Screenshots of the ledger export: the background job's page, and an exported sheet as
LibreOffice renders it (the real file, downloaded through the ledger's 导出 Excel button).

The job page appears only when an export is over the threshold; to shoot it, run with one
between the sheet's rows (41 open issues in the demo) and the whole demo ledger (92):

    EXCHANGE_EXPORT_BACKGROUND_ROWS=45 SCREENSHOT_ONLY=exchange_export DEBUG=1 \
        .venv/bin/python scripts/screenshots.py           # finished job page
    TASKS_BACKEND=django_tasks_db.DatabaseBackend EXCHANGE_EXPORT_BACKGROUND_ROWS=45 \
        SCREENSHOT_ONLY=exchange_export DEBUG=1 .venv/bin/python scripts/screenshots.py
        # no worker runs: the job page waiting, with its progress bar

Rendering needs Debian's libreoffice-calc and poppler-utils (pdftoppm).
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# the demo ledger's open issues, most pressing first: the sheet offices would ask for
LEDGER_QUERY = "status=raised&status=assigned&status=in_progress&sort=health"
# the whole demo ledger: over the threshold the shots are taken with, so it becomes a job
JOB_QUERY = "sort=-number"


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


def _ledger_rows(page) -> int:
    """The row count the ledger page states (共 N 条问题)."""
    return int(page.get_by_test_id("ledger-summary").inner_text().split("共")[1].split("条")[0])


def shoot(browser, *, base, out, login, watch):
    threshold = _threshold()
    work = Path(tempfile.mkdtemp(prefix="zz-export-shot-"))
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, device_scale_factor=1, locale="zh-CN"
    )
    page = context.new_page()
    watch(page)
    login(page, "supervisor")

    # 1. the sheet: the ledger's 导出 Excel button, the downloaded file rendered
    page.goto(f"{base}/issues/?{LEDGER_QUERY}")
    page.wait_for_load_state("networkidle")
    rows = _ledger_rows(page)
    if rows <= threshold:
        with page.expect_download() as download:
            page.get_by_role("link", name="导出 Excel").click()
    else:  # a background job, finished at once by the development task backend
        page.get_by_role("link", name="导出 Excel").click()
        page.wait_for_load_state("networkidle")
        if not page.get_by_test_id("export-download").count():
            raise SystemExit(
                f"the sheet's {rows} rows went to a job that did not finish at once: use the "
                f"development task backend or EXCHANGE_EXPORT_BACKGROUND_ROWS >= {rows}"
            )
        with page.expect_download() as download:
            page.get_by_test_id("export-download").click()
    xlsx = work / "ledger.xlsx"
    download.value.save_as(xlsx)
    print(f"exported sheet downloaded as {download.value.suggested_filename}")
    render_sheet(xlsx, out)

    # 2. the job page, when the whole ledger is over the threshold: finished with the
    # development backend (export-job-*), waiting for the worker with the database backend
    # (export-job-pending-*: the progress bar, polled every 2 s)
    page.goto(f"{base}/issues/?{JOB_QUERY}")
    page.wait_for_load_state("networkidle")
    if _ledger_rows(page) <= threshold:
        print(f"export job page not shot: the ledger's rows ≤ {threshold}")
        context.close()
        shutil.rmtree(work, ignore_errors=True)
        return
    page.get_by_role("link", name="导出 Excel").click()
    page.wait_for_load_state("networkidle")
    job_url = page.url
    name = "export-job" if page.get_by_test_id("export-download").count() else "export-job-pending"
    page.screenshot(path=out / f"{name}-desktop.png", full_page=True)
    context.close()
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, device_scale_factor=1, locale="zh-CN"
    )
    page = context.new_page()
    watch(page)
    login(page, "supervisor")
    page.goto(job_url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / f"{name}-phone.png", full_page=True)
    context.close()
    shutil.rmtree(work, ignore_errors=True)
