"""/api/v1/ directories: departments, leaders, categories and sources (the ids the issue
endpoints take), enterprises with their contacts and key projects. Read by everyone who
may read them on the screens (`ledger.view_directory`); an enterprise is added through the
directory door (services.enterprise_create) by those the screens let add one, with the
screen's own form.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from ledger import services
from ledger.forms.directory import EnterpriseForm
from ledger.models import Category, Department, Enterprise, Leader, Source
from ledger.selectors import enterprise_directory, project_directory
from ledger.services.creation import creation_token_new

from .base import ApiView
from .idempotency import idempotent
from .pagination import MAX_LIMIT, limit_read

PROBLEM = OpenApiResponse(OpenApiTypes.OBJECT, description="application/problem+json")
PAGE_PARAMETERS = [
    OpenApiParameter("after", int, description="the `next` of the previous page"),
    OpenApiParameter("limit", int, description=f"rows per page (1–{MAX_LIMIT})"),
]


class EntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    is_active = serializers.BooleanField()


class DepartmentSerializer(EntrySerializer):
    short_name = serializers.CharField(allow_blank=True)
    kind = serializers.CharField()


class LeaderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    is_active = serializers.BooleanField()


class ContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    position = serializers.CharField(allow_blank=True)
    mobile = serializers.CharField(allow_blank=True)
    office_phone = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    is_primary = serializers.BooleanField()


class PersonRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class EnterpriseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    credit_code = serializers.CharField(allow_blank=True)
    industry = serializers.CharField(allow_blank=True)
    scale = serializers.CharField()
    address = serializers.CharField(allow_blank=True)
    subdistrict = PersonRef(allow_null=True)
    leader = PersonRef(allow_null=True)
    is_active = serializers.BooleanField()
    is_verified = serializers.BooleanField()
    open_issue_count = serializers.IntegerField(help_text="open issues the caller may see")
    contacts = ContactSerializer(many=True)


class ProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.CharField()
    sector = serializers.CharField()
    year = serializers.IntegerField()
    stage = serializers.CharField()
    total_investment = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    annual_plan = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    completed_this_year = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    leader = PersonRef(allow_null=True)
    lead_department = PersonRef(allow_null=True)
    owner = PersonRef(allow_null=True)
    start_date = serializers.DateField(allow_null=True)
    expected_completion = serializers.DateField(allow_null=True)
    open_issue_count = serializers.IntegerField(help_text="open issues the caller may see")


class EnterpriseInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    credit_code = serializers.CharField(max_length=40)
    industry = serializers.CharField(required=False, allow_blank=True, max_length=50)
    scale = serializers.ChoiceField(choices=Enterprise.Scale.choices, required=False)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    subdistrict = serializers.IntegerField(required=False, allow_null=True)
    leader = serializers.IntegerField(required=False, allow_null=True)


def page_serializer(name: str, row: type[serializers.Serializer]):
    return type(
        name,
        (serializers.Serializer,),
        {
            "results": row(many=True),
            "next": serializers.IntegerField(allow_null=True),
        },
    )


def after_read(value) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) < 18):
        raise exceptions.ValidationError({"after": [_("请填写有效的编号（整数）。")]})
    return int(text)


class DirectoryList(ApiView):
    """A directory in id order, a page at a time (`after` the last id of the page before)."""

    scopes = {"GET": "directory:read"}
    serializer: type[serializers.Serializer]

    def rows(self, request):
        raise NotImplementedError

    def get(self, request):
        if not request.user.has_perm("ledger.view_directory"):
            raise exceptions.PermissionDenied()
        limit = limit_read(request.query_params.get("limit"))
        after = after_read(request.query_params.get("after"))
        rows = self.rows(request).order_by("pk")
        if after is not None:
            rows = rows.filter(pk__gt=after)
        page = list(rows[: limit + 1])
        more = len(page) > limit
        page = page[:limit]
        self.audit_rows = len(page)
        return Response(
            {
                "results": self.serializer(page, many=True).data,
                "next": page[-1].pk if more and page else None,
            }
        )


def _listed(name, serializer, rows_of, operation):
    """A read-only directory list view with its own documented GET."""

    @extend_schema(
        operation_id=operation,
        parameters=PAGE_PARAMETERS,
        responses={200: page_serializer(f"{name}Page", serializer), 400: PROBLEM},
    )
    def get(self, request):
        return DirectoryList.get(self, request)

    return type(
        name,
        (DirectoryList,),
        {"serializer": serializer, "rows": lambda self, request: rows_of(request), "get": get},
    )


DepartmentList = _listed(
    "DepartmentList", DepartmentSerializer, lambda r: Department.objects.all(), "departments_list"
)
LeaderList = _listed(
    "LeaderList",
    LeaderSerializer,
    lambda r: Leader.objects.select_related("user"),
    "leaders_list",
)
CategoryList = _listed(
    "CategoryList", EntrySerializer, lambda r: Category.objects.all(), "categories_list"
)
SourceList = _listed("SourceList", EntrySerializer, lambda r: Source.objects.all(), "sources_list")
ProjectList = _listed(
    "ProjectList", ProjectSerializer, lambda r: project_directory(r.user), "projects_list"
)


class EnterpriseList(DirectoryList):
    scopes = {"GET": "directory:read", "POST": "directory:write"}
    serializer = EnterpriseSerializer

    def rows(self, request):
        return enterprise_directory(request.user)

    @extend_schema(
        operation_id="enterprises_list",
        parameters=PAGE_PARAMETERS,
        responses={200: page_serializer("EnterprisePage", EnterpriseSerializer), 400: PROBLEM},
    )
    def get(self, request):
        return super().get(request)

    @extend_schema(
        operation_id="enterprises_create",
        request=EnterpriseInput,
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)
        ],
        responses={201: EnterpriseSerializer, 400: PROBLEM, 403: PROBLEM},
    )
    def post(self, request):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request):
        if not request.user.has_perm("ledger.add_enterprise"):
            raise exceptions.PermissionDenied(_("您没有添加企业的权限。"))
        check = EnterpriseInput(data=request.data)
        if not check.is_valid():
            raise exceptions.ValidationError(check.errors)
        values = {
            name: ("" if value is None else value) for name, value in check.validated_data.items()
        }
        values.setdefault("scale", Enterprise.Scale.BELOW)
        # the screen's single-use token guards a page sent twice; here the Idempotency-Key
        # header does (a fresh token only satisfies the shared form)
        values["creation_token"] = creation_token_new()
        form = EnterpriseForm(values, user=request.user)
        if not form.is_valid():
            raise _form_errors(form)
        try:
            with transaction.atomic():
                enterprise = services.enterprise_create(
                    actor=request.user, data=form.directory_fields()
                )
        except PermissionDenied:
            raise exceptions.PermissionDenied(_("您没有添加企业的权限。")) from None
        except DjangoValidationError as error:
            raise exceptions.ValidationError(error.message_dict) from None
        enterprise = enterprise_directory(request.user).get(pk=enterprise.pk)
        return Response(EnterpriseSerializer(enterprise).data, status=status.HTTP_201_CREATED)


def _form_errors(form) -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {
            ("non_field_errors" if name == "__all__" else name): [str(m) for m in messages]
            for name, messages in form.errors.items()
        }
    )


class EnterpriseDetail(ApiView):
    scopes = {"GET": "directory:read", "PATCH": "directory:write"}

    @extend_schema(
        operation_id="enterprises_detail", responses={200: EnterpriseSerializer, 404: PROBLEM}
    )
    def get(self, request, pk):
        if not request.user.has_perm("ledger.view_directory"):
            raise exceptions.PermissionDenied()
        enterprise = enterprise_directory(request.user).filter(pk=pk).first()
        if enterprise is None:
            raise Http404
        return Response(EnterpriseSerializer(enterprise).data)

    @extend_schema(
        operation_id="enterprises_update",
        request=EnterpriseInput(partial=True),
        responses={200: EnterpriseSerializer, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM},
    )
    def patch(self, request, pk):
        """Change the fields sent (the others stay); the contacts stay as they are."""
        enterprise = Enterprise.objects.filter(pk=pk).first()
        if enterprise is None:
            raise Http404
        if not request.user.has_perm("ledger.change_enterprise", enterprise):
            raise exceptions.PermissionDenied(_("您没有修改该企业的权限。"))
        check = EnterpriseInput(data=request.data, partial=True)
        if not check.is_valid():
            raise exceptions.ValidationError(check.errors)
        form = EnterpriseForm(instance=enterprise, user=request.user)
        current = model_to_dict(enterprise, fields=list(form.fields))
        sent = {k: ("" if v is None else v) for k, v in check.validated_data.items()}
        merged = {k: ("" if v is None else v) for k, v in {**current, **sent}.items()}
        form = EnterpriseForm(merged, instance=enterprise, user=request.user)
        if not form.is_valid():
            raise _form_errors(form)
        try:
            with transaction.atomic():
                services.enterprise_update(
                    actor=request.user, enterprise=enterprise, data=form.directory_fields()
                )
        except PermissionDenied:
            raise exceptions.PermissionDenied(_("您没有修改该企业的权限。")) from None
        except DjangoValidationError as error:
            raise exceptions.ValidationError(error.message_dict) from None
        enterprise = enterprise_directory(request.user).get(pk=enterprise.pk)
        return Response(EnterpriseSerializer(enterprise).data)
