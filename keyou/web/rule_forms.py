"""Forms of the automation pages: the rule editor's rows, the import, the set-up checklist.

The editor needs no code: a condition row is field, operator, "not" and value; an
action row is the action and its parameters (keyou.web.rule_rows turns rows into
JSON and back). Conditions or actions the rows cannot say exactly are shown as
JSON and saved back untouched; the JSON textareas are always on the page as an
alternative, and when the user changes one it wins over the rows. The services in
keyou.automation still check the rule.
"""

from __future__ import annotations

import json
from datetime import time
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from keyou.automation.catalog import (
    ACTIONS,
    FIELDS,
    OPERATORS,
    PEOPLE,
    ParamSpec,
)
from keyou.automation.models import Trigger
from keyou.automation.templates import TEMPLATES
from keyou.people.models import Team
from keyou.web.rule_rows import OTHER_PERSON, action_build, param_name

CONDITIONS_PREFIX = "cond"
ACTIONS_PREFIX = "act"
ROWS, JSON = "rows", "json"

# Labels of the codes a "choice" parameter takes (the catalogue keeps the codes).
CHOICE_LABELS = {
    "follow_up": _("follow-up"),
    "reply": _("reply"),
    "service": _("service"),
    "greeting": _("greeting"),
    "other": _("other"),
    "routing": _("by the routing rules"),
    "round_robin": _("round robin in the team"),
    "least_loaded": _("the least loaded in the team"),
    "fixed": _("a fixed person"),
    "lifecycle": _("lifecycle"),
    "tier": _("value tier"),
    "country": _("country"),
    "source": _("source"),
}
FIELD_GROUPS = {
    "message": _("Email"),
    "account": _("Customer"),
    "thread": _("Conversation"),
    "contact": _("Contact"),
    "task": _("Task"),
}


# --- the forms -------------------------------------------------------------------------


def _field_choices() -> list:
    groups: dict[str, list[tuple[str, Any]]] = {}
    for spec in FIELDS:
        groups.setdefault(spec.path.split(".")[0], []).append((spec.path, spec.label))
    return [("", "—")] + [(FIELD_GROUPS.get(k, k), v) for k, v in groups.items()]


def _person_choices() -> list[tuple[str, Any]]:
    return [
        ("", "—"),
        *PEOPLE.items(),
        (OTHER_PERSON, _("someone else: user:NAME, team:NAME or lead:NAME")),
    ]


class ConditionForm(forms.Form):
    """One condition row: field, operator, "not" and the value."""

    field = forms.ChoiceField(label=_("Field"), required=False, choices=_field_choices)
    op = forms.ChoiceField(
        label=_("Operator"),
        required=False,
        choices=[(o.code, o.label) for o in OPERATORS],
        widget=forms.Select(attrs={"data-rule-op": ""}),
    )
    negate = forms.BooleanField(label=_("not"), required=False)
    value = forms.CharField(
        label=_("Value"),
        required=False,
        max_length=20000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 1, "class": "rule-value"}),
    )

    def row(self) -> dict[str, Any] | None:
        """Return the cleaned row, or None for a row left empty or removed."""
        data = getattr(self, "cleaned_data", {})
        if data.get("DELETE") or not data.get("field"):
            return None
        return {
            "field": data["field"],
            "op": data.get("op") or "eq",
            "negate": bool(data.get("negate")),
            "value": data.get("value") or "",
        }


def _param_field(param: ParamSpec) -> forms.Field:
    label = param.label
    if param.kind == "person":
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=_person_choices,
            widget=forms.Select(attrs={"data-rule-person": ""}),
        )
    if param.kind == "choice":
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[("", "—")] + [(c, CHOICE_LABELS.get(c, c)) for c in param.choices],
        )
    if param.kind == "int":
        return forms.IntegerField(label=label, required=False)
    if param.kind == "longtext":
        return forms.CharField(
            label=label,
            required=False,
            max_length=20000,
            strip=False,
            widget=forms.Textarea(attrs={"rows": 3}),
        )
    attrs = {"placeholder": "30m, 4h, 2d"} if param.kind == "duration" else {}
    return forms.CharField(
        label=label, required=False, max_length=2000, widget=forms.TextInput(attrs=attrs)
    )


