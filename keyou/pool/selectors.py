"""Reads of the public pool, always scoped to the actor.

Who sees the pool: an account in the pool keeps its team. A user whose role has
the claim capability sees the pool accounts of the teams in their data scope and of
their own team (a salesperson with the "own" scope still sees their team's pool),
plus pool accounts with no team; a role narrowed to regions sees those in its
regions and those with no country yet. Whatever a user's ordinary scope shows
(a team lead's team, a grant) is visible too. Admins and the system see it all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import timezone

from keyou.crm.models import Account, Lifecycle
from keyou.crm.selectors import NotFound
from keyou.people.access import Actor, reach, scope_q
from keyou.people.models import Capability, Organization, Team, User
from keyou.pool.models import (
    ApprovalStatus,
    MoveKind,
    PoolMove,
    PoolPolicy,
    ReclaimApproval,
)


def pool_scope_q(actor: Actor) -> Q:
    """Return the filter on accounts for the pool accounts ACTOR may see (ownerless or not)."""
    r = reach(actor)
    if r.everything:
        return Q()
    ordinary = scope_q(actor)
    if r.user_id is None or Capability.CLAIM_POOL not in r.capabilities:
        return ordinary
    if r.team_ids is None:
        by_team = Q()
    else:
        teams = set(r.team_ids)
        own_team = getattr(actor, "team_id", None)
        if own_team:
            teams.add(own_team)
        by_team = Q(team__isnull=True) | Q(team_id__in=sorted(teams))
    if r.countries is not None:
        by_team &= Q(country__in=sorted(r.countries)) | Q(country="")
    return by_team | ordinary


def pool_accounts_visible_to(actor: Actor) -> QuerySet[Account]:
    """Return the accounts in the public pool (no owner) that ACTOR may see."""
    return Account.objects.filter(owner__isnull=True).filter(pool_scope_q(actor))


@dataclass(frozen=True)
class PoolFilters:
    """What the pool list may be narrowed by; every field optional."""

    q: str = ""
    country: str = ""
    tier: str = ""
    lifecycle: str = ""


def pool_list(actor: Actor, filters: PoolFilters | None = None) -> QuerySet[Account]:
    """Return ACTOR's pool accounts narrowed by FILTERS, longest in the pool last."""
    f = filters or PoolFilters()
    qs = pool_accounts_visible_to(actor).select_related("team")
    if f.q.strip():
        text = f.q.strip()
        qs = qs.filter(Q(name__icontains=text) | Q(domains__domain__icontains=text.casefold()))
    if f.country.strip():
        qs = qs.filter(country=f.country.strip().upper())
    if f.tier:
        qs = qs.filter(tier=f.tier)
    if f.lifecycle and f.lifecycle in Lifecycle.values:
        qs = qs.filter(lifecycle=f.lifecycle)
    return qs.distinct().order_by("-pooled_at", "-id")


def pool_account_get_for(actor: Actor, account_id: int) -> Account:
    """Return pool account ACCOUNT_ID if ACTOR may see it, else raise NotFound."""
    account = pool_accounts_visible_to(actor).filter(pk=account_id).first()
    if account is None:
        raise NotFound(f"pool account {account_id!r} not found")
    return account


def user_zone(user: User | None) -> ZoneInfo:
    """Return USER's time zone, else the company's (UTC if neither is valid)."""
    name = getattr(user, "time_zone", "") or Organization.get().time_zone or "UTC"
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def user_local(user: User | None, when: datetime) -> str:
    """Return WHEN as "YYYY-MM-DD HH:MM" in USER's time zone (for notices and refusals)."""
    return when.astimezone(user_zone(user)).strftime("%Y-%m-%d %H:%M")


def local_day_start(user: User, now: datetime) -> datetime:
    """Return the start of USER's local day holding NOW (their time zone, else the company's)."""
    zone = user_zone(user)
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), time(0, 0), tzinfo=zone)
    return start.astimezone(UTC)


@dataclass(frozen=True)
class PoolLimits:
    """A user's pool limits and where they stand (None: no limit)."""

    held: int
    max_held: int | None
    claimed_today: int
    claims_per_day: int | None

    @property
    def can_hold_more(self) -> bool:
        return self.max_held is None or self.held < self.max_held

    @property
    def can_claim_today(self) -> bool:
        return self.claims_per_day is None or self.claimed_today < self.claims_per_day


def pool_limits_for(user: User, *, now: datetime | None = None) -> PoolLimits:
    """Return how many accounts USER holds and claimed today, against their role's limits."""
    from keyou.people.roles import role_of

    now = now or timezone.now()
    role = role_of(user)
    return PoolLimits(
        held=Account.objects.filter(owner_id=user.pk).count(),
        max_held=role.pool_max_accounts,
        claimed_today=PoolMove.objects.filter(
            user_id=user.pk, kind=MoveKind.CLAIMED, at__gte=local_day_start(user, now), at__lte=now
        ).count(),
        claims_per_day=role.pool_claims_per_day,
    )


