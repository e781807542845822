"""The authorization matrix: every URL pattern × ten roles × object ownership, GET and POST.

CELLS: 3,580 when written (358 rows × 10 roles: 2,130 GET and 1,450 POST cells, over 70
route names); MATRIX_CELLS is the live count. One row per URL × object × method.

Like GitLab's policy specs, the expected HTTP status of every cell is written out by hand
from DESIGN.md §2 and the workflow table (states.TRANSITIONS), never computed from
rules.py. A POST is made with valid data; a refused one (403/404/405, a redirect to a
login page, or a 200 that re-shows the form with the reason) must also leave the database
exactly as it was; no GET may change it at all. Every POST is rolled back afterwards, so
the world is built once for the module (co is a 办事处 keeping the enterprise's directory
entry; lead is the key project's lead department). Every 200 answer is
searched for the ledger numbers and titles of issues the role may not see (HTML, JSON,
text and .xlsx), and test_url_patterns_all_covered fails when a URL pattern of the
project has no row (the Django admin is one group with representative rows).

Columns (world.ROLES): anon · lead = staff of the lead department · co = of a
co-handling department · raise = of the raising department · unrel = of an unrelated
department · rlead = the responsible leader · slead = the leader who 分包 the enterprise ·
oldr = another leader · sup = supervisor · admin = administrator.

Objects: issues in each status, R raised · A assigned · P in progress · X in progress with
an extension request pending · S resolved · C closed · W withdrawn, all raised by `raise`
about the enterprise `slead` 分包, led by `lead` with `co` co-handling, `rlead` responsible
(R: proposed). `action@R` is /issues/<R>/act/<action>/. Owned objects: `of-lead` … belong
to that role's user.

To add a URL: one line in MATRIX (and, if it takes arguments, one entry in KWARGS and,
for POST, one in POST_DATA).
"""

import copy
import datetime
import io
import json
import re
import uuid
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.authz.world import ROLES, VARIANTS, MatrixWorld

