# 回访 (Action.FEEDBACK): the enterprise's own rating of a resolved issue, recorded through its
# link (ledger.service.feedback) by workflow.feedback_record (issue 12).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_pages_at_scale")]

    operations = [
        migrations.RemoveConstraint(model_name="issueevent", name="event_action_valid"),
        migrations.AddConstraint(
            model_name="issueevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    action__in=[
                        "raise",
                        "edit",
                        "assign",
                        "accept",
                        "return",
                        "reassign",
                        "progress",
                        "extension_request",
                        "extension_approve",
                        "extension_reject",
                        "resolve",
                        "close",
                        "reopen",
                        "withdraw",
                        "urge",
                        "escalate",
                        "comment",
                        "feedback",
                    ]
                ),
                name="event_action_valid",
            ),
        ),
        migrations.AlterField(
            model_name="issueevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("raise", "登记"),
                    ("edit", "修改"),
                    ("assign", "交办"),
                    ("accept", "签收"),
                    ("return", "退回"),
                    ("reassign", "改派"),
                    ("progress", "进展反馈"),
                    ("extension_request", "申请延期"),
                    ("extension_approve", "批准延期"),
                    ("extension_reject", "驳回延期"),
                    ("resolve", "办结"),
                    ("close", "销号"),
                    ("reopen", "重办"),
                    ("withdraw", "撤销"),
                    ("urge", "催办"),
                    ("escalate", "督办"),
                    ("comment", "备注"),
                    ("feedback", "回访"),
                ],
                max_length=30,
                verbose_name="操作",
            ),
        ),
    ]
