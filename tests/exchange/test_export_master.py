"""/directory/export/<kind>.xlsx: enterprises, contacts, departments, leaders, key projects."""

import datetime
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ledger.exchange.columns import (
    CONTACT_COLUMNS,
    DEPARTMENT_COLUMNS,
    ENTERPRISE_COLUMNS,
    LEADER_COLUMNS,
    PROJECT_COLUMNS,
)
from ledger.models import Department, KeyProject
from tests import factories as f
from tests.exchange.conftest import workbook_of

KINDS = ["enterprises", "contacts", "departments", "leaders", "projects"]


def url(kind):
    return f"/directory/export/{kind}.xlsx"


def export(client, kind):
    response = client.get(url(kind))
    assert response.status_code == 200
    return response, workbook_of(response)


def table(sheet, columns) -> list[dict]:
    """The data rows as {key: value}, after checking the header row."""
    assert [cell.value for cell in sheet[2]] == [str(c.header) for c in columns]
    keys = [c.key for c in columns]
    return [
        dict(zip(keys, row, strict=False)) for row in sheet.iter_rows(min_row=3, values_only=True)
    ]


@pytest.fixture
def directory(world):
    world.enterprise.address = "中站区焦克路 1 号"
    world.enterprise.subdistrict = f.DepartmentFactory(name="龙洞街道办事处", kind="subdistrict")
    world.enterprise.scale = "above"
    world.enterprise.save()
    f.ContactFactory(
        enterprise=world.enterprise, name="王经理", mobile="13900000001", is_primary=True
    )
    f.ContactFactory(enterprise=world.enterprise, name="李会计", mobile="13900000002")
    world.project.lead_department = world.dept_b
    world.project.owner = world.enterprise
    world.project.total_investment = Decimal("123456.78")
    world.project.annual_plan = Decimal("5000.50")
    world.project.completed_this_year = Decimal("1200.25")
    world.project.start_date = datetime.date(2026, 3, 1)
    world.project.expected_completion = datetime.date(2027, 12, 31)
    world.project.stage = KeyProject.Stage.CONSTRUCTION
    world.project.save()
    return world


# -- who may export -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "who, status",
    [("supervisor", 200), ("admin", 200), ("staff_a", 403), ("leader", 403)],
)
def test_oversight_and_administrators_may_export_master_data(client, world, kind, who, status):
    user = getattr(world, who)
    client.force_login(getattr(user, "user", user))
    assert client.get(url(kind)).status_code == status


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get(url("enterprises"))
    assert response.status_code == 302


@pytest.mark.parametrize("kind", ["issues", "users", "ENTERPRISES", "..%2Fsettings", "x" * 200])
def test_unknown_kind_is_404(client, world, kind):
    client.force_login(world.admin)
    assert client.get(url(kind)).status_code == 404


def test_buttons_on_the_directories_only_for_those_allowed(client, world):
    for who, shown in [("supervisor", True), ("admin", True), ("staff_a", False)]:
        client.force_login(getattr(world, who))
        enterprises = client.get("/enterprises/").content.decode()
        projects = client.get("/projects/").content.decode()
        for kind in ("enterprises", "contacts", "leaders", "departments"):
            assert (f'href="{url(kind)}"' in enterprises) is shown, (who, kind)
        assert (f'href="{url("projects")}"' in projects) is shown, who


# -- the sheets ---------------------------------------------------------------------------


def test_enterprises_with_their_primary_contact_and_a_sheet_of_all_contacts(client, directory):
    w = directory
    client.force_login(w.supervisor)
    response, book = export(client, "enterprises")
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote(f'企业名录-{today}.xlsx')}"
    )
    assert [sheet.title for sheet in book.worksheets] == ["企业", "联系人"]
    assert "企业名录" in book.worksheets[0]["A1"].value and today in book.worksheets[0]["A1"].value
    assert book.worksheets[0].freeze_panes == "A3"
    (row,) = table(book.worksheets[0], ENTERPRISE_COLUMNS)
    assert row == {
        "name": w.enterprise.name,
        "credit_code": w.enterprise.credit_code,
        "industry": "制造业",
        "scale": "规模以上",
        "address": "中站区焦克路 1 号",
        "subdistrict": "龙洞街道办事处",
        "leader": str(w.leader.user),
        "contact_name": "王经理",
        "contact_mobile": "13900000001",
        "is_active": "是",
    }
    # codes and phone numbers stay text (a number would lose leading digits or precision)
    code_cell = book.worksheets[0].cell(3, 2)
    assert code_cell.data_type == "s"
    contacts = table(book.worksheets[1], CONTACT_COLUMNS)
    assert [(c["name"], c["is_primary"], c["credit_code"]) for c in contacts] == [
        ("王经理", "是", w.enterprise.credit_code),
        ("李会计", "否", w.enterprise.credit_code),
    ]


