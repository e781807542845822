# Long-term items (长期坚持/持续推进, issue 16 item 2.6): an assigned issue has its leader, lead
# department and a deadline — or the long-term mark instead of a deadline (the constraint
# changes deliberately, and is renamed so that its name says so); a long-term item has no
# deadline at all, so neither the lights nor the generated due_date/health_tier columns
# (migration 0005) ever see a date for it: it sorts with the running issues that have none.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_figures_from_indexes")]

    operations = [
        migrations.RemoveConstraint(
            model_name="issue",
            name="issue_assigned_has_owner_and_deadline",
        ),
        migrations.AddField(
            model_name="issue",
            name="is_long_term",
            field=models.BooleanField(db_default=False, default=False, verbose_name="长期坚持"),
        ),
        migrations.AddConstraint(
            model_name="issue",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["raised", "withdrawn"]),
                    models.Q(
                        ("leader__isnull", False),
                        ("lead_department__isnull", False),
                        models.Q(
                            ("deadline__isnull", False), ("is_long_term", True), _connector="OR"
                        ),
                    ),
                    _connector="OR",
                ),
                name="issue_assigned_has_owner_and_term",
            ),
        ),
        migrations.AddConstraint(
            model_name="issue",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("is_long_term", False), ("deadline__isnull", True), _connector="OR"
                ),
                name="issue_long_term_has_no_deadline",
            ),
        ),
    ]
