"""The feedback room's assessment table as a plain sheet for the assessment's export
(AppConfig.export_sheets): rates as fractions in the percent columns, "—" without a base."""

from django.utils.translation import gettext as _

from . import selectors


def _rate(rate):
    return "—" if rate.fraction is None else rate.fraction


def enterprise_service_sheet(user, period) -> dict:
    """企业服务考核评价 over `period`, the columns of the assessment page's table, then the
    不满意 cases under it."""
    table = selectors.enterprise_service(user, period)
    rows = [
        [
            row.department.name,
            row.done_enterprise,
            row.enterprise_rated,
            _rate(row.enterprise_callback),
            _rate(row.enterprise_satisfaction),
            row.enterprise_dissatisfied,
            _rate(row.office_satisfaction),
        ]
        for row in table["rows"]
    ]
    if table["cases"]:
        rows.append([])
        rows.append([_("企业不满意的问题"), _("编号"), _("问题标题"), _("牵头单位"), _("评价意见")])
        for case in table["cases"]:
            issue = case.issue
            rows.append(
                [
                    "",
                    issue.number,
                    issue.title,
                    issue.lead_department.name if issue.lead_department else "",
                    case.comment or "—",
                ]
            )
    return {
        "name": _("企业服务考核评价"),
        "title": _("企业服务考核评价（%(period)s）") % {"period": period.label},
        "headers": [
            _("单位"),
            _("涉企已办结"),
            _("企业自评件数"),
            _("企业自评率"),
            _("企业自评满意率"),
            _("企业不满意"),
            _("督查室记录满意率"),
        ],
        "rows": rows,
        "percent_columns": {3, 4, 6},
    }
