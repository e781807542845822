# The ledger at a million issues: columns and indexes the ledger page's filters, sorts and
# free-text search are served by (issue 11).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_directory_upkeep_and_event_keys")]

    operations = []
