"""POST /api/v1/intake/: an outside system's work order in (scope "intake")."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger import workflow
from ledger.site_url import absolute_url

from .idempotency import idempotent
from .intake import NamesUnknown, WorkOrder, intake_receive
from .intake_models import IntakeOrder
from .permissions import client_of


class WorkOrderSerializer(serializers.Serializer):
    external_system = serializers.CharField(max_length=60, help_text=_("来源系统，如 12345 热线"))
    external_id = serializers.CharField(max_length=100, help_text=_("来源系统的工单号"))
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10000)
    reporter_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    reporter_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    enterprise_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    credit_code = serializers.CharField(max_length=30, required=False, allow_blank=True)
    category = serializers.CharField(max_length=100, help_text=_("来源系统的问题类别名称"))
    received_at = serializers.DateTimeField(required=False, allow_null=True)
    deadline = serializers.DateField(required=False, allow_null=True)


class IssueRefSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    url = serializers.CharField()


class IntakeResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_system = serializers.CharField()
    external_id = serializers.CharField()
    state = serializers.ChoiceField(choices=IntakeOrder.State.choices)
    state_display = serializers.CharField()
    issue = IssueRefSerializer(allow_null=True)
    unknown = serializers.ListField(child=serializers.CharField())
    reject_reason = serializers.CharField(allow_blank=True)


class NamesRefused(exceptions.ValidationError):
    """The client is strict about names and one could not be mapped (problem+json 422)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


def result_of(order: IntakeOrder, request) -> dict:
    issue = order.issue
    return {
        "id": order.pk,
        "external_system": order.external_system,
        "external_id": order.external_id,
        "state": order.state,
        "state_display": str(order.get_state_display()),
        "issue": (
            {
                "number": issue.number,
                "status": issue.status,
                "url": absolute_url(reverse("issue_detail", args=[issue.number]), request),
            }
            if issue
            else None
        ),
        "unknown": list(order.unknown),
        "reject_reason": order.reject_reason,
    }


class IntakeView(APIView):
    required_scope = "intake"

    @extend_schema(
        operation_id="intake_create",
        request=WorkOrderSerializer,
        responses={
            200: OpenApiResponse(IntakeResultSerializer, _("同一工单此前已收到：原样返回")),
            201: OpenApiResponse(IntakeResultSerializer, _("已登记为问题")),
            202: OpenApiResponse(IntakeResultSerializer, _("名称无法识别，进入待核实队列")),
            422: OpenApiResponse(description=_("名称无法识别（客户端要求精确匹配）")),
        },
        tags=["intake"],
    )
    def post(self, request):
        # the external id makes a resent work order safe by itself; an Idempotency-Key header
        # is honoured too, as on every POST of the API
        return idempotent(request, lambda: self._receive(request))

    def _receive(self, request):
        client = client_of(request)
        if client is None:
            raise exceptions.PermissionDenied(_("只有接口客户端可以推送工单。"))
        serializer = WorkOrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            received = intake_receive(client=client, order=WorkOrder(**serializer.validated_data))
        except NamesUnknown as error:
            raise NamesRefused(error.unknown) from None
        except workflow.TransitionRefused as refused:
            raise exceptions.ValidationError(
                refused.field_errors or {"non_field_errors": [refused.message]}
            ) from None
        order = received.order
        if order.state == IntakeOrder.State.PENDING:
            code = status.HTTP_202_ACCEPTED
        elif received.created:
            code = status.HTTP_201_CREATED
        else:
            code = status.HTTP_200_OK
        return Response(result_of(order, request), status=code)
