"""The rule editor page as one object: the rule form and its condition and action rows.

`RuleEditor.rule_data()` turns a POST into the rule the services take; after the
service refuses it, `errors_show()` puts each problem beside the row or field it is
about. Rows and JSON: see keyou.web.rule_rows and the RuleForm's JSON fields.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from keyou.automation.models import Trigger
from keyou.automation.services import TIMER_TRIGGERS
from keyou.web.rule_forms import (
    ACTIONS_PREFIX,
    CONDITIONS_PREFIX,
    JSON,
    ROWS,
    ActionFormSet,
    ConditionFormSet,
    RuleForm,
    json_text,
)
from keyou.web.rule_rows import actions_rows, tree_build, tree_rows

# "trigger_after: ..." and the like: which field of the page an error of the service is about.
_ERROR_FIELDS = {
    "name": "name",
    "trigger": "trigger",
    "trigger_after": "after",
    "schedule": "schedule_time",
}
_CONDITION_ERROR = re.compile(r"^conditions\.(?:all|any)\[(\d+)\](?:\.not)?:\s*(.*)$")
_ACTION_ERROR = re.compile(r"^actions\[(\d+)\]:\s*(.*)$")


class RuleEditor:
    """The whole editor page: the rule form and the condition and action rows.

    Unbound (DATA None) it shows RULE (or a new rule); bound, it reads a POST.
    """

    def __init__(self, data: QueryDict | None = None, *, rule: Any = None) -> None:
        self.bound = data is not None
        if data is not None:
            self.data = data
            self.form = RuleForm(data)
            self.conditions = ConditionFormSet(data, prefix=CONDITIONS_PREFIX)
            self.actions = ActionFormSet(data, prefix=ACTIONS_PREFIX)
        else:
            self._init_unbound(rule)
        self._condition_rows: list[int] = []  # tree index -> form index
        self._action_rows: list[int] = []

    def _init_unbound(self, rule: Any) -> None:
        tree = rule.conditions if rule is not None else {}
        actions = rule.actions if rule is not None else []
        flat = tree_rows(tree)
        action_list = actions_rows(actions)
        initial: dict[str, Any] = {
            "trigger": Trigger.MESSAGE_RECEIVED,
            "match": flat[0] if flat else "all",
            "conditions_mode": ROWS if flat else JSON,
            "conditions_json": json_text(tree or {}),
            "conditions_base": json.dumps(tree or {}, ensure_ascii=False),
            "actions_mode": ROWS if action_list is not None else JSON,
            "actions_json": json_text(actions or []),
            "actions_base": json.dumps(actions or [], ensure_ascii=False),
            "schedule_kind": "daily",
        }
        if rule is not None:
            initial.update(
                name=rule.name,
                description=rule.description,
                trigger=rule.trigger,
                after=rule.trigger_after,
            )
            kind, _sep, at = (rule.schedule or "").partition(" ")
            if kind in ("hourly", "daily"):
                initial["schedule_kind"] = kind
            if at:
                initial["schedule_time"] = at
        self.form = RuleForm(initial=initial)
        condition_rows = flat[1] if flat else []
        self.conditions = ConditionFormSet(
            prefix=CONDITIONS_PREFIX, initial=condition_rows or ([{}] if rule is None else [])
        )
        self.actions = ActionFormSet(prefix=ACTIONS_PREFIX, initial=action_list or [{}])

    @property
    def conditions_as_json(self) -> bool:
        """Whether the page shows the conditions only as JSON (the rows cannot say them)."""
        return self._mode("conditions_mode") == JSON

    @property
    def actions_as_json(self) -> bool:
        """Whether the page shows the actions only as JSON."""
        return self._mode("actions_mode") == JSON

    def _mode(self, name: str) -> str:
        if self.bound:
            return self.data.get(self.form.add_prefix(name)) or ROWS
        return self.form.initial.get(name, ROWS)

    def rule_data(self) -> dict[str, Any] | None:
        """Return the rule the page says, as the services take it; None on form errors."""
        valid = self.form.is_valid()
        valid = self.conditions.is_valid() and valid
        valid = self.actions.is_valid() and valid
        if not valid:
            return None
        data = self.form.cleaned_data
        trigger = data["trigger"]
        return {
            "name": data["name"],
            "description": data["description"],
            "trigger": trigger,
            "trigger_after": data["after"] if trigger in TIMER_TRIGGERS else None,
            "schedule": self.form.schedule() if trigger == Trigger.SCHEDULE else "",
            "conditions": self._conditions(),
            "actions": self._actions(),
        }

    def _conditions(self) -> Any:
        if self.form.uses_json("conditions"):
            self._set(conditions_mode=JSON)
            return self.form.cleaned_data["conditions_json"]
        rows = []
        for index, form in enumerate(self.conditions.forms):
            row = form.row()
            if row is not None:
                rows.append(row)
                self._condition_rows.append(index)
        tree = tree_build(self.form.cleaned_data["match"], rows)
        # Keep the JSON alternative in step with the rows, so editing it starts from them.
        self._set(
            conditions_json=json_text(tree), conditions_base=json.dumps(tree, ensure_ascii=False)
        )
        return tree

    def _actions(self) -> Any:
        if self.form.uses_json("actions"):
            self._set(actions_mode=JSON)
            return self.form.cleaned_data["actions_json"]
        actions = []
        for index, form in enumerate(self.actions.forms):
            action = form.action()
            if action is not None:
                actions.append(action)
                self._action_rows.append(index)
        self._set(
            actions_json=json_text(actions), actions_base=json.dumps(actions, ensure_ascii=False)
        )
        return actions

    def _set(self, **values: str) -> None:
        if self.bound and getattr(self.data, "_mutable", True):
            for name, value in values.items():
                self.data[self.form.add_prefix(name)] = value

    def errors_show(self, problems: list[str], summary: str) -> None:
        """Put each of PROBLEMS (from rule_errors) beside the input it is about.

        SUMMARY (the service's message) heads the form when some problem has no place.
        """
        unplaced = []
        for problem in problems:
            if not self._place(problem):
                unplaced.append(problem)
        if unplaced or not problems:
            self.form.add_error(None, summary)
        else:
            self.form.add_error(None, _("The rule is not saved: see the marked fields."))

    def _place(self, problem: str) -> bool:
        key, _sep, text = problem.partition(":")
        if key in _ERROR_FIELDS:
            self.form.add_error(_ERROR_FIELDS[key], text.strip())
            return True
        for pattern, part, indexes, formset in (
            (_CONDITION_ERROR, "conditions", self._condition_rows, self.conditions),
            (_ACTION_ERROR, "actions", self._action_rows, self.actions),
        ):
            if not problem.startswith(part):
                continue
            if self._mode(f"{part}_mode") == JSON:
                self.form.add_error(f"{part}_json", problem)
                return True
            found = pattern.match(problem)
            if found and int(found[1]) < len(indexes):
                formset.forms[indexes[int(found[1])]].add_error(None, found[2])
                return True
            if key == part:  # about the whole list ("a rule needs at least one action")
                self.form.add_error(None, text.strip())
                return True
        return False


def rows_add(data: QueryDict, prefix: str) -> QueryDict:
    """Return a copy of POST DATA with one more (empty) row in formset PREFIX."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(data.get(key) or 0)
    except ValueError:
        total = 0
    data[key] = str(min(total + 1, 1000))
    return data
