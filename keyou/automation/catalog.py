"""What rules may speak of: the fields of an event's subject, the operators and the actions.

The rule editor builds its forms from this catalogue and `rule_validate` checks a
rule against it, so a rule saved from a form, imported as JSON or installed from a
template is held to the same shape.

A condition tree is JSON: ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": node}`` or
a leaf ``{"field": "message.subject", "op": "contains_any", "value": ["quote", "报价"]}``.
An empty tree always holds. Actions are a list of ``{"type": ..., <params>}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FieldType:
    TEXT = "text"
    LIST = "list"  # of text (tags)
    NUMBER = "number"
    BOOL = "bool"
    TIME = "time"  # an aware datetime, compared with older_than


@dataclass(frozen=True)
class FieldSpec:
    path: str
    label: Any
    type: str


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("message.subject", _("Email subject"), FieldType.TEXT),
    FieldSpec("message.text", _("Email text (without quotes and signature)"), FieldType.TEXT),
    FieldSpec("message.sender", _("Sender address"), FieldType.TEXT),
    FieldSpec("message.domain", _("Sender domain"), FieldType.TEXT),
    FieldSpec("message.country", _("Sender country"), FieldType.TEXT),
    FieldSpec("message.language", _("Language of the text"), FieldType.TEXT),
    FieldSpec("message.mailbox", _("Mailbox address"), FieldType.TEXT),
    FieldSpec("message.mailbox_kind", _("Mailbox kind (personal, shared)"), FieldType.TEXT),
    FieldSpec("message.direction", _("Direction (inbound, outbound)"), FieldType.TEXT),
    FieldSpec("message.first_from_sender", _("First email from this sender"), FieldType.BOOL),
    FieldSpec("message.automated", _("Automated email"), FieldType.BOOL),
    FieldSpec("account.name", _("Customer name"), FieldType.TEXT),
    FieldSpec("account.owner", _("Customer owner (user name)"), FieldType.TEXT),
    FieldSpec("account.has_owner", _("Customer has an owner"), FieldType.BOOL),
    FieldSpec("account.team", _("Customer team"), FieldType.TEXT),
    FieldSpec("account.tags", _("Customer tags"), FieldType.LIST),
    FieldSpec("account.lifecycle", _("Customer lifecycle"), FieldType.TEXT),
    FieldSpec("account.tier", _("Customer value tier"), FieldType.TEXT),
    FieldSpec("account.country", _("Customer country"), FieldType.TEXT),
    FieldSpec("account.last_follow_up", _("Our last email to the customer"), FieldType.TIME),
    FieldSpec("account.last_inbound", _("The customer's last email"), FieldType.TIME),
    FieldSpec(
        "thread.waiting_minutes", _("Working minutes waiting for our reply"), FieldType.NUMBER
    ),
    FieldSpec("thread.awaiting_reply", _("We owe a reply"), FieldType.BOOL),
    FieldSpec("thread.is_inquiry", _("The thread is an inquiry"), FieldType.BOOL),
    FieldSpec("thread.messages", _("Emails in the thread"), FieldType.NUMBER),
    FieldSpec("contact.name", _("Contact name"), FieldType.TEXT),
    FieldSpec("contact.email", _("Contact email"), FieldType.TEXT),
    FieldSpec("task.title", _("Task title"), FieldType.TEXT),
    FieldSpec("task.kind", _("Task kind"), FieldType.TEXT),
    FieldSpec("task.assignee", _("Task assignee (user name)"), FieldType.TEXT),
    FieldSpec("deal.title", _("Deal title"), FieldType.TEXT),
    FieldSpec("deal.pipeline", _("Deal pipeline"), FieldType.TEXT),
    FieldSpec("deal.stage", _("Deal stage"), FieldType.TEXT),
    FieldSpec("deal.previous_stage", _("Deal stage before the change"), FieldType.TEXT),
    FieldSpec("deal.status", _("Deal status (open, won, lost)"), FieldType.TEXT),
    FieldSpec("deal.owner", _("Deal owner (user name)"), FieldType.TEXT),
    FieldSpec("deal.amount", _("Deal amount in the company currency"), FieldType.NUMBER),
    FieldSpec("deal.currency", _("Deal currency"), FieldType.TEXT),
    FieldSpec("deal.probability", _("Deal win probability (%)"), FieldType.NUMBER),
    FieldSpec("deal.age_days", _("Days since the deal was created"), FieldType.NUMBER),
    FieldSpec("deal.days_in_stage", _("Days in the current stage"), FieldType.NUMBER),
    FieldSpec("deal.source", _("Deal source"), FieldType.TEXT),
)
FIELD_BY_PATH = {f.path: f for f in FIELDS}


@dataclass(frozen=True)
class OpSpec:
    code: str
    label: Any
    needs_value: bool = True
    value_is_list: bool = False


OPERATORS: tuple[OpSpec, ...] = (
    OpSpec("eq", _("is")),
    OpSpec("ne", _("is not")),
    OpSpec("in", _("is one of"), value_is_list=True),
    OpSpec("contains", _("contains")),
    OpSpec("contains_any", _("contains any keyword"), value_is_list=True),
    OpSpec("regex", _("matches the pattern")),
    OpSpec("gt", _("is more than")),
    OpSpec("lt", _("is less than")),
    OpSpec("exists", _("is set"), needs_value=False),
    OpSpec("older_than", _("is older than (e.g. 30m, 4h, 5d)")),
)
OP_BY_CODE = {o.code: o for o in OPERATORS}

# Who a task or a notice is for. Besides these: "user:<username>" names one person,
# "team:<team name>" the next person of a team in turn (round robin) and
# "lead:<team name>" that team's manager.
PEOPLE = {
    "owner": _("the customer's owner"),
    "manager": _("the owner's manager"),
    "director": _("the director (head of the owner's department)"),
    "assignee": _("the task's assignee"),
}
PERSON_PREFIXES = ("user:", "team:", "lead:")


@dataclass(frozen=True)
class ParamSpec:
    name: str
    label: Any
    kind: str = "text"  # text, int, person, choice, duration, longtext
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActionSpec:
    type: str
    label: Any
    params: tuple[ParamSpec, ...] = field(default_factory=tuple)


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "create_task",
        _("Create a task"),
        (
            ParamSpec("title", pgettext_lazy("task or lead", "title"), required=True),
            ParamSpec("due", _("due in (working time, e.g. 30m, 4h, 2d)"), "duration"),
            ParamSpec("assignee", _("for"), "person", required=True),
            ParamSpec(
                "kind",
                _("kind"),
                "choice",
                choices=("follow_up", "reply", "service", "greeting", "other"),
            ),
        ),
    ),
    ActionSpec(
        "assign_owner",
        _("Assign an owner"),
        (
            ParamSpec(
                "strategy",
                _("strategy"),
                "choice",
                required=True,
                choices=("routing", "round_robin", "least_loaded", "fixed"),
            ),
            ParamSpec("team", _("team"), "text"),
            ParamSpec("user", _("person (fixed)"), "text"),
        ),
    ),
    ActionSpec(
        "notify",
        _("Notify"),
        (
            ParamSpec("to", _("whom"), "person", required=True),
            ParamSpec("text", _("text"), "longtext", required=True),
        ),
    ),
    ActionSpec("add_tag", _("Add a tag"), (ParamSpec("tag", _("tag"), required=True),)),
    ActionSpec("remove_tag", _("Remove a tag"), (ParamSpec("tag", _("tag"), required=True),)),
    ActionSpec(
        "set_field",
        _("Set a field"),
        (
            ParamSpec(
                "field",
                _("field"),
                "choice",
                required=True,
                choices=("lifecycle", "tier", "country", "source"),
            ),
            ParamSpec("value", _("value"), required=True),
        ),
    ),
    ActionSpec(
        "create_lead",
        _("Create a lead"),
        (
            ParamSpec("title", pgettext_lazy("task or lead", "title")),
            ParamSpec("source", _("source")),
        ),
    ),
    ActionSpec(
        "create_deal",
        _("Create a deal"),
        (
            ParamSpec("title", pgettext_lazy("deal", "title")),
            ParamSpec("pipeline", _("pipeline (empty: the default)")),
            ParamSpec("stage", _("stage (empty: the first)")),
            ParamSpec("source", _("source")),
        ),
    ),
    ActionSpec(
        "move_stage",
        _("Move the deal to a stage"),
        (ParamSpec("stage", _("stage"), required=True),),
    ),
    ActionSpec(
        "send_template",
        _("Send a template email"),
        (
            ParamSpec("subject", _("subject"), required=True),
            ParamSpec("body", _("text"), "longtext", required=True),
        ),
    ),
    ActionSpec("return_to_pool", _("Return the customer to the public pool")),
    ActionSpec("webhook", _("Call a webhook"), (ParamSpec("url", _("URL"), required=True),)),
)
ACTION_BY_TYPE = {a.type: a for a in ACTIONS}

_DURATION = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")


def duration_minutes(value: str | int) -> int:
    """Return the minutes of VALUE ("30m", "4h", "2d" or a number of minutes).

    Raise ValueError on anything else. A day is counted as 24 hours for
    ``older_than`` and as a working day (the calendar's hours) for task due times.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(value)
        return value
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(value)
    number, unit = int(match[1]), match[2]
    return number * {"m": 1, "h": 60, "d": 1440}[unit]


def schedule_parse(text: str) -> tuple[str, int, int] | None:
    """Return ("hourly", 0, 0) or ("daily", hour, minute) for a rule's schedule, else None."""
    parts = text.split()
    if parts == ["hourly"]:
        return ("hourly", 0, 0)
    if len(parts) == 2 and parts[0] == "daily":
        hour, _sep, minute = parts[1].partition(":")
        if hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60:
            return ("daily", int(hour), int(minute))
    return None


def _check_node(node: Any, where: str, errors: list[str]) -> None:
    if not isinstance(node, dict):
        errors.append(f"{where}: a condition must be an object")
        return
    if not node:
        return
    if "all" in node or "any" in node:
        key = "all" if "all" in node else "any"
        children = node[key]
        if not isinstance(children, list):
            errors.append(f"{where}.{key}: must be a list")
            return
        for i, child in enumerate(children):
            _check_node(child, f"{where}.{key}[{i}]", errors)
        return
    if "not" in node:
        _check_node(node["not"], f"{where}.not", errors)
        return
    path, op = node.get("field"), node.get("op")
    if path not in FIELD_BY_PATH:
        errors.append(f"{where}: unknown field {path!r}")
    spec = OP_BY_CODE.get(op)
    if spec is None:
        errors.append(f"{where}: unknown operator {op!r}")
        return
    value = node.get("value")
    if spec.needs_value and value in (None, "", []):
        errors.append(f"{where}: {op} needs a value")
    if spec.value_is_list and value is not None and not isinstance(value, list):
        errors.append(f"{where}: {op} needs a list of values")
    if op == "regex" and isinstance(value, str):
        try:
            re.compile(value)
        except re.error as exc:
            errors.append(f"{where}: bad pattern: {exc}")
    if op == "older_than" and value not in (None, ""):
        try:
            duration_minutes(value)
        except ValueError:
            errors.append(f"{where}: older_than needs a duration such as 30m, 4h or 5d")
    if op in ("gt", "lt") and value not in (None, ""):
        try:
            float(value)
        except (TypeError, ValueError):
            errors.append(f"{where}: {op} needs a number")


def conditions_errors(tree: Any) -> list[str]:
    """Return what is wrong with condition TREE (empty when it is well-formed)."""
    errors: list[str] = []
    _check_node(tree if tree is not None else {}, "conditions", errors)
    return errors


def _person_ok(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if value in PEOPLE:
        return True
    prefix = next((p for p in PERSON_PREFIXES if value.startswith(p)), None)
    return prefix is not None and bool(value[len(prefix) :].strip())


def actions_errors(actions: Any) -> list[str]:
    """Return what is wrong with the ACTIONS list (empty when it is well-formed)."""
    if not isinstance(actions, list):
        return ["actions: must be a list"]
    errors: list[str] = []
    for i, action in enumerate(actions):
        where = f"actions[{i}]"
        kind = action.get("type") if isinstance(action, dict) else None
        if not isinstance(kind, str) or kind not in ACTION_BY_TYPE:
            errors.append(f"{where}: unknown action {action!r}")
            continue
        spec = ACTION_BY_TYPE[kind]
        for param in spec.params:
            value = action.get(param.name)
            if param.required and value in (None, ""):
                errors.append(f"{where}: {param.name} is required")
            elif value in (None, ""):
                continue
            elif param.kind == "person" and not _person_ok(value):
                errors.append(f"{where}: {param.name}: unknown person {value!r}")
            elif param.kind == "choice" and value not in param.choices:
                errors.append(f"{where}: {param.name}: must be one of {', '.join(param.choices)}")
            elif param.kind == "duration":
                try:
                    duration_minutes(value)
                except ValueError:
                    errors.append(f"{where}: {param.name}: a duration such as 30m, 4h or 2d")
        if action["type"] == "webhook":
            url = str(action.get("url", ""))
            if not url.startswith(("http://", "https://")):
                errors.append(f"{where}: url must start with http:// or https://")
    return errors
