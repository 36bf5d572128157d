"""The rule editor and the automation pages, through HTTP.

Rules are written the way a browser writes them: the editor page is fetched, its
form read (`form_fields`, as a browser would submit it) and posted back, so what
the page shows is what gets saved. Rule managers here are the admin (and alice,
a team lead: her role may manage rules); carol, a salesperson, may not.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser

import pytest
import time_machine

from keyou.automation.models import Event, Rule, RuleRun, RunStatus
from keyou.automation.outbox import events_process
from keyou.automation.services import rule_save, templates_install
from keyou.automation.templates import TEMPLATES
from keyou.crm.models import Activity, Lead, Task
from keyou.people.models import Notification
from tests.web.conftest import acme_mail, crm, login, people  # noqa: F401

MARCH_10 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
SIMPLE = {
    "name": "Quote requests",
    "description": "Tag quote requests",
    "trigger": "message.received",
    "conditions": {"all": [{"field": "message.subject", "op": "contains", "value": "Quotation"}]},
    "actions": [{"type": "add_tag", "tag": "quote"}],
}


class _FormReader(HTMLParser):
    """Collect what a browser would submit from the form marked data-rule-editor."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self.in_form = False
        self.in_template = 0
        self.select: str | None = None
        self.select_options: list[tuple[str, bool]] = []
        self.option: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "data-rule-editor" in a:
            self.in_form = True
        if not self.in_form:
            return
        if tag == "template":
            self.in_template += 1
        if self.in_template:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self.select, self.select_options = name, []
        elif tag == "option" and self.select:
            self.select_options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_endtag(self, tag):
        if not self.in_form:
            return
        if tag == "template":
            self.in_template -= 1
        elif tag == "form":
            self.in_form = False
        elif self.in_template:
            return
        elif tag == "select" and self.select:
            chosen = [v for v, selected in self.select_options if selected]
            options = [v for v, _selected in self.select_options]
            self.fields.append((self.select, (chosen or options or [""])[0]))
            self.select = None
        elif tag == "textarea" and self.textarea:
            # The HTML parser drops the newline right after <textarea>, as browsers do.
            text = self.text[1:] if self.text.startswith("\n") else self.text
            self.fields.append((self.textarea, text.replace("\n", "\r\n")))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea and self.in_form and not self.in_template:
            self.text += data


def form_fields(html: str) -> dict[str, str]:
    """Return the editor form's fields as a browser would submit them (one value each)."""
    reader = _FormReader()
    reader.feed(html)
    return {name: unescape(value) for name, value in reader.fields}


def editor_post(client, url: str, **changes: str) -> tuple[dict, object]:
    """Fetch the editor at URL, change some fields, press Save; return (data, response)."""
    page = client.get(url)
    assert page.status_code == 200
    data = form_fields(page.content.decode())
    data.update(changes)
    data.setdefault("action", "save")
    return data, client.post(url, data)


@pytest.fixture
def admin(people, login):  # noqa: F811
    return login(people.admin)


def _rule(**changes) -> Rule:
    from keyou.people.access import SYSTEM

    return rule_save(actor=SYSTEM, data={**SIMPLE, **changes})


# --- access ----------------------------------------------------------------------------


def test_carol_may_not_reach_any_automation_page(people, login):  # noqa: F811
    """Pages without an id answer 403; pages naming a rule 404, like a missing rule
    (the URL leak test asks every URL with an id for a 404 outside the scope)."""
    rule = _rule()
    carol = login(people.carol)
    for url in (
        "/automation/rules/",
        "/automation/rules/new/",
        "/automation/rules/export/",
        "/automation/runs/",
        "/automation/setup/",
    ):
        assert carol.get(url).status_code == 403, url
    for url in ("/automation/rules/import/", "/automation/rules/dry-run/", "/automation/setup/"):
        assert carol.post(url, {"name": "x"}).status_code == 403, url
    assert carol.post("/automation/rules/new/", {**SIMPLE, "action": "save"}).status_code == 403
    for suffix in ("", "dry-run/", "runs/"):
        assert carol.get(f"/automation/rules/{rule.pk}/{suffix}").status_code == 404, suffix
    for suffix in ("", "enable/", "move/", "delete/"):
        response = carol.post(f"/automation/rules/{rule.pk}/{suffix}", {"enabled": "1", "up": "1"})
        assert response.status_code == 404, suffix
    rule.refresh_from_db()
    assert not rule.enabled and Rule.objects.count() == 1
    assert "Quote requests" not in carol.get(f"/automation/rules/{rule.pk}/").content.decode()


