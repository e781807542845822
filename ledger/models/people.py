"""People and units: departments, users with their role, district leaders."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ledger.validators import MobileValidator


class Department(models.Model):
    """单位: a district department, sub-district office or management committee."""

    class Kind(models.TextChoices):
        BUREAU = "bureau", _("区直部门")
        SUBDISTRICT = "subdistrict", _("办事处")
        COMMITTEE = "committee", _("管委会")
        OVERSIGHT = "oversight", _("督查机构")

    name = models.CharField(_("名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.BUREAU)
    order = models.PositiveIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["bureau", "subdistrict", "committee", "oversight"]),
                name="department_kind_valid",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def label(self):
        return self.short_name or self.name


class User(AbstractUser):
    """A person who signs in. The role decides what they may do (rules.py)."""

    class Role(models.TextChoices):
        STAFF = "staff", _("部门工作人员")
        LEADER = "leader", _("区级领导")
        SUPERVISOR = "supervisor", _("督查人员")
        ADMIN = "admin", _("系统管理员")
        # the accounts the system acts under (automatic 催办/督办, the enterprises' rating
        # link): no screen, no admin site, no sign-in; rules.py gives the role only what the
        # automatic actions check
        SYSTEM = "system", _("系统账号")

    name = models.CharField(_("姓名"), max_length=50, blank=True)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.STAFF)
    department = models.ForeignKey(
        Department,
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    mobile = models.CharField(_("手机"), max_length=11, blank=True, validators=[MobileValidator()])

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["staff", "leader", "supervisor", "admin", "system"]),
                name="user_role_valid",
            ),
        ]

    def __str__(self):
        # the system's own accounts (automatic reminders, the enterprise's rating link) are
        # named by a catalog msgid, so they read in the reader's language; a person's name
        # is no msgid and stays as written
        return gettext(self.name) if self.name else (self.get_full_name() or self.username)

    def get_full_name(self):
        return self.name or super().get_full_name()

    @property
    def is_admin_role(self) -> bool:
        return self.is_superuser or self.role == self.Role.ADMIN

    @property
    def is_supervisor_role(self) -> bool:
        return self.role == self.Role.SUPERVISOR

    @property
    def is_leader_role(self) -> bool:
        return self.role == self.Role.LEADER

    @property
    def is_staff_role(self) -> bool:
        return self.role == self.Role.STAFF

    @property
    def is_system_role(self) -> bool:
        return self.role == self.Role.SYSTEM

    @property
    def sees_everything(self) -> bool:
        return self.is_active and (self.is_admin_role or self.is_supervisor_role)


class Leader(models.Model):
    """区级领导: a district leader who 分包 enterprises and key projects."""

    user = models.OneToOneField(
        User, verbose_name=_("用户"), on_delete=models.PROTECT, related_name="leader_profile"
    )
    title = models.CharField(_("职务"), max_length=50)
    order = models.PositiveIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("在任"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("区级领导")
        verbose_name_plural = _("区级领导")
        ordering = ["order", "id"]

    def __str__(self):
        return f"{self.user} ({self.title})"

    @property
    def name(self):
        return str(self.user)
