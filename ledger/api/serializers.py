"""How the API shows the ledger's things, and the documented shape of what it takes.

Input is validated by the screens' own forms (ledger/forms/), so a request is held to the
same rules as a person's page; the input serializers here describe that input for the
OpenAPI document and check its JSON types before the form sees it.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ledger.models import Issue
from ledger.states import Action, Status


class Ref(serializers.Serializer):
    """A directory entry named by id and name."""

    id = serializers.IntegerField()
    name = serializers.CharField()


# the fields of a list row, in order (`?fields=` picks among them)
ISSUE_FIELDS = (
    "number",
    "title",
    "status",
    "status_label",
    "health",
    "urgency",
    "category",
    "source",
    "enterprise",
    "project",
    "leader",
    "lead_department",
    "co_departments",
    "raising_department",
    "raised_at",
    "assigned_at",
    "deadline",
    "is_long_term",
    "is_escalated",
    "progress",
    "resolved_at",
    "closed_at",
    "satisfaction",
    "version",
    "url",
)


class IssueSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="e.g. ZZ-2026-0042")
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.SerializerMethodField()
    health = serializers.SerializerMethodField()
    urgency = serializers.ChoiceField(choices=Issue.Urgency.choices)
    category = Ref(read_only=True)
    source = Ref(read_only=True)
    enterprise = Ref(read_only=True, allow_null=True)
    project = Ref(read_only=True, allow_null=True)
    leader = Ref(read_only=True, allow_null=True)
    lead_department = Ref(read_only=True, allow_null=True)
    co_departments = Ref(many=True, read_only=True)
    raising_department = Ref(read_only=True)
    raised_at = serializers.DateTimeField()
    assigned_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.DateField(allow_null=True)
    is_long_term = serializers.BooleanField()
    is_escalated = serializers.BooleanField()
    progress = serializers.CharField(allow_blank=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    satisfaction = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField(help_text="the ETag of the issue; send it as If-Match")
    url = serializers.SerializerMethodField()

    def __init__(self, *args, fields=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fields is not None:
            for name in set(self.fields) - set(fields):
                self.fields.pop(name)

    def get_status_label(self, issue) -> str:
        return str(Status(issue.status).label)

    def get_health(self, issue) -> str:
        code = getattr(issue, "health_code", None)
        return str(code if code is not None else issue.health)

    def get_url(self, issue) -> str:
        return reverse("api:issue", kwargs={"number": issue.number})


class EventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    action = serializers.ChoiceField(choices=Action.choices)
    action_label = serializers.CharField()
    from_status = serializers.CharField(allow_blank=True)
    to_status = serializers.CharField()
    actor = serializers.CharField()
    actor_department = serializers.CharField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    changes = serializers.DictField(child=serializers.JSONField())
    created_at = serializers.DateTimeField()
    attachments = serializers.ListField(child=serializers.IntegerField())

    def to_representation(self, event):
        return {
            "seq": event.seq,
            "action": event.action,
            "action_label": str(Action(event.action).label),
            "from_status": event.from_status,
            "to_status": event.to_status,
            "actor": str(event.actor),
            "actor_department": (
                str(event.actor_department) if event.actor_department_id else None
            ),
            "note": event.note,
            "changes": event.changes or {},
            "created_at": serializers.DateTimeField().to_representation(event.created_at),
            "attachments": getattr(event, "attachment_ids", []),
        }


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField(allow_blank=True)
    size = serializers.IntegerField()
    sha256 = serializers.CharField(allow_blank=True)
    uploaded_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, attachment) -> str:
        return reverse(
            "api:issue_attachment",
            kwargs={"number": attachment.issue.number, "attachment_id": attachment.pk},
        )


class IssueDetailSerializer(IssueSerializer):
    description = serializers.CharField()
    measures = serializers.CharField(allow_blank=True)
    responsible_person = serializers.CharField(allow_blank=True)
    progress_note = serializers.CharField(allow_blank=True)
    resolution = serializers.CharField(allow_blank=True)
    satisfaction_note = serializers.CharField(allow_blank=True)
    actions = serializers.SerializerMethodField(
        help_text="the actions the caller may take now (POST …/actions/{action}/)"
    )
    events = EventSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    def get_actions(self, issue) -> list[str]:
        return [str(action) for action in self.context.get("actions", [])]


# -- input ------------------------------------------------------------------------------


class IssueRaiseInput(serializers.Serializer):
    """登记: the fields of the screen's form. Directory entries by id."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField()
    category = serializers.IntegerField(help_text="a category id (GET /api/v1/categories/)")
    source = serializers.IntegerField(
        required=False,
        help_text="a source id; a system client's own source when left out",
    )
    urgency = serializers.ChoiceField(choices=Issue.Urgency.choices, required=False)
    enterprise = serializers.IntegerField(required=False, allow_null=True)
    project = serializers.IntegerField(required=False, allow_null=True)
    leader = serializers.IntegerField(required=False, allow_null=True)
    measures = serializers.CharField(required=False, allow_blank=True)
    raising_department = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="for callers without a department of their own (an administrator)",
    )
    confirm_duplicates = serializers.BooleanField(
        required=False,
        help_text="log it even though the enterprise or project has similar open issues",
    )


class ActionInput(serializers.Serializer):
    """The input of `POST /issues/{number}/actions/{action}/`: each action takes the fields of
    its screen's form (`note` for most; see docs/api.md for the table). JSON, or
    multipart/form-data with files in `attachments` (progress, resolve, comment)."""

    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    leader = serializers.IntegerField(required=False, help_text="assign, reassign")
    lead_department = serializers.IntegerField(required=False, help_text="assign, reassign")
    co_departments = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="assign, reassign"
    )
    deadline = serializers.DateField(required=False, help_text="assign, reassign, reopen")
    is_long_term = serializers.BooleanField(required=False)
    measures = serializers.CharField(required=False, allow_blank=True)
    responsible_person = serializers.CharField(required=False, allow_blank=True, max_length=50)
    progress = serializers.ChoiceField(
        choices=[c for c in Issue.Progress.choices if c[0] != Issue.Progress.DONE],
        required=False,
        help_text="progress",
    )
    new_deadline = serializers.DateField(required=False, help_text="extension_request")
    granted_deadline = serializers.DateField(required=False, help_text="extension_approve")
    resolution = serializers.CharField(required=False, max_length=5000, help_text="resolve")
    satisfaction = serializers.ChoiceField(
        choices=Issue.Satisfaction.choices, required=False, help_text="close"
    )
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="progress, resolve, comment"
    )


class ActionResult(serializers.Serializer):
    number = serializers.CharField()
    action = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    visible = serializers.BooleanField(
        help_text=_("false when the action took the issue out of the caller's sight (退回)")
    )
    event = EventSerializer()


class DuplicatesProblem(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    duplicates = serializers.ListField(child=serializers.CharField())