def cooldown_until(user: User, account: Account, *, now: datetime | None = None) -> datetime | None:
    """Return when USER may claim ACCOUNT back, if they lost it within the cooldown; else None.

    A user loses an account by releasing it or by a reclaim of theirs.
    """
    now = now or timezone.now()
    days = Organization.get().pool_cooldown_days
    if not days:
        return None
    last = (
        PoolMove.objects.filter(
            account=account,
            user_id=user.pk,
            kind__in=[MoveKind.RELEASED, MoveKind.RECLAIMED],
            at__gt=now - timedelta(days=days),
            at__lte=now,
        )
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    return last + timedelta(days=days) if last is not None else None


def policies_enabled() -> list[PoolPolicy]:
    """Return the enabled reclaim policies in the order they are tried."""
    return list(PoolPolicy.objects.filter(enabled=True).order_by("position", "id"))


def policy_covers(policy: PoolPolicy, *, lifecycle: str, tier: str, tags: set[str]) -> bool:
    """Return True when POLICY's filters admit an account (an empty filter admits any)."""
    if policy.lifecycles and lifecycle not in policy.lifecycles:
        return False
    if policy.tiers and tier not in policy.tiers:
        return False
    if policy.tags:
        wanted = {str(t).casefold() for t in policy.tags}
        if not wanted & {t.casefold() for t in tags}:
            return False
    return True


def policy_for(account: Account, policies: list[PoolPolicy] | None = None) -> PoolPolicy | None:
    """Return the first enabled policy (by position) covering ACCOUNT, which sets how long
    a reply protects it; the sweep applies every covering policy (see keyou.pool.sweep)."""
    policies = policies_enabled() if policies is None else policies
    tags = set(account.tags.values_list("name", flat=True)) if account.pk else set()
    for policy in policies:
        if policy_covers(policy, lifecycle=account.lifecycle, tier=account.tier, tags=tags):
            return policy
    return None


def _managed_teams(user: User) -> list[int]:
    """Return the teams USER manages and every team below them."""
    from keyou.people.access import team_subtree

    out: set[int] = set()
    for pk in Team.objects.filter(manager_id=user.pk).values_list("pk", flat=True):
        out.update(team_subtree(pk))
    return sorted(out)


def approvals_q(actor: Actor) -> Q:
    """Return the filter on approvals ACTOR may decide: their teams' or, with assign, their scope's."""
    r = reach(actor)
    if r.everything:
        return Q()
    if r.user_id is None:
        return Q(pk__in=[])
    q = Q(owner__team_id__in=_managed_teams(actor))
    if Capability.ASSIGN in r.capabilities:
        q |= Q(account__in=Account.objects.filter(scope_q(actor, write=True)).values("pk"))
    return q


def approvals_pending_for(actor: Actor) -> QuerySet[ReclaimApproval]:
    """Return the pending reclaim approvals ACTOR may decide, oldest first."""
    return (
        ReclaimApproval.objects.filter(status=ApprovalStatus.PENDING)
        .filter(approvals_q(actor))
        .select_related("account", "owner", "policy")
        .order_by("requested_at", "id")
    )


def approval_get_for(actor: Actor, approval_id: int) -> ReclaimApproval:
    """Return approval APPROVAL_ID if ACTOR may decide it, else raise NotFound."""
    approval = (
        ReclaimApproval.objects.filter(approvals_q(actor))
        .select_related("account", "owner", "policy")
        .filter(pk=approval_id)
        .first()
    )
    if approval is None:
        raise NotFound(f"approval {approval_id!r} not found")
    return approval


def pool_moves_for(actor: Actor, *, kind: str = "") -> QuerySet[PoolMove]:
    """Return the pool ledger ACTOR may see (moves on accounts in their scope, or their own)."""
    r = reach(actor)
    qs = PoolMove.objects.select_related("account", "user", "actor", "policy")
    if not r.everything:
        visible = Account.objects.filter(scope_q(actor) | pool_scope_q(actor)).values("pk")
        mine = Q(user_id=r.user_id) if r.user_id else Q(pk__in=[])
        qs = qs.filter(Q(account__in=visible) | mine)
    if kind and kind in MoveKind.values:
        qs = qs.filter(kind=kind)
    return qs.order_by("-at", "-id")


def account_pool_state(account: Account, *, now: datetime | None = None) -> dict:
    """Return what the account page says about the pool: since when, protection, due reclaim."""
    now = now or timezone.now()
    warning = None
    if account.owner_id:
        warning = (
            PoolMove.objects.filter(
                account=account,
                kind=MoveKind.WARNED,
                user_id=account.owner_id,
                due_at__gt=now,
                at__gte=account.assigned_at or account.created_at,
            )
            .order_by("-at")
            .first()
        )
    if warning is not None:
        from keyou.pool.sweep import last_follow_ups  # the sweep reads this module

        followed = last_follow_ups([account.pk]).get(account.pk)
        if followed is not None and followed > warning.at:
            warning = None  # the owner followed up since: the warning no longer holds
    return {
        "in_pool": account.owner_id is None,
        "pooled_at": account.pooled_at,
        "protected_until": (
            account.protected_until
            if account.protected_until and account.protected_until > now
            else None
        ),
        "reclaim_due": warning.due_at if warning else None,
    }
