"""/api/v1/ directories: departments, leaders, categories and sources (the ids the issue
endpoints take), enterprises with their contacts and key projects. Read by everyone who
may read them on the screens (`ledger.view_directory`); an enterprise is added through the
directory door (services.directory) by those the screens let add one, with the screen's
own form: enterprises and their contacts, key projects and their 投资进度月报.
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
from ledger.forms.directory import ContactForm, EnterpriseForm, KeyProjectForm, ProgressForm
from ledger.models import Category, Contact, Department, Enterprise, KeyProject, Leader, Source
from ledger.selectors import enterprise_directory, project_directory
from ledger.services.creation import creation_token_new

from .base import ApiView
from .idempotency import idempotent
from .pagination import MAX_LIMIT, limit_read

PROBLEM = OpenApiResponse(OpenApiTypes.OBJECT, description="application/problem+json")
IDEMPOTENCY_KEY = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)
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
# -- writing through the directory door, with the screens' own forms ---------------------------


def _form_errors(form) -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {
            ("non_field_errors" if name == "__all__" else name): [str(m) for m in messages]
            for name, messages in form.errors.items()
        }
    )


def _blank(values: dict) -> dict:
    """A JSON null as a form's empty field."""
    return {name: ("" if value is None else value) for name, value in values.items()}


def _checked(serializer_class, request, *, partial: bool = False) -> dict:
    """The body's types and sizes, before the screen's form judges the values."""
    check = serializer_class(data=request.data, partial=partial)
    if not check.is_valid():
        raise exceptions.ValidationError(check.errors)
    return _blank(check.validated_data)


def _form_valid(form_class, values: dict, **kwargs):
    form = form_class(values, **kwargs)
    if not form.is_valid():
        raise _form_errors(form)
    return form


def _form_merged(form_class, instance, sent: dict, **kwargs):
    """A PATCH: the stored values of the form's fields with the ones sent on top, judged by
    the screen's form as if the whole page had been sent."""
    fields = list(form_class(instance=instance, **kwargs).fields)
    current = _blank(model_to_dict(instance, fields=fields))
    return _form_valid(form_class, {**current, **sent}, instance=instance, **kwargs)


def _through_door(write, refused: str):
    """Call the directory door in one transaction: its refusal as 403 with `refused`, its
    validation errors as 400 next to the fields they name."""
    try:
        with transaction.atomic():
            return write()
    except PermissionDenied:
        raise exceptions.PermissionDenied(refused) from None
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            raise exceptions.ValidationError(error.message_dict) from None
        raise exceptions.ValidationError({"non_field_errors": error.messages}) from None


# -- enterprises and their contacts --------------------------------------------------------------


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
        parameters=[IDEMPOTENCY_KEY],
        responses={201: EnterpriseSerializer, 400: PROBLEM, 403: PROBLEM},
    )
    def post(self, request):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request):
        refused = _("您没有添加企业的权限。")
        if not request.user.has_perm("ledger.add_enterprise"):
            raise exceptions.PermissionDenied(refused)
        values = _checked(EnterpriseInput, request)
        values.setdefault("scale", Enterprise.Scale.BELOW)
        # the screen's single-use token guards a page sent twice; here the Idempotency-Key
        # header does (a fresh token only satisfies the shared form)
        values["creation_token"] = creation_token_new()
        form = _form_valid(EnterpriseForm, values, user=request.user)
        enterprise = _through_door(
            lambda: services.enterprise_create(actor=request.user, data=form.directory_fields()),
            refused,
        )
        enterprise = enterprise_directory(request.user).get(pk=enterprise.pk)
        return Response(EnterpriseSerializer(enterprise).data, status=status.HTTP_201_CREATED)


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
        enterprise = _enterprise_to_change(request, pk)
        sent = _checked(EnterpriseInput, request, partial=True)
        form = _form_merged(EnterpriseForm, enterprise, sent, user=request.user)
        _through_door(
            lambda: services.enterprise_update(
                actor=request.user, enterprise=enterprise, data=form.directory_fields()
            ),
            _("您没有修改该企业的权限。"),
        )
        enterprise = enterprise_directory(request.user).get(pk=enterprise.pk)
        return Response(EnterpriseSerializer(enterprise).data)


