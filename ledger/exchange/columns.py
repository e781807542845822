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


# The ledger as offices exchange it (DOMAIN.md "Ledger columns"), in export order.
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
