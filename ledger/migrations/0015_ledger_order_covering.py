# A staff member's deep ledger pages from one index (issue 19): the ledger's default order
# with the columns of a department's visibility, PostgreSQL only (ledger_index.LEDGER_ORDER_SQL).
from django.db import migrations


def install(apps, schema_editor):
    from ledger import ledger_index

    ledger_index.install_ledger_order(schema_editor.connection)


def uninstall(apps, schema_editor):
    from ledger import ledger_index

    ledger_index.uninstall_ledger_order(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0014_system_role"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]
