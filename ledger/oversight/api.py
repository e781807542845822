"""The oversight room's part of /api/v1/ (Room.api_routes): the dashboard's figures for
everyone who has a dashboard (counted over the issues they may see), and the assessment
table for those the screen lets in (`ledger.view_assessment`). Authentication, limits and
errors come from the REST_FRAMEWORK setting: this room never imports the API room."""

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger.oversight import periods
from ledger.oversight.selectors import metrics
from ledger.oversight.selectors.dashboard import dashboard
from ledger.replica import replica_reading

PROBLEM = OpenApiResponse(OpenApiTypes.OBJECT, description="application/problem+json")


class Figure(serializers.Serializer):
    label = serializers.CharField()
    count = serializers.IntegerField()
    code = serializers.CharField(allow_blank=True)


class FiguresSerializer(serializers.Serializer):
    today = serializers.DateField()
    statuses = Figure(many=True)
    health = Figure(many=True)
    unassigned = Figure(many=True, help_text="raised and not yet assigned, by age")
    satisfaction_rate = serializers.FloatField(allow_null=True)
    overdue = serializers.IntegerField()
    awaiting_close = serializers.IntegerField()


class AssessmentRow(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    due = serializers.IntegerField()
    done = serializers.IntegerField()
    rates = serializers.DictField(child=serializers.FloatField(allow_null=True))
    avg_working_days = serializers.FloatField(allow_null=True)
    late_open = serializers.IntegerField()
    escalated = serializers.IntegerField()
    overdue_now = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True)


class AssessmentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[metrics.DEPARTMENT, metrics.LEADER])
    start = serializers.DateField()
    end = serializers.DateField()
    rows = AssessmentRow(many=True)


def _figures(figures) -> list[dict]:
    rows = []
    for figure in figures:
        code = dict(figure.params).get("status" if not figure.tone else "health", "")
        rows.append({"label": str(figure.label), "count": figure.count, "code": code})
    return rows


def _float(value):
    return None if value is None else float(value)


class FiguresView(APIView):
    required_scope = "figures"

    @extend_schema(operation_id="figures_dashboard", responses={200: FiguresSerializer})
    def get(self, request):
        # read where the screen's dashboard reads (the replica, when one is set); DRF has
        # already resolved the caller on the primary
        with replica_reading():
            figures = dashboard(request.user)
        return Response(
            {
                "today": figures["today"].isoformat(),
                "statuses": _figures(figures["statuses"]),
                "health": _figures(figures["health"]),
                "unassigned": [
                    {"label": str(f.label), "count": f.count, "code": ""}
                    for f in figures["unassigned"]
                ],
                "satisfaction_rate": _float(figures["satisfaction_rate"]),
                "overdue": figures["overdue_count"],
                "awaiting_close": figures["awaiting_count"],
            }
        )


class AssessmentView(APIView):
    required_scope = "figures"

    @extend_schema(
        operation_id="figures_assessment",
        parameters=[
            OpenApiParameter("by", str, enum=["department", "leader"]),
            OpenApiParameter("year", int),
            OpenApiParameter("quarter", int),
            OpenApiParameter("month", int),
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
        ],
        responses={200: AssessmentSerializer, 400: PROBLEM, 403: PROBLEM},
    )
    def get(self, request):
        if not request.user.has_perm("ledger.view_assessment"):
            raise exceptions.PermissionDenied(_("考核统计由督查室和系统管理员查看。"))
        today = timezone.localdate()
        period, error = periods.assessment_period(request.query_params, today)
        if error:
            raise exceptions.ValidationError({"period": [error]})
        kind = metrics.LEADER if request.query_params.get("by") == "leader" else metrics.DEPARTMENT
        with replica_reading():  # as the assessment screen (@replica_reads)
            table = metrics.assessment(request.user, period, kind=kind, today=today)
        rows = [
            {
                "rank": row.rank,
                "name": str(row.name),
                "due": row.due,
                "done": row.done,
                "rates": {key: _float(rate.value) for key, rate in row.rates.items()},
                "avg_working_days": _float(row.avg_days),
                "late_open": row.late_open,
                "escalated": row.escalated,
                "overdue_now": row.overdue_now,
                "score": _float(row.score),
            }
            for row in table.rows
        ]
        response = Response(
            {
                "kind": kind,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "rows": rows,
            }
        )
        response.audit_rows = len(rows)
        return response


def api_routes():
    """The room's URL patterns under /api/v1/ (OversightConfig.api_routes)."""
    return [
        path("figures/dashboard/", FiguresView.as_view(), name="figures_dashboard"),
        path("figures/assessment/", AssessmentView.as_view(), name="figures_assessment"),
    ]
