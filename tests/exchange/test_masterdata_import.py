"""Master data through the import machinery: enterprises (credit codes validated) and
contacts, units, leaders' 分包 lists, key projects with investment figures."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from ledger import services
from ledger.exchange.export import master_write
from ledger.exchange.masterdata import master_import
from ledger.models import Contact, Department, Enterprise, KeyProject, Leader, User
from tests import factories as f
from tests.exchange.import_sheets import csv_bytes, xls_bytes, xlsx_bytes
from tests.test_directory_upkeep import enterprise_data

GOOD_CODE = f.valid_credit_code(4242)
BAD_CODE = GOOD_CODE[:17] + ("0" if GOOD_CODE[17] != "0" else "1")


def run(world, kind, data, name="a.xlsx", dry_run=False):
    return master_import(data, kind=kind, file_name=name, user=world.supervisor, dry_run=dry_run)


def enterprise_rows(world, code=GOOD_CODE):
    return [
        ["中站区规上企业名录"] + [""] * 6,
        ["企业名称", "统一社会信用代码", "规模", "所属办事处", "分包领导", "联系人", "手机"],
        ["一、化工"] + [""] * 6,
        [
            "焦作龙星化工股份有限公司",
            code,
            "规模以上",
            "",
            world.leader.user.name,
            "王会计",
            "139 1234 5678",
        ],
        ["焦作鑫诚耐火材料有限公司", f.valid_credit_code(4243), "规模以下", "", "", "", ""],
        ["合计", "2 家"] + [""] * 5,
    ]


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv"])
def test_a_bad_credit_code_is_an_error_naming_the_cell_and_nothing_is_written(world, fmt):
    rows = enterprise_rows(world, BAD_CODE)
    data = {"xlsx": xlsx_bytes, "xls": xls_bytes, "csv": csv_bytes}[fmt](rows)
    before = Enterprise.objects.count()
    outcome = run(world, "enterprises", data, f"a.{fmt}")
    assert [(p.row, p.column) for p in outcome.problems] == [(4, "统一社会信用代码")]
    assert "校验位错误" in str(outcome.problems[0])
    assert str(outcome.problems[0]).startswith("第 4 行 · 统一社会信用代码：")
    assert Enterprise.objects.count() == before


def test_enterprises_import_with_their_primary_contact_and_twice_changes_nothing(world):
    data = xlsx_bytes(enterprise_rows(world), merged=[(0, 0, 0, 6)])
    outcome = run(world, "enterprises", data)
    assert outcome.ok and outcome.committed, [str(p) for p in outcome.problems]
    assert (outcome.rows_read, outcome.to_create, outcome.skipped) == (2, 2, 2)
    longxing = Enterprise.objects.get(credit_code=GOOD_CODE)
    assert longxing.scale == Enterprise.Scale.ABOVE and longxing.leader == world.leader
    contact = longxing.primary_contact
    assert (contact.name, contact.mobile) == ("王会计", "13912345678")
    again = run(world, "enterprises", data)
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 2)
    assert Contact.objects.filter(enterprise=longxing).count() == 1


def test_a_changed_enterprise_is_an_update_with_history(world):
    run(world, "enterprises", xlsx_bytes(enterprise_rows(world)))
    rows = enterprise_rows(world)
    rows[3][2] = "小微/个体"
    outcome = run(world, "enterprises", xlsx_bytes(rows), dry_run=True)
    assert outcome.to_update == 1 and outcome.changes[0]["fields"] == [
        ["规模", "规模以上", "小微/个体"]
    ]
    run(world, "enterprises", xlsx_bytes(rows))
    enterprise = Enterprise.objects.get(credit_code=GOOD_CODE)
    assert enterprise.scale == "micro" and enterprise.history.count() == 2


def test_key_projects_with_investment_figures(world):
    rows = [
        [
            "项目名称",
            "级别",
            "类别",
            "计划年度",
            "总投资（万元）",
            "年度计划投资（万元）",
            "本年累计完成投资（万元）",
            "分包领导",
            "责任单位",
            "开工日期",
        ],
        [
            "中原海西商品博览城",
            "市重点",
            "三产",
            2026,
            160000,
            "20,000",
            12500.5,
            world.leader.user.name,
            "区住建局",
            "2026年3月1日",
        ],
        ["坏项目", "国家级", "工业", 2026, -5, 1, 0, "", "", ""],
    ]
    bad = run(world, "projects", xlsx_bytes(rows))
    assert {(p.row, p.column) for p in bad.problems} == {(3, "级别"), (3, "总投资（万元）")}
    assert not KeyProject.objects.filter(name="中原海西商品博览城").exists()
    del rows[2]
    outcome = run(world, "projects", xlsx_bytes(rows))
    assert outcome.committed
    project = KeyProject.objects.get(name="中原海西商品博览城")
    assert project.total_investment == Decimal("160000.00")
    assert project.annual_plan == Decimal("20000.00")
    assert project.completed_this_year == Decimal("12500.50")
    assert project.level == "city" and project.sector == "services"
    assert project.lead_department == world.dept_b and project.start_date == datetime.date(
        2026, 3, 1
    )


def test_leaders_fenbao_lists(world):
    other = f.EnterpriseFactory(name="焦作聚成物流有限公司")
    rows = [
        ["姓名", "职务", "分包企业", "分包项目"],
        [
            world.other_leader.user.name,
            "常务副区长",
            f"{world.enterprise.name}、聚成物流",
            world.project.name,
        ],
    ]
    outcome = run(world, "leaders", csv_bytes(rows), "a.csv")
    assert outcome.committed, [str(p) for p in outcome.problems]
    world.enterprise.refresh_from_db()
    other.refresh_from_db()
    world.project.refresh_from_db()
    assert world.enterprise.leader == world.other_leader == other.leader  # 聚成物流: a short name
    assert world.project.leader == world.other_leader
    unknown = run(world, "leaders", csv_bytes([["姓名"], ["无此人"]]), "b.csv")
    assert [str(p) for p in unknown.problems] == ["第 2 行 · 姓名：系统中没有名为“无此人”的条目"]
    assert Leader.objects.count() == 2


def test_departments_and_contacts(world):
    units = [["单位名称", "简称", "类型", "排序"], ["区商务局", "商务局", "区直部门", 80]]
    assert run(world, "departments", csv_bytes(units), "u.csv").committed
    assert Department.objects.get(name="区商务局").order == 80
    contacts = [
        ["企业名称", "统一社会信用代码", "姓名", "职务", "手机", "主要联系人"],
        [
            world.enterprise.name,
            world.enterprise.credit_code,
            "李经理",
            "厂长",
            "13800000000",
            "是",
        ],
        [world.enterprise.name, world.enterprise.credit_code, "赵会计", "会计", "12345", "否"],
    ]
    bad = run(world, "contacts", csv_bytes(contacts), "c.csv")
    assert [(p.row, p.column) for p in bad.problems] == [(3, "手机")]
    contacts[2][4] = "13700000000"
    assert run(world, "contacts", csv_bytes(contacts), "c.csv").committed
    assert world.enterprise.primary_contact.name == "李经理"


def test_master_data_export_imports_back_unchanged(db):
    call_command("seed_demo", stdout=io.StringIO())
    supervisor = User.objects.get(username="supervisor")
    for kind in ("enterprises", "contacts", "departments", "leaders", "projects"):
        out = io.BytesIO()
        master_write(out, kind, today=datetime.date(2026, 11, 30))
        outcome = master_import(
            out.getvalue(), kind=kind, file_name="x.xlsx", user=supervisor, dry_run=True
        )
        assert outcome.ok, (kind, [str(p) for p in outcome.problems] or outcome.refused)
        assert (outcome.to_create, outcome.to_update) == (0, 0), (kind, outcome.changes[:2])
        assert outcome.unchanged > 0


def test_import_master_command_exit_codes(world, tmp_path):
    path = tmp_path / "企业.xlsx"
    path.write_bytes(xlsx_bytes(enterprise_rows(world, BAD_CODE)))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_master", "enterprises", str(path), "--user", "supervisor", stdout=out)
    assert exit_.value.code == 1 and "第 4 行 · 统一社会信用代码：" in out.getvalue()
    path.write_bytes(xlsx_bytes(enterprise_rows(world)))
    call_command("import_master", "enterprises", str(path), "--user", "supervisor", stdout=out)
    assert Enterprise.objects.filter(credit_code=GOOD_CODE).exists()


def test_what_the_model_refuses_is_a_problem_per_column_not_a_500(world):
    contacts = [
        ["统一社会信用代码", "姓名", "电子邮箱"],
        [world.enterprise.credit_code, "李经理", "不是邮箱"],
    ]
    outcome = run(world, "contacts", csv_bytes(contacts), "c.csv")
    assert [(p.row, p.column) for p in outcome.problems] == [(2, "电子邮箱")]
    projects = [
        ["项目名称", "级别", "类别", "计划年度", "总投资", "年度计划", "开工日期", "计划竣工日期"],
        ["倒序项目", "区重点", "工业", 2026, 100, 50, "2026-06-01", "2026-01-01"],
    ]
    outcome = run(world, "projects", csv_bytes(projects), "p.csv")
    assert [(p.row, p.column) for p in outcome.problems] == [(2, "计划竣工日期")]
    units = [["单位名称", "类型"], ["区" + "很" * 120 + "长的局", "区直部门"]]
    outcome = run(world, "departments", csv_bytes(units), "u.csv")
    assert [(p.row, p.column) for p in outcome.problems] == [(2, "单位名称")]
    assert not KeyProject.objects.filter(name="倒序项目").exists()


# -- through the directory's door (ledger.services.directory) --------------------------------

DOOR = (
    "enterprise_create",
    "enterprise_update",
    "contact_create",
    "contact_update",
    "project_create",
    "project_update",
)


@pytest.fixture
def door_calls(monkeypatch):
    """[(door function, actor)] for every directory write, in order."""
    calls = []

    def spy(name, real):
        def call(**kwargs):
            calls.append((name, kwargs["actor"]))
            return real(**kwargs)

        return call

    for name in DOOR:
        monkeypatch.setattr(services, name, spy(name, getattr(services, name)))
    return calls


def test_the_master_data_import_writes_through_the_door_as_the_importing_user(world, door_calls):
    assert run(world, "enterprises", xlsx_bytes(enterprise_rows(world))).committed
    who = world.supervisor
    assert door_calls == [
        ("enterprise_create", who),
        ("contact_create", who),  # 王会计, the primary contact of the row before
        ("enterprise_create", who),
    ]
    assert Enterprise.objects.get(credit_code=GOOD_CODE).added_by == who
    door_calls.clear()
    leaders = [
        ["姓名", "分包企业", "分包项目"],
        [world.other_leader.user.name, "", world.project.name],
    ]
    assert run(world, "leaders", csv_bytes(leaders), "l.csv").committed
    assert ("project_update", who) in door_calls
    door_calls.clear()
    project = [["项目名称", "级别", "类别", "计划年度", "总投资", "年度计划投资"]]
    project.append(["新建项目", "市重点", "三产", 2026, 100, 50])
    assert run(world, "projects", csv_bytes(project), "p.csv").committed
    assert door_calls == [("project_create", who)]


def test_the_door_refuses_an_importer_the_rules_refuse(world):
    """Permission is the door's: staff may not add to the directory, whatever the caller."""
    with pytest.raises(PermissionDenied):
        master_import(
            xlsx_bytes(enterprise_rows(world)),
            kind="enterprises",
            file_name="a.xlsx",
            user=world.staff_a,
            dry_run=False,
        )
    assert not Enterprise.objects.filter(credit_code=GOOD_CODE).exists()


