"""factory_boy factories for the ledger's models."""

import datetime

import factory
from django.utils import timezone

from ledger import models
from ledger.validators import credit_code_check_char


def valid_credit_code(n: int) -> str:
    """A valid GB 32100-2015 code for the n-th test enterprise (area code 410803)."""
    first17 = f"91410803{n:09d}"
    return first17 + credit_code_check_char(first17)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试单位{n}")
    short_name = factory.LazyAttribute(lambda o: o.name[:6])
    kind = models.Department.Kind.BUREAU


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"测试用户{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.invalid")
    role = models.User.Role.STAFF
    department = factory.SubFactory(DepartmentFactory)
    password = factory.django.Password("zz-test-pass")


class StaffFactory(UserFactory):
    role = models.User.Role.STAFF


class SupervisorFactory(UserFactory):
    role = models.User.Role.SUPERVISOR
    department = factory.SubFactory(
        DepartmentFactory, name="区政府督查室", kind=models.Department.Kind.OVERSIGHT
    )


class AdminFactory(UserFactory):
    role = models.User.Role.ADMIN
    department = None
    is_superuser = True
    is_staff = True


class LeaderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Leader

    user = factory.SubFactory(UserFactory, role=models.User.Role.LEADER, department=None)
    title = "副区长"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"类别{n}")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Source
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"来源{n}")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Enterprise

    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    credit_code = factory.Sequence(valid_credit_code)
    industry = "制造业"
    leader = None


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Contact

    enterprise = factory.SubFactory(EnterpriseFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
    mobile = factory.Sequence(lambda n: f"139{n:08d}")


class KeyProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.KeyProject

    name = factory.Sequence(lambda n: f"测试项目{n}")
    level = models.KeyProject.Level.DISTRICT
    sector = models.KeyProject.Sector.INDUSTRY
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    total_investment = 10000
    annual_plan = 5000
    completed_this_year = 0


class IssueFactory(factory.django.DjangoModelFactory):
    """A raised issue. Use the workflow (tests/helpers) to move it on."""

    class Meta:
        model = models.Issue
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"ZZ-2099-{n + 1:04d}")
    year = 2099
    seq = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"测试问题{n}")
    description = "问题描述"
    category = factory.SubFactory(CategoryFactory)
    source = factory.SubFactory(SourceFactory)
    raised_by = factory.SubFactory(StaffFactory)
    raising_department = factory.LazyAttribute(lambda o: o.raised_by.department)
    raised_at = factory.LazyFunction(timezone.now)


def days_from_today(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)
