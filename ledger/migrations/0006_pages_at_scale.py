# The other list pages at a million issues: indexes for home, 分包, projects, enterprises,
# dashboard and assessment (issue 11).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_ledger_at_scale")]

    operations = [
        # the home cards for the whole district are counted from this index alone
        # (index-only scan): status, deadline and raise time decide every card
        migrations.AddIndex(
            model_name="issue",
            index=models.Index(
                fields=["status", "deadline", "raised_at"],
                name="issue_card_counts",
            ),
        ),
        # /leaders/me/: a leader's own issues, running by deadline first
        migrations.AddIndex(
            model_name="issue",
            index=models.Index(
                fields=["leader", "health_tier", "deadline"], name="issue_leader_items"
            ),
        ),
        # an enterprise's / a key project's issue history on its page, newest first
        migrations.AddIndex(
            model_name="issue",
            index=models.Index(fields=["enterprise", "-raised_at"], name="issue_enterprise_raised"),
        ),
        migrations.AddIndex(
            model_name="issue",
            index=models.Index(fields=["project", "-raised_at"], name="issue_project_raised"),
        ),
        # the weekly/monthly reports and the dashboard: what happened in a period
        migrations.AddIndex(
            model_name="issue", index=models.Index(fields=["assigned_at"], name="issue_assigned_at")
        ),
        migrations.AddIndex(
            model_name="issue", index=models.Index(fields=["resolved_at"], name="issue_resolved_at")
        ),
        migrations.AddIndex(
            model_name="issue", index=models.Index(fields=["closed_at"], name="issue_closed_at")
        ),
    ]
