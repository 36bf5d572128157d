"""The rules engine: pure evaluation of rules against an event's snapshot.

Nothing here touches the database. A snapshot is a flat mapping of catalogue
paths to plain values (``{"message.subject": "...", "account.tags": ["VIP"]}``);
`plan` turns (event, snapshot, rules) into the rules that fire, each with the
reasons its conditions held and its actions. `keyou.automation.rules` applies
them and records what it did.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from keyou.automation.catalog import duration_minutes

# Rule conditions see at most this much text: enough for any inquiry, and a bound
# on what a careless pattern can cost.
MAX_TEXT = 20_000


@dataclass(frozen=True)
class RuleSpec:
    """What the engine needs of a rule."""

    id: int | None
    name: str
    trigger: str
    trigger_after: int | None = None
    conditions: Mapping[str, Any] = field(default_factory=dict)
    actions: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class EventSpec:
    """What the engine needs of an event: its kind and its data (the timer mark)."""

    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    holds: bool
    why: tuple[str, ...] = ()


@dataclass(frozen=True)
class Firing:
    """One rule that fires on one event: why, and what it asks for."""

    rule: RuleSpec
    why: tuple[str, ...]
    actions: tuple[Mapping[str, Any], ...]


def triggered(rule: RuleSpec, event: EventSpec) -> bool:
    """Return whether EVENT is the kind of event RULE waits for.

    Timer triggers (a wait of N working minutes, N days without follow-up) fire on
    the event emitted for exactly their mark.
    """
    if rule.trigger != event.kind:
        return False
    if rule.trigger_after is not None:
        return event.data.get("after") == rule.trigger_after
    if event.kind == "schedule":
        return event.data.get("rule_id") == rule.id
    return True


@lru_cache(maxsize=512)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


def _fold(value: Any) -> str:
    return str(value).casefold()


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "1"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "no", "0"}:
        return False
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _equal(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, bool):
        return actual == _as_bool(wanted)
    if isinstance(actual, int | float):
        return actual == _number(wanted)
    if isinstance(actual, list):
        return any(_equal(item, wanted) for item in actual)
    if actual is None:
        return wanted in (None, "")
    return _fold(actual) == _fold(wanted)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _leaf(node: Mapping[str, Any], snapshot: Mapping[str, Any], now: datetime) -> Verdict:
    path, op, wanted = node.get("field", ""), node.get("op", ""), node.get("value")
    actual = snapshot.get(path)
    if isinstance(actual, str) and len(actual) > MAX_TEXT:
        actual = actual[:MAX_TEXT]
    holds, detail = False, ""
    if op == "eq":
        holds = _equal(actual, wanted)
    elif op == "ne":
        holds = not _equal(actual, wanted)
    elif op == "in":
        options = wanted if isinstance(wanted, list) else [wanted]
        holds = any(_equal(actual, option) for option in options)
    elif op == "contains":
        if isinstance(actual, list):
            holds = any(_equal(item, wanted) for item in actual)
        elif actual is not None:
            holds = _fold(wanted) in _fold(actual)
    elif op == "contains_any":
        keywords = [k for k in (wanted if isinstance(wanted, list) else [wanted]) if str(k).strip()]
        if isinstance(actual, list):
            hits = [k for k in keywords if any(_equal(item, k) for item in actual)]
        elif actual is not None:
            text = _fold(actual)
            hits = [k for k in keywords if _fold(k).strip() in text]
        else:
            hits = []
        holds = bool(hits)
        detail = f" ({_show(hits[:3])})" if hits else ""
    elif op == "regex":
        if actual is not None and wanted:
            found = _pattern(str(wanted)).search(str(actual))
            holds = found is not None
            detail = f" ({found.group(0)[:40]})" if found else ""
    elif op in ("gt", "lt"):
        a, w = _number(actual), _number(wanted)
        if a is not None and w is not None:
            holds = a > w if op == "gt" else a < w
            detail = f" ({_show(actual)})"
    elif op == "exists":
        holds = actual not in (None, "", [])
    elif op == "older_than":
        if isinstance(actual, datetime):
            holds = actual < now - timedelta(minutes=duration_minutes(wanted))
    else:
        raise ValueError(f"unknown operator {op!r}")
    if not holds:
        return Verdict(False)
    shown = "" if op == "exists" else f" {_show(wanted)}"
    return Verdict(True, (f"{path} {op}{shown}{detail}",))


def evaluate(node: Mapping[str, Any] | None, snapshot: Mapping[str, Any], now: datetime) -> Verdict:
    """Return whether condition tree NODE holds over SNAPSHOT at NOW, and why.

    The reasons name the leaves that made the tree hold (for "any", the first
    one that held); an empty tree holds with no reason.
    """
    if not node:
        return Verdict(True)
    if "all" in node:
        why: list[str] = []
        for child in node["all"]:
            verdict = evaluate(child, snapshot, now)
            if not verdict.holds:
                return Verdict(False)
            why.extend(verdict.why)
        return Verdict(True, tuple(why))
    if "any" in node:
        for child in node["any"]:
            verdict = evaluate(child, snapshot, now)
            if verdict.holds:
                return verdict
        return Verdict(False)
    if "not" in node:
        inner = evaluate(node["not"], snapshot, now)
        if inner.holds:
            return Verdict(False)
        return Verdict(True, (f"not ({_describe(node['not'])})",))
    return _leaf(node, snapshot, now)


def _describe(node: Mapping[str, Any]) -> str:
    if "all" in node:
        return " and ".join(_describe(c) for c in node["all"])
    if "any" in node:
        return " or ".join(_describe(c) for c in node["any"])
    if "not" in node:
        return f"not ({_describe(node['not'])})"
    value = node.get("value")
    shown = "" if value is None else f" {_show(value)}"
    return f"{node.get('field')} {node.get('op')}{shown}"


def plan(
    event: EventSpec, snapshot: Mapping[str, Any], rules: Iterable[RuleSpec], now: datetime
) -> list[Firing]:
    """Return the rules that fire on EVENT (in the order given), with reasons and actions."""
    firings = []
    for rule in rules:
        if not triggered(rule, event):
            continue
        verdict = evaluate(rule.conditions, snapshot, now)
        if verdict.holds:
            why = verdict.why or ("always",)
            firings.append(Firing(rule=rule, why=why, actions=tuple(rule.actions)))
    return firings


_PLACEHOLDER = re.compile(r"\{([a-z_]+\.[a-z_]+)\}")


def fill(text: str, snapshot: Mapping[str, Any]) -> str:
    """Replace {path} placeholders in TEXT with the snapshot's values (unknown: left as is)."""

    def value(match: re.Match[str]) -> str:
        found = snapshot.get(match[1])
        if found is None:
            return match[0] if match[1] not in snapshot else ""
        if isinstance(found, datetime):
            return found.strftime("%Y-%m-%d %H:%M")
        return _show(found)

    return _PLACEHOLDER.sub(value, text)
