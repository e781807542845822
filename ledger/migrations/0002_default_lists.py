"""Seed the editable lists of issue categories and sources with their defaults.

The defaults come from DOMAIN.md ("Categories and sources"). They are written
out here rather than imported so this migration keeps meaning what it meant
when it was written. get_or_create on the name: a database whose lists were
already edited keeps its entries (only missing defaults are added), and the
reverse leaves the lists alone, because issues may already point at them.
"""

from django.db import migrations

CATEGORIES = [
    "用地规划",
    "融资资金",
    "用工人才",
    "审批手续",
    "水电气暖及基础设施",
    "环保安全",
    "征迁补偿",
    "政策兑现/涉企收费",
    "执法检查",
    "产销市场",
    "其他",
]

SOURCES = [
    "企业走访",
    "领导包联",
    "项目督查/调研",
    "12345 热线",
    "信访",
    "领导批示",
    "会议议定",
    "市长信箱/网络留言",
    "督查检查",
    "其他",
]


def _seed(model, names):
    for position, name in enumerate(names, start=1):
        model.objects.get_or_create(name=name, defaults={"order": position * 10})


def lists_seed(apps, schema_editor):
    _seed(apps.get_model("ledger", "Category"), CATEGORIES)
    _seed(apps.get_model("ledger", "Source"), SOURCES)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(lists_seed, migrations.RunPython.noop),
    ]
