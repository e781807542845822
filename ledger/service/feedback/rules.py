"""Who may hand out and withdraw an enterprise's link: the lead department and the office.

The link shows the enterprise its issue, so it is given by those answerable for it: staff
of the issue's lead department (牵头单位) and the oversight office (督查室, administrators).
Whether the issue can have a link at all (about an enterprise, not withdrawn) is the
service's check (services.link_create), not a right.
"""

import rules

from ledger.rules import in_lead_department, is_staff_member, oversees

can_manage_feedback_link = oversees | (is_staff_member & in_lead_department)

rules.add_perm("feedback.manage_link", can_manage_feedback_link)