# fmt: off
MATRIX = """
# route                        object            method anon lead co  raise unrel rlead slead oldr sup admin
# -- home, ledger, export ---------------------------------------------------------------------
home                           -                 GET    302  200  200 200   200   200   200   200  200 200
issue_list                     -                 GET    302  200  200 200   200   200   200   200  200 200
exchange:issue_export          -                 GET    302  200  200 200   200   200   200   200  200 200
exchange:export_job_list       -                 GET    302  200  200 200   200   200   200   200  200 200
exchange:export_job            of-lead           GET    302  200  404 404   404   404   404   404  404 200
exchange:export_job            missing           GET    302  404  404 404   404   404   404   404  404 404
exchange:export_job_download   of-lead           GET    302  200  404 404   404   404   404   404  404 200
exchange:export_job_download   of-sup-pending    GET    302  404  404 404   404   404   404   404  404 404
exchange:master_export         enterprises       GET    302  403  403 403   403   403   403   403  200 200
exchange:master_export         contacts          GET    302  403  403 403   403   403   403   403  200 200
exchange:master_export         departments       GET    302  403  403 403   403   403   403   403  200 200
exchange:master_export         leaders           GET    302  403  403 403   403   403   403   403  200 200
exchange:master_export         projects          GET    302  403  403 403   403   403   403   403  200 200
exchange:master_export         bogus             GET    302  404  404 404   404   404   404   404  404 404
# -- import (oversight office and administrators; a batch is its uploader's) ---------------
exchange:import_aliases        -                 GET    302  403  403 403   403   403   403   403  200 200
exchange:import_aliases        -                 POST   302  403  403 403   403   403   403   403  302 302
exchange:issue_import          -                 GET    302  403  403 403   403   403   403   403  200 200
exchange:issue_import          -                 POST   302  403  403 403   403   403   403   403  400 400
exchange:master_import         -                 GET    302  403  403 403   403   403   403   403  200 200
exchange:master_import         -                 POST   302  403  403 403   403   403   403   403  400 400
exchange:import_preview        of-sup            GET    302  403  403 403   403   403   403   403  200 200
exchange:import_preview        of-sup            POST   302  403  403 403   403   403   403   403  302 302
exchange:import_preview        of-admin          GET    302  403  403 403   403   403   403   403  404 200
exchange:import_preview        of-admin          POST   302  403  403 403   403   403   403   403  404 302
exchange:import_commit         of-sup            GET    302  405  405 405   405   405   405   405  405 405
exchange:import_commit         of-sup            POST   302  403  403 403   403   403   403   403  302 302
exchange:import_commit         of-admin          POST   302  403  403 403   403   403   403   403  404 302
exchange:import_problems       of-sup            GET    302  403  403 403   403   403   403   403  200 200
exchange:import_problems       of-admin          GET    302  403  403 403   403   403   403   403  404 200
# -- notifications (only ever the recipient's) ---------------------------------------------
notify:notification_list       -                 GET    302  200  200 200   200   200   200   200  200 200
notify:notification_count      -                 GET    200  200  200 200   200   200   200   200  200 200
notify:notification_read_all   -                 GET    302  405  405 405   405   405   405   405  405 405
notify:notification_read_all   -                 POST   302  302  302 302   302   302   302   302  302 302
notify:notification_preferences -                 GET    302  200  200 200   200   200   200   200  200 200
notify:notification_preferences -                 POST   302  302  302 302   302   302   302   302  302 302
notify:notification_open       of-lead           GET    302  302  404 404   404   404   404   404  404 404
notify:notification_open       of-lead           POST   302  405  405 405   405   405   405   405  405 405
notify:notification_open       of-sup            GET    302  404  404 404   404   404   404   404  302 404
notify:notification_arrived    -                 GET    405  405  405 405   405   405   405   405  405 405
notify:notification_arrived    -                 POST   200  200  200 200   200   200   200   200  200 200
# -- oversight: dashboard for all (own rows), assessment for the office --------------------
oversight:dashboard            -                 GET    302  200  200 200   200   200   200   200  200 200
oversight:assessment           -                 GET    302  403  403 403   403   403   403   403  200 200
oversight:assessment_export    -                 GET    302  403  403 403   403   403   403   403  200 200
oversight:project_pace         -                 GET    302  200  200 200   200   200   200   200  200 200
oversight:project_pace_export  -                 GET    302  200  200 200   200   200   200   200  200 200
oversight:report_weekly        -                 GET    302  200  200 200   200   200   200   200  200 200
oversight:report_weekly_export -                 GET    302  200  200 200   200   200   200   200  200 200
oversight:report_monthly       -                 GET    302  200  200 200   200   200   200   200  200 200
# -- the audit room: only the audit administrator's permission (here: the superuser) --------
audit:export                   -                 GET    302  403  403 403   403   403   403   403  403 200
oversight:report_monthly_export -                 GET    302  200  200 200   200   200   200   200  200 200
# -- logging an issue (leaders: for what they 分包) and its choosers ------------------------
issue_create                   -                 GET    302  200  200 200   200   200   200   200  200 200
issue_create                   E                 POST   302  302  302 302   302   200   302   200  302 302
issue_duplicates               -                 GET    302  200  200 200   200   200   200   200  200 200
enterprise_lookup              -                 GET    302  200  200 200   200   200   200   200  200 200
project_lookup                 -                 GET    302  200  200 200   200   200   200   200  200 200
# -- the issue page, its edit screen and attachments ---------------------------------------
issue_detail                   R                 GET    302  404  404 200   404   200   200   404  200 200
issue_detail                   A                 GET    302  200  200 200   404   200   200   404  200 200
issue_detail                   P                 GET    302  200  200 200   404   200   200   404  200 200
issue_detail                   X                 GET    302  200  200 200   404   200   200   404  200 200
issue_detail                   S                 GET    302  200  200 200   404   200   200   404  200 200
issue_detail                   C                 GET    302  200  200 200   404   200   200   404  200 200
issue_detail                   W                 GET    302  200  200 200   404   200   200   404  200 200
issue_detail                   missing           GET    302  404  404 404   404   404   404   404  404 404
issue_edit                     R                 GET    302  404  404 200   404   403   403   404  200 200
issue_edit                     R                 POST   302  404  404 302   404   403   403   404  302 302
issue_edit                     A                 GET    302  403  403 403   404   403   403   404  403 403
issue_edit                     A                 POST   302  403  403 403   404   403   403   404  403 403
issue_edit                     C                 GET    302  403  403 403   404   403   403   404  403 403
issue_edit                     C                 POST   302  403  403 403   404   403   403   404  403 403
issue_edit                     missing           GET    302  404  404 404   404   404   404   404  404 404
attachment_download            P                 GET    302  200  200 200   404   200   200   404  200 200
attachment_download            R                 GET    302  404  404 200   404   200   200   404  200 200
attachment_download            P-with-hidden     GET    302  404  404 404   404   404   404   404  404 404
attachment_download            hidden            GET    302  404  404 404   200   404   404   404  200 200
# -- printing, 交办单/督办单 (only what the role sees), batch actions (the office) ----------
issue_print                    -                 GET    302  200  200 200   200   200   200   200  200 200
issue_notice_assign            A                 GET    302  200  200 200   404   200   200   404  200 200
issue_notice_assign            R                 GET    302  404  404 302   404   302   302   404  302 302
issue_notice_assign            W                 GET    302  302  302 302   404   302   302   404  302 302
issue_notice_assign            hidden-o          GET    302  404  404 404   200   404   404   200  200 200
issue_notice_escalate          hidden-o          GET    302  404  404 404   200   404   404   200  200 200
issue_notice_escalate          A                 GET    302  302  302 302   404   302   302   404  302 302
issue_batch                    -                 GET    302  403  403 403   403   403   403   403  200 200
issue_batch                    -                 POST   302  403  403 403   403   403   403   403  302 302
issue_batch                    hidden-o          POST   302  403  403 403   403   403   403   403  302 302
issue_batch_result             -                 GET    302  403  403 403   403   403   403   403  302 302
security:healthz               -                 GET    200  200  200 200   200   200   200   200  200 200
# -- leaders' own screen; directories: every signed-in user reads them (issue counts are
#    their own); the office keeps them, a 办事处 (co) its sub-district's enterprises, the
#    project's lead department (lead) reports its monthly progress --------------------------
leader_me                      -                 GET    302  403  403 403   403   200   200   200  403 403
enterprise_list                -                 GET    302  200  200 200   200   200   200   200  200 200
enterprise_detail              E                 GET    302  200  200 200   200   200   200   200  200 200
enterprise_detail              missing           GET    302  404  404 404   404   404   404   404  404 404
enterprise_create              -                 GET    302  403  200 403   403   403   403   403  200 200
enterprise_create              -                 POST   302  403  302 403   403   403   403   403  302 302
enterprise_edit                E                 GET    302  403  200 403   403   403   403   403  200 200
enterprise_edit                E                 POST   302  403  302 403   403   403   403   403  302 302
enterprise_edit                other             GET    302  403  403 403   403   403   403   403  200 200
enterprise_edit                other             POST   302  403  403 403   403   403   403   403  302 302
enterprise_edit                missing           GET    302  404  404 404   404   404   404   404  404 404
enterprise_verify              E                 GET    302  405  405 405   405   405   405   405  405 405
enterprise_verify              E                 POST   302  403  403 403   403   403   403   403  302 302
project_list                   -                 GET    302  200  200 200   200   200   200   200  200 200
project_detail                 PJ                GET    302  200  200 200   200   200   200   200  200 200
project_detail                 missing           GET    302  404  404 404   404   404   404   404  404 404
project_create                 -                 GET    302  403  403 403   403   403   403   403  200 200
project_create                 -                 POST   302  403  403 403   403   403   403   403  302 302
project_edit                   PJ                GET    302  403  403 403   403   403   403   403  200 200
project_edit                   PJ                POST   302  403  403 403   403   403   403   403  302 302
project_edit                   missing           GET    302  404  404 404   404   404   404   404  404 404
project_progress               PJ                GET    302  200  403 403   403   403   403   403  200 200
project_progress               PJ                POST   302  302  403 403   403   403   403   403  302 302
project_progress               other             GET    302  403  403 403   403   403   403   403  200 200
project_progress               other             POST   302  403  403 403   403   403   403   403  302 302
# -- accounts, language, favicon ----------------------------------------------------------
login                          -                 GET    200  200  200 200   200   200   200   200  200 200
login                          wrong-password    POST   200  200  200 200   200   200   200   200  200 200
logout                         -                 GET    405  405  405 405   405   405   405   405  405 405
logout                         -                 POST   302  302  302 302   302   302   302   302  302 302
password_change                -                 GET    302  200  200 200   200   200   200   200  200 200
password_change                -                 POST   302  302  302 302   302   302   302   302  302 302
password_change_done           -                 GET    302  200  200 200   200   200   200   200  200 200
password_reset                 -                 GET    200  200  200 200   200   200   200   200  200 200
password_reset                 -                 POST   302  302  302 302   302   302   302   302  302 302
password_reset_done            -                 GET    200  200  200 200   200   200   200   200  200 200
password_reset_confirm         bogus             GET    200  200  200 200   200   200   200   200  200 200
# -- a person's own API tokens (the API room): every signed-in person lists and creates theirs
#    (the POST answers 200 with the new token shown once); a token is revoked by its owner only
api:token_list                 -                 GET    302  200  200 200   200   200   200   200  200 200
api:token_list                 -                 POST   302  200  200 200   200   200   200   200  200 200
api:token_revoke               of-lead           GET    302  200  404 404   404   404   404   404  404 404
api:token_revoke               of-lead           POST   302  302  404 404   404   404   404   404  404 404
api:token_revoke               missing           GET    302  404  404 404   404   404   404   404  404 404
api:token_revoke               missing           POST   302  404  404 404   404   404   404   404  404 404
# -- two-factor (LEDGER_REQUIRE_2FA off here, nobody enrolled: tests/test_two_factor.py has the
#    rest); verify without a pending code goes home, a wrong code re-shows the enrolment form
security:two_factor            -                 GET    302  200  200 200   200   200   200   200  200 200
security:two_factor_enrol      -                 GET    302  200  200 200   200   200   200   200  200 200
security:two_factor_enrol      -                 POST   302  200  200 200   200   200   200   200  200 200
security:two_factor_verify     -                 GET    302  302  302 302   302   302   302   302  302 302
security:two_factor_verify     -                 POST   302  302  302 302   302   302   302   302  302 302
security:two_factor_recovery_codes -             GET    405  405  405 405   405   405   405   405  405 405
security:two_factor_recovery_codes -             POST   302  302  302 302   302   302   302   302  302 302
security:two_factor_remove     -                 GET    405  405  405 405   405   405   405   405  405 405
security:two_factor_remove     -                 POST   302  302  302 302   302   302   302   302  302 302
password_reset_confirm         bogus             POST   200  200  200 200   200   200   200   200  200 200
password_reset_complete        -                 GET    200  200  200 200   200   200   200   200  200 200
set_language                   -                 GET    302  302  302 302   302   302   302   302  302 302
set_language                   -                 POST   302  302  302 302   302   302   302   302  302 302
favicon.ico                    -                 GET    301  301  301 301   301   301   301   301  301 301
# -- the Django admin: representative URLs for the whole group (is_staff only) -------------
admin:index                    -                 GET    302  302  302 302   302   302   302   302  302 200
admin:login                    -                 GET    200  200  200 200   200   200   200   200  200 302
admin:ledger_issue_changelist  -                 GET    302  302  302 302   302   302   302   302  302 200
admin:ledger_issue_change      P                 GET    302  302  302 302   302   302   302   302  302 200
admin:ledger_issueevent_changelist -             GET    302  302  302 302   302   302   302   302  302 200
admin:ledger_user_changelist   -                 GET    302  302  302 302   302   302   302   302  302 200
admin:notify_notification_changelist -           GET    302  302  302 302   302   302   302   302  302 200
admin:api_apiclient_changelist -                 GET    302  302  302 302   302   302   302   302  302 200
admin:ledger_category_add      -                 POST   302  302  302 302   302   302   302   302  302 302
# -- every action on every status: GET shows the form (403 with the reason if not allowed) --
issue_action                   edit@R            GET    302  404  404 302   404   403   403   404  302 302
issue_action                   edit@A            GET    302  403  403 403   404   403   403   404  403 403
issue_action                   edit@P            GET    302  403  403 403   404   403   403   404  403 403
issue_action                   edit@X            GET    302  403  403 403   404   403   403   404  403 403
issue_action                   edit@S            GET    302  403  403 403   404   403   403   404  403 403
issue_action                   edit@C            GET    302  403  403 403   404   403   403   404  403 403
issue_action                   edit@W            GET    302  403  403 403   404   403   403   404  403 403
issue_action                   assign@R          GET    302  404  404 403   404   200   200   404  200 200
issue_action                   assign@A          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   assign@P          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   assign@X          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   assign@S          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   assign@C          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   assign@W          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   accept@R          GET    302  404  404 403   404   403   403   404  403 403
issue_action                   accept@A          GET    302  200  403 403   404   403   403   404  403 200
issue_action                   accept@P          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   accept@X          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   accept@S          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   accept@C          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   accept@W          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   return@R          GET    302  404  404 403   404   403   403   404  403 403
issue_action                   return@A          GET    302  200  403 403   404   403   403   404  403 200
issue_action                   return@P          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   return@X          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   return@S          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   return@C          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   return@W          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   reassign@R        GET    302  404  404 403   404   403   403   404  403 403
issue_action                   reassign@A        GET    302  403  403 403   404   200   403   404  200 200
issue_action                   reassign@P        GET    302  403  403 403   404   200   403   404  200 200
issue_action                   reassign@X        GET    302  403  403 403   404   200   403   404  200 200
issue_action                   reassign@S        GET    302  403  403 403   404   403   403   404  403 403
issue_action                   reassign@C        GET    302  403  403 403   404   403   403   404  403 403
issue_action                   reassign@W        GET    302  403  403 403   404   403   403   404  403 403
issue_action                   progress@R        GET    302  404  404 403   404   403   403   404  403 403
issue_action                   progress@A        GET    302  403  403 403   404   403   403   404  403 403
issue_action                   progress@P        GET    302  200  403 403   404   403   403   404  403 200
issue_action                   progress@X        GET    302  200  403 403   404   403   403   404  403 200
issue_action                   progress@S        GET    302  403  403 403   404   403   403   404  403 403
issue_action                   progress@C        GET    302  403  403 403   404   403   403   404  403 403
issue_action                   progress@W        GET    302  403  403 403   404   403   403   404  403 403
issue_action                   extension_request@R GET  302  404  404 403   404   403   403   404  403 403
issue_action                   extension_request@A GET  302  200  403 403   404   403   403   404  403 200
issue_action                   extension_request@P GET  302  200  403 403   404   403   403   404  403 200
issue_action                   extension_request@X GET  302  403  403 403   404   403   403   404  403 403
issue_action                   extension_request@S GET  302  403  403 403   404   403   403   404  403 403
issue_action                   extension_request@C GET  302  403  403 403   404   403   403   404  403 403
issue_action                   extension_request@W GET  302  403  403 403   404   403   403   404  403 403
issue_action                   extension_approve@R GET  302  404  404 403   404   403   403   404  403 403
issue_action                   extension_approve@A GET  302  403  403 403   404   403   403   404  403 403
issue_action                   extension_approve@P GET  302  403  403 403   404   403   403   404  403 403
issue_action                   extension_approve@X GET  302  403  403 403   404   200   403   404  200 200
issue_action                   extension_approve@S GET  302  403  403 403   404   403   403   404  403 403
issue_action                   extension_approve@C GET  302  403  403 403   404   403   403   404  403 403
issue_action                   extension_approve@W GET  302  403  403 403   404   403   403   404  403 403
issue_action                   extension_reject@R GET   302  404  404 403   404   403   403   404  403 403
issue_action                   extension_reject@A GET   302  403  403 403   404   403   403   404  403 403
issue_action                   extension_reject@P GET   302  403  403 403   404   403   403   404  403 403
issue_action                   extension_reject@X GET   302  403  403 403   404   200   403   404  200 200
issue_action                   extension_reject@S GET   302  403  403 403   404   403   403   404  403 403
issue_action                   extension_reject@C GET   302  403  403 403   404   403   403   404  403 403
issue_action                   extension_reject@W GET   302  403  403 403   404   403   403   404  403 403
issue_action                   resolve@R         GET    302  404  404 403   404   403   403   404  403 403
issue_action                   resolve@A         GET    302  403  403 403   404   403   403   404  403 403
issue_action                   resolve@P         GET    302  200  403 403   404   403   403   404  403 200
issue_action                   resolve@X         GET    302  200  403 403   404   403   403   404  403 200
issue_action                   resolve@S         GET    302  403  403 403   404   403   403   404  403 403
issue_action                   resolve@C         GET    302  403  403 403   404   403   403   404  403 403
issue_action                   resolve@W         GET    302  403  403 403   404   403   403   404  403 403
issue_action                   close@R           GET    302  404  404 403   404   403   403   404  403 403
issue_action                   close@A           GET    302  403  403 403   404   403   403   404  403 403
issue_action                   close@P           GET    302  403  403 403   404   403   403   404  403 403
issue_action                   close@X           GET    302  403  403 403   404   403   403   404  403 403
issue_action                   close@S           GET    302  403  403 403   404   200   403   404  200 200
issue_action                   close@C           GET    302  403  403 403   404   403   403   404  403 403
issue_action                   close@W           GET    302  403  403 403   404   403   403   404  403 403
issue_action                   reopen@R          GET    302  404  404 403   404   403   403   404  403 403
issue_action                   reopen@A          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   reopen@P          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   reopen@X          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   reopen@S          GET    302  403  403 403   404   200   403   404  200 200
issue_action                   reopen@C          GET    302  403  403 403   404   200   403   404  200 200
issue_action                   reopen@W          GET    302  403  403 403   404   403   403   404  403 403
issue_action                   withdraw@R        GET    302  404  404 200   404   403   403   404  200 200
issue_action                   withdraw@A        GET    302  403  403 403   404   403   403   404  200 200
issue_action                   withdraw@P        GET    302  403  403 403   404   403   403   404  403 403
issue_action                   withdraw@X        GET    302  403  403 403   404   403   403   404  403 403
issue_action                   withdraw@S        GET    302  403  403 403   404   403   403   404  403 403
issue_action                   withdraw@C        GET    302  403  403 403   404   403   403   404  403 403
issue_action                   withdraw@W        GET    302  403  403 403   404   403   403   404  403 403
issue_action                   urge@R            GET    302  404  404 403   404   403   403   404  403 403
issue_action                   urge@A            GET    302  403  403 403   404   403   403   404  200 200
issue_action                   urge@P            GET    302  403  403 403   404   403   403   404  200 200
issue_action                   urge@X            GET    302  403  403 403   404   403   403   404  200 200
issue_action                   urge@S            GET    302  403  403 403   404   403   403   404  403 403
issue_action                   urge@C            GET    302  403  403 403   404   403   403   404  403 403
issue_action                   urge@W            GET    302  403  403 403   404   403   403   404  403 403
issue_action                   escalate@R        GET    302  404  404 403   404   403   403   404  403 403
issue_action                   escalate@A        GET    302  403  403 403   404   403   403   404  200 200
issue_action                   escalate@P        GET    302  403  403 403   404   403   403   404  200 200
issue_action                   escalate@X        GET    302  403  403 403   404   403   403   404  200 200
issue_action                   escalate@S        GET    302  403  403 403   404   403   403   404  403 403
issue_action                   escalate@C        GET    302  403  403 403   404   403   403   404  403 403
issue_action                   escalate@W        GET    302  403  403 403   404   403   403   404  403 403
issue_action                   comment@R         GET    302  404  404 200   404   200   200   404  200 200
issue_action                   comment@A         GET    302  200  200 200   404   200   200   404  200 200
issue_action                   comment@P         GET    302  200  200 200   404   200   200   404  200 200
issue_action                   comment@X         GET    302  200  200 200   404   200   200   404  200 200
issue_action                   comment@S         GET    302  200  200 200   404   200   200   404  200 200
issue_action                   comment@C         GET    302  200  200 200   404   200   200   404  200 200
issue_action                   comment@W         GET    302  200  200 200   404   200   200   404  200 200
issue_action                   nonsense@A        GET    302  404  404 404   404   404   404   404  404 404
# -- ... and POST with valid data: 302 = done; 403/404 = refused, nothing written; 200 = the
#    table allows it but the issue refuses it now (no pending extension …), nothing written
issue_action                   edit@R            POST   302  404  404 302   404   403   403   404  302 302
issue_action                   edit@A            POST   302  403  403 403   404   403   403   404  403 403
issue_action                   edit@P            POST   302  403  403 403   404   403   403   404  403 403
issue_action                   edit@X            POST   302  403  403 403   404   403   403   404  403 403
issue_action                   edit@S            POST   302  403  403 403   404   403   403   404  403 403
issue_action                   edit@C            POST   302  403  403 403   404   403   403   404  403 403
issue_action                   edit@W            POST   302  403  403 403   404   403   403   404  403 403
issue_action                   assign@R          POST   302  404  404 403   404   302   302   404  302 302
issue_action                   assign@A          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   assign@P          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   assign@X          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   assign@S          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   assign@C          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   assign@W          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   accept@R          POST   302  404  404 403   404   403   403   404  403 403
issue_action                   accept@A          POST   302  302  403 403   404   403   403   404  403 302
issue_action                   accept@P          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   accept@X          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   accept@S          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   accept@C          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   accept@W          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   return@R          POST   302  404  404 403   404   403   403   404  403 403
issue_action                   return@A          POST   302  302  403 403   404   403   403   404  403 302
issue_action                   return@P          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   return@X          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   return@S          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   return@C          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   return@W          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   reassign@R        POST   302  404  404 403   404   403   403   404  403 403
issue_action                   reassign@A        POST   302  403  403 403   404   302   403   404  302 302
issue_action                   reassign@P        POST   302  403  403 403   404   302   403   404  302 302
issue_action                   reassign@X        POST   302  403  403 403   404   302   403   404  302 302
issue_action                   reassign@S        POST   302  403  403 403   404   403   403   404  403 403
issue_action                   reassign@C        POST   302  403  403 403   404   403   403   404  403 403
issue_action                   reassign@W        POST   302  403  403 403   404   403   403   404  403 403
issue_action                   progress@R        POST   302  404  404 403   404   403   403   404  403 403
issue_action                   progress@A        POST   302  403  403 403   404   403   403   404  403 403
issue_action                   progress@P        POST   302  302  403 403   404   403   403   404  403 302
issue_action                   progress@X        POST   302  302  403 403   404   403   403   404  403 302
issue_action                   progress@S        POST   302  403  403 403   404   403   403   404  403 403
issue_action                   progress@C        POST   302  403  403 403   404   403   403   404  403 403
issue_action                   progress@W        POST   302  403  403 403   404   403   403   404  403 403
issue_action                   extension_request@R POST 302  404  404 403   404   403   403   404  403 403
issue_action                   extension_request@A POST 302  302  403 403   404   403   403   404  403 302
issue_action                   extension_request@P POST 302  302  403 403   404   403   403   404  403 302
issue_action                   extension_request@X POST 302  200  403 403   404   403   403   404  403 200
issue_action                   extension_request@S POST 302  403  403 403   404   403   403   404  403 403
issue_action                   extension_request@C POST 302  403  403 403   404   403   403   404  403 403
issue_action                   extension_request@W POST 302  403  403 403   404   403   403   404  403 403
issue_action                   extension_approve@R POST 302  404  404 403   404   403   403   404  403 403
issue_action                   extension_approve@A POST 302  403  403 403   404   200   403   404  200 200
issue_action                   extension_approve@P POST 302  403  403 403   404   200   403   404  200 200
issue_action                   extension_approve@X POST 302  403  403 403   404   302   403   404  302 302
issue_action                   extension_approve@S POST 302  403  403 403   404   403   403   404  403 403
issue_action                   extension_approve@C POST 302  403  403 403   404   403   403   404  403 403
issue_action                   extension_approve@W POST 302  403  403 403   404   403   403   404  403 403
issue_action                   extension_reject@R POST  302  404  404 403   404   403   403   404  403 403
issue_action                   extension_reject@A POST  302  403  403 403   404   200   403   404  200 200
issue_action                   extension_reject@P POST  302  403  403 403   404   200   403   404  200 200
issue_action                   extension_reject@X POST  302  403  403 403   404   302   403   404  302 302
issue_action                   extension_reject@S POST  302  403  403 403   404   403   403   404  403 403
issue_action                   extension_reject@C POST  302  403  403 403   404   403   403   404  403 403
issue_action                   extension_reject@W POST  302  403  403 403   404   403   403   404  403 403
issue_action                   resolve@R         POST   302  404  404 403   404   403   403   404  403 403
issue_action                   resolve@A         POST   302  403  403 403   404   403   403   404  403 403
issue_action                   resolve@P         POST   302  302  403 403   404   403   403   404  403 302
issue_action                   resolve@X         POST   302  302  403 403   404   403   403   404  403 302
issue_action                   resolve@S         POST   302  403  403 403   404   403   403   404  403 403
issue_action                   resolve@C         POST   302  403  403 403   404   403   403   404  403 403
issue_action                   resolve@W         POST   302  403  403 403   404   403   403   404  403 403
issue_action                   close@R           POST   302  404  404 403   404   403   403   404  403 403
issue_action                   close@A           POST   302  403  403 403   404   403   403   404  403 403
issue_action                   close@P           POST   302  403  403 403   404   403   403   404  403 403
issue_action                   close@X           POST   302  403  403 403   404   403   403   404  403 403
issue_action                   close@S           POST   302  403  403 403   404   302   403   404  302 302
issue_action                   close@C           POST   302  403  403 403   404   403   403   404  403 403
issue_action                   close@W           POST   302  403  403 403   404   403   403   404  403 403
issue_action                   reopen@R          POST   302  404  404 403   404   403   403   404  403 403
issue_action                   reopen@A          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   reopen@P          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   reopen@X          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   reopen@S          POST   302  403  403 403   404   302   403   404  302 302
issue_action                   reopen@C          POST   302  403  403 403   404   302   403   404  302 302
issue_action                   reopen@W          POST   302  403  403 403   404   403   403   404  403 403
issue_action                   withdraw@R        POST   302  404  404 302   404   403   403   404  302 302
issue_action                   withdraw@A        POST   302  403  403 403   404   403   403   404  302 302
issue_action                   withdraw@P        POST   302  403  403 403   404   403   403   404  403 403
issue_action                   withdraw@X        POST   302  403  403 403   404   403   403   404  403 403
issue_action                   withdraw@S        POST   302  403  403 403   404   403   403   404  403 403
issue_action                   withdraw@C        POST   302  403  403 403   404   403   403   404  403 403
issue_action                   withdraw@W        POST   302  403  403 403   404   403   403   404  403 403
issue_action                   urge@R            POST   302  404  404 403   404   403   403   404  403 403
issue_action                   urge@A            POST   302  403  403 403   404   403   403   404  302 302
issue_action                   urge@P            POST   302  403  403 403   404   403   403   404  302 302
issue_action                   urge@X            POST   302  403  403 403   404   403   403   404  302 302
issue_action                   urge@S            POST   302  403  403 403   404   403   403   404  403 403
issue_action                   urge@C            POST   302  403  403 403   404   403   403   404  403 403
issue_action                   urge@W            POST   302  403  403 403   404   403   403   404  403 403
issue_action                   escalate@R        POST   302  404  404 403   404   403   403   404  403 403
issue_action                   escalate@A        POST   302  403  403 403   404   403   403   404  302 302
issue_action                   escalate@P        POST   302  403  403 403   404   403   403   404  302 302
issue_action                   escalate@X        POST   302  403  403 403   404   403   403   404  302 302
issue_action                   escalate@S        POST   302  403  403 403   404   403   403   404  403 403
issue_action                   escalate@C        POST   302  403  403 403   404   403   403   404  403 403
issue_action                   escalate@W        POST   302  403  403 403   404   403   403   404  403 403
issue_action                   comment@R         POST   302  404  404 302   404   302   302   404  302 302
issue_action                   comment@A         POST   302  302  302 302   404   302   302   404  302 302
issue_action                   comment@P         POST   302  302  302 302   404   302   302   404  302 302
issue_action                   comment@X         POST   302  302  302 302   404   302   302   404  302 302
issue_action                   comment@S         POST   302  302  302 302   404   302   302   404  302 302
issue_action                   comment@C         POST   302  302  302 302   404   302   302   404  302 302
issue_action                   comment@W         POST   302  302  302 302   404   302   302   404  302 302
issue_action                   nonsense@A        POST   302  404  404 404   404   404   404   404  404 404
"""  # noqa: E501 - a table, one row per line, as GitLab's policy specs
# fmt: on