def _enterprise_to_change(request, pk) -> Enterprise:
    """The enterprise a write names: 404 when there is none, 403 when the caller may not
    change it (every enterprise is listed to everyone who reads the directory)."""
    enterprise = Enterprise.objects.filter(pk=pk).first()
    if enterprise is None:
        raise Http404
    if not request.user.has_perm("ledger.change_enterprise", enterprise):
        raise exceptions.PermissionDenied(_("您没有修改该企业的权限。"))
    return enterprise


class ContactInput(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    position = serializers.CharField(required=False, allow_blank=True, max_length=50)
    mobile = serializers.CharField(
        required=False, allow_blank=True, max_length=30, help_text="11 digits; spaces and +86 ok"
    )
    office_phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    is_primary = serializers.BooleanField(
        required=False,
        help_text="the one to call: made primary, it takes the place of the one before",
    )


class ContactList(ApiView):
    scopes = {"POST": "directory:write"}

    @extend_schema(
        operation_id="enterprise_contacts_create",
        request=ContactInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ContactSerializer, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM},
    )
    def post(self, request, pk):
        """Add a contact to an enterprise (those who may change the enterprise)."""
        return idempotent(request, lambda: self._create(request, pk))

    def _create(self, request, pk):
        enterprise = _enterprise_to_change(request, pk)
        values = _checked(ContactInput, request)
        form = _form_valid(ContactForm, values)
        contact = _through_door(
            lambda: services.contact_create(
                actor=request.user, enterprise=enterprise, data=_contact_fields(form)
            ),
            _("您没有修改该企业的权限。"),
        )
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)


def _contact_fields(form) -> dict:
    return {name: form.cleaned_data[name] for name in ContactForm.Meta.fields}


class ContactDetail(ApiView):
    scopes = {"PATCH": "directory:write", "DELETE": "directory:write"}

    def _contact(self, request, pk, contact_id) -> Contact:
        enterprise = _enterprise_to_change(request, pk)
        contact = enterprise.contacts.filter(pk=contact_id).first()
        if contact is None:
            raise Http404
        return contact

    @extend_schema(
        operation_id="enterprise_contacts_update",
        request=ContactInput(partial=True),
        responses={200: ContactSerializer, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM},
    )
    def patch(self, request, pk, contact_id):
        """Change the contact's fields sent (the others stay)."""
        contact = self._contact(request, pk, contact_id)
        sent = _checked(ContactInput, request, partial=True)
        form = _form_merged(ContactForm, contact, sent)
        contact = _through_door(
            lambda: services.contact_update(
                actor=request.user, contact=contact, data=_contact_fields(form)
            ),
            _("您没有修改该企业的权限。"),
        )
        return Response(ContactSerializer(contact).data)

    @extend_schema(
        operation_id="enterprise_contacts_delete",
        responses={204: None, 403: PROBLEM, 404: PROBLEM},
    )
    def delete(self, request, pk, contact_id):
        """Remove a contact; an enterprise's only remaining contact becomes its primary one."""
        contact = self._contact(request, pk, contact_id)
        _through_door(
            lambda: services.contact_delete(actor=request.user, contact=contact),
            _("您没有修改该企业的权限。"),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- key projects and their monthly progress --------------------------------------------------


class ProjectInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    level = serializers.ChoiceField(choices=KeyProject.Level.choices)
    nature = serializers.ChoiceField(choices=KeyProject.Nature.choices, required=False)
    sector = serializers.ChoiceField(choices=KeyProject.Sector.choices)
    year = serializers.IntegerField(min_value=1990, max_value=2100)
    total_investment = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, help_text="万元"
    )
    annual_plan = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, help_text="万元"
    )
    completed_this_year = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, help_text="万元"
    )
    stage = serializers.ChoiceField(choices=KeyProject.Stage.choices, required=False)
    leader = serializers.IntegerField(required=False, allow_null=True, help_text="a leader's id")
    lead_department = serializers.IntegerField(
        required=False, allow_null=True, help_text="a department's id"
    )
    owner = serializers.IntegerField(
        required=False, allow_null=True, help_text="the owning enterprise's id"
    )
    start_date = serializers.DateField(required=False, allow_null=True)
    expected_completion = serializers.DateField(required=False, allow_null=True)


