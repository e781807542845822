"""Views of the oversight room: dashboard, assessment, key-project pace board, reports.

Thin: parse the period or sort order, call a selector, render or export. Issues are read
only through visible_to (in the selectors); the assessment is for the oversight office.
"""

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ledger import auditing
from ledger.models import KeyProject
from ledger.oversight import periods
from ledger.oversight.selectors import metrics
from ledger.oversight.selectors.dashboard import dashboard as dashboard_figures
from ledger.oversight.selectors.pace import PACE_SORTS, pace_rows, parse_pace_sort
from ledger.oversight.selectors.reports import report
from ledger.oversight.xlsx import Percent, percent_or_none, room_sheets, workbook_response
from ledger.replica import replica_reads


def may_assess(user) -> bool:
    """The assessment ranks every unit on every issue: the oversight office and
    administrators compile it; leaders and staff receive it through the office."""
    return user.has_perm("ledger.view_assessment")


def _require_directory(user):
    if not user.has_perm("ledger.view_directory"):
        raise PermissionDenied


@login_required
@replica_reads
def dashboard(request):
    context = dashboard_figures(request.user)
    context["sees_everything"] = request.user.sees_everything
    return render(request, "oversight/dashboard.html", context)


# -- assessment ---------------------------------------------------------------------


def assessment_headers(kind: str) -> list:
    """The assessment table's columns, as the page shows them, in the page's order."""
    return [
        _("排名"),
        _("责任领导") if kind == metrics.LEADER else _("单位"),
        _("应办结"),
        _("已办结"),
        *(label for label, _w, _h in metrics.RATES.values()),
        _("平均办理工作日"),
        _("本期逾期未结"),
        _("督办件"),
        _("当前逾期"),
        _("得分"),
    ]


def _kind(request) -> str:
    return metrics.LEADER if request.GET.get("by") == "leader" else metrics.DEPARTMENT


def _assessment(request):
    if not may_assess(request.user):
        return None, render(request, "oversight/assessment_forbidden.html", status=403)
    today = timezone.localdate()
    period, error = periods.assessment_period(request.GET, today)
    kind = _kind(request)
    table = metrics.assessment(request.user, period, kind=kind, today=today)
    return {"table": table, "period": period, "error": error, "kind": kind, "today": today}, None


@login_required
@replica_reads
def assessment(request):
    context, refused = _assessment(request)
    if refused:
        return refused
    today = context["today"]
    period = context["period"]
    context.update(
        {
            "years": list(range(today.year, today.year - 5, -1)),
            "months": list(range(1, 13)),
            "quarters": [1, 2, 3, 4],
            "chosen": {
                "year": period.start.year,
                "month": period.start.month if period.kind == "month" else None,
                "quarter": (period.start.month + 2) // 3 if period.kind == "quarter" else None,
                "start": period.start.isoformat() if period.kind == "range" else "",
                "end": period.end.isoformat() if period.kind == "range" else "",
            },
            "rate_labels": [label for label, _w, _h in metrics.RATES.values()],
            "weights": _weights(),
            "deduct_overdue": settings.ASSESSMENT["DEDUCT_OVERDUE"],
            "deduct_escalated": settings.ASSESSMENT["DEDUCT_ESCALATED"],
            "accept_days": settings.LEDGER["ACCEPT_WITHIN_WORKING_DAYS"],
            "export_query": _export_query(period, context["kind"]),
        }
    )
    return render(request, "oversight/assessment.html", context)


def _weights() -> list:
    rules = settings.ASSESSMENT
    return [
        (label, rules[weight_key], higher)
        for key, (label, weight_key, higher) in metrics.RATES.items()
    ]


def _export_query(period, kind) -> str:
    params = list(period.params)
    if kind == metrics.LEADER:
        params.append(("by", "leader"))
    return urlencode(params)


