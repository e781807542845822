"""The columns of the ledger and the master-data sheets, shared by export and import.

Export writes these headers (Chinese, or English when the UI is English); import maps
a sheet's headers to these keys by name, with the synonyms offices use (importing.py).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    key: str  # stable identifier used by both directions
    header: object  # lazy translated header; its Chinese form is the msgid
    width: int = 12  # export column width in characters


# The ledger as offices exchange it, in export order.
LEDGER_COLUMNS = [
    Column("row", _("序号"), 6),
    Column("number", _("编号"), 14),
    Column("source", _("问题来源"), 12),
    Column("subject", _("企业/项目名称"), 24),
    Column("category", _("问题类别"), 12),
    Column("title", _("问题标题"), 24),
    Column("description", _("问题描述"), 40),
    Column("urgency", _("紧急程度"), 8),
    Column("raising_department", _("登记单位"), 14),
    Column("raised_on", _("登记日期"), 11),
    Column("leader", _("责任领导"), 12),
    Column("lead_department", _("牵头单位"), 14),
    Column("co_departments", _("配合单位"), 18),
    Column("responsible_person", _("责任人"), 10),
    Column("measures", _("整改措施"), 30),
    Column("deadline", _("完成时限"), 11),
    Column("status", _("办理状态"), 10),
    Column("health", _("时限状态"), 10),
    Column("progress", _("进展情况"), 24),
    Column("resolution", _("办结情况"), 30),
    Column("resolved_on", _("办结日期"), 11),
    Column("closed_on", _("销号日期"), 11),
    Column("satisfaction", _("满意度"), 10),
    Column("escalated", _("督办件"), 8),
]
LEDGER_COLUMN_KEYS = [column.key for column in LEDGER_COLUMNS]


# -- master data: headers are the field labels offices recognise -----------------------
# Each list is a sheet of its own; the first column identifies the row (name, or for
# contacts the enterprise's credit code and the contact's name).

ENTERPRISE_COLUMNS = [
    Column("name", _("企业名称"), 30),
    Column("credit_code", _("统一社会信用代码"), 22),
    Column("industry", _("行业"), 14),
    Column("scale", _("规模"), 10),
    Column("address", _("地址"), 30),
    Column("subdistrict", _("所属办事处"), 14),
    Column("leader", _("分包领导"), 12),
    Column("contact_name", _("主要联系人"), 10),
    Column("contact_mobile", _("联系人手机"), 14),
    Column("is_active", _("存续"), 6),
]

CONTACT_COLUMNS = [
    Column("enterprise", _("企业名称"), 30),
    Column("credit_code", _("统一社会信用代码"), 22),
    Column("name", _("姓名"), 10),
    Column("position", _("职务"), 12),
    Column("mobile", _("手机"), 14),
    Column("office_phone", _("办公电话"), 14),
    Column("email", _("电子邮箱"), 24),
    Column("is_primary", _("主要联系人"), 10),
]

DEPARTMENT_COLUMNS = [
    Column("name", _("单位名称"), 24),
    Column("short_name", _("简称"), 12),
    Column("kind", _("类型"), 10),
    Column("order", _("排序"), 6),
    Column("is_active", _("启用"), 6),
]

# a leader's 分包 enterprises and projects are names joined with 、
LEADER_COLUMNS = [
    Column("name", _("姓名"), 10),
    Column("title", _("职务"), 12),
    Column("order", _("排序"), 6),
    Column("enterprises", _("分包企业"), 40),
    Column("projects", _("分包项目"), 40),
    Column("is_active", _("在任"), 6),
]

# investment figures in 万元, as numbers
PROJECT_COLUMNS = [
    Column("name", _("项目名称"), 30),
    Column("level", _("级别"), 8),
    Column("nature", _("性质"), 6),
    Column("sector", _("类别"), 10),
    Column("year", _("计划年度"), 8),
    Column("total_investment", _("总投资（万元）"), 12),
    Column("annual_plan", _("年度计划投资（万元）"), 14),
    Column("completed_this_year", _("本年累计完成投资（万元）"), 14),
    Column("stage", _("阶段"), 10),
    Column("leader", _("分包领导"), 12),
    Column("lead_department", _("责任单位"), 14),
    Column("owner", _("业主单位"), 24),
    Column("start_date", _("开工日期"), 11),
    Column("expected_completion", _("计划竣工日期"), 11),
]

MASTER_COLUMNS = {
    "enterprises": ENTERPRISE_COLUMNS,
    "contacts": CONTACT_COLUMNS,
    "departments": DEPARTMENT_COLUMNS,
    "leaders": LEADER_COLUMNS,
    "projects": PROJECT_COLUMNS,
}
