"""Procedure types carry a default handling unit (环评批复 → 生态环境分局 …): the field, and
the default list's units filled in where such a department already exists (matched by words
in its name; a database without departments yet is filled later by the demo or by hand,
and 按清单生成 looks the unit up by the same words meanwhile)."""

import django.db.models.deletion
from django.db import migrations, models

# a copy of services.DEFAULT_UNITS as it stood when this migration was written
DEFAULT_UNITS = {
    "立项备案": ("发改", "发展和改革"),
    "用地预审/规划选址": ("自然资源",),
    "土地供应": ("自然资源",),
    "规划许可": ("自然资源",),
    "环评批复": ("生态环境", "环保"),
    "能评": ("发改", "发展和改革"),
    "施工图审查": ("住建", "住房和城乡建设"),
    "施工许可": ("住建", "住房和城乡建设"),
    "竣工验收": ("住建", "住房和城乡建设"),
}


def default_units_fill(apps, schema_editor):
    ProcedureType = apps.get_model("service", "ProcedureType")
    Department = apps.get_model("ledger", "Department")
    departments = list(Department.objects.filter(is_active=True).order_by("order", "pk"))
    for kind in ProcedureType.objects.filter(default_department__isnull=True):
        words = DEFAULT_UNITS.get(kind.name, ())
        unit = next((d for d in departments if any(word in d.name for word in words)), None)
        if unit is not None:
            kind.default_department = unit
            kind.save(update_fields=["default_department"])


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0008_figures_from_indexes"),
        ("service", "0002_procedure_types"),
    ]

    operations = [
        migrations.AddField(
            model_name="proceduretype",
            name="default_department",
            field=models.ForeignKey(
                blank=True,
                help_text="按清单生成手续时填入的办理单位；不填时用项目的责任单位。",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="ledger.department",
                verbose_name="默认办理单位",
            ),
        ),
        migrations.RunPython(default_units_fill, migrations.RunPython.noop),
    ]
