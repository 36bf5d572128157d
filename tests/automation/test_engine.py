"""The rules engine on plain snapshots: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keyou.automation.catalog import actions_errors, conditions_errors, duration_minutes
from keyou.automation.engine import EventSpec, RuleSpec, evaluate, fill, plan, triggered
from keyou.automation.templates import INQUIRY_KEYWORDS

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

INQUIRY = {
    "all": [
        {"field": "message.direction", "op": "eq", "value": "inbound"},
        {"field": "message.first_from_sender", "op": "eq", "value": True},
        {
            "any": [
                {"field": "message.subject", "op": "contains_any", "value": INQUIRY_KEYWORDS},
                {"field": "message.text", "op": "contains_any", "value": INQUIRY_KEYWORDS},
            ]
        },
    ]
}


def snap(**values):
    return {k.replace("__", "."): v for k, v in values.items()}


@pytest.mark.parametrize(
    ("subject", "text", "holds"),
    [
        ("询价：LED 面板", "", True),
        ("Hello", "请发一下最新价格表和样品信息", True),
        ("Request for QUOTATION", "", True),
        ("Our price list please", "", True),
        ("rfq 2026-11", "", True),
        ("Meeting next week", "See you in Shanghai.", False),
    ],
)
def test_inquiry_keywords_in_chinese_and_english(subject, text, holds):
    s = snap(
        message__direction="inbound",
        message__first_from_sender=True,
        message__subject=subject,
        message__text=text,
    )
    verdict = evaluate(INQUIRY, s, NOW)
    assert verdict.holds is holds
    if holds:
        assert any("contains_any" in why for why in verdict.why)


def test_not_a_first_message_is_no_inquiry():
    s = snap(
        message__direction="inbound",
        message__first_from_sender=False,
        message__subject="quotation",
        message__text="",
    )
    assert not evaluate(INQUIRY, s, NOW).holds


def test_why_names_the_keyword_that_matched():
    verdict = evaluate(
        {"field": "message.subject", "op": "contains_any", "value": ["sample", "报价"]},
        {"message.subject": "请报价 thanks"},
        NOW,
    )
    assert verdict.holds
    assert verdict.why == ("message.subject contains_any sample, 报价 (报价)",)


@pytest.mark.parametrize(
    ("node", "holds"),
    [
        ({"field": "account.tags", "op": "contains", "value": "vip"}, True),
        ({"field": "account.tags", "op": "in", "value": ["Lead", "VIP"]}, True),
        ({"field": "account.tags", "op": "contains", "value": "lead"}, False),
        ({"field": "account.tier", "op": "eq", "value": "a"}, True),
        ({"field": "account.tier", "op": "ne", "value": "A"}, False),
        ({"field": "account.country", "op": "in", "value": ["DE", "FR"]}, True),
        ({"field": "thread.waiting_minutes", "op": "gt", "value": 30}, True),
        ({"field": "thread.waiting_minutes", "op": "lt", "value": "30"}, False),
        ({"field": "message.sender", "op": "regex", "value": r"@acme\.(de|com)$"}, True),
        ({"field": "message.sender", "op": "regex", "value": r"^bob@"}, False),
        ({"field": "account.owner", "op": "exists"}, False),
        ({"field": "account.country", "op": "exists"}, True),
        ({"field": "account.last_follow_up", "op": "older_than", "value": "5d"}, True),
        ({"field": "account.last_follow_up", "op": "older_than", "value": "7d"}, False),
        ({"not": {"field": "account.country", "op": "eq", "value": "CN"}}, True),
        ({"any": []}, False),
        ({"all": []}, True),
        ({}, True),
    ],
)
def test_operators(node, holds):
    s = snap(
        account__tags=["VIP"],
        account__tier="A",
        account__country="DE",
        account__owner=None,
        thread__waiting_minutes=45,
        message__sender="anna@acme.de",
        account__last_follow_up=NOW - timedelta(days=6),
    )
    assert evaluate(node, s, NOW).holds is holds


def test_missing_fields_never_match_positive_operators():
    for op, value in [("eq", "x"), ("contains", "x"), ("contains_any", ["x"]), ("gt", 1)]:
        assert not evaluate({"field": "message.subject", "op": op, "value": value}, {}, NOW).holds


def test_timer_triggers_fire_only_on_their_mark():
    rule = RuleSpec(id=1, name="30", trigger="thread.awaiting_reply", trigger_after=30)
    assert triggered(rule, EventSpec("thread.awaiting_reply", {"after": 30}))
    assert not triggered(rule, EventSpec("thread.awaiting_reply", {"after": 240}))
    assert not triggered(rule, EventSpec("message.received"))
    schedule = RuleSpec(id=7, name="daily", trigger="schedule")
    assert triggered(schedule, EventSpec("schedule", {"rule_id": 7}))
    assert not triggered(schedule, EventSpec("schedule", {"rule_id": 8}))


def test_plan_keeps_rule_order_and_reasons():
    rules = [
        RuleSpec(
            id=1,
            name="vip",
            trigger="message.received",
            conditions={"field": "account.tags", "op": "contains", "value": "VIP"},
            actions=({"type": "add_tag", "tag": "hot"},),
        ),
        RuleSpec(id=2, name="never", trigger="message.sent"),
        RuleSpec(id=3, name="always", trigger="message.received"),
    ]
    fired = plan(EventSpec("message.received"), {"account.tags": ["VIP"]}, rules, NOW)
    assert [f.rule.id for f in fired] == [1, 3]
    assert fired[0].why == ("account.tags contains VIP",)
    assert fired[1].why == ("always",)


def test_fill_placeholders():
    s = {"account.name": "Acme", "thread.waiting_minutes": 42, "owner.name": None}
    assert fill("{account.name} waited {thread.waiting_minutes} min", s) == "Acme waited 42 min"
    assert fill("by {owner.name}", s) == "by "
    assert fill("{unknown.thing} stays", s) == "{unknown.thing} stays"


def test_validation_catches_bad_trees_and_actions():
    assert conditions_errors(INQUIRY) == []
    errors = conditions_errors(
        {
            "all": [
                {"field": "nope", "op": "eq", "value": 1},
                {"field": "message.subject", "op": "regex", "value": "("},
                {"field": "message.subject", "op": "in", "value": "x"},
                {"field": "account.last_follow_up", "op": "older_than", "value": "soon"},
            ]
        }
    )
    assert len(errors) == 4
    assert actions_errors([{"type": "create_task", "title": "x", "assignee": "owner"}]) == []
    assert actions_errors([{"type": "create_task", "title": "x", "assignee": "team:Support"}]) == []
    assert actions_errors([{"type": "notify", "to": "nobody", "text": "x"}])
    assert actions_errors([{"type": "webhook", "url": "ftp://x"}])
    assert actions_errors([{"type": "explode"}])
    assert duration_minutes("4h") == 240
    assert duration_minutes("2d") == 2880
    with pytest.raises(ValueError):
        duration_minutes("4 hours")


def test_an_action_type_that_is_not_text_is_reported_not_raised():
    assert actions_errors([{"type": ["notify"]}, {"type": {"x": 1}}, "notify"]) != []
    assert len(actions_errors([{"type": ["notify"]}, {"type": {"x": 1}}, "notify"])) == 3


def test_templates_hand_out_fresh_copies():
    from keyou.automation.templates import TEMPLATE_BY_SLUG

    first = TEMPLATE_BY_SLUG["inquiry"].rules()
    first[0]["conditions"]["all"][0]["value"] = "changed"
    assert TEMPLATE_BY_SLUG["inquiry"].rules()[0]["conditions"]["all"][0]["value"] == "inbound"
