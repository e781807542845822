"""The authorization matrix's world: one issue per status around one enterprise, the ten
roles that relate to it in different ways, and objects owned by one user (notifications,
export jobs, import batches, attachments). Built once per test module."""

import datetime
import struct
import tempfile
import zlib

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from ledger import selectors, workflow
from ledger.models import Issue
from tests import factories as f

# the columns of every table row, in this order
ROLES = (
    "anon",  # nobody signed in
    "lead",  # staff of the lead department (牵头单位)
    "co",  # staff of a co-handling department (配合单位)
    "raise",  # staff of the department that raised the issues
    "unrel",  # staff of an unrelated department
    "rlead",  # the responsible leader (issue.leader)
    "slead",  # the leader who 分包 the issues' enterprise
    "oldr",  # another leader
    "sup",  # the oversight office
    "admin",  # the system administrator
)

# object variants of the issues in the table: one issue per status (and one with an
# extension request pending), all raised by `raise` about the enterprise `slead` 分包
VARIANTS = {
    "R": "raised",
    "A": "assigned",
    "P": "in_progress",
    "X": "in_progress, extension pending",
    "S": "resolved",
    "C": "closed",
    "W": "withdrawn",
}


def png_bytes() -> bytes:
    """A real 1×1 PNG, so a check of the content (not only the name) accepts it."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def png_upload(name="现场照片.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


class MatrixWorld:
    def __init__(self):
        today = timezone.localdate()
        self.today = today
        self.dept_raise = f.DepartmentFactory(name="区发改委", short_name="发改委")
        self.dept_lead = f.DepartmentFactory(name="区住建局", short_name="住建局")
        # the co-handling unit is a sub-district office (办事处): it keeps the directory
        # entries of the enterprises in its sub-district
        self.dept_co = f.DepartmentFactory(
            name="王封街道办事处", short_name="王封办", kind="subdistrict"
        )
        self.dept_unrel = f.DepartmentFactory(name="区教育局", short_name="教育局")
        self.oversight = f.DepartmentFactory(
            name="区政府督查室", kind="oversight", short_name="督查室"
        )
        self.category = f.CategoryFactory(name="用地规划")
        self.source = f.SourceFactory(name="企业走访")

        staff_raise = f.StaffFactory(username="mx_raise", department=self.dept_raise)
        staff_lead = f.StaffFactory(username="mx_lead", department=self.dept_lead)
        staff_co = f.StaffFactory(username="mx_co", department=self.dept_co)
        staff_unrel = f.StaffFactory(username="mx_unrel", department=self.dept_unrel)
        self.responsible = f.LeaderFactory(user__username="mx_rlead", title="副区长")
        self.subject_leader = f.LeaderFactory(user__username="mx_slead", title="副区长")
        self.other_leader = f.LeaderFactory(user__username="mx_oldr", title="常务副区长")
        supervisor = f.SupervisorFactory(username="mx_sup", department=self.oversight)
        admin = f.AdminFactory(username="mx_admin")
        self.users = {
            "anon": None,
            "lead": staff_lead,
            "co": staff_co,
            "raise": staff_raise,
            "unrel": staff_unrel,
            "rlead": self.responsible.user,
            "slead": self.subject_leader.user,
            "oldr": self.other_leader.user,
            "sup": supervisor,
            "admin": admin,
        }

        self.enterprise = f.EnterpriseFactory(
            name="矩阵化工有限公司", leader=self.subject_leader, subdistrict=self.dept_co
        )
        # an enterprise of no sub-district the co-handling office keeps
        self.other_enterprise = f.EnterpriseFactory(name="矩阵材料有限公司")
        self.project = f.KeyProjectFactory(
            name="矩阵物流园", leader=self.subject_leader, lead_department=self.dept_lead
        )
        # no longer in business: the chooser must not offer it to anyone
        self.inactive = f.EnterpriseFactory(name="矩阵停业企业有限公司", is_active=False)
        # a project only the other leader 分包: its issue is hidden from the others
        self.other_project = f.KeyProjectFactory(name="矩阵旁支项目", leader=self.other_leader)

        self.issues = {key: self._issue(key) for key in VARIANTS}
        # issues the table's roles mostly may not see, so lists can be checked for leaks
        self.hidden_d = workflow.issue_raise(
            actor=staff_unrel,
            title="矩阵隐藏问题-教育局登记",
            description="只有教育局、督查室和管理员可见。",
            category=self.category,
            source=self.source,
            files=[png_upload("隐藏附件.png")],
        )
        self.hidden_o = workflow.issue_raise(
            actor=staff_unrel,
            title="矩阵隐藏问题-其他领导项目",
            description="另一位领导分包的项目。",
            category=self.category,
            source=self.source,
            project=self.other_project,
        )
        workflow.transition(
            self.hidden_o,
            actor=supervisor,
            action="assign",
            leader=self.other_leader,
            lead_department=self.dept_unrel,
            deadline=today - datetime.timedelta(days=0),
        )
        workflow.transition(
            self.hidden_o, actor=supervisor, action="escalate", note="逾期未办，列为督办件。"
        )
        # time passes: the hidden project's issue is now overdue (late lists, red counts)
        Issue.objects.filter(pk=self.hidden_o.pk).update(
            deadline=today - datetime.timedelta(days=3)
        )
        self.attachment = self.issues["P"].attachments.get()
        self.attachment_raised = self.issues["R"].attachments.get()
        self.attachment_hidden = self.hidden_d.attachments.get()

        self._owned_objects()
        self.clients = {role: self._client(user) for role, user in self.users.items()}

    # -- issues ---------------------------------------------------------------------------

    def _issue(self, key):
        w = self.users
        issue = workflow.issue_raise(
            actor=w["raise"],
            title=f"矩阵问题〔{VARIANTS[key]}〕",
            description="雨后厂区门口道路积水严重。",
            category=self.category,
            source=self.source,
            enterprise=self.enterprise,
            leader=self.responsible,
            files=[png_upload()] if key in ("R", "P") else [],
        )
        if key == "R":
            return issue
        workflow.transition(
            issue,
            actor=w["sup"],
            action="assign",
            leader=self.responsible,
            lead_department=self.dept_lead,
            co_departments=[self.dept_co],
            deadline=self.today + datetime.timedelta(days=10),
        )
        if key == "A":
            return issue
        if key == "W":
            workflow.transition(issue, actor=w["sup"], action="withdraw", note="重复登记。")
            return issue
        workflow.transition(issue, actor=w["lead"], action="accept")
        if key == "P":
            return issue
        if key == "X":
            workflow.transition(
                issue,
                actor=w["lead"],
                action="extension_request",
                note="需要协调用地。",
                new_deadline=self.today + datetime.timedelta(days=20),
            )
            return issue
        workflow.transition(issue, actor=w["lead"], action="resolve", resolution="已修复排水。")
        if key == "S":
            return issue
        workflow.transition(issue, actor=w["sup"], action="close", satisfaction="satisfied")
        return issue

    def issue(self, key) -> Issue:
        """The variant's issue as it is in the database now (version included)."""
        return Issue.objects.get(pk=self.issues[key].pk)

    # -- objects that belong to one user ---------------------------------------------------

    def _owned_objects(self):
        from ledger.exchange import export, importing
        from ledger.exchange.models import ExportJob, ImportBatch, NameAlias
        from ledger.notify.models import Notification

        w = self.users
        now = timezone.now()

        def notify(user, issue):
            event = issue.events.order_by("-seq").first()
            return Notification.objects.create(
                recipient=user,
                issue=issue,
                event=event,
                kind="assign",
                actor=w["sup"],
                created_at=now,
            )

        self.notification_lead = notify(w["lead"], self.issues["A"])
        self.notification_sup = notify(w["sup"], self.issues["P"])
        self.notification_unrel = notify(w["unrel"], self.hidden_d)

        # a finished export of the lead department's staff, with a real file
        with tempfile.TemporaryFile() as handle:
            export.ledger_write(handle, selectors.ledger_queryset(w["lead"]), title="台账")
            handle.seek(0)
            content = handle.read()
        self.job_lead = ExportJob(
            kind="ledger",
            requested_by=w["lead"],
            language="zh-hans",
            state=ExportJob.State.DONE,
            filename="问题台账.xlsx",
            finished_at=now,
        )
        self.job_lead.file.save("mx-ledger.xlsx", ContentFile(content), save=False)
        self.job_lead.save()
        self.job_sup = ExportJob.objects.create(
            kind="ledger", requested_by=w["sup"], language="zh-hans"
        )

        def batch(user):
            # what the upload step stores for a sheet with one problem
            outcome = importing.Outcome(file_name="台账.xlsx")
            outcome.problems.append(importing.Problem(3, "编号", "格式不对"))
            return ImportBatch.objects.create(
                kind=ImportBatch.Kind.LEDGER,
                original_name="台账.xlsx",
                uploaded_by=user,
                preview=outcome.as_json(),
                counts=outcome.counts(),
            )

        self.batch_sup = batch(w["sup"])
        self.batch_admin = batch(w["admin"])
        self.alias = NameAlias.objects.create(
            kind="department",
            alias="住建",
            target_id=self.dept_lead.pk,
            created_by=w["sup"],
        )
        # a personal API token of the lead department's staff (the API room's token pages)
        from ledger.api.models import PersonalToken
        from ledger.api.secrets import PERSONAL, secret_make

        made = secret_make(PERSONAL)
        self.token_lead = PersonalToken.objects.create(
            user=w["lead"],
            name="矩阵令牌",
            prefix=made.prefix,
            digest=made.digest,
            expires_at=now + datetime.timedelta(days=30),
        )

    @staticmethod
    def _client(user):
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        return client

    # -- who sees what -------------------------------------------------------------------

    def visible_numbers(self, role) -> set[str]:
        """What selectors.visible_to gave when the world was built (fixed for the module)."""
        if not hasattr(self, "_visible"):
            self._visible = {
                role: set(selectors.visible_to(user).values_list("number", flat=True))
                if user is not None
                else set()
                for role, user in self.users.items()
            }
        return self._visible[role]

    def hidden_markers(self, role) -> list[str]:
        """Ledger numbers and titles of issues `role` may not see."""
        user = self.users[role]
        issues = Issue.objects.all()
        if user is not None:
            issues = issues.exclude(pk__in=selectors.visible_to(user).values("pk"))
        markers = []
        for number, title in issues.values_list("number", "title"):
            markers += [number, title]
        return markers