class ActionForm(forms.Form):
    """One action row: the action type and the parameters of every type.

    Each type's parameters are named "<type>__<param>"; the page shows only the
    chosen type's (rules.js), and only those are read.
    """

    type = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", "—")] + [(a.type, a.label) for a in ACTIONS],
        widget=forms.Select(attrs={"data-rule-action": ""}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for spec in ACTIONS:
            for param in spec.params:
                name = param_name(spec.type, param)
                self.fields[name] = _param_field(param)
                if param.kind == "person":
                    self.fields[f"{name}__other"] = forms.CharField(
                        label=_("who"),
                        required=False,
                        max_length=200,
                        widget=forms.TextInput(
                            attrs={"placeholder": "user:NAME", "data-rule-other": ""}
                        ),
                    )

    def groups(self) -> list[dict[str, Any]]:
        """Return, per action type, its bound parameter fields (person: with the free text)."""
        out = []
        for spec in ACTIONS:
            params = []
            for param in spec.params:
                name = param_name(spec.type, param)
                other = self[f"{name}__other"] if param.kind == "person" else None
                params.append({"field": self[name], "other": other, "required": param.required})
            out.append({"type": spec.type, "label": spec.label, "params": params})
        return out

    def action(self) -> dict[str, Any] | None:
        """Return the action this row says, or None for a row left empty or removed."""
        data = getattr(self, "cleaned_data", {})
        if data.get("DELETE"):
            return None
        return action_build(data)


ConditionFormSet = forms.formset_factory(ConditionForm, extra=0, can_delete=True)
ActionFormSet = forms.formset_factory(ActionForm, extra=0, can_delete=True)


def json_text(value: Any) -> str:
    """Return VALUE as the JSON textareas show it."""
    return json.dumps(value, ensure_ascii=False, indent=2)


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


class RuleForm(forms.Form):
    """Name, trigger and the JSON alternatives of a rule; the rows are the formsets."""

    name = forms.CharField(
        label=_("Name"),
        required=False,  # the service says so, beside the other problems
        max_length=200,
        widget=forms.TextInput(attrs={"required": True}),
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=500)
    trigger = forms.ChoiceField(
        label=_("Trigger"),
        choices=Trigger.choices,
        widget=forms.Select(attrs={"data-rule-trigger": ""}),
    )
    after = forms.IntegerField(label=_("after"), required=False, min_value=1, max_value=1_000_000)
    schedule_kind = forms.ChoiceField(
        label=_("how often"),
        required=False,
        choices=[("hourly", _("every hour")), ("daily", _("every day at"))],
    )
    schedule_time = forms.TimeField(
        label=_("time"),
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    match = forms.ChoiceField(
        label=_("Conditions"),
        required=False,  # not on the page when the conditions are JSON
        choices=[("all", _("all of these hold")), ("any", _("any of these holds"))],
        initial="all",
        widget=forms.RadioSelect,
    )
    conditions_mode = forms.ChoiceField(
        choices=[(ROWS, ROWS), (JSON, JSON)], initial=ROWS, widget=forms.HiddenInput
    )
    conditions_json = forms.CharField(
        label=_("Conditions as JSON"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 10, "class": "mono", "spellcheck": "false"}),
    )
    conditions_base = forms.CharField(required=False, widget=forms.HiddenInput)
    actions_mode = forms.ChoiceField(
        choices=[(ROWS, ROWS), (JSON, JSON)], initial=ROWS, widget=forms.HiddenInput
    )
    actions_json = forms.CharField(
        label=_("Actions as JSON"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 10, "class": "mono", "spellcheck": "false"}),
    )
    actions_base = forms.CharField(required=False, widget=forms.HiddenInput)

    def _json(self, name: str, empty: Any) -> Any:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return empty
        try:
            return json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON: %(error)s"), params={"error": exc}
            ) from None

    def clean_conditions_json(self) -> Any:
        return self._json("conditions_json", {})

    def clean_actions_json(self) -> Any:
        return self._json("actions_json", [])

    def uses_json(self, part: str) -> bool:
        """Return whether PART ("conditions" or "actions") comes from its JSON textarea."""
        data = self.cleaned_data
        if data.get(f"{part}_mode") == JSON:
            return True
        base = _json_or_none(data.get(f"{part}_base") or "")
        empty = {} if part == "conditions" else []
        return data.get(f"{part}_json") != (empty if base is None else base)

    def schedule(self) -> str:
        """Return the schedule typed: "hourly" or "daily HH:MM" ("" when incomplete)."""
        kind = self.cleaned_data.get("schedule_kind")
        at: time | None = self.cleaned_data.get("schedule_time")
        if kind == "hourly":
            return "hourly"
        return f"daily {at:%H:%M}" if kind == "daily" and at else ""


# --- the list and the first-run checklist -------------------------------------------------


def trigger_describe(trigger: str, after: int | None, schedule: str) -> str:
    """Return a rule's trigger in words: "A customer waits for our reply, after 30 working
    minutes", "On a schedule: every day at 08:00"."""
    label = str(Trigger(trigger).label) if trigger in Trigger.values else trigger
    if trigger == Trigger.THREAD_AWAITING_REPLY and after:
        return _("%(trigger)s, after %(n)s working minutes") % {"trigger": label, "n": after}
    if trigger == Trigger.ACCOUNT_NO_FOLLOW_UP and after:
        return _("%(trigger)s, after %(n)s days") % {"trigger": label, "n": after}
    if trigger == Trigger.SCHEDULE:
        kind, _sep, at = (schedule or "").partition(" ")
        if kind == "hourly":
            return _("%(trigger)s: every hour") % {"trigger": label}
        if kind == "daily":
            return _("%(trigger)s: every day at %(time)s") % {"trigger": label, "time": at}
    return label


class ImportForm(forms.Form):
    """A JSON file of rules, as the export writes it."""

    file = forms.FileField(label=_("JSON file"))


SKIP = "skip"


class SetupForm(forms.Form):
    """The first-run checklist: for each built-in template, install enabled, disabled, or skip."""

    support_team = forms.ChoiceField(
        label=_("Support team (complaints)"),
        required=False,
        help_text=_("Complaint tasks go to this team in turn; its lead is told."),
    )

    def __init__(self, *args: Any, installed: dict[str, bool] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        installed = installed or {}
        self.fields["support_team"].choices = [("", _("“Support” (the default)"))] + [
            (name, name) for name in Team.objects.order_by("name").values_list("name", flat=True)
        ]
        for template in TEMPLATES:
            is_installed = template.slug in installed
            self.fields[template.slug] = forms.ChoiceField(
                label=template.title,
                help_text=template.summary,
                choices=[
                    ("enabled", _("enabled") if is_installed else _("install enabled")),
                    ("disabled", _("disabled") if is_installed else _("install disabled")),
                    (SKIP, _("leave as it is") if is_installed else _("skip")),
                ],
                initial=(
                    ("enabled" if installed[template.slug] else "disabled")
                    if is_installed
                    else SKIP
                ),
                widget=forms.RadioSelect,
            )

    def choices(self) -> dict[str, bool]:
        """Return {slug: enabled} of the templates not skipped."""
        data = self.cleaned_data
        return {t.slug: data[t.slug] == "enabled" for t in TEMPLATES if data[t.slug] != SKIP}
