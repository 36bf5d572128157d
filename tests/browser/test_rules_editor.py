"""A manager writes a rule in the browser, dry-runs it, and enables it (rules.js at work)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from keyou.automation.models import Rule
from keyou.people.services import user_add
from tests.browser.conftest import PASSWORD, log_in


def test_a_manager_writes_dry_runs_and_enables_a_rule(live_server, shop, page):
    user_add(username="boss", email="boss@demo-trading.com", admin=True, password=PASSWORD)
    log_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/automation/rules/")
    page.get_by_role("link", name="New rule").click()
    page.wait_for_url(re.compile(r"/automation/rules/new/"))

    page.fill("input[name=name]", "Unanswered price requests")
    after = page.locator("input[name=after]")
    expect(after).to_be_hidden()  # an email arriving has no "after"
    page.select_option("select[name=trigger]", "thread.awaiting_reply")
    expect(after).to_be_visible()
    expect(page.get_by_text("working minutes", exact=True)).to_be_visible()
    after.fill("60")

    # The first condition row is there; the second is added without a round trip.
    page.select_option("select[name=cond-0-field]", "message.subject")
    page.select_option("select[name=cond-0-op]", "contains_any")
    page.fill("textarea[name=cond-0-value]", "price\n报价")
    page.get_by_role("button", name="Add a condition").click()
    expect(page.locator("select[name=cond-1-field]")).to_be_visible()
    assert "/new/" in page.url
    page.select_option("select[name=cond-1-field]", "account.tier")
    page.select_option("select[name=cond-1-op]", "exists")
    expect(page.locator("textarea[name=cond-1-value]")).to_be_hidden()

    # An action shows its own parameters; "someone else" opens the free text.
    title = page.locator("input[name=act-0-create_task__title]")
    expect(title).to_be_hidden()
    page.select_option("select[name=act-0-type]", "create_task")
    expect(title).to_be_visible()
    title.fill("Answer {thread.subject}")
    other = page.locator("input[name=act-0-create_task__assignee__other]")
    expect(other).to_be_hidden()
    page.select_option("select[name=act-0-create_task__assignee]", "other")
    expect(other).to_be_visible()
    other.fill("team:Europe")

    page.get_by_role("button", name="Save and dry run").click()
    page.wait_for_url(re.compile(r"/automation/rules/\d+/dry-run/"))
    expect(page.locator("main")).to_contain_text("Nothing was changed")
    rule = Rule.objects.get()
    assert not rule.enabled and rule.trigger_after == 60
    assert rule.conditions == {
        "all": [
            {"field": "message.subject", "op": "contains_any", "value": ["price", "报价"]},
            {"field": "account.tier", "op": "exists"},
        ]
    }
    assert rule.actions == [
        {"type": "create_task", "title": "Answer {thread.subject}", "assignee": "team:Europe"}
    ]

    page.get_by_role("button", name="Enable the rule").click()
    page.wait_for_url(re.compile(r"/automation/rules/$"))
    expect(page.locator("main")).to_contain_text("Unanswered price requests is enabled.")
    rule.refresh_from_db()
    assert rule.enabled