# URL patterns covered as a group, with the reason (checked by the meta-test)
ALLOWED_GROUPS = {
    "admin:": "the Django admin: is_staff only (has_permission), checked by the representative "
    "admin:* rows above; its model permissions are Django's own",
    "admin/": "unnamed Django admin patterns (the object-id redirect and the catch-all view)",
    "service:": "the service room (visits, coverage, procedures): its own matrix in "
    "tests/service/test_authorization.py, whose meta-test covers every service: route",
    "feedback:": "the feedback room (the enterprise's link): its own matrix in "
    "tests/feedback/test_authorization.py, whose meta-test covers every feedback: route",
    "api:intake": "the API's work orders in and the 待核实 queue: their own matrix in "
    "tests/api/test_intake_queue.py (every role; its meta-test covers every queue route) and "
    "who may send in tests/api/test_intake.py",
}
# the JSON API's routes (/api/v1/): its own matrix in tests/api/test_authorization.py, whose
# meta-test covers every route under /api/v1/ (a bearer caller, three system clients)
API_MATRIX = "tests/api/test_authorization.py"

# routes whose anonymous 302 goes somewhere other than a login page
ANONYMOUS_REDIRECT_ELSEWHERE = {"logout", "password_reset", "set_language", "favicon.ico"}


@dataclass(frozen=True)
class Row:
    route: str
    obj: str
    method: str
    expected: tuple[int, ...]

    @property
    def id(self):
        return f"{self.method} {self.route} [{self.obj}]"