@login_required
@replica_reads
def assessment_export(request):
    """The page's table, column for column, on the first sheet; the parts other rooms add to
    the page (visit coverage, enterprise service ratings) each on a sheet of its own."""
    context, refused = _assessment(request)
    if refused:
        return refused
    table, period = context["table"], context["period"]
    rows = []
    for row in table.rows:
        rates = row.rates
        rows.append(
            [
                row.rank if row.rank is not None else "—",
                row.name,
                row.due,
                row.done,
                *(percent_or_none(rates[key]) for key in metrics.RATES),
                row.avg_days if row.avg_days is not None else "—",
                row.late_open,
                row.escalated,
                row.overdue_now,
                row.score if row.score is not None else "—",
            ]
        )
    kind_label = _("按责任领导") if context["kind"] == metrics.LEADER else _("按牵头单位")
    title = _("考核统计（%(period)s，%(kind)s）") % {"period": period.label, "kind": kind_label}
    filename = f"assessment-{period.start.isoformat()}-{period.end.isoformat()}.xlsx"
    auditing.record(
        auditing.Kind.EXPORTED,
        actor=request.user,
        request=request,
        target="assessment export",
        detail={"filter": request.GET.urlencode(), "rows": len(rows)},
    )
    return workbook_response(
        filename,
        title,
        assessment_headers(context["kind"]),
        rows,
        sheet_name=_("考核统计"),
        more=room_sheets("assessment", user=request.user, period=period),
    )


# -- key-project pace board -------------------------------------------------------------


def _pace_sort_links(current: str) -> dict:
    links = {}
    for key in PACE_SORTS:
        if current == key:
            links[key] = {"url": f"?sort=-{key}", "state": "ascending"}
        elif current == f"-{key}":
            links[key] = {"url": f"?sort={key}", "state": "descending"}
        else:
            links[key] = {"url": f"?sort={key}", "state": None}
    return links


@login_required
def project_pace(request):
    _require_directory(request.user)
    today = timezone.localdate()
    sort = parse_pace_sort(request.GET.get("sort"))
    rows = pace_rows(request.user, sort=sort, today=today)
    links = _pace_sort_links(sort)
    columns = [
        {"label": label, "cls": cls, **(links[key] if key else {"url": "", "state": None})}
        for key, label, cls in PACE_COLUMNS
    ]
    counts = {pace.value: 0 for pace in KeyProject.Pace}
    for row in rows:
        counts[row.pace.value] += 1
        row.bar_share = min(float(row.share or 0), 100)
        row.bar_expected = float(row.expected)
    return render(
        request,
        "oversight/pace.html",
        {
            "rows": rows,
            "today": today,
            "sort": sort,
            "columns": columns,
            "counts": counts,
            "paces": KeyProject.Pace,
            "yellow": settings.LEDGER["PACE_YELLOW_POINTS"],
            "red": settings.LEDGER["PACE_RED_POINTS"],
            "months": settings.LEDGER["PACE_NOT_STARTED_MONTHS"],
            "export_url": f"{reverse('oversight:project_pace_export')}?sort={sort}",
        },
    )


PACE_COLUMNS = [
    ("name", gettext_lazy("项目名称"), ""),
    ("level", gettext_lazy("级别"), ""),
    ("leader", gettext_lazy("分包领导"), ""),
    ("department", gettext_lazy("责任单位"), ""),
    ("plan", gettext_lazy("年度计划（万元）"), "num"),
    ("done", gettext_lazy("本年完成（万元）"), "num"),
    ("share", gettext_lazy("完成率"), "num"),
    (None, gettext_lazy("序时进度"), "num"),
    ("gap", gettext_lazy("差距（百分点）"), "num"),
    ("pace", gettext_lazy("进度"), ""),
    ("issues", gettext_lazy("在办问题"), "num"),
]


PACE_HEADERS = [
    gettext_lazy("项目名称"),
    gettext_lazy("级别"),
    gettext_lazy("类别"),
    gettext_lazy("阶段"),
    gettext_lazy("分包领导"),
    gettext_lazy("责任单位"),
    gettext_lazy("年度计划投资（万元）"),
    gettext_lazy("本年累计完成（万元）"),
    gettext_lazy("完成率"),
    gettext_lazy("序时进度"),
    gettext_lazy("差距（百分点）"),
    gettext_lazy("进度"),
    gettext_lazy("在办问题"),
]


