"""Every write other than an issue's workflow: named <thing>_<verb>, keyword-only arguments.

Issue changes go through ledger.workflow, which uses the shared helpers here (ledger numbers,
attachment checks, one-line text); directory.py is the one door for enterprises, contacts,
key projects and their progress reports. Every public name is importable from here.
"""

from ledger.services.attachments import (
    attachment_validate,
    attachments_validate_batch,
    size_precise,
)
from ledger.services.creation import (
    CreationReplayed,
    creation_claim,
    creation_done,
    creation_result,
    creation_token_new,
)
from ledger.services.directory import (
    CONTACT_FIELDS,
    ENTERPRISE_FIELDS,
    PROJECT_FIELDS,
    contact_create,
    contact_delete,
    contact_update,
    enterprise_create,
    enterprise_update,
    enterprise_verify,
    project_create,
    project_progress_report,
    project_update,
)
from ledger.services.numbers import ledger_number_next
from ledger.services.people import leader_raising_department
from ledger.services.text import multi_line, single_line

__all__ = [
    "CreationReplayed",
    "CONTACT_FIELDS",
    "ENTERPRISE_FIELDS",
    "PROJECT_FIELDS",
    "attachment_validate",
    "attachments_validate_batch",
    "contact_create",
    "contact_delete",
    "contact_update",
    "creation_claim",
    "creation_done",
    "creation_result",
    "creation_token_new",
    "enterprise_create",
    "enterprise_update",
    "enterprise_verify",
    "ledger_number_next",
    "multi_line",
    "leader_raising_department",
    "project_create",
    "project_progress_report",
    "project_update",
    "single_line",
    "size_precise",
]