def _parse(table: str) -> list[Row]:
    rows = []
    for line in table.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        route, obj, method, *codes = line.split()
        assert method in ("GET", "POST"), line
        assert len(codes) == len(ROLES), f"{len(codes)} codes, {len(ROLES)} roles: {line}"
        rows.append(Row(route, obj, method, tuple(int(c) for c in codes)))
    return rows


ROWS = _parse(MATRIX)
MATRIX_CELLS = len(ROWS) * len(ROLES)


# -- how each route is reached -----------------------------------------------------------


def _issue_kwargs(mx, obj):
    if obj == "missing":
        return {"number": "ZZ-1999-9999"}
    return {"number": mx.issues[obj].number}


def _action_kwargs(mx, obj):
    action, key = obj.split("@")
    return {"number": mx.issues[key].number, "action": action}


def _issue_or_hidden_kwargs(mx, obj):
    if obj == "hidden-o":
        return {"number": mx.hidden_o.number}
    return _issue_kwargs(mx, obj)


def _attachment_kwargs(mx, obj):
    if obj == "P-with-hidden":  # a visible issue's number with another issue's file
        return {"number": mx.issues["P"].number, "attachment_id": mx.attachment_hidden.pk}
    if obj == "hidden":
        return {"number": mx.hidden_d.number, "attachment_id": mx.attachment_hidden.pk}
    attachment = {"P": mx.attachment, "R": mx.attachment_raised}[obj]
    return {"number": mx.issues[obj].number, "attachment_id": attachment.pk}


