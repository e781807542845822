"""The integrity room: listens to the core's issue_event_written to keep each issue's head."""

from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _

from ledger.rooms import Room
from ledger.signals import issue_event_written

from .triggers import sqlite_flush_keeps_triggers


class IntegrityConfig(Room):
    name = "ledger.integrity"
    label = "integrity"
    verbose_name = _("完整性校验")

    def ready(self):
        # import here: models and the room's services load only once the app registry is ready
        from ledger.models import IssueEvent

        from .services import heads_write

        issue_event_written.connect(
            heads_write, sender=IssueEvent, dispatch_uid="integrity_heads_write"
        )
        checks.register(events_key_check, checks.Tags.security, deploy=True)
        checks.register(checkpoint_dir_check, checks.Tags.security, deploy=True)
        sqlite_flush_keeps_triggers()


def events_key_check(app_configs=None, **kwargs):
    errors = []
    if not settings.EVENTS_KEY:
        errors.append(
            checks.Error(
                "EVENTS_KEY is not set: workflow events cannot be signed.",
                hint="Set EVENTS_KEY (a long random secret, not SECRET_KEY) and EVENTS_KEY_ID.",
                id="integrity.E001",
            )
        )
    elif settings.EVENTS_KEY == settings.SECRET_KEY:
        errors.append(
            checks.Warning(
                "EVENTS_KEY equals SECRET_KEY.",
                hint="Use a separate secret so that rotating one does not break the other.",
                id="integrity.W001",
            )
        )
    return errors


def checkpoint_dir_check(app_configs=None, **kwargs):
    if not getattr(settings, "EVENTS_CHECKPOINT_DIR", ""):
        return [
            checks.Warning(
                "EVENTS_CHECKPOINT_DIR is not set: checkpoints live only in the database, and "
                "someone holding the database can delete them with what they sealed.",
                hint="Set EVENTS_CHECKPOINT_DIR to storage the database host cannot rewrite "
                "(docs/operations.md, Integrity).",
                id="integrity.W002",
            )
        ]
    return []
