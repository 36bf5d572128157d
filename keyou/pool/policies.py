"""Reclaim policies: read and change them (the manage_rules capability, audited)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.crm.models import Lifecycle, Tier
from keyou.people.access import Actor, require
from keyou.people.models import Capability, Team
from keyou.pool.models import PoolPolicy, ReclaimTrigger, Redistribute
from keyou.pool.services import PoolRefused

_FIELDS = (
    "name",
    "position",
    "enabled",
    "trigger",
    "after_hours",
    "lifecycles",
    "tiers",
    "tags",
    "warn_hours",
    "protection_days",
    "requires_approval",
    "redistribute",
)


def policies_for(actor: Actor) -> QuerySet[PoolPolicy]:
    """Return every reclaim policy in the order they are tried (needs manage_rules)."""
    require(actor, Capability.MANAGE_RULES)
    return PoolPolicy.objects.select_related("redistribute_team").order_by("position", "id")


def policy_get_for(actor: Actor, policy_id: int) -> PoolPolicy:
    """Return policy POLICY_ID (needs manage_rules); PoolPolicy.DoesNotExist when missing."""
    return policies_for(actor).get(pk=policy_id)


def _snapshot(policy: PoolPolicy) -> dict:
    data = {name: getattr(policy, name) for name in _FIELDS}
    data["redistribute_team"] = policy.redistribute_team.name if policy.redistribute_team else None
    return data


@transaction.atomic
def policy_save(
    *,
    actor: Actor,
    policy: PoolPolicy | None,
    name: str,
    trigger: str,
    after_hours: int,
    position: int | None = None,
    enabled: bool = True,
    lifecycles: list[str] | None = None,
    tiers: list[str] | None = None,
    tags: list[str] | None = None,
    warn_hours: int = 24,
    protection_days: int = 7,
    requires_approval: bool = False,
    redistribute: str = Redistribute.STAY,
    redistribute_team: Team | None = None,
) -> PoolPolicy:
    """Create (POLICY None, last in the order unless POSITION) or change a reclaim policy."""
    require(actor, Capability.MANAGE_RULES)
    name = (name or "").strip()
    if not name:
        raise PoolRefused(gettext_noop("A policy needs a name."))
    if trigger not in ReclaimTrigger.values:
        raise PoolRefused(gettext_noop("Choose when the policy applies."))
    if redistribute not in Redistribute.values:
        raise PoolRefused(gettext_noop("Choose what happens after a reclaim."))
    if after_hours < 1:
        raise PoolRefused(gettext_noop("The quiet time must be at least one hour."))
    bad = [v for v in lifecycles or [] if v not in Lifecycle.values]
    bad += [v for v in tiers or [] if v not in Tier.values]
    if bad:
        raise PoolRefused(
            gettext_noop("Unknown lifecycle or tier: %(values)s"), values=", ".join(bad)
        )
    before = _snapshot(policy) if policy is not None else None
    if policy is None:
        policy = PoolPolicy()
        if position is None:
            last = PoolPolicy.objects.order_by("-position").values_list("position", flat=True)
            position = (last.first() or 0) + 10
    policy.name = name[:120]
    policy.trigger = trigger
    policy.after_hours = after_hours
    if position is not None:
        policy.position = position
    policy.enabled = enabled
    policy.lifecycles = list(lifecycles or [])
    policy.tiers = list(tiers or [])
    policy.tags = [t.strip() for t in tags or [] if t.strip()]
    policy.warn_hours = warn_hours
    policy.protection_days = protection_days
    policy.requires_approval = requires_approval
    policy.redistribute = redistribute
    policy.redistribute_team = redistribute_team
    policy.save()
    audit(
        actor,
        AuditAction.CREATE if before is None else AuditAction.CHANGE,
        obj=policy,
        data={"before": before, "after": _snapshot(policy)},
    )
    return policy


@transaction.atomic
def policy_delete(*, actor: Actor, policy: PoolPolicy) -> None:
    """Remove POLICY (its ledger rows stay, without it). Audited."""
    require(actor, Capability.MANAGE_RULES)
    audit(actor, AuditAction.DELETE, obj=policy, data={"before": _snapshot(policy)})
    policy.delete()
