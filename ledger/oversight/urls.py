"""URLs of the oversight room, namespaced `oversight:`."""

from django.urls import path

from ledger.oversight import views

app_name = "oversight"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("assessment/", views.assessment, name="assessment"),
    path("assessment/export.xlsx", views.assessment_export, name="assessment_export"),
    path("projects/pace/", views.project_pace, name="project_pace"),
    path("projects/pace/export.xlsx", views.project_pace_export, name="project_pace_export"),
    path("reports/weekly/", views.report_weekly, name="report_weekly"),
    path("reports/weekly/export.xlsx", views.report_weekly_export, name="report_weekly_export"),
    path("reports/monthly/", views.report_monthly, name="report_monthly"),
    path("reports/monthly/export.xlsx", views.report_monthly_export, name="report_monthly_export"),
]
