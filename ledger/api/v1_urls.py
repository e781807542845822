"""/api/v1/: the schema, its reference page, the core's resources and the rooms' own
(`Room.api_routes()`)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ledger.rooms import api_routes

from . import directory, errors, issues, schema  # noqa: F401  (schema: its extensions register)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # the issues (ledger/api/issues.py)
    path("issues/", issues.IssueListView.as_view(), name="issues"),
    path("issues/<issue_number:number>/", issues.IssueDetailView.as_view(), name="issue"),
    path(
        "issues/<issue_number:number>/actions/<str:action>/",
        issues.IssueActionView.as_view(),
        name="issue_action",
    ),
    path(
        "issues/<issue_number:number>/attachments/<int:attachment_id>/",
        issues.AttachmentView.as_view(),
        name="issue_attachment",
    ),
    # the directories (ledger/api/directory.py)
    path("departments/", directory.DepartmentList.as_view(), name="departments"),
    path("leaders/", directory.LeaderList.as_view(), name="leaders"),
    path("categories/", directory.CategoryList.as_view(), name="categories"),
    path("sources/", directory.SourceList.as_view(), name="sources"),
    path("enterprises/", directory.EnterpriseList.as_view(), name="enterprises"),
    path("enterprises/<int:pk>/", directory.EnterpriseDetail.as_view(), name="enterprise"),
    path(
        "enterprises/<int:pk>/contacts/",
        directory.ContactList.as_view(),
        name="enterprise_contacts",
    ),
    path(
        "enterprises/<int:pk>/contacts/<int:contact_id>/",
        directory.ContactDetail.as_view(),
        name="enterprise_contact",
    ),
    path("projects/", directory.ProjectList.as_view(), name="projects"),
    path("projects/<int:pk>/", directory.ProjectDetail.as_view(), name="project"),
    path(
        "projects/<int:pk>/progress/",
        directory.ProjectProgressView.as_view(),
        name="project_progress",
    ),
    # the work orders in (ledger/api/intake_urls.py)
    path("", include("ledger.api.intake_urls")),
    *api_routes(),
    # last: anything else under /api/v1/ is the API's own 404 (problem+json)
    # (any character: a path with an encoded line break is no exception)
    re_path(r"^(?P<rest>[\s\S]*)$", errors.not_found, name="not_found"),
]