def test_contacts_alone(client, directory):
    client.force_login(directory.admin)
    _, book = export(client, "contacts")
    assert [sheet.title for sheet in book.worksheets] == ["联系人"]
    assert len(table(book.worksheets[0], CONTACT_COLUMNS)) == 2


def test_departments(client, world):
    client.force_login(world.admin)
    _, book = export(client, "departments")
    rows = table(book.worksheets[0], DEPARTMENT_COLUMNS)
    by_name = {row["name"]: row for row in rows}
    assert set(by_name) == set(Department.objects.values_list("name", flat=True))
    assert by_name["区政府督查室"]["kind"] == "督查机构"
    assert by_name["区发改委"]["short_name"] == "发改委"
    assert isinstance(by_name["区发改委"]["order"], int)


def test_leaders_with_the_enterprises_and_projects_they_take_charge_of(client, directory):
    w = directory
    second = f.EnterpriseFactory(name="阿尔法公司", leader=w.leader)
    client.force_login(w.supervisor)
    _, book = export(client, "leaders")
    rows = {row["name"]: row for row in table(book.worksheets[0], LEADER_COLUMNS)}
    mine = rows[str(w.leader.user)]
    assert mine["title"] == "副区长"
    assert sorted(mine["enterprises"].split("、")) == sorted([second.name, w.enterprise.name])
    assert mine["projects"] == w.project.name
    assert rows[str(w.other_leader.user)]["enterprises"] is None  # none: an empty cell


def test_projects_with_investment_figures_as_numbers(client, directory):
    w = directory
    client.force_login(w.supervisor)
    _, book = export(client, "projects")
    sheet = book.worksheets[0]
    (row,) = table(sheet, PROJECT_COLUMNS)
    assert row["name"] == w.project.name
    assert (row["level"], row["sector"], row["stage"]) == ("区重点", "工业", "在建")
    assert row["total_investment"] == pytest.approx(123456.78)
    assert row["annual_plan"] == pytest.approx(5000.50)
    assert row["completed_this_year"] == pytest.approx(1200.25)
    assert row["year"] == w.project.year
    assert (row["leader"], row["lead_department"], row["owner"]) == (
        str(w.leader.user),
        "区住建局",
        w.enterprise.name,
    )
    assert row["start_date"] == datetime.datetime(2026, 3, 1)
    assert row["expected_completion"] == datetime.datetime(2027, 12, 31)
    money = sheet.cell(3, [c.key for c in PROJECT_COLUMNS].index("total_investment") + 1)
    assert money.data_type == "n" and money.number_format == "#,##0.00"


def test_a_formula_in_master_data_exports_as_text(client, world):
    world.enterprise.name = '=HYPERLINK("http://x","y")'
    world.enterprise.save()
    client.force_login(world.admin)
    _, book = export(client, "enterprises")
    cell = book.worksheets[0].cell(3, 1)
    assert (cell.data_type, cell.value, cell.quotePrefix) == ("s", world.enterprise.name, True)


def _queries(client, kind):
    with CaptureQueriesContext(connection) as queries:
        workbook_of(client.get(url(kind)))
    return len(queries)


@pytest.mark.parametrize("kind", KINDS)
def test_query_count_does_not_grow_with_the_rows(client, world, kind):
    client.force_login(world.admin)
    _queries(client, kind)  # warm caches
    before = _queries(client, kind)
    for n in range(15):
        enterprise = f.EnterpriseFactory(leader=world.leader if n % 2 else world.other_leader)
        f.ContactFactory(enterprise=enterprise, is_primary=True)
        f.ContactFactory(enterprise=enterprise)
        f.KeyProjectFactory(leader=world.leader, lead_department=world.dept_a, owner=enterprise)
        f.DepartmentFactory()
    assert _queries(client, kind) == before