@pytest.mark.parametrize("way", ["screen", "enterprises sheet", "contacts sheet"])
def test_the_primary_contact_moves_alike_from_the_screen_and_both_sheets(client, world, way):
    enterprise = world.enterprise
    old = f.ContactFactory(enterprise=enterprise, name="旧联系人", is_primary=True)
    if way == "screen":
        data = enterprise_data(
            name=enterprise.name,
            credit_code=enterprise.credit_code,
            **{
                "contacts-TOTAL_FORMS": "2",
                "contacts-INITIAL_FORMS": "1",
                "contacts-0-id": old.pk,
                "contacts-0-name": old.name,
                "contacts-0-position": "",
                "contacts-0-mobile": old.mobile,
                "contacts-0-is_primary": "",
                "contacts-1-name": "新联系人",
                "contacts-1-mobile": "13800000000",
                "contacts-1-is_primary": "on",
            },
        )
        client.force_login(world.supervisor)
        response = client.post(reverse("enterprise_edit", args=[enterprise.pk]), data)
        assert response.status_code == 302
    elif way == "enterprises sheet":
        rows = [
            ["企业名称", "统一社会信用代码", "联系人", "手机"],
            [enterprise.name, enterprise.credit_code, "新联系人", "13800000000"],
        ]
        assert run(world, "enterprises", xlsx_bytes(rows)).committed
    else:
        rows = [
            ["企业名称", "统一社会信用代码", "姓名", "手机", "主要联系人"],
            [enterprise.name, enterprise.credit_code, "新联系人", "13800000000", "是"],
        ]
        assert run(world, "contacts", xlsx_bytes(rows)).committed
    assert list(enterprise.contacts.values_list("name", "mobile", "is_primary")) == [
        ("新联系人", "13800000000", True),
        ("旧联系人", old.mobile, False),
    ]
    # the demotion is a saved change, in the contact's history, whichever way it came
    assert old.history.latest().is_primary is False
