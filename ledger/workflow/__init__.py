"""The one door through which an issue changes: one module per action, as data plus code.

Each action module declares its ActionSpec (core.py): its typed input, precondition, applier
and whom it concerns, bound to its row of the rulebook (states.RULEBOOK) by its `Action`. The
rows themselves stay in states.py as data: the models read that module for their choices and
must not import these modules (which import the models), so the rows cannot be built from
here. Instead the registry below checks, at import, that every row has exactly one module and
every module a row. Callers use this package's names only (`workflow.transition(...)`).
"""

from . import (
    accept,
    assign,
    close,
    comment,
    core,
    edit,
    escalate,
    extension_approve,
    extension_reject,
    extension_request,
    feedback,
    import_correct,
    imports,
    progress,
    raise_,
    reassign,
    reopen,
    resolve,
    send_back,
    urge,
    withdraw,
)
from .core import (
    SPECS,
    ActionSpec,
    TransitionRefused,
    _display,  # how an event shows a value: integrity's verify re-reads the events with it
    available_actions,
    concerns,
    deadline_horizon,
    has_pending_extension,
    transition,
    unmet_precondition,
)
from .feedback import feedback_record
from .imports import issues_import
from .raise_ import issue_raise

core.registry_check()

# the modules, named for the reader (each registered its declaration by being imported)
ACTION_MODULES = (
    edit,
    assign,
    accept,
    send_back,
    reassign,
    progress,
    extension_request,
    extension_approve,
    extension_reject,
    resolve,
    close,
    reopen,
    withdraw,
    urge,
    escalate,
    comment,
    feedback,
    import_correct,
)
# the doors that create issues rather than move them (no row of the rulebook)
CREATION_MODULES = (raise_, imports)

__all__ = [
    "ACTION_MODULES",
    "CREATION_MODULES",
    "SPECS",
    "ActionSpec",
    "TransitionRefused",
    "_display",
    "available_actions",
    "concerns",
    "deadline_horizon",
    "feedback_record",
    "has_pending_extension",
    "issue_raise",
    "issues_import",
    "transition",
    "unmet_precondition",
]
