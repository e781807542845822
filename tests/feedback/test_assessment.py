"""企业服务考核评价: per lead department, the enterprises' own ratings beside the office's,
the 不满意 cases, in a constant number of queries; shown on the assessment page."""

import datetime

from django.urls import reverse

from ledger import workflow
from ledger.oversight.periods import Period
from ledger.service.feedback import selectors, services
from tests import factories as f


def _period(issue):
    start = datetime.date(issue.deadline.year, 1, 1)
    end = datetime.date(issue.deadline.year, 12, 31)
    return Period(start, end, "year", str(issue.deadline.year), (("year", issue.deadline.year),))


def _rated(world, contact, rating, comment="", *, close=None):
    issue = world.resolved_issue(enterprise=world.enterprise)
    link = services.link_create(actor=world.supervisor, issue=issue, contact=contact)
    services.rating_submit(link=link, rating=rating, comment=comment)
    if close:
        workflow.transition(issue, actor=world.supervisor, action="close", satisfaction=close)
    return issue


def test_enterprise_and_office_figures_are_kept_apart(world, contact):
    # 住建局: three done; the enterprises rated two (one 不满意); the office closed one as 满意
    a = _rated(world, contact, "satisfied", close="satisfied")
    _rated(world, contact, "dissatisfied", "雨后仍积水")
    world.resolved_issue(enterprise=world.enterprise)  # done, not rated by the enterprise
    world.resolved_issue()  # done, about no enterprise: not in the enterprise's base
    # 环保局 (dept_c): one done, rated 基本满意, closed by the office as 不满意
    c_staff = f.StaffFactory(department=world.dept_c)
    issue = world.assigned_issue(enterprise=world.enterprise, lead=world.dept_c)
    workflow.transition(issue, actor=c_staff, action="accept")
    workflow.transition(issue, actor=c_staff, action="resolve", resolution="已处理。")
    link = services.link_create(actor=c_staff, issue=issue, contact=contact)
    services.rating_submit(link=link, rating="basically")
    workflow.transition(
        issue, actor=world.supervisor, action="close", satisfaction="dissatisfied", note="复查"
    )

    table = selectors.enterprise_service(world.supervisor, _period(a))
    rows = {row.department.pk: row for row in table["rows"]}
    b, c = rows[world.dept_b.pk], rows[world.dept_c.pk]
    assert (
        b.done_enterprise,
        b.enterprise_rated,
        b.enterprise_satisfied,
        b.enterprise_dissatisfied,
    ) == (
        3,
        2,
        1,
        1,
    )
    assert b.done == 4
    assert str(b.enterprise_callback) == "66.7%"
    assert str(b.enterprise_satisfaction) == "50.0%"
    assert (b.office_rated, b.office_satisfied) == (1, 1)
    assert str(b.office_satisfaction) == "100.0%"
    assert (c.enterprise_rated, c.enterprise_satisfied, c.office_rated, c.office_satisfied) == (
        1,
        1,
        1,
        0,
    )
    assert [case.comment for case in table["cases"]] == ["雨后仍积水"]


def test_only_the_latest_rating_of_an_issue_counts(world, contact):
    issue = world.resolved_issue(enterprise=world.enterprise)
    link = services.link_create(actor=world.supervisor, issue=issue, contact=contact)
    services.rating_submit(link=link, rating="dissatisfied", comment="没解决")
    services.rating_submit(link=link, rating="satisfied")
    (row,) = selectors.enterprise_service(world.supervisor, _period(issue))["rows"]
    assert (row.enterprise_rated, row.enterprise_satisfied, row.enterprise_dissatisfied) == (
        1,
        1,
        0,
    )


def test_the_table_costs_the_same_queries_for_1_and_for_6_issues(
    world, contact, django_assert_num_queries
):
    first = _rated(world, contact, "dissatisfied", "一")
    period = _period(first)
    with django_assert_num_queries(4):
        small = selectors.enterprise_service(world.supervisor, period)
    for n in range(5):
        _rated(world, contact, "dissatisfied" if n % 2 else "satisfied", f"意见{n}")
    with django_assert_num_queries(4):
        large = selectors.enterprise_service(world.supervisor, period)
    assert len(large["cases"]) > len(small["cases"])


def test_the_assessment_page_shows_the_table(client, world, contact):
    issue = _rated(world, contact, "dissatisfied", "雨后仍积水")
    client.force_login(world.supervisor)
    response = client.get(reverse("oversight:assessment") + f"?year={issue.deadline.year}")
    html = response.content.decode()
    assert 'data-testid="enterprise-service-table"' in html
    section = html.split('data-testid="enterprise-service"', 1)[1]
    assert world.dept_b.name in section
    assert "雨后仍积水" in section and issue.number in section
    # the office's own 回访率/满意率 table is unchanged: the enterprise's rating is not a 销号
    assert 'data-testid="assessment-table"' in html