def _job_kwargs(mx, obj):
    return {"pk": {"of-lead": mx.job_lead.pk, "of-sup-pending": mx.job_sup.pk}.get(obj, 99999)}


def _batch_kwargs(mx, obj):
    return {"pk": {"of-sup": mx.batch_sup.pk, "of-admin": mx.batch_admin.pk}[obj]}


def _notification_kwargs(mx, obj):
    return {"pk": {"of-lead": mx.notification_lead.pk, "of-sup": mx.notification_sup.pk}[obj]}


KWARGS = {
    "api:token_revoke": lambda mx, obj: {"pk": mx.token_lead.pk if obj == "of-lead" else 99999},
    "exchange:export_job": _job_kwargs,
    "exchange:export_job_download": _job_kwargs,
    "exchange:master_export": lambda mx, obj: {"kind": obj},
    "exchange:import_preview": _batch_kwargs,
    "exchange:import_commit": _batch_kwargs,
    "exchange:import_problems": _batch_kwargs,
    "notify:notification_open": _notification_kwargs,
    "issue_detail": _issue_kwargs,
    "issue_edit": _issue_kwargs,
    "issue_action": _action_kwargs,
    "attachment_download": _attachment_kwargs,
    "enterprise_detail": lambda mx, obj: {"pk": mx.enterprise.pk if obj == "E" else 99999},
    "project_detail": lambda mx, obj: {"pk": mx.project.pk if obj == "PJ" else 99999},
    "password_reset_confirm": lambda mx, obj: {"uidb64": "MTIzNDU", "token": "set-password"},
    "admin:ledger_issue_change": lambda mx, obj: {"object_id": mx.issues[obj].pk},
    "issue_notice_assign": _issue_or_hidden_kwargs,
    "issue_notice_escalate": _issue_or_hidden_kwargs,
    "enterprise_edit": lambda mx, obj: {
        "pk": {"E": mx.enterprise.pk, "other": mx.other_enterprise.pk}.get(obj, 99999)
    },
    "enterprise_verify": lambda mx, obj: {"pk": mx.enterprise.pk},
    "project_edit": lambda mx, obj: {"pk": mx.project.pk if obj == "PJ" else 99999},
    "project_progress": lambda mx, obj: {
        "pk": {"PJ": mx.project.pk, "other": mx.other_project.pk}.get(obj, 99999)
    },
}
# query strings that make a GET show something (search terms, a title to compare)
QUERIES = {
    "issue_duplicates": lambda mx: {
        "title": "矩阵问题〔assigned〕",
        "enterprise": mx.enterprise.pk,
    },
    "enterprise_lookup": lambda mx: {"q": "矩阵"},
    "project_lookup": lambda mx: {"q": "矩阵"},
    "issue_list": lambda mx: {"q": "矩阵"},
    "exchange:issue_export": lambda mx: {"q": "矩阵"},
    "issue_print": lambda mx: {"q": "矩阵"},
    "issue_batch": lambda mx: {
        "numbers": [mx.issues["A"].number, mx.hidden_o.number],
        "action": "urge",
    },
    # this week and month (the default is the last complete one, before the world was made)
    "oversight:report_weekly": lambda mx: this_period(mx, "oversight:report_weekly"),
    "oversight:report_weekly_export": lambda mx: this_period(mx, "oversight:report_weekly"),
    "oversight:report_monthly": lambda mx: this_period(mx, "oversight:report_monthly"),
    "oversight:report_monthly_export": lambda mx: this_period(mx, "oversight:report_monthly"),
}


def this_period(mx, report: str) -> dict:
    if report == "oversight:report_weekly":
        year, week, _day = mx.today.isocalendar()
        return {"week": f"{year}-W{week:02d}"}
    return {"month": mx.today.strftime("%Y-%m")}


def url_of(mx, row: Row) -> str:
    if row.route == "favicon.ico":
        return "/favicon.ico"
    kwargs = KWARGS[row.route](mx, row.obj) if row.route in KWARGS else {}
    return reverse(row.route, kwargs=kwargs)


# -- what a POST sends ---------------------------------------------------------------------


def _action_data(mx, obj):
    action, key = obj.split("@")
    if action == "nonsense":
        return {}
    issue = mx.issue(key)
    later = mx.today.toordinal()
    from datetime import date

    def day(n):
        return date.fromordinal(later + n).isoformat()

    data = {"version": issue.version}
    data.update(
        {
            "edit": {},
            "assign": {
                "leader": mx.responsible.pk,
                "lead_department": mx.dept_lead.pk,
                "co_departments": [mx.dept_co.pk],
                "deadline": day(12),
            },
            "reassign": {
                "leader": mx.responsible.pk,
                "lead_department": mx.dept_unrel.pk,
                "co_departments": [mx.dept_co.pk],
                "deadline": day(12),
            },
            "accept": {},
            "return": {"note": "不属于本单位职责。"},
            "progress": {"progress": "smooth", "note": "已进场施工。"},
            "extension_request": {"new_deadline": day(25), "note": "需要协调用地。"},
            "extension_approve": {"granted_deadline": day(20)},
            "extension_reject": {"note": "理由不充分。"},
            "resolve": {"resolution": "已修复排水。"},
            "close": {"satisfaction": "satisfied"},
            "reopen": {"deadline": day(15), "note": "企业反映仍有积水。"},
            "withdraw": {"note": "重复登记。"},
            "urge": {"note": "请抓紧办理。"},
            "escalate": {"note": "列为督办件。"},
            "comment": {"note": "矩阵备注。"},
        }[action]
    )
    return data