def test_a_team_lead_with_manage_rules_may_use_the_pages(people, login):  # noqa: F811
    alice = login(people.alice)
    assert alice.get("/automation/rules/").status_code == 200
    assert alice.get("/automation/setup/").status_code == 200


# --- the editor --------------------------------------------------------------------------


def test_admin_writes_a_rule_with_condition_and_action_rows(admin):
    page = admin.get("/automation/rules/new/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="cond-empty"' in body and 'id="act-empty"' in body  # rows the script adds
    data = {
        "name": "Big quote requests",
        "description": "",
        "trigger": "message.received",
        "match": "any",
        "conditions_mode": "rows",
        "conditions_json": "{}",
        "conditions_base": "{}",
        "actions_mode": "rows",
        "actions_json": "[]",
        "actions_base": "[]",
        "cond-TOTAL_FORMS": "5",
        "cond-INITIAL_FORMS": "0",
        "cond-0-field": "message.subject",
        "cond-0-op": "contains_any",
        "cond-0-value": "quote, 报价，RFQ",
        "cond-1-field": "message.first_from_sender",
        "cond-1-op": "eq",
        "cond-1-value": "true",
        "cond-2-field": "message.domain",
        "cond-2-op": "eq",
        "cond-2-negate": "on",
        "cond-2-value": "spam.example",
        "cond-3-field": "thread.messages",
        "cond-3-op": "gt",
        "cond-3-value": "3",
        "cond-4-field": "",  # an empty row is left out
        "cond-4-op": "eq",
        "act-TOTAL_FORMS": "3",
        "act-INITIAL_FORMS": "0",
        "act-0-type": "create_task",
        "act-0-create_task__title": "Answer {message.subject}",
        "act-0-create_task__due": "2h",
        "act-0-create_task__assignee": "other",
        "act-0-create_task__assignee__other": "team:Europe",
        "act-0-create_task__kind": "reply",
        "act-0-notify__text": "typed for another type: ignored",
        "act-1-type": "notify",
        "act-1-notify__to": "manager",
        "act-1-notify__text": "New inquiry:\r\n{message.subject}",
        "act-2-type": "add_tag",
        "act-2-add_tag__tag": "lead",
        "act-2-DELETE": "on",  # removed
        "action": "save",
    }
    response = admin.post("/automation/rules/new/", data)
    assert response.status_code == 302 and response.url == "/automation/rules/"
    rule = Rule.objects.get()
    assert rule.name == "Big quote requests" and rule.trigger == "message.received"
    assert not rule.enabled  # a new rule waits for its dry run
    assert rule.trigger_after is None and rule.schedule == ""
    assert rule.conditions == {
        "any": [
            {"field": "message.subject", "op": "contains_any", "value": ["quote", "报价", "RFQ"]},
            {"field": "message.first_from_sender", "op": "eq", "value": True},
            {"not": {"field": "message.domain", "op": "eq", "value": "spam.example"}},
            {"field": "thread.messages", "op": "gt", "value": 3},
        ]
    }
    assert rule.actions == [
        {
            "type": "create_task",
            "title": "Answer {message.subject}",
            "due": "2h",
            "assignee": "team:Europe",
            "kind": "reply",
        },
        {"type": "notify", "to": "manager", "text": "New inquiry:\n{message.subject}"},
    ]
    # The page shows it as rows again, and saving it unchanged keeps it exactly.
    before = (rule.conditions, rule.actions)
    _data, again = editor_post(admin, f"/automation/rules/{rule.pk}/")
    assert again.status_code == 302
    rule.refresh_from_db()
    assert (rule.conditions, rule.actions) == before
    listing = admin.get("/automation/rules/").content.decode()
    assert "Big quote requests" in listing and "An email arrives" in listing


def test_timer_and_schedule_triggers_from_the_form(admin):
    _data, response = editor_post(
        admin,
        "/automation/rules/new/",
        **{
            "name": "Waiting",
            "trigger": "thread.awaiting_reply",
            "after": "45",
            "act-0-type": "notify",
            "act-0-notify__to": "owner",
            "act-0-notify__text": "Reply to {thread.subject}",
        },
    )
    assert response.status_code == 302
    waiting = Rule.objects.get(name="Waiting")
    assert waiting.trigger_after == 45 and waiting.conditions == {}
    _data, response = editor_post(
        admin,
        "/automation/rules/new/",
        **{
            "name": "Every morning",
            "trigger": "schedule",
            "after": "45",  # left in the hidden input: not for this trigger
            "schedule_kind": "daily",
            "schedule_time": "08:30",
            "act-0-type": "add_tag",
            "act-0-add_tag__tag": "morning",
        },
    )
    assert response.status_code == 302
    morning = Rule.objects.get(name="Every morning")
    assert morning.schedule == "daily 08:30" and morning.trigger_after is None
    listing = admin.get("/automation/rules/").content.decode()
    assert "A customer waits for our reply, after 45 working minutes" in listing
    assert "On a schedule: every day at 08:30" in listing
    editor = admin.get(f"/automation/rules/{morning.pk}/").content.decode()
    assert form_fields(editor)["schedule_time"] == "08:30"


def test_a_bad_pattern_is_shown_and_the_input_kept(admin):
    data, response = editor_post(
        admin,
        "/automation/rules/new/",
        **{
            "name": "Broken pattern",
            "cond-0-field": "message.subject",
            "cond-0-op": "regex",
            "cond-0-value": "(unclosed",
            "act-0-type": "add_tag",
            "act-0-add_tag__tag": "odd",
        },
    )
    assert response.status_code == 200
    assert Rule.objects.count() == 0
    body = response.content.decode()
    assert "bad pattern" in body
    kept = form_fields(body)
    assert kept["name"] == "Broken pattern"
    assert kept["cond-0-field"] == "message.subject" and kept["cond-0-op"] == "regex"
    assert kept["cond-0-value"] == "(unclosed"
    assert kept["act-0-type"] == "add_tag" and kept["act-0-add_tag__tag"] == "odd"


def test_missing_name_and_actions_are_reported(admin):
    _data, response = editor_post(admin, "/automation/rules/new/", name="")
    assert response.status_code == 200 and Rule.objects.count() == 0
    body = response.content.decode()
    assert "a rule needs a name" in body and "a rule needs at least one action" in body


def test_bad_json_in_the_advanced_box_is_an_error(admin):
    _data, response = editor_post(
        admin,
        "/automation/rules/new/",
        name="Json",
        conditions_json='{"all": [',
        **{"act-0-type": "add_tag", "act-0-add_tag__tag": "x"},
    )
    assert response.status_code == 200 and Rule.objects.count() == 0
    assert "This is not valid JSON" in response.content.decode()


def test_edited_json_wins_over_the_rows(admin):
    rule = _rule()
    tree = {"all": [{"any": [{"field": "message.subject", "op": "contains", "value": "RFQ"}]}]}
    _data, response = editor_post(
        admin,
        f"/automation/rules/{rule.pk}/",
        conditions_json=json.dumps(tree),
        **{"cond-0-value": "changed in the rows too"},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.conditions == tree


def test_one_more_row_without_the_script(admin):
    data = form_fields(admin.get("/automation/rules/new/").content.decode())
    assert data["cond-TOTAL_FORMS"] == "1"
    data.update({"name": "Growing", "action": "add_condition"})
    response = admin.post("/automation/rules/new/", data)
    assert response.status_code == 200 and Rule.objects.count() == 0
    grown = form_fields(response.content.decode())
    assert grown["cond-TOTAL_FORMS"] == "2" and "cond-1-field" in grown
    assert grown["name"] == "Growing"
    assert "errorlist" not in response.content.decode()  # nothing was checked yet


@pytest.mark.parametrize("slug", [t.slug for t in TEMPLATES])
def test_every_built_in_rule_survives_an_edit_and_save_unchanged(people, admin, slug):  # noqa: F811
    from keyou.people.access import SYSTEM

    rules = templates_install(actor=SYSTEM, choices={slug: False}, support_team="Asia")
    for rule in rules:
        before = (rule.name, rule.trigger, rule.trigger_after, rule.conditions, rule.actions)
        _data, response = editor_post(admin, f"/automation/rules/{rule.pk}/")
        assert response.status_code == 302, response.content.decode()[:3000]
        rule.refresh_from_db()
        after = (rule.name, rule.trigger, rule.trigger_after, rule.conditions, rule.actions)
        assert after == before


def test_nested_conditions_are_shown_as_json_and_kept(people, admin):  # noqa: F811
    from keyou.people.access import SYSTEM

    (rule,) = templates_install(actor=SYSTEM, choices={"inquiry": False})
    # A copy: the rule's tree shares its leaves with the template, which the edit below
    # would otherwise change for every later test.
    nested = copy.deepcopy(rule.conditions)
    assert any("any" in child for child in nested["all"])  # an any inside the all
    page = admin.get(f"/automation/rules/{rule.pk}/").content.decode()
    assert "nested deeper than the rows can show" in page
    fields = form_fields(page)
    assert fields["conditions_mode"] == "json"
    assert json.loads(fields["conditions_json"]) == nested
    # Rename the rule only: the nested tree is saved back untouched.
    _data, response = editor_post(admin, f"/automation/rules/{rule.pk}/", name="Inquiries")
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.name == "Inquiries" and rule.conditions == nested
    # Changing the JSON changes the rule.
    nested["all"][0]["value"] = "outbound"
    _data, response = editor_post(
        admin, f"/automation/rules/{rule.pk}/", conditions_json=json.dumps(nested)
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.conditions["all"][0]["value"] == "outbound"


# --- enable, order, delete -----------------------------------------------------------------


def test_enable_move_and_delete(admin):
    first, second, third = (_rule(name=n) for n in ("First", "Second", "Third"))
    response = admin.post(f"/automation/rules/{second.pk}/enable/", {"enabled": "1"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.enabled and second.enabled_at is not None
    admin.post(f"/automation/rules/{second.pk}/enable/", {"enabled": "0"})
    second.refresh_from_db()
    assert not second.enabled

    admin.post(f"/automation/rules/{third.pk}/move/", {"up": "1"})
    assert list(Rule.objects.order_by("position").values_list("name", flat=True)) == [
        "First",
        "Third",
        "Second",
    ]
    admin.post(f"/automation/rules/{first.pk}/move/", {"up": "0"})
    assert list(Rule.objects.order_by("position").values_list("name", flat=True)) == [
        "Third",
        "First",
        "Second",
    ]
    listing = admin.get("/automation/rules/")
    assert [r["rule"].name for r in listing.context["rows"]] == ["Third", "First", "Second"]

    response = admin.post(f"/automation/rules/{first.pk}/delete/")
    assert response.status_code == 302
    assert not Rule.objects.filter(pk=first.pk).exists()
    assert admin.get(f"/automation/rules/{first.pk}/").status_code == 404
    assert admin.get(f"/automation/rules/{second.pk}/enable/").status_code == 405


def test_the_list_counts_runs(admin):
    rule = _rule()
    event = Event.objects.create(kind="message.received", occurred_at=MARCH_10)
    RuleRun.objects.create(rule=rule, event=event, status=RunStatus.DONE, results=["tagged"])
    other = Event.objects.create(kind="message.received", occurred_at=MARCH_10)
    RuleRun.objects.create(rule=rule, event=other, status=RunStatus.FAILED, error="Boom: no")
    listing = admin.get("/automation/rules/")
    row = next(r for r in listing.context["rows"] if r["rule"].pk == rule.pk)["rule"]
    assert (row.done, row.failed) == (1, 1) and row.last_run is not None


# --- export and import ------------------------------------------------------------------------


def test_export_then_import_gives_the_same_rules_disabled(people, admin):  # noqa: F811
    from keyou.people.access import SYSTEM

    templates_install(actor=SYSTEM, choices={"inquiry": True, "reply_sla": True})
    _rule(name="Own rule")
    response = admin.get("/automation/rules/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    document = json.loads(response.content)
    assert document["keyou_rules"] == 1 and len(document["rules"]) == 4
    Rule.objects.all().delete()

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("rules.json", response.content, "application/json")
    response = admin.post("/automation/rules/import/", {"file": upload})
    assert response.status_code == 302
    rules = list(Rule.objects.order_by("position", "id"))
    assert len(rules) == 4 and not any(r.enabled for r in rules)
    fields = ("name", "description", "trigger", "trigger_after", "schedule", "conditions")
    for rule, row in zip(rules, document["rules"], strict=True):
        assert {f: getattr(rule, f) for f in fields} == {f: row[f] for f in fields}
        assert rule.actions == row["actions"] and rule.template == row["template"]
    assert "4 rules imported" in admin.get("/automation/rules/").content.decode()


def test_a_bad_import_shows_why_and_adds_nothing(admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = {"rules": [SIMPLE, {**SIMPLE, "trigger": "nonsense"}]}
    upload = SimpleUploadedFile("rules.json", json.dumps(bad).encode(), "application/json")
    response = admin.post("/automation/rules/import/", {"file": upload}, follow=True)
    body = response.content.decode()
    assert "the file holds bad rules" in body and "#2" in body and "nonsense" in body
    assert Rule.objects.count() == 0
    upload = SimpleUploadedFile("rules.json", b"{not json", "application/json")
    response = admin.post("/automation/rules/import/", {"file": upload}, follow=True)
    assert "not valid JSON" in response.content.decode()


# --- dry run ---------------------------------------------------------------------------------


def _counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count() for m in (Task, Notification, RuleRun, Activity, Lead, Event, Rule)
    )


def test_dry_run_lists_matches_and_changes_nothing(people, acme_mail, admin):  # noqa: F811
    rule = _rule(
        name="Quotes",
        conditions={
            "all": [
                {"field": "message.subject", "op": "contains_any", "value": ["quotation", "报价"]}
            ]
        },
        actions=[
            {"type": "create_task", "title": "Answer {message.subject}", "assignee": "owner"},
            {"type": "add_tag", "tag": "quote"},
        ],
    )
    before = _counts()
    with time_machine.travel(MARCH_10, tick=False):
        response = admin.get(f"/automation/rules/{rule.pk}/dry-run/")
    assert response.status_code == 200
    assert _counts() == before
    body = response.content.decode()
    assert "Nothing was changed" in body
    rows = response.context["rows"]
    assert len(rows) == 1  # the quote request, not the samples one
    (match,) = rows
    assert match.visible and match.account.name == "Acme Trading Ltd"
    assert match.subject == "Quotation request: LED panels"
    assert f'href="/accounts/{match.account.pk}/"' in body
    assert "Quotation request: LED panels" in body
    assert "would create task" in body and "would add tag quote" in body
    assert "Please quote 500 LED panels" not in body  # never the email text
    # The time is shown in the viewer's zone (the company's: Asia/Shanghai).
    assert "2026-03-02 16:30" in body

    # Too far back for the default 30 days; ?days widens it, at most 90.
    with time_machine.travel(datetime(2026, 4, 20, tzinfo=UTC), tick=False):
        admin.force_login(people.admin)  # weeks later: the first session has expired
        assert len(admin.get(f"/automation/rules/{rule.pk}/dry-run/").context["rows"]) == 0
        wide = admin.get(f"/automation/rules/{rule.pk}/dry-run/?days=500")
        assert wide.context["days"] == 90 and len(wide.context["rows"]) == 1
    assert _counts() == before


def test_dry_run_hides_customers_outside_the_viewers_scope(people, acme_mail, login):  # noqa: F811
    """Bob leads Europe as alice does, but a team lead's scope is her own subtree:
    make carol's team own acme and ask bob, who may manage rules but not see it."""
    from keyou.crm.models import Account

    Account.objects.filter(name="Acme Trading Ltd").update(
        owner=people.carol, team=people.carol.team
    )
    rule = _rule(conditions={})
    bob = login(people.bob)
    with time_machine.travel(MARCH_10, tick=False):
        response = bob.get(f"/automation/rules/{rule.pk}/dry-run/")
    assert response.status_code == 200
    body = response.content.decode()
    assert response.context["hidden"] == len(response.context["rows"]) >= 1
    assert "Acme Trading" not in body and "Quotation request" not in body
    assert "A customer outside your data scope" in body


def test_dry_run_of_timer_and_schedule_rules(people, acme_mail, admin):  # noqa: F811
    waiting = _rule(
        name="Unanswered",
        trigger="thread.awaiting_reply",
        trigger_after=30,
        conditions={},
        actions=[{"type": "notify", "to": "owner", "text": "Answer {thread.subject}"}],
    )
    nightly = _rule(
        name="Nightly",
        trigger="schedule",
        schedule="daily 02:00",
        conditions={"all": [{"field": "account.tags", "op": "contains", "value": "VIP"}]},
        actions=[{"type": "add_tag", "tag": "checked"}],
    )
    events_process()  # the worker's SLA clock gives each thread its customer
    before = _counts()
    with time_machine.travel(MARCH_10, tick=False):
        response = admin.get(f"/automation/rules/{waiting.pk}/dry-run/")
        assert response.status_code == 200
        subjects = {m.subject for m in response.context["rows"]}
        assert "Samples for the spring fair" in subjects  # never answered
        assert "would notify Alice" in response.content.decode()
        response = admin.get(f"/automation/rules/{nightly.pk}/dry-run/")
        assert response.status_code == 200
        assert [m.account.name for m in response.context["rows"]] == ["Acme Trading Ltd"]
        assert response.context["result"].checked == 3  # every customer, once
    assert _counts() == before


def test_dry_run_of_an_unsaved_rule(people, acme_mail, admin):  # noqa: F811
    data = form_fields(admin.get("/automation/rules/new/").content.decode())
    data.update(
        {
            "name": "Samples",
            "cond-0-field": "message.text",
            "cond-0-op": "contains_any",
            "cond-0-value": "samples\nsample",
            "act-0-type": "notify",
            "act-0-notify__to": "owner",
            "act-0-notify__text": "Samples asked: {message.subject}",
            "action": "dry_run",
        }
    )
    before = _counts()
    with time_machine.travel(MARCH_10, tick=False):
        response = admin.post("/automation/rules/dry-run/", data)
    assert response.status_code == 200
    assert _counts() == before  # nothing saved either
    body = response.content.decode()
    assert "not saved" in body and "Samples for the spring fair" in body
    assert [m.subject for m in response.context["rows"]] == ["Samples for the spring fair"]
    # "Save the rule" on that page posts the carried form to the editor.
    carried = dict(response.context["carry"])
    assert carried["name"] == "Samples"
    response = admin.post("/automation/rules/new/", {**carried, "action": "save"})
    assert response.status_code == 302
    assert Rule.objects.get().conditions == {
        "all": [{"field": "message.text", "op": "contains_any", "value": ["samples", "sample"]}]
    }


def test_an_invalid_unsaved_rule_goes_back_to_the_editor(admin):
    data = form_fields(admin.get("/automation/rules/new/").content.decode())
    data.update({"name": "No actions", "action": "dry_run"})
    response = admin.post("/automation/rules/dry-run/", data)
    assert response.status_code == 200
    assert "a rule needs at least one action" in response.content.decode()
    assert form_fields(response.content.decode())["name"] == "No actions"


def test_save_and_dry_run(people, acme_mail, admin):  # noqa: F811
    _data, response = editor_post(
        admin,
        "/automation/rules/new/",
        name="Tag all mail",
        action="save_dry_run",
        **{"act-0-type": "add_tag", "act-0-add_tag__tag": "mail"},
    )
    rule = Rule.objects.get()
    assert response.status_code == 302 and response.url == f"/automation/rules/{rule.pk}/dry-run/"


# --- the run log -------------------------------------------------------------------------------


def test_run_log_shows_status_why_results_and_errors(people, crm, admin):  # noqa: F811
    rule = _rule(name="Tagger")
    other = _rule(name="Other")
    event = Event.objects.create(kind="message.received", occurred_at=MARCH_10)
    RuleRun.objects.create(
        rule=rule,
        event=event,
        account_id=crm.acme.pk,
        status=RunStatus.DONE,
        why=["subject contains Quotation"],
        results=["added tag quote"],
    )
    RuleRun.objects.create(
        rule=other,
        event=event,
        account_id=crm.globex.pk,
        status=RunStatus.FAILED,
        attempts=3,
        error="RuntimeError: the webhook answered 500",
    )
    body = admin.get("/automation/runs/").content.decode()
    assert "Tagger" in body and "Other" in body and "message.received" in body
    assert "subject contains Quotation" in body and "added tag quote" in body
    assert "the webhook answered 500" in body and "badge-danger" in body
    assert "Acme Trading Ltd" in body and "Globex Shanghai" in body

    failed = admin.get("/automation/runs/?status=failed").content.decode()
    assert "the webhook answered 500" in failed and "added tag quote" not in failed
    one = admin.get(f"/automation/rules/{rule.pk}/runs/").content.decode()
    assert "added tag quote" in one and "the webhook answered 500" not in one


def test_run_log_hides_customers_outside_the_viewers_scope(people, crm, login):  # noqa: F811
    rule = _rule(name="Tagger")
    event = Event.objects.create(kind="message.received", occurred_at=MARCH_10)
    RuleRun.objects.create(
        rule=rule, event=event, account_id=crm.globex.pk, results=["added tag china-fair"]
    )
    body = login(people.alice).get("/automation/runs/").content.decode()  # Europe's lead
    assert "Tagger" in body and "A customer outside your data scope" in body
    assert "Globex" not in body and "china-fair" not in body


def test_run_log_hides_a_conversation_outside_the_viewers_scope(people, acme_mail, login):  # noqa: F811
    """A run without a customer still speaks of its event's conversation: bob may
    not see acme's mail once acme belongs to carol's team."""
    from keyou.crm.models import Account
    from keyou.mail.models import Thread

    Account.objects.filter(name="Acme Trading Ltd").update(
        owner=people.carol, team=people.carol.team
    )
    thread = Thread.objects.get(subject="Quotation request: LED panels")
    event = Event.objects.create(kind="message.received", occurred_at=MARCH_10, thread_id=thread.pk)
    RuleRun.objects.create(
        rule=_rule(name="Tagger"), event=event, why=["subject contains Quotation"]
    )
    body = login(people.bob).get("/automation/runs/").content.decode()
    assert "Tagger" in body and "A customer outside your data scope" in body
    assert "subject contains Quotation" not in body
    assert (
        "subject contains Quotation"
        in login(people.admin).get("/automation/runs/").content.decode()
    )


def test_run_log_pages_by_fifty(admin):
    rule = _rule()
    for _n in range(51):
        RuleRun.objects.create(
            rule=rule,
            event=Event.objects.create(kind="message.received", occurred_at=MARCH_10),
            results=["done"],
        )
    first = admin.get("/automation/runs/")
    assert len(first.context["rows"]) == 50 and first.context["has_next"]
    second = admin.get("/automation/runs/?page=2")
    assert len(second.context["rows"]) == 1 and not second.context["has_next"]


# --- the first-run checklist ---------------------------------------------------------------------


def test_setup_installs_templates_as_chosen_once(people, admin):  # noqa: F811
    page = admin.get("/automation/setup/")
    assert page.status_code == 200
    body = page.content.decode()
    for template in TEMPLATES:
        assert str(template.title) in body
    assert 'href="/automation/hours/"' in body and 'href="/automation/routing/"' in body
    assert 'href="/automation/channels/"' in body
    choice = {
        "inquiry": "enabled",
        "reply_sla": "disabled",
        "complaint": "enabled",
        "key_account": "skip",
        "birthday": "skip",
        "support_team": "Asia",
    }
    response = admin.post("/automation/setup/", choice)
    assert response.status_code == 302
    installed = {r.template: r for r in Rule.objects.all()}
    assert set(installed) == {"inquiry", "reply_sla", "complaint"}
    assert Rule.objects.filter(template="reply_sla").count() == 2
    assert installed["inquiry"].enabled and installed["complaint"].enabled
    assert not Rule.objects.filter(template="reply_sla", enabled=True).exists()
    complaint = installed["complaint"]
    assert complaint.actions[0]["assignee"] == "team:Asia"

    count = Rule.objects.count()
    response = admin.post("/automation/setup/", {**choice, "inquiry": "disabled"})
    assert response.status_code == 302
    assert Rule.objects.count() == count  # nothing installed twice
    assert not Rule.objects.get(template="inquiry").enabled

    body = admin.get("/automation/setup/").content.decode()
    assert "Inquiry detection" in body and "Enabled" in body and "Disabled" in body


def test_setup_checklist_marks_the_other_steps(people, admin):  # noqa: F811
    from keyou.automation.models import BusinessCalendar

    steps = {s["path"]: s["done"] for s in admin.get("/automation/setup/").context["steps"]}
    assert steps == {
        "/automation/hours/": False,
        "/automation/routing/": False,
        "/automation/channels/": False,
    }
    BusinessCalendar.objects.create(name="Company")
    steps = {s["path"]: s["done"] for s in admin.get("/automation/setup/").context["steps"]}
    assert steps["/automation/hours/"] is True
