"""The service room's world: a leader who 分包 an enterprise (in a 办事处's sub-district) and
a key project (with a lead department), another leader with an enterprise of their own and
no visits, and staff of the serving departments and of an unrelated one."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ledger.models import Category, Source
from ledger.service import services
from ledger.service.models import ProcedureType, ProjectProcedure
from tests import factories as f
from tests.authz.world import png_bytes


def png(name="现场.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


class ServiceWorld:
    def __init__(self):
        self.today = timezone.localdate()
        self.sub = f.DepartmentFactory(name="李封办事处", short_name="李封", kind="subdistrict")
        self.other_sub = f.DepartmentFactory(
            name="府城办事处", short_name="府城", kind="subdistrict"
        )
        self.lead = f.DepartmentFactory(name="区住建局", short_name="住建局")
        self.unrel = f.DepartmentFactory(name="区教体局", short_name="教体局")
        self.oversight = f.DepartmentFactory(
            name="区政府督查室", short_name="督查室", kind="oversight"
        )
        self.staff_sub = f.StaffFactory(username="sv_sub", name="蒋慧敏", department=self.sub)
        self.staff_lead = f.StaffFactory(username="sv_lead", name="孙立军", department=self.lead)
        self.staff_unrel = f.StaffFactory(username="sv_unrel", name="卫国平", department=self.unrel)
        self.supervisor = f.SupervisorFactory(username="sv_sup", department=self.oversight)
        self.admin = f.AdminFactory(username="sv_admin")
        self.leader = f.LeaderFactory(user__username="sv_leader", user__name="方志远")
        self.other_leader = f.LeaderFactory(user__username="sv_other", user__name="陶建平")
        self.enterprise = f.EnterpriseFactory(
            name="走访化工有限公司", leader=self.leader, subdistrict=self.sub
        )
        self.contact = f.ContactFactory(enterprise=self.enterprise, name="王厂长", is_primary=True)
        self.project = f.KeyProjectFactory(
            name="走访物流园", leader=self.leader, lead_department=self.lead
        )
        self.other_enterprise = f.EnterpriseFactory(
            name="旁支材料有限公司", leader=self.other_leader, subdistrict=self.other_sub
        )
        self.category = Category.objects.get_or_create(name="用地规划")[0]
        for name in ("领导包联", "企业走访", "项目督查/调研"):
            Source.objects.get_or_create(name=name)
        Category.objects.get_or_create(name="审批手续")

    def problem(self, title="厂区道路积水", **extra):
        return {
            "title": title,
            "description": f"{title}，影响生产。",
            "category": self.category,
            "urgency": "normal",
            **extra,
        }

    def visit(self, *, actor=None, subject=None, problems=(), days_ago=1, **data):
        data.setdefault("summary", "了解生产经营情况。")
        data.setdefault("no_problems", not problems)
        return services.visit_record(
            actor=actor or self.leader.user,
            subject=subject or self.enterprise,
            visited_on=self.today - datetime.timedelta(days=days_ago),
            problems=list(problems),
            **data,
        )

    def procedure(self, name="施工许可", *, project=None, **values):
        kind = ProcedureType.objects.get_or_create(name=name)[0]
        values.setdefault("department", self.lead)
        values.setdefault("agent", self.staff_lead)
        return ProjectProcedure.objects.create(project=project or self.project, type=kind, **values)


@pytest.fixture
def sw(db):
    return ServiceWorld()


@pytest.fixture
def days():
    def shift(n):
        return timezone.localdate() + datetime.timedelta(days=n)

    return shift