def _batch_data(numbers):
    """The batch confirmation page's POST: the issues, the action and each issue's version."""
    from ledger.models import Issue

    versions = dict(Issue.objects.filter(number__in=numbers).values_list("number", "version"))
    return {
        "numbers": numbers,
        "action": "urge",
        "note": "请抓紧办理。",
        **{f"version-{number}": str(version) for number, version in versions.items()},
    }


def _issue_form_data(mx, obj=None):
    data = {
        "title": "矩阵新登记问题",
        "description": "矩阵测试。",
        "category": mx.category.pk,
        "source": mx.source.pk,
        "urgency": "normal",
        "raising_department": mx.dept_raise.pk,
    }
    if obj not in (None, "-", "missing"):
        data["version"] = mx.issue(obj).version
        data["title"] = "矩阵问题（已修改）"
    return data


def _enterprise_data(mx, obj):
    from tests.factories import valid_credit_code

    enterprise = {"E": mx.enterprise, "other": mx.other_enterprise}.get(obj)
    return {
        "name": enterprise.name if enterprise else "矩阵新增企业有限公司",
        "credit_code": enterprise.credit_code if enterprise else valid_credit_code(990001),
        "industry": "化工",
        "scale": "above",
        "address": "中站区矩阵路 1 号",
        "subdistrict": mx.dept_co.pk,
        "is_active": "on",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "50",
        "creation_token": uuid.uuid4().hex,  # a fresh adding page each time (edits ignore it)
    }


def _project_data(mx, obj):
    return {
        "name": mx.project.name if obj == "PJ" else "矩阵新增项目",
        "level": "district",
        "nature": "new",
        "sector": "industry",
        "year": mx.today.year,
        "total_investment": "10000",
        "annual_plan": "5000",
        "completed_this_year": "100",
        "stage": "construction",
        "lead_department": mx.dept_lead.pk,
        "creation_token": uuid.uuid4().hex,  # a fresh adding page each time (edits ignore it)
    }


POST_DATA = {
    "enterprise_create": _enterprise_data,
    "enterprise_edit": _enterprise_data,
    "project_create": _project_data,
    "project_edit": _project_data,
    "project_progress": lambda mx, obj: {
        "month": mx.today.strftime("%Y-%m"),
        "completed_this_year": "1200",
        "stage": "construction",
        "note": "主体施工。",
    },
    "issue_batch": lambda mx, obj: _batch_data(
        [mx.issues["A"].number] if obj == "-" else [mx.hidden_o.number, mx.issues["R"].number]
    ),
    "issue_action": _action_data,
    "issue_create": lambda mx, obj: {
        **_issue_form_data(mx),
        "enterprise": mx.enterprise.pk,
        "enterprise_text": mx.enterprise.name,
        "confirm_duplicates": "on",
        "creation_token": "0123456789abcdef0123456789abcdef",
    },
    "issue_edit": _issue_form_data,
    "exchange:import_aliases": lambda mx, obj: {"delete": mx.alias.pk},
    "notify:notification_preferences": lambda mx, obj: {
        "language": "zh-hans",
        "email_on": ["assign"],
    },
    "login": lambda mx, obj: {"username": "mx_lead", "password": "wrong-password"},
    "password_change": lambda mx, obj: {
        "old_password": "zz-test-pass",
        "new_password1": "Matrix-pass-2026-xyz",
        "new_password2": "Matrix-pass-2026-xyz",
    },
    "password_reset": lambda mx, obj: {"email": "mx_lead@example.invalid"},
    "password_reset_confirm": lambda mx, obj: {
        "new_password1": "Matrix-pass-2026-xyz",
        "new_password2": "Matrix-pass-2026-xyz",
    },
    "set_language": lambda mx, obj: {"language": "en", "next": "/"},
    "api:token_list": lambda mx, obj: {
        "name": "矩阵客户端",
        "days": "30",
        "creation_token": "fedcba9876543210fedcba9876543210",
    },
    "security:two_factor_enrol": lambda mx, obj: {"code": "000000"},
    "security:two_factor_verify": lambda mx, obj: {"code": "000000"},
    "security:two_factor_remove": lambda mx, obj: {"code": "000000"},
    "admin:ledger_category_add": lambda mx, obj: {"name": "矩阵类别", "order": 1},
}


# -- the world, once per module -------------------------------------------------------------


@pytest.fixture(autouse=True)
def _media_root():
    """Overrides the conftest's per-test MEDIA_ROOT: the module's world keeps its files in
    one temporary directory for all its tests (set by the `mx` fixture)."""


@pytest.fixture(scope="module")
def mx(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.test import override_settings

    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("authz-media"))
    media.enable()
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            world = MatrixWorld()
            # numbers and titles each role may not see, as one pattern per role
            world.leak_patterns = {
                role: re.compile("|".join(re.escape(m) + r"(?!\d)" for m in markers))
                for role in ROLES
                if (markers := world.hidden_markers(role))
            }
            world.visible_numbers("anon")  # computed now, before any test runs
            world.baseline = fingerprint()  # every test and every POST is rolled back to it
            world.quick_baseline = quick_fingerprint()
            yield world
            transaction.set_rollback(True)
    finally:
        media.disable()


def fingerprint():
    """Everything a refused request must leave as it was."""
    from django.contrib.auth import get_user_model

    from ledger.api.models import PersonalToken
    from ledger.exchange.models import ExportJob, ImportBatch, NameAlias
    from ledger.models import (
        Attachment,
        Category,
        Contact,
        Enterprise,
        ExtensionRequest,
        Issue,
        IssueDeadline,
        IssueEvent,
        KeyProject,
        ProjectProgress,
    )
    from ledger.notify.models import Notification, Preference

    return [
        list(Issue.objects.order_by("pk").values_list("pk", "version", "status", "title")),
        IssueEvent.objects.count(),
        Attachment.objects.count(),
        IssueDeadline.objects.count(),
        list(ExtensionRequest.objects.order_by("pk").values_list("pk", "state")),
        list(Notification.objects.order_by("pk").values_list("pk", "read_at")),
        list(Preference.objects.order_by("pk").values_list("user_id", "language", "email_off")),
        ExportJob.objects.count(),
        list(ImportBatch.objects.order_by("pk").values_list("pk", "state", "mappings")),
        NameAlias.objects.count(),
        list(get_user_model().objects.order_by("pk").values_list("pk", "password", "is_active")),
        Category.objects.count(),
        list(Enterprise.objects.order_by("pk").values_list("pk", "name", "is_verified")),
        list(Contact.objects.order_by("pk").values_list("pk", "name", "mobile")),
        list(KeyProject.objects.order_by("pk").values_list("pk", "name", "completed_this_year")),
        ProjectProgress.objects.count(),
        # a refused revocation revokes nothing (a created token is a 200 that adds a row)
        list(PersonalToken.objects.filter(revoked_at__isnull=False).values_list("pk")),
    ]


