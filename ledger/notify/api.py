"""The notify room's part of /api/v1/ (Room.api_routes): the caller's own notifications,
newest first, and marking them read. Only the recipient ever sees or marks one; the
sentence and the issue's number are given only while the caller may still see the issue
(as on the notification page). This room never imports the API room: authentication,
limits and errors come from the REST_FRAMEWORK setting."""

from django.db.models import Exists, OuterRef
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger.selectors import visible_to

from .models import Kind, Notification
from .services import notification_mark_read, notification_text, notifications_mark_all_read

PROBLEM = OpenApiResponse(OpenApiTypes.OBJECT, description="application/problem+json")
MAX_LIMIT = 200


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    text = serializers.CharField(allow_null=True, help_text="null once the issue is out of sight")
    issue = serializers.CharField(allow_null=True, help_text="the issue's ledger number")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationPage(serializers.Serializer):
    results = NotificationSerializer(many=True)
    next = serializers.IntegerField(allow_null=True, help_text="pass as `before`")
    unread = serializers.IntegerField()


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


def _row(notification) -> dict:
    visible = notification.issue_visible
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "text": str(notification_text(notification)) if visible else None,
        "issue": notification.issue.number if visible else None,
        "created_at": serializers.DateTimeField().to_representation(notification.created_at),
        "read_at": (
            serializers.DateTimeField().to_representation(notification.read_at)
            if notification.read_at
            else None
        ),
    }


def _number(value, name: str, *, default=None, low=1, high=2**62) -> int | None:
    if value in (None, ""):
        return default
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
        raise exceptions.ValidationError({name: [_("请填写有效的整数。")]})
    return int(text)


class NotificationListView(APIView):
    required_scope = "notifications"

    @extend_schema(
        operation_id="notifications_list",
        parameters=[
            OpenApiParameter("unread", bool, description="only the unread ones"),
            OpenApiParameter("before", int, description="the `next` of the previous page"),
            OpenApiParameter("limit", int, description=f"1–{MAX_LIMIT}, default 50"),
        ],
        responses={200: NotificationPage, 400: PROBLEM},
    )
    def get(self, request):
        limit = _number(request.query_params.get("limit"), "limit", default=50, high=MAX_LIMIT)
        before = _number(request.query_params.get("before"), "before")
        rows = (
            Notification.objects.filter(recipient=request.user)
            .annotate(
                issue_visible=Exists(visible_to(request.user).filter(pk=OuterRef("issue_id")))
            )
            .select_related("issue", "actor")
            .order_by("-id")
        )
        if request.query_params.get("unread") in ("1", "true"):
            rows = rows.filter(read_at=None)
        if before is not None:
            rows = rows.filter(pk__lt=before)
        page = list(rows[: limit + 1])
        more = len(page) > limit
        page = page[:limit]
        unread = Notification.objects.filter(recipient=request.user, read_at=None).count()
        response = Response(
            {
                "results": [_row(n) for n in page],
                "next": page[-1].pk if more and page else None,
                "unread": unread,
            }
        )
        response.audit_rows = len(page)
        return response


class NotificationReadView(APIView):
    required_scope = "notifications"

    @extend_schema(
        operation_id="notifications_read",
        request=None,
        responses={200: MarkedSerializer, 404: PROBLEM},
    )
    def post(self, request, pk):
        try:
            notification_mark_read(user=request.user, notification_id=pk)
        except Notification.DoesNotExist:
            raise Http404 from None
        return Response({"marked": 1})


class NotificationReadAllView(APIView):
    required_scope = "notifications"

    @extend_schema(
        operation_id="notifications_read_all", request=None, responses={200: MarkedSerializer}
    )
    def post(self, request):
        return Response({"marked": notifications_mark_all_read(user=request.user)})


def api_routes():
    """The room's URL patterns under /api/v1/ (NotifyConfig.api_routes)."""
    return [
        path("notifications/", NotificationListView.as_view(), name="notifications"),
        path(
            "notifications/<int:pk>/read/",
            NotificationReadView.as_view(),
            name="notification_read",
        ),
        path(
            "notifications/read-all/",
            NotificationReadAllView.as_view(),
            name="notifications_read_all",
        ),
    ]
