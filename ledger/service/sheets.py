"""The service room's tables as plain sheets for other pages' exports (AppConfig.export_sheets):
names, titles, headers and rows; rates as fractions in the percent columns, "—" without a base."""

from django.utils.translation import gettext as _

from . import selectors


def coverage_sheet(period) -> dict:
    """包联走访覆盖率 over `period`, the columns of the assessment page's coverage table."""
    rows = [
        [
            row.leader.name,
            row.leader.title,
            row.assigned,
            row.visited,
            row.rate if row.rate is not None else "—",
            row.visits,
            row.last_visit if row.last_visit else "—",
        ]
        for row in selectors.coverage(period.start, period.end)
    ]
    return {
        "name": _("包联走访覆盖率"),
        "title": _("包联走访覆盖率（%(period)s，%(start)s 至 %(end)s，每 %(n)s 个月一个走访周期）")
        % {
            "period": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "n": selectors.visit_months(),
        },
        "headers": [
            _("分包领导"),
            _("职务"),
            _("分包企业和项目"),
            _("已走访"),
            _("覆盖率"),
            _("走访次数"),
            _("最近走访日期"),
        ],
        "rows": rows,
        "percent_columns": {4},
    }
