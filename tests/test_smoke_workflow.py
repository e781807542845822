from ledger import workflow
from ledger.models import IssueEvent


def test_an_issue_goes_from_raised_to_closed(world):
    issue = world.resolved_issue()
    workflow.transition(issue, actor=world.leader.user, action="close", satisfaction="satisfied")
    assert issue.status == "closed"
    assert issue.number.startswith("ZZ-")
    assert [e.action for e in IssueEvent.objects.filter(issue=issue)] == [
        "raise",
        "assign",
        "accept",
        "resolve",
        "close",
    ]
