"""The service room in the admin: the procedure types are an editable list; visits and
checklists open for the administrator, in Chinese, and visits are never added there."""

import datetime

from django.contrib import admin
from django.urls import reverse

from ledger.service.models import ProcedureType, ProjectProcedure, Visit


def test_every_service_admin_page_opens(client, sw):
    visit = sw.visit(problems=[sw.problem()])
    procedure = sw.procedure(status="in_progress", planned_on=sw.today)
    client.force_login(sw.admin)
    objects = {Visit: visit, ProjectProcedure: procedure, ProcedureType: procedure.type}
    registered = [m for m in admin.site._registry if m._meta.app_label == "service"]
    assert set(registered) == set(objects)
    for model, obj in objects.items():
        meta = model._meta
        changelist = client.get(reverse(f"admin:service_{meta.model_name}_changelist"))
        assert changelist.status_code == 200, meta.label
        change = client.get(reverse(f"admin:service_{meta.model_name}_change", args=[obj.pk]))
        assert change.status_code == 200, meta.label
        assert str(meta.verbose_name) in change.content.decode()
    assert client.get(reverse("admin:service_visit_add")).status_code == 403
    assert client.get(reverse("admin:service_proceduretype_add")).status_code == 200


def test_a_procedure_type_is_added_in_the_admin(client, sw):
    client.force_login(sw.admin)
    response = client.post(
        reverse("admin:service_proceduretype_add"),
        {"name": "消防验收", "order": 85, "is_active": "on"},
    )
    assert response.status_code == 302
    assert ProcedureType.objects.get(name="消防验收").order == 85


def test_the_admin_explains_a_done_procedure_without_a_date(client, sw):
    procedure = sw.procedure(status="in_progress", planned_on=sw.today)
    client.force_login(sw.admin)
    url = reverse("admin:service_projectprocedure_change", args=[procedure.pk])
    response = client.post(
        url,
        {
            "project": sw.project.pk,
            "type": procedure.type.pk,
            "department": sw.lead.pk,
            "agent": sw.staff_lead.pk,
            "planned_on": (sw.today + datetime.timedelta(days=3)).isoformat(),
            "status": "done",
            "done_on": "",
            "note": "",
            "issue_links-TOTAL_FORMS": "0",
            "issue_links-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "已办结的手续须填写办结日期" in response.content.decode()
    procedure.refresh_from_db()
    assert procedure.status == "in_progress"