def quick_fingerprint():
    """One query: counts and versions that any write would move (checked after every GET)."""
    from django.db import connection

    from ledger.exchange.models import ExportJob, ImportBatch, NameAlias
    from ledger.models import Enterprise, ExtensionRequest, Issue, IssueEvent, KeyProject
    from ledger.notify.models import Notification

    def table(model):
        return connection.ops.quote_name(model._meta.db_table)

    parts = [f"(SELECT COALESCE(SUM(version), 0) FROM {table(Issue)})"]
    parts += [
        f"(SELECT COUNT(*) FROM {table(model)})"
        for model in (
            Issue,
            IssueEvent,
            ExtensionRequest,
            Notification,
            ExportJob,
            ImportBatch,
            NameAlias,
            Enterprise,
            KeyProject,
        )
    ]
    parts.append(f"(SELECT COUNT(*) FROM {table(Notification)} WHERE read_at IS NULL)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return cursor.fetchone()


def _content(response) -> bytes:
    """The answer's bytes. A streamed answer (a FileResponse download) can be read only once,
    so its bytes are kept on the response for every helper that reads it after."""
    if not response.streaming:
        return response.content
    if not hasattr(response, "read_bytes"):
        response.read_bytes = b"".join(response.streaming_content)
    return response.read_bytes


def body_text(response) -> str:
    """What a person (or a program) reads in the answer: HTML, JSON, text or a workbook."""
    content = _content(response)
    if content[:2] == b"PK":  # .xlsx
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        cells = []
        for name in workbook.sheet_names:
            for line in workbook.get_sheet_by_name(name).to_python():
                cells += [str(value) for value in line]
        return "\n".join(cells)
    text = content.decode("utf-8", errors="replace")
    if response.get("Content-Type", "").startswith("application/json"):
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return text


def leaks(mx, role, text) -> list[str]:
    pattern = mx.leak_patterns.get(role)
    return sorted(set(pattern.findall(text))) if pattern else []


def request(mx, row: Row, role: str):
    """One cell: the response, and what went wrong with it (empty when as expected)."""
    client = mx.clients[role]
    url = url_of(mx, row)
    expected = row.expected[ROLES.index(role)]
    cookies = copy.deepcopy(client.cookies)  # logout and password changes must not stick
    cache.clear()  # throttles (lockout, password reset) count per cell, not per run
    problems = []
    try:
        if row.method == "GET":
            query = QUERIES[row.route](mx) if row.route in QUERIES else {}
            response = client.get(url, query)
            if quick_fingerprint() != mx.quick_baseline:
                problems.append("a GET changed the database")
        else:
            with transaction.atomic():
                data = POST_DATA[row.route](mx, row.obj) if row.route in POST_DATA else {}
                response = client.post(url, data)
                refused = (
                    response.status_code in (403, 404, 405)
                    or (response.status_code == 200 and expected == 200)
                    or (response.status_code == 302 and "login" in response["Location"])
                )
                if refused and fingerprint() != mx.baseline:
                    problems.append("refused but the database changed")
                transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    if response.status_code != expected:
        problems.insert(0, f"expected {expected}, got {response.status_code}")
    elif (
        role == "anon"
        and expected == 302
        and row.route not in ANONYMOUS_REDIRECT_ELSEWHERE
        and "login" not in response["Location"]
    ):
        problems.append(f"anonymous redirected to {response['Location']}, not to a login page")
    if response.status_code == 200:
        leaked = leaks(mx, role, body_text(response))
        if leaked:
            problems.append(f"shows issues it may not see: {leaked}")
    return response, problems


# -- the matrix ----------------------------------------------------------------------------


def test_matrix_rows_are_distinct():
    assert len(ROWS) * len(ROLES) == MATRIX_CELLS
    assert len({row.id for row in ROWS}) == len(ROWS), "a row is listed twice"


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_matrix(db, mx, row):
    failures = []
    for role in ROLES:
        _response, problems = request(mx, row, role)
        failures += [f"{role}: {p}" for p in problems]
    assert not failures, f"{row.id} {url_of(mx, row)}\n" + "\n".join(failures)


# -- every URL pattern has rows ---------------------------------------------------------------


def project_routes() -> set[str]:
    """Every URL pattern of the project: its name (with namespace), or its pattern if unnamed."""
    routes = set()

    def walk(resolver, prefix="", namespace=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}{entry.namespace}:"
                walk(entry, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                if entry.name:
                    routes.add(f"{namespace}{entry.name}")
                else:
                    routes.add(prefix + str(entry.pattern))

    walk(get_resolver())
    return routes


def _allowed_group(route: str) -> bool:
    from tests.api.routes import api_v1_routes  # import here: reads the URLconf, loaded late

    return any(route.startswith(prefix) for prefix in ALLOWED_GROUPS) or route in api_v1_routes()


def test_url_patterns_all_covered():
    routes = project_routes()
    covered = {row.route for row in ROWS}
    missing = sorted(r for r in routes - covered if not _allowed_group(r))
    assert not missing, f"URL patterns without a row in the authorization matrix: {missing}"
    stale = sorted(covered - routes)
    assert not stale, f"rows for URL patterns the project no longer has: {stale}"


def test_every_action_and_status_has_a_get_and_a_post_row():
    from ledger.states import TRANSITIONS

    for method in ("GET", "POST"):
        objs = {row.obj for row in ROWS if row.route == "issue_action" and row.method == method}
        for action in TRANSITIONS:
            for key in VARIANTS:
                assert f"{action.value}@{key}" in objs, (method, action.value, key)


def test_meta_test_notices_a_missing_row(monkeypatch):
    """The meta-test can fail: without the rows of one route it names that route."""
    import sys

    kept = [row for row in ROWS if row.route != "leader_me"]
    monkeypatch.setattr(sys.modules[__name__], "ROWS", kept)
    with pytest.raises(AssertionError, match="leader_me"):
        test_url_patterns_all_covered()


# -- lists, exports, counts and search results hold only what the role may see ------------------
# Written out per role (R…W are the seven issues above; two more are hidden from most:
# one raised by the unrelated department, one of a project the other leader 分包, assigned
# to the unrelated department) and checked against selectors.visible_to as well.

SIGNED_IN = [role for role in ROLES if role != "anon"]
NUMBER = re.compile(r"ZZ-\d{4}-\d{4}(?!\d)")

# role: (visible issues, open by status on the dashboard: raised, assigned, in progress,
#        resolved; open issues of the enterprise; open issues of the other leader's project)
VISIBLE = {
    "lead": (6, (0, 1, 2, 1), 3, 0),
    "co": (6, (0, 1, 2, 1), 3, 0),
    "raise": (7, (1, 1, 2, 1), 4, 0),
    "unrel": (2, (1, 1, 0, 0), 0, 1),
    "rlead": (7, (1, 1, 2, 1), 4, 0),
    "slead": (7, (1, 1, 2, 1), 4, 0),
    "oldr": (1, (0, 1, 0, 0), 0, 1),
    "sup": (9, (2, 2, 2, 1), 4, 1),
    "admin": (9, (2, 2, 2, 1), 4, 1),
}
# whose notifications, export jobs and import batches each role's own lists show
OWN_NOTIFICATIONS = {"lead": 1, "sup": 1, "unrel": 1}
OWN_EXPORT_JOBS = {"lead": 1, "sup": 1}


def _get(mx, role, name, query=None, **kwargs):
    response = mx.clients[role].get(reverse(name, kwargs=kwargs), query or {})
    assert response.status_code == 200, (role, name, response.status_code)
    return response


def _numbers(response) -> set[str]:
    return set(NUMBER.findall(body_text(response)))


def _sheet_rows(response) -> list[list]:
    from openpyxl import load_workbook

    content = _content(response)
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return [
        list(line) for sheet in workbook.worksheets for line in sheet.iter_rows(values_only=True)
    ]


def _rows(response) -> set[str]:
    """The ledger numbers of the table's rows (the search box may echo a number)."""
    return {issue.number for issue in response.context["issues"]}


@pytest.mark.parametrize("role", SIGNED_IN)
def test_visible_counts_written_out_agree_with_visible_to(db, mx, role):
    assert len(mx.visible_numbers(role)) == VISIBLE[role][0]


@pytest.mark.parametrize("role", SIGNED_IN)
def test_ledger_and_its_search_list_exactly_the_visible_issues(db, mx, role):
    visible = mx.visible_numbers(role)
    assert len(visible) == VISIBLE[role][0]
    page = _get(mx, role, "issue_list")
    assert _rows(page) == _numbers(page) == visible
    # every title has 矩阵 in it: the search finds all the role sees and nothing else
    assert _rows(_get(mx, role, "issue_list", {"q": "矩阵"})) == visible
    # searching for a hidden issue by its title or number finds it only for those who see it
    for hidden in (mx.hidden_d, mx.hidden_o):
        expected = visible & {hidden.number}
        found = _get(mx, role, "issue_list", {"q": hidden.title})
        assert _rows(found) == expected
        assert _rows(_get(mx, role, "issue_list", {"q": hidden.number})) == expected
        if not expected:
            assert hidden.number not in body_text(found)


@pytest.mark.parametrize("role", SIGNED_IN)
def test_ledger_export_holds_exactly_the_visible_rows(db, mx, role):
    numbers = set()
    for line in _sheet_rows(_get(mx, role, "exchange:issue_export")):
        numbers |= {str(v) for v in line if v is not None and NUMBER.fullmatch(str(v))}
    assert numbers == mx.visible_numbers(role)
    assert len(numbers) == VISIBLE[role][0]


@pytest.mark.parametrize("role", SIGNED_IN)
def test_dashboard_counts_only_visible_issues(db, mx, role):
    from ledger import selectors

    response = _get(mx, role, "oversight:dashboard")
    counts = tuple(figure.count for figure in response.context["statuses"])
    assert counts == VISIBLE[role][1]
    user = mx.users[role]
    statuses = ["raised", "assigned", "in_progress", "resolved"]
    by_visible_to = tuple(
        selectors.visible_to(user).filter(status=status).count() for status in statuses
    )
    assert counts == by_visible_to
    assert not leaks(mx, role, body_text(response))


@pytest.mark.parametrize("role", SIGNED_IN)
@pytest.mark.parametrize("report", ["oversight:report_monthly", "oversight:report_weekly"])
def test_reports_count_only_visible_issues(db, mx, role, report):
    response = _get(mx, role, report, this_period(mx, report))
    summary = {item["key"]: item["count"] for item in response.context["summary"]}
    # every issue of the world was logged today, so this period's 新登记 is all the role sees
    assert summary["new"] == VISIBLE[role][0]
    late = {issue.number for issue in response.context["late_cases"]}
    assert late <= mx.visible_numbers(role)
    # the one overdue issue (three days late) counts where its deadline falls in the period
    period = response.context["period"]
    deadline = mx.today - datetime.timedelta(days=3)
    overdue = {mx.hidden_o.number} if period.start <= deadline <= period.end else set()
    assert late == mx.visible_numbers(role) & overdue
    export = _get(mx, role, f"{report}_export", this_period(mx, report))
    assert not leaks(mx, role, body_text(export))
    totals = next(line for line in _sheet_rows(export) if line and line[0] == "合计")
    assert totals[1] == VISIBLE[role][0]  # 新登记, the first figure
    assert _numbers(export) <= mx.visible_numbers(role)


@pytest.mark.parametrize("role", SIGNED_IN)
def test_home_and_leader_screen_show_only_visible_issues(db, mx, role):
    home = _get(mx, role, "home")
    assert _numbers(home) <= mx.visible_numbers(role)
    cards = {card.key: card.count for card in home.context["cards"]}
    assert all(count <= VISIBLE[role][0] for count in cards.values()), cards
    if role in ("rlead", "slead", "oldr"):
        mine = _get(mx, role, "leader_me")
        assert _numbers(mine) <= mx.visible_numbers(role)
        # the responsible leader's own items are the seven issues of the table
        expected_items = {"rlead": 7, "slead": 0, "oldr": 1}[role]
        assert mine.context["page_obj"].paginator.count == expected_items


@pytest.mark.parametrize("role", SIGNED_IN)
def test_directories_count_only_visible_issues(db, mx, role):
    enterprises = _get(mx, role, "enterprise_list", {"q": "矩阵"})
    counts = {e.pk: e.open_issue_count for e in enterprises.context["page"]}
    assert counts[mx.enterprise.pk] == VISIBLE[role][2]
    projects = _get(mx, role, "project_list", {"q": "矩阵"})
    counts = {row.project.pk: row.project.open_issue_count for row in projects.context["rows"]}
    assert counts[mx.other_project.pk] == VISIBLE[role][3]
    detail = _get(mx, role, "enterprise_detail", pk=mx.enterprise.pk)
    assert _numbers(detail) == {
        n for n in mx.visible_numbers(role) if n in {i.number for i in mx.issues.values()}
    }
    detail = _get(mx, role, "project_detail", pk=mx.other_project.pk)
    assert _numbers(detail) == mx.visible_numbers(role) & {mx.hidden_o.number}


@pytest.mark.parametrize("role", SIGNED_IN)
def test_notifications_jobs_and_batches_are_only_ones_own(db, mx, role):
    user = mx.users[role]
    page = _get(mx, role, "notify:notification_list").context["page_obj"]
    assert {n.recipient_id for n in page} <= {user.pk}
    assert len(page) == OWN_NOTIFICATIONS.get(role, 0)
    jobs = _get(mx, role, "exchange:export_job_list").context["jobs"]
    assert {job.requested_by_id for job in jobs} <= {user.pk}
    assert len(jobs) == OWN_EXPORT_JOBS.get(role, 0)
    if role in ("sup", "admin"):
        batches = _get(mx, role, "exchange:issue_import").context["batches"]
        assert [b.pk for b in batches] == [{"sup": mx.batch_sup, "admin": mx.batch_admin}[role].pk]


@pytest.mark.parametrize("role", SIGNED_IN)
def test_choosers_offer_only_what_the_role_may_see(db, mx, role):
    enterprises = _get(mx, role, "enterprise_lookup", {"q": "矩阵"}).json()["results"]
    # every active enterprise (the directory is everyone's), not the one out of business
    assert {e["id"] for e in enterprises} == {mx.enterprise.pk, mx.other_enterprise.pk}
    projects = _get(mx, role, "project_lookup", {"q": "矩阵"}).json()["results"]
    assert {p["id"] for p in projects} == {mx.project.pk, mx.other_project.pk}
    # likely duplicates while logging: open issues of the same subject, only visible ones
    visible = mx.visible_numbers(role)
    query = {"title": mx.issues["A"].title, "enterprise": mx.enterprise.pk}
    shown = _numbers(_get(mx, role, "issue_duplicates", query))
    assert mx.issues["A"].number in shown or mx.issues["A"].number not in visible
    assert shown <= visible & {mx.issues[k].number for k in ("R", "A", "P", "X")}
    query = {"title": mx.hidden_o.title, "project": mx.other_project.pk}
    shown = _numbers(_get(mx, role, "issue_duplicates", query))
    assert shown == visible & {mx.hidden_o.number}


# -- lists that name issues of other objects (issue 18, finding 4) --------------------------


def _visit_the_role_sees(mx, role):
    """A visit to the enterprise that `role` sees (a leader's own, a staff member's own
    record), with every issue of the world raised on it."""
    from ledger.models import Issue, Leader
    from ledger.service.models import Visit, VisitIssue

    user = mx.users[role]
    leader = Leader.objects.filter(user=user).first() or mx.subject_leader
    visit = Visit.objects.create(
        enterprise=mx.enterprise,
        leader=leader,
        visited_on=mx.today - datetime.timedelta(days=1),
        summary="矩阵走访纪要",
        created_by=user,
    )
    VisitIssue.objects.bulk_create(
        VisitIssue(visit=visit, issue=issue) for issue in Issue.objects.all()
    )
    return visit


@pytest.mark.parametrize("role", SIGNED_IN)
def test_visit_list_names_only_the_issues_the_role_may_open(db, mx, role):
    visit = _visit_the_role_sees(mx, role)
    response = _get(mx, role, "service:visit_list")
    assert [v.pk for v in response.context["visits"]] == [visit.pk]
    assert not leaks(mx, role, body_text(response))
    shown = _numbers(response)
    assert shown == mx.visible_numbers(role), (role, shown ^ mx.visible_numbers(role))


@pytest.mark.parametrize("role", SIGNED_IN)
def test_notification_list_names_only_issues_still_visible(db, mx, role):
    """One notification about every issue of the world, as if each had been the role's
    before a reassignment: the list names only the issues the role may still open."""
    from ledger.models import Issue
    from ledger.notify.models import Notification

    user = mx.users[role]
    now = datetime.datetime.now(tz=datetime.UTC)
    Notification.objects.bulk_create(
        Notification(recipient=user, issue=issue, kind="urge", actor=None, created_at=now)
        for issue in Issue.objects.all()
    )
    response = _get(mx, role, "notify:notification_list", {"page": 1})
    page = response.context["page_obj"]
    assert page.paginator.count == Issue.objects.count() + OWN_NOTIFICATIONS.get(role, 0)
    assert not leaks(mx, role, body_text(response))
    listed = {n.issue.number for n in page}
    assert _numbers(response) == listed & mx.visible_numbers(role)
    hidden = listed - mx.visible_numbers(role)
    if hidden:
        assert "该问题已不在您的查看范围内。" in body_text(response)
