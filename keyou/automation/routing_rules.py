"""Managing routing rules, and trying them out: the verbs behind the routing pages.

Every function needs the manage_rules capability. Changes are audited. The
preview routes a made-up inquiry without changing anything: the round-robin turn
stays where it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.automation.models import RoutingRule, Strategy
from keyou.automation.origin import DETECTED_LANGUAGES, ISO_COUNTRIES
from keyou.automation.routing import Route, inquiry_route
from keyou.mail.models import Mailbox, MailboxKind
from keyou.people.access import Actor, require
from keyou.people.models import Capability, RegionGroup, Team, User
from keyou.people.services import InvalidInput

# Commas as typed on Chinese keyboards too.
_SEPARATORS = re.compile(r"[,，、;；\n]")


def split_list(text: str) -> list[str]:
    """Return the comma-separated items of TEXT, stripped, in order, without repeats."""
    out: list[str] = []
    for part in _SEPARATORS.split(text or ""):
        item = part.strip()
        if item and item not in out:
            out.append(item)
    return out


def region_codes_clean(codes: Iterable[str]) -> list[str]:
    """Return CODES upper-cased: ISO country codes or region group codes (else InvalidInput)."""
    groups = {g.upper() for g in RegionGroup.objects.values_list("code", flat=True)}
    out: list[str] = []
    for raw in codes:
        code = str(raw).strip().upper()
        if not code:
            continue
        if code not in ISO_COUNTRIES and code not in groups:
            raise InvalidInput(
                gettext_noop("%(raw)s is neither a country code (e.g. CN, DE) nor a region group"),
                raw=repr(str(raw).strip()),
            )
        if code not in out:
            out.append(code)
    return out


def languages_clean(codes: Iterable[str]) -> list[str]:
    """Return CODES lower-cased: languages Keyou can recognise in a text (else InvalidInput)."""
    out: list[str] = []
    for raw in codes:
        code = str(raw).strip().lower()
        if not code:
            continue
        if code not in DETECTED_LANGUAGES:
            raise InvalidInput(
                gettext_noop("%(raw)s is not a language Keyou recognises; use one of %(known)s"),
                raw=repr(str(raw).strip()),
                known=", ".join(sorted(DETECTED_LANGUAGES)),
            )
        if code not in out:
            out.append(code)
    return out


def routing_rules_for(actor: Actor) -> QuerySet[RoutingRule]:
    """Return every routing rule in order (first match wins), for ACTOR who manages rules."""
    require(actor, Capability.MANAGE_RULES)
    return RoutingRule.objects.select_related("mailbox", "team", "user").order_by("position", "id")


def routing_rule_get_for(actor: Actor, rule_id: int) -> RoutingRule:
    """Return the routing rule RULE_ID (RoutingRule.DoesNotExist if there is none)."""
    require(actor, Capability.MANAGE_RULES)
    return RoutingRule.objects.select_related("mailbox", "team", "user").get(pk=rule_id)


def _snapshot(rule: RoutingRule) -> dict:
    return {
        "name": rule.name,
        "position": rule.position,
        "enabled": rule.enabled,
        "mailbox": rule.mailbox.address if rule.mailbox_id else None,
        "keywords": list(rule.keywords or []),
        "countries": list(rule.countries or []),
        "languages": list(rule.languages or []),
        "team": rule.team.name if rule.team_id else None,
        "strategy": rule.strategy,
        "user": rule.user.username if rule.user_id else None,
    }


@transaction.atomic
def routing_rule_save(
    *,
    actor: Actor,
    rule: RoutingRule | None = None,
    name: str,
    team: Team,
    strategy: str = Strategy.ROUND_ROBIN,
    user: User | None = None,
    mailbox: Mailbox | None = None,
    keywords: Iterable[str] = (),
    countries: Iterable[str] = (),
    languages: Iterable[str] = (),
    position: int | None = None,
    enabled: bool = True,
) -> RoutingRule:
    """Create a routing rule (RULE None) or change RULE; return it.

    A fixed person must be an active member of the team; the mailbox must be a
    shared one. Without POSITION a new rule goes last.
    """
    require(actor, Capability.MANAGE_RULES)
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(gettext_noop("a routing rule needs a name"))
    if strategy not in Strategy.values:
        raise InvalidInput(
            gettext_noop("strategy must be one of %(known)s"), known=", ".join(Strategy.values)
        )
    if mailbox is not None and mailbox.kind != MailboxKind.SHARED:
        raise InvalidInput(
            gettext_noop("%(mailbox)s is not a shared mailbox"), mailbox=mailbox.address
        )
    if strategy == Strategy.FIXED:
        if user is None:
            raise InvalidInput(gettext_noop("choose the person who takes these inquiries"))
        if user.team_id != team.pk or not user.is_active or user.departed_at:
            raise InvalidInput(
                gettext_noop("%(user)s is not an active member of %(team)s"),
                user=user.username,
                team=team.name,
            )
    else:
        user = None
    before = _snapshot(rule) if rule is not None else None
    if rule is None:
        rule = RoutingRule()
        if position is None:
            last = RoutingRule.objects.order_by("-position").values_list("position", flat=True)
            position = (last.first() or 0) + 10
    rule.name = name[:120]
    rule.team, rule.strategy, rule.user, rule.mailbox = team, strategy, user, mailbox
    rule.keywords = [k[:200] for k in split_list(",".join(keywords))]
    rule.countries = region_codes_clean(countries)
    rule.languages = languages_clean(languages)
    rule.enabled = bool(enabled)
    if position is not None:
        rule.position = max(0, int(position))
    rule.save()
    after = _snapshot(rule)
    if before != after:
        action = AuditAction.CREATE if before is None else AuditAction.CHANGE
        audit(actor, action, obj=rule, data={"before": before, "after": after})
    return rule


@transaction.atomic
def routing_rule_set_enabled(*, actor: Actor, rule: RoutingRule, enabled: bool) -> RoutingRule:
    """Turn RULE on or off."""
    require(actor, Capability.MANAGE_RULES)
    if rule.enabled != bool(enabled):
        rule.enabled = bool(enabled)
        rule.save(update_fields=["enabled"])
        audit(actor, AuditAction.CHANGE, obj=rule, data={"after": {"enabled": rule.enabled}})
    return rule


@transaction.atomic
def routing_rule_delete(*, actor: Actor, rule: RoutingRule) -> None:
    """Remove RULE."""
    require(actor, Capability.MANAGE_RULES)
    audit(actor, AuditAction.DELETE, obj=rule, data={"before": _snapshot(rule)})
    rule.delete()


def routing_preview(
    *, actor: Actor, mailbox: Mailbox, sender: str, subject: str, text: str
) -> Route | None:
    """Return how an inquiry from a new customer at SENDER to MAILBOX would be routed.

    Nothing changes: no assignment, and the round-robin turn stays where it is.
    """
    require(actor, Capability.MANAGE_RULES)
    return inquiry_route(
        mailbox=mailbox, account=None, subject=subject, text=text, sender=sender, dry_run=True
    )
