"""The two catalogs are complete, compiled, and the screens speak English in English.

Chinese is the source language (msgids are Chinese), so the zh_Hans catalog repeats
each msgid and the English one translates it. What must never happen: a string in
the code that is missing from the catalogs, an entry left empty or fuzzy, a .mo file
that is older than its .po, or an English screen showing Chinese it did not get from
the data.
"""

import datetime
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ledger import workflow
from ledger.forms.actions import ACTION_FORMS
from ledger.models import Category, Source
from ledger.states import Action
from tests import factories as f

ROOT = Path(settings.BASE_DIR)
LANGS = ("zh_Hans", "en")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sdf]|%%|\{[a-z_]*\}")


def catalog(lang: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"))


def key(entry) -> tuple[str, str]:
    return (entry.msgctxt or "", entry.msgid)


def translations(entry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_is_complete_and_not_fuzzy(lang):
    po = catalog(lang)
    assert len(po) > 100
    assert po.metadata["Language"] == lang
    assert not po.obsolete_entries()
    untranslated = [e.msgid for e in po if not all(translations(e))]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []


def test_chinese_catalog_repeats_the_source_text():
    # except other packages' English strings, which get the Chinese admin_strings.py gives
    from ledger.admin_strings import CHINESE

    for entry in catalog("zh_Hans"):
        assert set(translations(entry)) == {CHINESE.get(entry.msgid, entry.msgid)}, entry.msgid


def test_other_packages_english_strings_are_in_both_catalogs():
    from ledger.admin_strings import CHINESE

    chinese = {e.msgid: e.msgstr for e in catalog("zh_Hans")}
    english = {e.msgid: e.msgstr for e in catalog("en")}
    for msgid, text in CHINESE.items():
        assert CJK.search(text), msgid
        assert chinese[msgid] == text
        assert english[msgid] == msgid


def test_english_catalog_has_no_chinese_and_keeps_every_placeholder():
    for entry in catalog("en"):
        source = sorted(PLACEHOLDER.findall(entry.msgid))
        for text in translations(entry):
            assert not CJK.search(text), (entry.msgid, text)
            # plural forms may drop a count the sentence already says ("1 day left")
            if not entry.msgid_plural:
                assert sorted(PLACEHOLDER.findall(text)) == source, (entry.msgid, text)


def test_both_catalogs_have_the_same_entries():
    assert {key(e) for e in catalog("en")} == {key(e) for e in catalog("zh_Hans")}


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalog_matches_its_source(lang):
    """The committed .mo (what a fresh `make run` serves) says what the .po says."""
    po = catalog(lang)
    mo = polib.mofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.mo"))
    compiled = {key(e): translations(e) for e in mo if e.msgid}
    assert compiled == {key(e): translations(e) for e in po}


def test_catalogs_hold_every_string_in_the_code(tmp_path):
    """Extract the strings afresh from a copy of the code: nothing new, nothing gone."""
    assert shutil.which("xgettext"), (
        "GNU gettext is needed to extract strings: apt-get install gettext"
    )
    for name in ("ledger", "templates", "zhongzhan", "static", "scripts"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "en", "--no-location"],
        cwd=tmp_path,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "zhongzhan.settings"},
        check=True,
        capture_output=True,
    )
    fresh = polib.pofile(str(tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    in_code = {key(e) for e in fresh}
    in_catalog = {key(e) for e in catalog("en")}
    assert sorted(in_code - in_catalog) == [], "run `make messages` and translate"
    assert sorted(in_catalog - in_code) == [], "run `make messages` to drop stale entries"


# -- every screen in English, with data that has no Chinese ---------------------------


class AsciiWorld:
    """A small world whose own data is ASCII, so any Chinese on a page is ours."""

    def __init__(self):
        # the default lists from the data migration are Chinese data, not interface text
        Category.objects.all().delete()
        Source.objects.all().delete()
        dept = f.DepartmentFactory
        self.dept_a = dept(name="Development Bureau", short_name="Development")
        self.dept_b = dept(name="Housing Bureau", short_name="Housing")
        oversight = dept(name="Oversight Office", short_name="Oversight", kind="oversight")
        self.staff_a = f.StaffFactory(username="staff_a", name="Staff A", department=self.dept_a)
        self.staff_b = f.StaffFactory(username="staff_b", name="Staff B", department=self.dept_b)
        self.supervisor = f.SupervisorFactory(
            username="supervisor", name="Supervisor", department=oversight
        )
        self.admin = f.AdminFactory(username="admin", name="Admin", department=oversight)
        self.leader = f.LeaderFactory(
            user__username="leader", user__name="Leader Li", title="Deputy head"
        )
        subdistrict = dept(name="East Subdistrict", short_name="East", kind="subdistrict")
        self.enterprise = f.EnterpriseFactory(
            name="Acme Machinery Co",
            leader=self.leader,
            industry="Machinery",
            address="1 East Road",
            subdistrict=subdistrict,
        )
        f.ContactFactory(
            enterprise=self.enterprise, name="Wang Contact", position="Manager", is_primary=True
        )
        self.project = f.KeyProjectFactory(
            name="East Road Upgrade",
            leader=self.leader,
            owner=self.enterprise,
            lead_department=self.dept_b,
        )
        self.category = f.CategoryFactory(name="Land use")
        self.source = f.SourceFactory(name="Enterprise visit")

    def raise_issue(self, title):
        return workflow.issue_raise(
            actor=self.staff_a,
            title=title,
            description="Water on the road after rain.",
            category=self.category,
            source=self.source,
            enterprise=self.enterprise,
            project=self.project,
        )

    def act(self, issue, actor, action, **data):
        workflow.transition(issue, actor=actor, action=action, **data)
        issue.refresh_from_db()

    def issues(self):
        """One issue in each state a screen can show, with a rich timeline."""
        raised = self.raise_issue("Raised only")
        assigned = self.raise_issue("Assigned")
        assign = {
            "leader": self.leader,
            "lead_department": self.dept_b,
            "deadline": f.days_from_today(10),
            "note": "Please handle.",
        }
        self.act(assigned, self.supervisor, "assign", **assign)
        running = self.raise_issue("In progress with extension")
        self.act(running, self.supervisor, "assign", **assign)
        self.act(running, self.staff_b, "accept")
        self.act(running, self.staff_b, "progress", progress="slow", note="Waiting for pipes.")
        self.act(running, self.supervisor, "urge", note="Hurry up.")
        self.act(running, self.supervisor, "escalate", note="Important.")
        self.act(
            running,
            self.staff_b,
            "extension_request",
            new_deadline=f.days_from_today(30),
            note="Pipes late.",
        )
        resolved = self.raise_issue("Resolved")
        self.act(resolved, self.supervisor, "assign", **assign)
        self.act(resolved, self.staff_b, "accept")
        self.act(resolved, self.staff_b, "resolve", resolution="Drain fixed.")
        closed = self.raise_issue("Closed")
        self.act(closed, self.supervisor, "assign", **{**assign, "deadline": f.days_from_today(1)})
        self.act(closed, self.staff_b, "accept")
        self.act(closed, self.staff_b, "resolve", resolution="Done.")
        self.act(closed, self.supervisor, "close", satisfaction="satisfied")
        return [raised, assigned, running, resolved, closed]


def english(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def assert_english(response, where, status=(200, 403, 409), user_data=()):
    assert response.status_code in status, (where, response.status_code)
    html = response.content.decode()
    if response["Content-Type"].startswith("text/html"):
        assert 'lang="en"' in html, where
    # the language switch names each language in itself, by design
    text = html.replace("简体中文", "")
    for data in user_data:
        text = text.replace(data, "")
    found = sorted({m.group(0) for m in CJK.finditer(text)})
    if found:
        at = CJK.search(text).start()
        pytest.fail(f"{where}: Chinese on an English page {found}: …{text[at - 150 : at + 60]}…")


@pytest.fixture
def ascii_world(db):
    world = AsciiWorld()
    world.all_issues = world.issues()
    return world


def test_every_screen_renders_in_english(client, ascii_world):
    w = ascii_world
    pages = 0
    for user in (w.staff_a, w.staff_b, w.supervisor, w.leader.user, w.admin):
        c = english(client, user)
        urls = [
            reverse("home"),
            reverse("issue_list"),
            reverse("issue_list") + "?status=bogus&health=red&sort=-deadline&page=99",
            reverse("enterprise_list"),
            reverse("enterprise_detail", args=[w.enterprise.pk]),
            reverse("project_list"),
            reverse("project_detail", args=[w.project.pk]),
            reverse("leader_me"),
            reverse("enterprise_lookup") + "?q=Acme",
        ]
        if user.has_perm("ledger.add_issue"):
            urls.append(reverse("issue_create"))
        for issue in w.all_issues:
            if not user.has_perm("ledger.view_issue", issue):
                continue
            urls.append(issue.get_absolute_url())
            for action in workflow.available_actions(user, issue):
                urls.append(reverse("issue_action", args=[issue.number, action.value]))
        for url in urls:
            response = c.get(url, follow=True)
            assert_english(response, f"{user.username} GET {url}")
            pages += 1
    assert pages > 60


def test_form_errors_render_in_english(client, ascii_world):
    w = ascii_world
    c = english(client, w.staff_a)
    assert_english(c.post(reverse("issue_create"), {}), "empty logging form")
    assert_english(
        c.post(reverse("issue_create"), {"enterprise_text": "nothing like it"}),
        "unknown enterprise",
    )
    # every action form that has a required field, posted empty
    posted = 0
    for issue in w.all_issues:
        for user in (w.staff_b, w.supervisor, w.leader.user):
            for action in workflow.available_actions(user, issue):
                if action == Action.EDIT:
                    continue
                form = ACTION_FORMS[action](issue=issue, user=user)
                if not any(
                    field.required for name, field in form.fields.items() if name != "version"
                ):
                    continue
                response = english(client, user).post(
                    reverse("issue_action", args=[issue.number, action.value]),
                    {"version": issue.version},
                )
                assert_english(response, f"{user.username} POST {action} on {issue.title}")
                assert response.status_code == 200
                posted += 1
    assert posted >= 8


def test_refusal_and_stale_pages_render_in_english(client, ascii_world):
    w = ascii_world
    raised = w.all_issues[0]
    c = english(client, w.staff_b)
    # an action this user may not take on an issue they can see
    running = w.all_issues[2]
    response = c.get(reverse("issue_action", args=[running.number, "close"]))
    assert response.status_code == 403
    html = response.content.decode().replace("简体中文", "")
    assert not CJK.search(html)
    # a stale form: someone acted after the page was built
    c = english(client, w.supervisor)
    response = c.post(
        reverse("issue_action", args=[raised.number, "urge"]), {"version": raised.version - 1}
    )
    assert_english(response, "stale urge")


def test_login_page_renders_in_english(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert_english(client.get(reverse("login")), "login")
    assert_english(
        client.post(reverse("login"), {"username": "nobody", "password": "wrong"}), "bad login"
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_language_switch_names_each_language_in_itself(client, world, language):
    client.force_login(world.staff_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(reverse("home")).content.decode()
    assert ">简体中文</button>" in html
    assert ">English</button>" in html
    assert "英语" not in html


def test_language_switch_changes_the_language(client, world):
    client.force_login(world.staff_a)
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("issue_list")}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("issue_list")
    assert "Problem ledger" in response.content.decode()
    assert 'lang="en"' in response.content.decode()


def test_oversight_notification_and_excel_screens_render_in_english(client, ascii_world, settings):
    """The rooms' screens (dashboard, assessment, pace, reports, bell, import, export jobs)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ledger.models import IssueEvent
    from ledger.notify.models import Notification
    from ledger.notify.services import event_notify

    w = ascii_world
    settings.EXCHANGE = {**settings.EXCHANGE, "EXPORT_BACKGROUND_ROWS": 1}
    # the test transaction never commits, so the bells are filled as the commit hook would
    for event_id in IssueEvent.objects.values_list("pk", flat=True):
        event_notify(event_id)
    assert Notification.objects.filter(recipient=w.supervisor).count() >= 3
    # an English ledger sheet with an unknown leader and an impossible date: errors to show
    sheet = (
        b"No.,Title,Description,Category,Source,Responsible leader,Lead department,Deadline\r\n"
        b"1,Road,Water on the road,Land use,Enterprise visit,Nobody Known,Housing Bureau,"
        b"2026-13-45\r\n"
    )
    pages = 0
    for user in (w.staff_a, w.supervisor, w.leader.user, w.admin):
        c = english(client, user)
        urls = [
            reverse("oversight:dashboard"),
            reverse("oversight:assessment"),
            reverse("oversight:assessment") + "?by=leader&year=2026&quarter=9",
            reverse("oversight:project_pace") + "?sort=-pace",
            reverse("oversight:report_weekly"),
            reverse("oversight:report_weekly") + "?week=bogus",
            reverse("oversight:report_monthly"),
            reverse("notify:notification_list"),
            reverse("notify:notification_list") + "?unread=1",
            reverse("notify:notification_preferences"),
            reverse("exchange:export_job_list"),
            reverse("exchange:issue_import"),
            reverse("exchange:master_import"),
            reverse("exchange:import_aliases"),
        ]
        # the ledger export beyond the (lowered) threshold becomes a background job page
        urls.append(reverse("exchange:issue_export"))
        if user.sees_everything:
            response = c.post(
                reverse("exchange:issue_import"),
                {"file": SimpleUploadedFile("ledger.csv", sheet, content_type="text/csv")},
            )
            assert response.status_code == 302, response.content[:500]
            urls.append(response.url)
        for url in urls:
            response = c.get(url, follow=True)
            assert_english(response, f"{user.username} GET {url}")
            pages += 1
        # the bell's badge is a fragment loaded by htmx (no <html lang>): no Chinese either
        fragment = c.get(reverse("notify:notification_count")).content.decode()
        assert not CJK.search(fragment), fragment
    assert pages >= 56


def _next_working_day(day):
    from ledger.workdays import is_working_day

    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def test_texts_the_system_wrote_render_in_the_readers_language(client, ascii_world):
    """What the system stored in Chinese — the automatic 催办's note and its account, an
    enterprise's rating, an import's note, the preview's cells and notes — reads in English."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ledger.models import Issue
    from ledger.notify.reminders import reminders_send
    from ledger.service.feedback import services as feedback

    w = ascii_world
    raised, assigned, running, resolved, closed = w.all_issues
    # the daily reminders (run in the source language, like the cron job) urge an overdue issue
    today = _next_working_day(timezone.localdate())
    Issue.objects.filter(pk=assigned.pk).update(deadline=today - datetime.timedelta(days=3))
    assert reminders_send(today=today, email=False)["urge"] == 1
    # the enterprise rates the resolved issue from its link
    contact = w.enterprise.contacts.get()
    link = feedback.link_create(actor=w.supervisor, issue=resolved, contact=contact)
    feedback.rating_submit(link=link, rating="dissatisfied", comment="Still wet.")
    # the office imports a sheet in Chinese (its language), and reads the preview in English
    sheet = (
        "Title,Description,Enterprise / project name,Category,Source,Responsible leader,"
        "Lead department,Deadline\r\n"
        "Gate,The gate is broken,Acme Machinery Co,Land use,Enterprise visit,Leader Li,"
        "Housing Bureau,立行立改\r\n"
    ).encode()
    zh = client
    zh.force_login(w.supervisor)
    zh.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = zh.post(
        reverse("exchange:issue_import"),
        {"file": SimpleUploadedFile("ledger.csv", sheet, content_type="text/csv")},
    )
    assert response.status_code == 302
    preview = response.url
    batch_pk = int(preview.rstrip("/").rsplit("/", 1)[1])
    assert "已交办" in zh.get(preview).content.decode()  # the status cell, in Chinese
    en = english(client, w.supervisor)
    page = en.get(preview)
    # the sheet's own deadline word is its data, quoted in the note
    assert_english(page, "import preview read in English", user_data=["立行立改"])
    assert "Assigned" in page.content.decode()
    response = zh.post(reverse("exchange:import_commit", args=[batch_pk]))
    assert response.status_code == 302
    imported = Issue.objects.get(title="Gate")
    # the stored words are the source language's; the reader gets the catalog's sentence
    sup = english(client, w.supervisor)
    shown = {
        assigned: ["Automatic reminders (system)", "Overdue, urged automatically: the deadline"],
        resolved: ["Enterprise follow-up rating", "Rated by: Wang Contact", "Still wet."],
        imported: ["Imported from “ledger.csv”", "row 2"],
    }
    for issue, sentences in shown.items():
        html = sup.get(issue.get_absolute_url()).content.decode()
        for sentence in sentences:
            assert sentence in html, (issue.title, sentence)
    for user in (w.supervisor, w.staff_b, w.leader.user):
        c = english(client, user)
        for issue in (assigned, resolved, imported):
            if user.has_perm("ledger.view_issue", issue):
                assert_english(
                    c.get(issue.get_absolute_url()),
                    f"{user.username} {issue.title}",
                    user_data=["立行立改"],
                )
        assert_english(c.get(reverse("notify:notification_list")), f"{user.username} bell")
    assert_english(
        en.get(preview), "committed import preview read in English", user_data=["立行立改"]
    )


def test_stored_text_is_shown_in_the_readers_language_and_a_persons_words_as_written():
    from django.utils import translation

    from ledger.stored_text import shown

    note = "逾期自动催办：完成时限为2026年3月5日，至今未办结。"
    joined = (
        "导入自《a.xlsx》工作表“台账”第 7 行；"
        "完成时限“长期坚持”：无固定时限，记为当年年底 2026-12-31"
    )
    with translation.override("en"):
        assert shown(note) == (
            "Overdue, urged automatically: the deadline was 2026-03-05 and the issue is"
            " still not resolved."
        )
        assert shown(joined).startswith("Imported from “a.xlsx”, sheet “台账”, row 7; ")
        assert "长期坚持" in shown(joined) and "2026-12-31" in shown(joined)
        assert shown("已交办") == "Assigned"
        # a person's own words, and a date alone, are what they wrote
        assert shown("请尽快处理，谢谢。") == "请尽快处理，谢谢。"
        assert shown("Pipes late.") == "Pipes late."
        assert shown(None) == ""
    with translation.override("zh-hans"):
        assert shown(note) == note
        assert shown("已交办") == "已交办"


def test_service_print_and_directory_screens_render_in_english(client, ascii_world):
    """Visits, coverage, 代办 procedures, the enterprise's rating list, the print pages, the
    batch page and the directories' forms, with the room's own lists made ASCII too."""
    from ledger.service import services as service
    from ledger.service.models import ProcedureType, ProjectProcedure, Visit

    w = ascii_world
    ProcedureType.objects.all().delete()
    ProcedureType.objects.create(name="Environmental review", order=1)
    ProcedureType.objects.create(name="Building permit", order=2)
    service.procedures_plan(actor=w.supervisor, project=w.project)
    procedure = ProjectProcedure.objects.filter(project=w.project).first()
    visit = service.visit_record(
        actor=w.leader.user,
        subject=w.enterprise,
        visited_on=timezone.localdate(),
        summary="Talked about the drains.",
        contacts=[w.enterprise.contacts.get()],
        companions=[w.staff_a],
        no_problems=True,
    )
    assert Visit.objects.count() == 1
    running, closed = w.all_issues[2], w.all_issues[4]
    pages = 0
    for user in (w.staff_a, w.staff_b, w.supervisor, w.leader.user, w.admin):
        c = english(client, user)
        urls = [
            reverse("service:visit_list"),
            reverse("service:visit_create"),
            reverse("service:visit_detail", args=[visit.pk]),
            reverse("service:coverage"),
            reverse("service:procedures_late"),
            reverse("service:procedure_edit", args=[procedure.pk]),
            reverse("feedback:dissatisfied"),
            reverse("issue_print"),
            reverse("issue_notice_assign", args=[running.number]),
            reverse("issue_notice_escalate", args=[running.number]),
            reverse("issue_notice_assign", args=[closed.number]),
            reverse("issue_batch") + f"?ids={running.pk}",
            reverse("enterprise_create"),
            reverse("enterprise_edit", args=[w.enterprise.pk]),
            reverse("project_create"),
            reverse("project_edit", args=[w.project.pk]),
            reverse("project_progress", args=[w.project.pk]),
            reverse("password_change"),
        ]
        for url in urls:
            response = c.get(url, follow=True)
            assert_english(response, f"{user.username} GET {url}", status=(200, 403, 404))
            pages += 1
    assert pages >= 90


def test_a_cancelled_extension_says_why_in_each_readers_language(client, ascii_world):
    """The reason the system gives when it cancels a pending extension is stored once, in the
    source language, whatever language the person acting used, and read in the reader's."""
    from django.utils import translation

    from ledger.models import ExtensionRequest

    w = ascii_world
    running = w.all_issues[2]  # an extension request is pending
    with translation.override("en"):
        w.act(running, w.staff_b, "resolve", resolution="Pipes laid.")
    cancelled = ExtensionRequest.objects.get(issue=running)
    assert cancelled.state == ExtensionRequest.State.CANCELLED
    assert cancelled.decision_note == "问题已办结"
    assert_english(english(client, w.supervisor).get(running.get_absolute_url()), "issue")
    assert (
        "Issue resolved"
        in english(client, w.supervisor).get(running.get_absolute_url()).content.decode()
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert "问题已办结" in client.get(running.get_absolute_url()).content.decode()
