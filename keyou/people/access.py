"""Who may see which customer data: the one place scopes are decided.

Every selector that reads customer data takes an actor and narrows its rows with
`scope_q` (accounts, or rows reached through an account). The actor is a
logged-in user, or `SYSTEM` for the command line run by the operator and for
background tasks acting on the company's behalf.

A user's reach is their role's data scope (own / team / team and sub-teams /
all), optionally narrowed to their regions, widened by temporary grants that
have not expired. What they may do beyond looking is the role's capabilities.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone


class _System:
    """The installation itself: sees everything (CLI, background tasks)."""

    is_authenticated = True
    is_superuser = True
    is_active = True
    pk = None
    team_id = None
    username = "system"
    email = ""

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = _System()

Actor = Any  # a people.User or SYSTEM

# A user's computed reach is cached on the user object for this long at most
# (and never past the next grant expiry), so one request computes it once.
_CACHE_SECONDS = 30


class NotAllowed(PermissionDenied):
    """The actor may see the record (or page) but not do this with it (a 403 in views)."""


@dataclass(frozen=True)
class Reach:
    """What one user may see and do, computed once from role, team, regions and grants."""

    valid_until: datetime
    everything: bool = False  # admins and the system: every row, private threads too
    capabilities: frozenset[str] = frozenset()
    user_id: int | None = None
    team_ids: tuple[int, ...] | None = ()  # None: not narrowed by team
    countries: frozenset[str] | None = None  # None: not narrowed by region
    grant_read: frozenset[int] = frozenset()  # account ids
    grant_edit: frozenset[int] = frozenset()
    grant_team_read: frozenset[int] = frozenset()  # team ids
    grant_team_edit: frozenset[int] = frozenset()


def _all_capabilities() -> frozenset[str]:
    from keyou.people.models import Capability

    return frozenset(Capability.values)


def team_subtree(team_id: int) -> list[int]:
    """Return TEAM_ID and the ids of every team below it."""
    from keyou.people.models import Team

    children: dict[int | None, list[int]] = {}
    for pk, parent in Team.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    out, todo = [], [team_id]
    while todo:
        pk = todo.pop()
        if pk in out:
            continue
        out.append(pk)
        todo.extend(children.get(pk, []))
    return out


def region_countries(codes: list[str]) -> frozenset[str]:
    """Return the country codes that region CODES (countries or region groups) cover."""
    from keyou.people.models import RegionGroup

    wanted = {str(c).strip() for c in codes or [] if str(c).strip()}
    groups = {g.code.upper(): g.countries for g in RegionGroup.objects.all()}
    out: set[str] = set()
    for code in wanted:
        if code.upper() in groups:
            out.update(c.upper() for c in groups[code.upper()])
        else:
            out.add(code.upper())
    return frozenset(out)


def reach(actor: Actor) -> Reach:
    """Return ACTOR's reach, cached on the actor until a grant expires (or 30 s)."""
    now = timezone.now()
    if actor is SYSTEM:
        return Reach(
            valid_until=now + timedelta(days=3650),
            everything=True,
            capabilities=_all_capabilities(),
            team_ids=None,
        )
    if not getattr(actor, "is_authenticated", False) or not getattr(actor, "is_active", True):
        return Reach(valid_until=now)
    cached = getattr(actor, "_keyou_reach", None)
    if cached is not None and cached.valid_until > now:
        return cached
    computed = _compute(actor, now)
    with contextlib.suppress(AttributeError):  # a read-only stand-in keeps no cache
        actor._keyou_reach = computed
    return computed


def forget_reach(actor: Actor) -> None:
    """Drop ACTOR's cached reach (after a change to their role, team or grants)."""
    if hasattr(actor, "_keyou_reach"):
        del actor._keyou_reach


