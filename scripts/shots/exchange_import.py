"""Screenshots of the ledger import: the preview of a messy sheet with errors (desktop and
375 px phone), after uploading it through the wizard as the oversight office.

    SCREENSHOT_ONLY=exchange_import DEBUG=1 .venv/bin/python scripts/screenshots.py
"""

import datetime
import io

import openpyxl


def messy_ledger() -> bytes:
    """A ledger as an office keeps it, with the mistakes the preview must name."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "问题台账"
    sheet["A1"] = "中站区 2026 年企业问题台账（第四季度）"
    sheet.merge_cells("A1:J1")
    sheet.append(["填报单位：区政府督查室"])
    sheet.append(
        ["序号", "企业名称", "问题来源", "存在问题", "包联领导", "责任单位", "配合单位",
         "办结时限", "办理状态", "满意度"]
    )  # fmt: skip
    sheet.append(["一、工业企业"])
    rows = [
        [
            "风神轮胎股份有限公司",
            "企业走访",
            "厂区东门道路破损，重车通行困难。",
            "方志远",
            "住建局",
            "发改委",
            "2026-12-31",
            "",
            "",
        ],
        [
            "龙星化工",
            "１２３４５热线",
            "蒸汽管网压力不足，影响二期生产线调试。",
            "张三",
            "区工信局",
            "",
            "2026年12月20日",
            "",
            "",
        ],
        [
            "焦作武钢物流有限公司",
            "企业走访",
            "物流园进出道路夜间无照明。",
            "方志远",
            "#REF!",
            "",
            "2026.12.15",
            "",
            "",
        ],
        [
            "焦作聚成物流有限公司",
            "领导包联",
            "冷链仓库用地手续未完成。",
            "方志远",
            "区自然资源分局",
            "",
            "2026年13月45日",
            "",
            "",
        ],
        [
            "中站新兴材料有限公司",
            "企业走访",
            "招工难，缺少熟练焊工。",
            "方志远",
            "区人社局",
            "",
            "长期坚持",
            "",
            "",
        ],
        [
            "焦作恒丰铝型材有限公司",
            "企业走访",
            "环评批复迟迟未下达。",
            "方志远",
            "区生态环境分局",
            "",
            datetime.date(2026, 6, 30),
            "已销号",
            "",
        ],
        ["焦作三木实业有限公司", "", "", "方志远", "区发改委", "", "2026-12-10", "", ""],
    ]
    for n, row in enumerate(rows, start=1):
        sheet.append([n, *row])
    sheet.append([])
    sheet.append(["合计", "共 7 项"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def shoot(browser, *, base, out, login, watch):
    data = messy_ledger()
    preview_url = None
    for width, height, tag in [(1366, 900, "desktop"), (375, 812, "phone")]:
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1, locale="zh-CN"
        )
        page = context.new_page()
        watch(page)
        login(page, "supervisor")
        page.goto(f"{base}/issues/import/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"import-upload-{tag}.png", full_page=True)
        if preview_url is None:
            page.get_by_label("文件").set_input_files(
                {
                    "name": "中站区问题台账-四季度.xlsx",
                    "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "buffer": data,
                }
            )
            page.get_by_role("button", name="上传并预览").click()
            page.wait_for_load_state("networkidle")
            preview_url = page.url
        page.goto(preview_url)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"import-preview-{tag}.png", full_page=True)
        context.close()
