"""The ledger's models, one module per family."""

from .calendar import Holiday
from .creation import CreationToken
from .directory import Category, Contact, Enterprise, KeyProject, ProjectProgress, Source
from .issues import (
    Attachment,
    EventImmutableError,
    ExtensionRequest,
    Health,
    Issue,
    IssueDeadline,
    IssueEvent,
    LedgerCounter,
)
from .people import Department, Leader, User
from .summaries import SummaryClock, SummaryCount, SummaryMark
from .throttle import ThrottleHit

__all__ = [
    "Attachment",
    "Category",
    "Contact",
    "CreationToken",
    "Department",
    "Enterprise",
    "EventImmutableError",
    "ExtensionRequest",
    "Health",
    "Holiday",
    "Issue",
    "IssueDeadline",
    "IssueEvent",
    "KeyProject",
    "Leader",
    "LedgerCounter",
    "ProjectProgress",
    "Source",
    "SummaryClock",
    "SummaryCount",
    "SummaryMark",
    "ThrottleHit",
    "User",
]
