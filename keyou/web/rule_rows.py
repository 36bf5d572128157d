"""A rule's conditions and actions as the editor's rows, and back: pure functions.

A condition tree one level deep (all or any of leaves, each perhaps negated) and a
list of catalogued actions can be rows. `tree_rows` and `actions_rows` say None for
anything the rows cannot say exactly, so the editor shows that as JSON instead and
never changes a rule the user did not change.
"""

from __future__ import annotations

import re
from typing import Any

from keyou.automation.catalog import (
    ACTIONS,
    FIELD_BY_PATH,
    OP_BY_CODE,
    PEOPLE,
    FieldType,
    ParamSpec,
)

# A person parameter's select says "someone else", and a text input says who.
OTHER_PERSON = "other"
_TRUE = {"true", "yes", "1", "是"}
_FALSE = {"false", "no", "0", "否"}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


# --- condition trees <-> rows ------------------------------------------------------


def value_parse(path: str, op: str, text: str) -> Any:
    """Return the JSON value typed as TEXT for field PATH under operator OP.

    List operators take items one per line, or comma-separated on one line;
    "true"/"false" on a yes-no field is a boolean; gt/lt (and is/is not on a
    number field) take numbers. Anything else stays text.
    """
    spec = OP_BY_CODE.get(op)
    field = FIELD_BY_PATH.get(path)
    text = text.strip()
    if spec is not None and spec.value_is_list:
        parts = text.splitlines() if "\n" in text else re.split(r"[,，]", text)
        return [part.strip() for part in parts if part.strip()]
    folded = text.casefold()
    if field is not None and field.type == FieldType.BOOL and op in ("eq", "ne"):
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
    numeric = op in ("gt", "lt") or (
        field is not None and field.type == FieldType.NUMBER and op in ("eq", "ne")
    )
    if numeric and _NUMBER.match(text):
        return float(text) if "." in text else int(text)
    return text


def value_format(value: Any) -> str:
    """Return VALUE as the row's value input shows it (the inverse of value_parse)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


def leaf_build(row: dict[str, Any]) -> dict[str, Any]:
    """Return the condition of one row (field, op, negate, value)."""
    leaf: dict[str, Any] = {"field": row["field"], "op": row["op"]}
    spec = OP_BY_CODE.get(row["op"])
    if spec is None or spec.needs_value:
        leaf["value"] = value_parse(row["field"], row["op"], row.get("value") or "")
    return {"not": leaf} if row.get("negate") else leaf


def tree_build(match: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the condition tree of ROWS joined by MATCH ("all" or "any"); no rows: {}."""
    if not rows:
        return {}
    return {match if match in ("all", "any") else "all": [leaf_build(r) for r in rows]}


def tree_rows(tree: Any) -> tuple[str, list[dict[str, Any]]] | None:
    """Return TREE as (match, rows), or None when rows cannot say it exactly."""
    if tree in (None, {}):
        return "all", []
    if not isinstance(tree, dict) or len(tree) != 1 or not ({"all", "any"} & tree.keys()):
        return None
    match = next(iter(tree))
    children = tree[match]
    if not isinstance(children, list) or not children:
        return None
    rows = []
    for child in children:
        negate = isinstance(child, dict) and set(child) == {"not"}
        leaf = child["not"] if negate else child
        if not isinstance(leaf, dict) or leaf.get("field") not in FIELD_BY_PATH:
            return None
        if leaf.get("op") not in OP_BY_CODE:
            return None  # the selects could not show it
        rows.append(
            {
                "field": leaf["field"],
                "op": leaf.get("op"),
                "negate": negate,
                "value": value_format(leaf.get("value")),
            }
        )
    # The rows must give back exactly this tree, or they would change it on save.
    return (match, rows) if tree_build(match, rows) == tree else None


# --- actions <-> rows ----------------------------------------------------------------


def param_name(action_type: str, param: ParamSpec) -> str:
    """Return the form field name of PARAM of ACTION_TYPE."""
    return f"{action_type}__{param.name}"


def action_row(action: Any) -> dict[str, Any] | None:
    """Return the form initial of one ACTION, or None when the row cannot say it exactly."""
    if not isinstance(action, dict):
        return None
    spec = next((a for a in ACTIONS if a.type == action.get("type")), None)
    if spec is None:
        return None
    row: dict[str, Any] = {"type": spec.type}
    for param in spec.params:
        value = action.get(param.name)
        name = param_name(spec.type, param)
        if value is None:
            continue
        if param.kind == "choice" and value not in param.choices:
            return None  # a select cannot show it
        if param.kind not in ("longtext", "int") and "\n" in str(value):
            return None  # a one-line input cannot hold it
        if param.kind == "person" and value not in PEOPLE:
            row[name], row[f"{name}__other"] = OTHER_PERSON, str(value)
        else:
            row[name] = value if param.kind == "int" else str(value)
    return row


def action_build(row: dict[str, Any]) -> dict[str, Any] | None:
    """Return the action a cleaned row says, or None for a row left empty."""
    spec = next((a for a in ACTIONS if a.type == row.get("type")), None)
    if spec is None:
        return None
    action: dict[str, Any] = {"type": spec.type}
    for param in spec.params:
        name = param_name(spec.type, param)
        value = row.get(name)
        if param.kind == "person" and value == OTHER_PERSON:
            value = (row.get(f"{name}__other") or "").strip()
        if isinstance(value, str):
            # Browsers send a textarea's line breaks as CRLF.
            value = value.replace("\r\n", "\n").strip()
        if value in (None, ""):
            continue
        action[param.name] = value
    return action


def actions_rows(actions: Any) -> list[dict[str, Any]] | None:
    """Return ACTIONS as form rows, or None when the rows cannot say them exactly."""
    if not isinstance(actions, list):
        return None
    rows = [action_row(a) for a in actions]
    if any(r is None for r in rows):
        return None
    # The rows must give back exactly these actions, or they would change them on save.
    return rows if [action_build(r) for r in rows] == actions else None