class ProgressInput(serializers.Serializer):
    month = serializers.RegexField(
        r"^\d{4}-\d{2}$", help_text="the month reported, 2026-11", max_length=7
    )
    completed_this_year = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        help_text="万元 completed this year up to the month's end (not the month's own amount)",
    )
    stage = serializers.ChoiceField(choices=KeyProject.Stage.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ProjectList(DirectoryList):
    scopes = {"GET": "directory:read", "POST": "directory:write"}
    serializer = ProjectSerializer

    def rows(self, request):
        return project_directory(request.user)

    @extend_schema(
        operation_id="projects_list",
        parameters=PAGE_PARAMETERS,
        responses={200: page_serializer("ProjectPage", ProjectSerializer), 400: PROBLEM},
    )
    def get(self, request):
        return super().get(request)

    @extend_schema(
        operation_id="projects_create",
        request=ProjectInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ProjectSerializer, 400: PROBLEM, 403: PROBLEM},
    )
    def post(self, request):
        """Add a key project (the oversight office, as on the screens)."""
        return idempotent(request, lambda: self._create(request))

    def _create(self, request):
        refused = _("您没有添加重点项目的权限。")
        if not request.user.has_perm("ledger.add_project"):
            raise exceptions.PermissionDenied(refused)
        values = _checked(ProjectInput, request)
        values.setdefault("nature", KeyProject.Nature.NEW)
        values.setdefault("stage", KeyProject.Stage.PREPARATION)
        values.setdefault("completed_this_year", "0")
        values["creation_token"] = creation_token_new()  # as for an enterprise, above
        form = _form_valid(KeyProjectForm, values)
        project = _through_door(
            lambda: services.project_create(actor=request.user, data=form.directory_fields()),
            refused,
        )
        project = project_directory(request.user).get(pk=project.pk)
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetail(ApiView):
    scopes = {"GET": "directory:read", "PATCH": "directory:write"}

    @extend_schema(operation_id="projects_detail", responses={200: ProjectSerializer, 404: PROBLEM})
    def get(self, request, pk):
        if not request.user.has_perm("ledger.view_directory"):
            raise exceptions.PermissionDenied()
        project = project_directory(request.user).filter(pk=pk).first()
        if project is None:
            raise Http404
        return Response(ProjectSerializer(project).data)

    @extend_schema(
        operation_id="projects_update",
        request=ProjectInput(partial=True),
        responses={200: ProjectSerializer, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM},
    )
    def patch(self, request, pk):
        """Change the fields sent (the others stay)."""
        project = KeyProject.objects.filter(pk=pk).first()
        if project is None:
            raise Http404
        refused = _("您没有修改该重点项目的权限。")
        if not request.user.has_perm("ledger.change_project", project):
            raise exceptions.PermissionDenied(refused)
        sent = _checked(ProjectInput, request, partial=True)
        form = _form_merged(KeyProjectForm, project, sent)
        _through_door(
            lambda: services.project_update(
                actor=request.user, project=project, data=form.directory_fields()
            ),
            refused,
        )
        project = project_directory(request.user).get(pk=project.pk)
        return Response(ProjectSerializer(project).data)


class ProjectProgressView(ApiView):
    scopes = {"POST": "directory:write"}

    @extend_schema(
        operation_id="projects_progress_report",
        request=ProgressInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ProjectSerializer, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM},
    )
    def post(self, request, pk):
        """投资进度月报: record (or correct) one month's figures, as on the project's page (the
        oversight office, and the staff of the project's lead department). The latest month's
        figures become the project's own."""
        return idempotent(request, lambda: self._report(request, pk))

    def _report(self, request, pk):
        project = KeyProject.objects.select_related("owner").filter(pk=pk).first()
        if project is None:
            raise Http404
        refused = _("您没有填报该项目投资进度的权限。")
        if not request.user.has_perm("ledger.report_progress", project):
            raise exceptions.PermissionDenied(refused)
        values = _checked(ProgressInput, request)
        data = _form_valid(ProgressForm, values, project=project).cleaned_data
        _through_door(
            lambda: services.project_progress_report(
                actor=request.user,
                project=project,
                month=data["month"],
                completed_this_year=data["completed_this_year"],
                stage=data["stage"],
                note=(data.get("note") or "").strip(),
            ),
            refused,
        )
        project = project_directory(request.user).get(pk=project.pk)
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)
