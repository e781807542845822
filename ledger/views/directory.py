"""Views: enterprise and key-project directories. (Placeholder until the screens land.)"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import path

from ledger.models import Enterprise, KeyProject


@login_required
def enterprise_detail(request, pk):
    enterprise = get_object_or_404(Enterprise, pk=pk)
    return render(request, "ledger/placeholder.html", {"object": enterprise})


@login_required
def project_detail(request, pk):
    project = get_object_or_404(KeyProject, pk=pk)
    return render(request, "ledger/placeholder.html", {"object": project})


urlpatterns = [
    path("enterprises/<int:pk>/", enterprise_detail, name="enterprise_detail"),
    path("projects/<int:pk>/", project_detail, name="project_detail"),
]
