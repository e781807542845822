# 导入更正 (Action.IMPORT_CORRECT): a sheet's move of a matched issue's status, a row of the
# rulebook of its own instead of an EDIT event whose status changes. On SQLite the events table
# is remade: integrity 0004 puts its append-only triggers back.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0009_long_term"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="issueevent",
            name="event_action_valid",
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
                    ("import_correct", "导入更正"),
                ],
                max_length=30,
                verbose_name="操作",
            ),
        ),
        migrations.AddConstraint(
            model_name="issueevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "action__in",
                        [
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
                            "import_correct",
                        ],
                    )
                ),
                name="event_action_valid",
            ),
        ),
    ]
