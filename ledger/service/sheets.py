"""The service room's tables as plain sheets for other pages' exports (AppConfig.export_sheets):
names, titles, headers and rows; rates as fractions in the percent columns, "—" without a base."""

from django.utils.translation import gettext as _

from . import selectors


def coverage_sheet(period) -> dict:
    """包联走访覆盖率 for the assessment of `period`: the visit cycle the page's table shows
    (`selectors.assessment_cycle`, the one the leader's page counts with), its columns."""
    start, end, label = selectors.assessment_cycle(period.start, period.end)
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
        for row in selectors.coverage(start, end)
    ]
    return {
        "name": _("包联走访覆盖率"),
        "title": _("包联走访覆盖率：%(cycle)s，%(start)s 至 %(end)s")
        % {"cycle": label, "start": start.isoformat(), "end": end.isoformat()},
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