@login_required
def project_pace_export(request):
    _require_directory(request.user)
    today = timezone.localdate()
    rows = []
    for row in pace_rows(request.user, sort=parse_pace_sort(request.GET.get("sort")), today=today):
        project = row.project
        rows.append(
            [
                project.name,
                project.get_level_display(),
                project.get_sector_display(),
                project.get_stage_display(),
                project.leader.name if project.leader else "",
                project.lead_department.name if project.lead_department else "",
                project.annual_plan,
                project.completed_this_year,
                Percent(float(row.share) / 100) if row.share is not None else "—",
                Percent(float(row.expected) / 100),
                row.gap,
                row.pace.label,
                row.open_issues,
            ]
        )
    title = _("重点项目序时进度（截至 %(today)s）") % {"today": today.isoformat()}
    auditing.record(
        auditing.Kind.EXPORTED,
        actor=request.user,
        request=request,
        target="project pace export",
        detail={"filter": request.GET.urlencode(), "rows": len(rows)},
    )
    return workbook_response(f"project-pace-{today.isoformat()}.xlsx", title, PACE_HEADERS, rows)


# -- weekly and monthly reports --------------------------------------------------------


def _report(request, kind):
    today = timezone.localdate()
    if kind == "week":
        period, error = periods.report_week(request.GET, today)
    else:
        period, error = periods.report_month(request.GET, today)
    context = report(request.user, period, today=today)
    context.update({"kind": kind, "error": error, "sees_everything": request.user.sees_everything})
    return context


def _iso_week(day) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _neighbours(period, kind):
    if kind == "week":
        before = period.start - datetime.timedelta(days=7)
        after = period.start + datetime.timedelta(days=7)
        return f"?week={_iso_week(before)}", f"?week={_iso_week(after)}"
    before = period.start - datetime.timedelta(days=1)
    after = period.end + datetime.timedelta(days=1)
    return f"?month={before:%Y-%m}", f"?month={after:%Y-%m}"


@login_required
@replica_reads
def report_weekly(request):
    return _report_page(request, "week")


@login_required
@replica_reads
def report_monthly(request):
    return _report_page(request, "month")


def _report_page(request, kind):
    context = _report(request, kind)
    previous, following = _neighbours(context["period"], kind)
    export = (
        "oversight:report_weekly_export" if kind == "week" else "oversight:report_monthly_export"
    )
    context.update(
        {
            "previous_url": previous,
            "next_url": following,
            "export_url": f"{reverse(export)}?{context['period'].query}",
            "title": _("督查周报") if kind == "week" else _("督查月报"),
        }
    )
    return render(request, "oversight/report.html", context)


@login_required
@replica_reads
def report_weekly_export(request):
    return _report_export(request, "week")


@login_required
@replica_reads
def report_monthly_export(request):
    return _report_export(request, "month")


def _report_export(request, kind):
    context = _report(request, kind)
    period = context["period"]
    figures = context["figures"]
    headers = [_("项目"), *[str(label) for label in figures.values()]]
    rows = [[_("合计"), *[item["count"] for item in context["summary"]]]]
    rows.append([])
    rows.append([_("按问题类别"), *[""] * len(figures)])
    for line in context["by_category"]:
        rows.append([line.label, *[line.counts[key] for key in figures]])
    rows.append([])
    rows.append([_("按牵头单位"), *[""] * len(figures)])
    for line in context["by_department"]:
        rows.append([line.label, *[line.counts[key] for key in figures]])
    rows.append([])
    rows.append(
        [_("重点逾期问题"), _("编号"), _("牵头单位"), _("责任领导"), _("完成时限"), _("逾期天数")]
    )
    for issue in context["late_cases"]:
        rows.append(
            [
                issue.title,
                issue.number,
                issue.lead_department.label if issue.lead_department else "",
                issue.leader.name if issue.leader else "",
                issue.deadline.isoformat(),
                issue.days_late,
            ]
        )
    title = _("%(title)s（%(period)s）") % {
        "title": _("督查周报") if kind == "week" else _("督查月报"),
        "period": period.label,
    }
    name = "weekly" if kind == "week" else "monthly"
    auditing.record(
        auditing.Kind.EXPORTED,
        actor=request.user,
        request=request,
        target="report export",
        detail={"filter": request.GET.urlencode(), "rows": len(rows)},
    )
    return workbook_response(f"report-{name}-{period.start.isoformat()}.xlsx", title, headers, rows)
