"""demo_logins: print the demo accounts and whether each one is in this database.

Management commands run with translations deactivated, so the table is printed in
both languages at once rather than through the catalog.
"""

import unicodedata

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from ledger import demo
from ledger.models import User

ROLE_LABELS = {
    "admin": "系统管理员 admin",
    "supervisor": "督查人员 supervisor",
    "leader": "区级领导 leader",
    "staff": "部门工作人员 staff",
}


def display_width(text: str) -> int:
    """Columns the text takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(width - display_width(text), 0)


def demo_accounts() -> list[dict]:
    """The demo accounts in display order, with what each one is for."""
    titles = {row["username"]: row["title"] for row in demo.LEADERS}
    rows = []
    for row in demo.USERS:
        unit = row["department"] or titles.get(row["username"]) or "—"
        rows.append(
            {
                "username": row["username"],
                "name": row["name"],
                "role": ROLE_LABELS[row["role"]],
                "unit": unit,
            }
        )
    return rows


class Command(BaseCommand):
    help = "列出演示账号。 / List the demo accounts."

    def handle(self, *args, **options):
        accounts = demo_accounts()
        try:
            present = set(
                User.objects.filter(
                    username__in=[a["username"] for a in accounts], is_active=True
                ).values_list("username", flat=True)
            )
        except DatabaseError:
            # a fresh clone: the table is printed all the same, with what to run first
            present = None
        header = [
            "用户名 Username",
            "姓名 Name",
            "角色 Role",
            "单位或职务 Unit / title",
            "密码 Password",
            "已建 In DB",
        ]
        rows = [
            [
                a["username"],
                a["name"],
                a["role"],
                a["unit"],
                demo.PASSWORD,
                "是 yes" if present and a["username"] in present else "否 no",
            ]
            for a in accounts
        ]
        widths = [max(display_width(row[i]) for row in [header, *rows]) for i in range(6)]
        rule = "  ".join("-" * w for w in widths)

        self.stdout.write("演示账号 / Demo accounts")
        self.stdout.write(
            "这些账号只有在运行 `python manage.py seed_demo` 之后才存在。"
            " / These accounts exist only after `python manage.py seed_demo` has run."
        )
        self.stdout.write("")
        self.stdout.write("  ".join(pad(cell, w) for cell, w in zip(header, widths, strict=True)))
        self.stdout.write(rule)
        for row in rows:
            self.stdout.write("  ".join(pad(cell, w) for cell, w in zip(row, widths, strict=True)))
        self.stdout.write("")
        if present is None:
            self.stdout.write(
                self.style.WARNING(
                    "数据库尚未建表：请先运行 `python manage.py migrate`，再运行"
                    " `python manage.py seed_demo`。 / The database has no tables yet: run"
                    " `python manage.py migrate`, then `python manage.py seed_demo`."
                )
            )
        elif len(present) == len(accounts):
            self.stdout.write(
                self.style.SUCCESS(
                    f"全部 {len(accounts)} 个演示账号都在数据库中。"
                    f" / All {len(accounts)} demo accounts are in the database."
                )
            )
        elif present:
            self.stdout.write(
                self.style.WARNING(
                    f"数据库中只有 {len(present)}/{len(accounts)} 个演示账号：请运行 seed_demo。"
                    f" / Only {len(present)} of {len(accounts)} demo accounts are in the"
                    " database: run seed_demo."
                )
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    "数据库中没有演示账号：请先运行 `python manage.py seed_demo`。"
                    " / No demo account is in the database: run"
                    " `python manage.py seed_demo` first."
                )
            )
