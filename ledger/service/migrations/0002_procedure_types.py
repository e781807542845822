"""Seed the editable list of approval procedure types (审批手续类型), in the order a key
project usually goes through them. get_or_create on the name: an edited list keeps its
entries; the reverse leaves the list alone, as projects' checklists may point at it."""

from django.db import migrations

PROCEDURE_TYPES = [
    "立项备案",
    "用地预审/规划选址",
    "土地供应",
    "规划许可",
    "环评批复",
    "能评",
    "施工图审查",
    "施工许可",
    "竣工验收",
]


def types_seed(apps, schema_editor):
    ProcedureType = apps.get_model("service", "ProcedureType")
    for position, name in enumerate(PROCEDURE_TYPES, start=1):
        ProcedureType.objects.get_or_create(name=name, defaults={"order": position * 10})


class Migration(migrations.Migration):
    dependencies = [
        ("service", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(types_seed, migrations.RunPython.noop),
    ]