def _compute(user: Any, now: datetime) -> Reach:
    from keyou.people.models import AccessGrant, DataScope
    from keyou.people.roles import role_of

    valid_until = now + timedelta(seconds=_CACHE_SECONDS)
    if user.is_superuser:
        return Reach(
            valid_until=valid_until,
            everything=True,
            capabilities=_all_capabilities(),
            user_id=user.pk,
            team_ids=None,
        )
    grant_read: set[int] = set()
    grant_edit: set[int] = set()
    team_read: set[int] = set()
    team_edit: set[int] = set()
    grants = AccessGrant.objects.filter(
        user_id=user.pk, expires_at__gt=now, revoked_at__isnull=True
    ).prefetch_related("accounts")
    for grant in grants:
        valid_until = min(valid_until, grant.expires_at)
        ids = {a.pk for a in grant.accounts.all()}
        grant_read |= ids
        if grant.edit:
            grant_edit |= ids
        if grant.team_id:
            team_read.add(grant.team_id)
            if grant.edit:
                team_edit.add(grant.team_id)
    role = role_of(user)
    if role.scope == DataScope.ALL:
        team_ids = None
    elif role.scope == DataScope.SUBTREE and user.team_id:
        team_ids = tuple(team_subtree(user.team_id))
    elif role.scope in (DataScope.TEAM, DataScope.SUBTREE) and user.team_id:
        team_ids = (user.team_id,)
    else:
        team_ids = ()
    return Reach(
        valid_until=valid_until,
        capabilities=frozenset(role.capabilities or []),
        user_id=user.pk,
        team_ids=team_ids,
        countries=region_countries(user.regions) if role.by_region else None,
        grant_read=frozenset(grant_read),
        grant_edit=frozenset(grant_edit),
        grant_team_read=frozenset(team_read),
        grant_team_edit=frozenset(team_edit),
    )


def sees_everything(actor: Actor) -> bool:
    """Return True when ACTOR is an admin (or the system): the whole company, private mail too."""
    return reach(actor).everything


def can(actor: Actor, capability: str) -> bool:
    """Return True when ACTOR's role has CAPABILITY."""
    return capability in reach(actor).capabilities


def require(actor: Actor, capability: str) -> None:
    """Raise NotAllowed unless ACTOR's role has CAPABILITY."""
    if not can(actor, capability):
        raise NotAllowed(capability)


def scope_q(actor: Actor, *, prefix: str = "", write: bool = False) -> Q:
    """Return the filter narrowing accounts (or rows reaching one via PREFIX) to ACTOR's reach.

    PREFIX is the path from the queried model to the account, e.g. "account__"
    for contacts. WRITE keeps only what the actor may change: read-only grants
    drop out, and without the edit capability nothing is left.
    """
    r = reach(actor)
    if r.everything:
        return Q()
    if r.user_id is None or "view_customers" not in r.capabilities:
        return Q(pk__in=[])
    if write and "edit_customers" not in r.capabilities:
        return Q(pk__in=[])
    if r.team_ids is None and r.countries is None:
        return Q()  # the whole company ("or" with an empty Q would narrow it)
    base = _base_q(r, prefix)
    granted_accounts = r.grant_edit if write else r.grant_read
    granted_teams = r.grant_team_edit if write else r.grant_team_read
    pk_field = f"{prefix}id" if prefix else "pk"
    if granted_accounts:
        base |= Q(**{f"{pk_field}__in": sorted(granted_accounts)})
    if granted_teams:
        base |= Q(**{f"{prefix}team_id__in": sorted(granted_teams)})
    return base


def reached_by_grant(actor: Actor, account: Any) -> bool:
    """Return True when ACTOR sees ACCOUNT only because of a temporary grant."""
    r = reach(actor)
    if r.everything or r.user_id is None:
        return False
    if account.pk not in r.grant_read and account.team_id not in r.grant_team_read:
        return False
    from keyou.crm.models import Account

    base_only = Account.objects.filter(pk=account.pk).filter(_base_q(r))
    return not base_only.exists()


def _base_q(r: Reach, prefix: str = "") -> Q:
    """The role's own reach (no grants) as a filter on accounts reached via PREFIX."""
    owner = Q(**{f"{prefix}owner_id": r.user_id})
    if r.team_ids is None:
        base = Q()
    elif r.team_ids:
        base = owner | Q(**{f"{prefix}team_id__in": list(r.team_ids)})
    else:
        base = owner
    if r.countries is not None:
        base = (base & Q(**{f"{prefix}country__in": sorted(r.countries)})) | owner
    return base
