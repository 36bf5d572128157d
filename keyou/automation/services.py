"""Writing rules: save, enable, order, import/export as JSON, install the built-in templates.

Every change needs the manage_rules capability and is audited.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_noop

from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.automation.catalog import actions_errors, conditions_errors, schedule_parse
from keyou.automation.models import Rule, Trigger
from keyou.automation.templates import TEMPLATE_BY_SLUG
from keyou.errors import UserFixableError
from keyou.people.access import Actor, require
from keyou.people.models import Capability

TIMER_TRIGGERS = (Trigger.THREAD_AWAITING_REPLY, Trigger.ACCOUNT_NO_FOLLOW_UP)
RULE_FIELDS = (
    "name",
    "description",
    "enabled",
    "trigger",
    "trigger_after",
    "schedule",
    "conditions",
    "actions",
)


class InvalidRule(UserFixableError):
    """A rule that cannot be saved as given; the message says what to fix."""


def rule_errors(data: Mapping[str, Any]) -> list[str]:
    """Return what is wrong with rule DATA (a dict of RULE_FIELDS); empty when it is fine."""
    errors = []
    if not str(data.get("name", "")).strip():
        errors.append("name: a rule needs a name")
    trigger = data.get("trigger")
    if trigger not in Trigger.values:
        errors.append(f"trigger: unknown trigger {trigger!r}")
    after = data.get("trigger_after")
    if trigger in TIMER_TRIGGERS:
        if not isinstance(after, int) or isinstance(after, bool) or after <= 0:
            errors.append("trigger_after: this trigger needs a positive number")
    elif after not in (None, ""):
        errors.append("trigger_after: only waiting and follow-up triggers take one")
    if trigger == Trigger.SCHEDULE and schedule_parse(str(data.get("schedule") or "")) is None:
        errors.append('schedule: "hourly" or "daily HH:MM"')
    errors += conditions_errors(data.get("conditions") or {})
    errors += actions_errors(data.get("actions") or [])
    if not data.get("actions"):
        errors.append("actions: a rule needs at least one action")
    return errors


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    clean = {name: data[name] for name in RULE_FIELDS if name in data}
    clean["name"] = str(clean.get("name", "")).strip()[:200]
    clean["description"] = str(clean.get("description", "") or "").strip()[:500]
    if clean.get("trigger_after") in ("", None):
        clean["trigger_after"] = None
    clean["schedule"] = str(clean.get("schedule") or "").strip()
    clean["conditions"] = clean.get("conditions") or {}
    clean["actions"] = clean.get("actions") or []
    return clean


def _snapshot(rule: Rule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in RULE_FIELDS}


@transaction.atomic
def rule_save(*, actor: Actor, data: Mapping[str, Any], rule: Rule | None = None) -> Rule:
    """Create a rule from DATA, or change RULE to DATA. Raise InvalidRule listing the problems."""
    require(actor, Capability.MANAGE_RULES)
    clean = _clean(data)
    errors = rule_errors(clean)
    if errors:
        raise InvalidRule(
            gettext_noop("the rule is not valid: %(errors)s"), errors="; ".join(errors)
        )
    before = _snapshot(rule) if rule is not None else None
    if rule is None:
        position = (Rule.objects.aggregate(top=Max("position"))["top"] or 0) + 10
        rule = Rule(position=position, created_by=actor if getattr(actor, "pk", None) else None)
    was_enabled = rule.enabled
    for name, value in clean.items():
        setattr(rule, name, value)
    if rule.enabled and not was_enabled:
        rule.enabled_at = timezone.now()
    rule.save()
    audit(
        actor,
        AuditAction.CREATE if before is None else AuditAction.CHANGE,
        obj=rule,
        data={"before": before, "after": _snapshot(rule)},
    )
    return rule


@transaction.atomic
def rule_enable(*, actor: Actor, rule: Rule, enabled: bool) -> Rule:
    """Switch RULE on or off."""
    require(actor, Capability.MANAGE_RULES)
    if rule.enabled != enabled:
        rule.enabled = enabled
        rule.enabled_at = timezone.now() if enabled else rule.enabled_at
        rule.save(update_fields=["enabled", "enabled_at", "updated_at"])
        audit(actor, AuditAction.CHANGE, obj=rule, data={"enabled": enabled})
    return rule


@transaction.atomic
def rule_delete(*, actor: Actor, rule: Rule) -> None:
    """Delete RULE (its run log goes with it; tasks it made stay)."""
    require(actor, Capability.MANAGE_RULES)
    audit(actor, AuditAction.DELETE, obj=rule, data={"rule": _snapshot(rule)})
    rule.delete()


@transaction.atomic
def rule_move(*, actor: Actor, rule: Rule, up: bool) -> None:
    """Move RULE one place up or down in the order rules run in."""
    require(actor, Capability.MANAGE_RULES)
    ordered = list(Rule.objects.order_by("position", "id"))
    index = next(i for i, r in enumerate(ordered) if r.pk == rule.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, row in enumerate(ordered):
        if row.position != (position + 1) * 10:
            Rule.objects.filter(pk=row.pk).update(position=(position + 1) * 10)


def rule_as_json(rule: Rule) -> dict[str, Any]:
    """Return RULE as the JSON rules are exported and imported in."""
    return {**_snapshot(rule), "template": rule.template}


def rules_export(*, actor: Actor, rules: Iterable[Rule] | None = None) -> dict[str, Any]:
    """Return every rule (or RULES) as one JSON document."""
    require(actor, Capability.MANAGE_RULES)
    rows = rules if rules is not None else Rule.objects.order_by("position", "id")
    return {"keyou_rules": 1, "rules": [rule_as_json(r) for r in rows]}


@transaction.atomic
def rules_import(*, actor: Actor, document: Any) -> list[Rule]:
    """Add the rules of an exported DOCUMENT, all or none, imported disabled.

    Raise InvalidRule naming each bad rule by its position in the file.
    """
    require(actor, Capability.MANAGE_RULES)
    rows = document.get("rules") if isinstance(document, dict) else document
    if not isinstance(rows, list):
        raise InvalidRule(gettext_noop('expected {"rules": [...]} or a list of rules'))
    problems = []
    for number, row in enumerate(rows, start=1):
        errors = rule_errors(_clean(row)) if isinstance(row, dict) else ["not an object"]
        if errors:
            problems.append(f"#{number}: {', '.join(errors)}")
    if problems:
        raise InvalidRule(
            gettext_noop("the file holds bad rules: %(errors)s"), errors="; ".join(problems)
        )
    created = []
    for row in rows:
        rule = rule_save(actor=actor, data={**row, "enabled": False})
        if row.get("template"):
            rule.template = str(row["template"])[:64]
            rule.save(update_fields=["template"])
        created.append(rule)
    return created


@transaction.atomic
def templates_install(
    *, actor: Actor, choices: Mapping[str, bool], support_team: str = ""
) -> list[Rule]:
    """Install the built-in templates in CHOICES (slug -> enabled); return the rules made.

    A template already installed is left as it is (its rules may have been edited),
    except that it is enabled or disabled as chosen.
    """
    require(actor, Capability.MANAGE_RULES)
    made = []
    for slug, enabled in choices.items():
        template = TEMPLATE_BY_SLUG.get(slug)
        if template is None:
            raise InvalidRule(gettext_noop("no template called %(slug)s"), slug=slug)
        existing = list(Rule.objects.filter(template=slug))
        if existing:
            for rule in existing:
                rule_enable(actor=actor, rule=rule, enabled=enabled)
            continue
        for data in template.rules(support_team=support_team):
            rule = rule_save(actor=actor, data={**data, "enabled": enabled})
            rule.template = slug
            rule.save(update_fields=["template"])
            made.append(rule)
    return made
