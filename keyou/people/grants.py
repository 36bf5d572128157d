"""Temporary grants (临时权限) and requests for access: who may give what, for how long.

A grant lets one user see some accounts, or a team's accounts, until a time.
`keyou.people.access.reach` already ignores a grant past its expiry; the sweep
here only writes the audit entry saying that it ended. An access request names
an account by its number and never confirms that it exists: it is stored and
sent to the requester's manager and the admins whatever the number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.crm.models import Account
from keyou.crm.selectors import NotFound, account_get_for, accounts_visible_to
from keyou.people.access import (
    SYSTEM,
    Actor,
    NotAllowed,
    can,
    forget_reach,
    reached_by_grant,
    sees_everything,
    team_subtree,
)
from keyou.people.models import (
    AccessGrant,
    AccessRequest,
    Capability,
    Organization,
    Team,
    User,
)
from keyou.people.services import InvalidInput, notify_translated

# How long ended grants and decided requests stay on the people's own lists.
RECENT_DAYS = 30


# --- Who may give and see grants --------------------------------------------------


def managed_teams(actor: Actor) -> set[int]:
    """Return the ids of the teams ACTOR manages and of every team below them."""
    if actor is SYSTEM or not getattr(actor, "pk", None):
        return set()
    out: set[int] = set()
    for pk in Team.objects.filter(manager_id=actor.pk).values_list("pk", flat=True):
        out.update(team_subtree(pk))
    return out


def may_grant(actor: Actor) -> bool:
    """Return True when ACTOR may give grants at all: user administrators and team managers."""
    if not getattr(actor, "is_active", False):
        return False
    if can(actor, Capability.MANAGE_USERS):
        return True
    return Team.objects.filter(manager_id=actor.pk).exists()


def grants_visible_to(actor: Actor) -> QuerySet[AccessGrant]:
    """Return the grants ACTOR may see (and revoke): given, held, or held in a team they manage.

    User administrators (and the system) see every grant.
    """
    qs = AccessGrant.objects.select_related("user", "granted_by", "team")
    if can(actor, Capability.MANAGE_USERS):
        return qs
    if not getattr(actor, "pk", None):
        return qs.none()
    q = Q(user_id=actor.pk) | Q(granted_by_id=actor.pk)
    teams = managed_teams(actor)
    if teams:
        q |= Q(user__team_id__in=sorted(teams))
    return qs.filter(q)


def grant_get_for(actor: Actor, grant_id: int) -> AccessGrant:
    """Return grant GRANT_ID if ACTOR may see it, else raise NotFound."""
    grant = grants_visible_to(actor).filter(pk=grant_id).first()
    if grant is None:
        raise NotFound(f"grant {grant_id!r} not found")
    return grant


def grant_state(grant: AccessGrant, now: datetime | None = None) -> str:
    """Return "revoked", "expired" or "active"."""
    if grant.revoked_at is not None:
        return "revoked"
    if grant.expires_at <= (now or timezone.now()):
        return "expired"
    return "active"


# --- Giving, revoking and expiring grants ---------------------------------------------


def grant_add(
    *,
    actor: Actor,
    user: User,
    accounts: Iterable[Account | int | str] = (),
    team: Team | None = None,
    until: datetime,
    edit: bool = False,
    reason: str = "",
    http_request: Any = None,
) -> AccessGrant:
    """Give USER access to ACCOUNTS (accounts, ids or domains) and/or TEAM's accounts until UNTIL.

    ACTOR must manage users or manage a team. They share only accounts they see
    themselves (any other raises NotFound, as a missing one does), a team only if
    they manage users or manage it or a team above it, and edit access only to
    what they may edit (else NotAllowed). UNTIL is in the future and at most
    KEYOU_GRANT_MAX_DAYS ahead (else InvalidInput).
    """
    if not may_grant(actor):
        raise NotAllowed(_("Only managers and user administrators can give access."))
    until = _check_until(until)
    _check_grantee(actor, user)
    refs = [ref for ref in accounts if not isinstance(ref, str) or ref.strip()]
    if not refs and team is None:
        raise InvalidInput(_("Choose the customers or the team to share."))
    chosen = _accounts_to_share(actor, refs, edit=edit)
    if team is not None:
        _check_team(actor, team, edit=edit)
    with transaction.atomic():
        grant = AccessGrant.objects.create(
            user=user,
            granted_by=None if actor is SYSTEM else actor,
            team=team,
            edit=edit,
            reason=(reason or "").strip()[:300],
            expires_at=until,
        )
        grant.accounts.set(chosen)
        audit(
            actor,
            AuditAction.GRANT_CREATE,
            obj=grant,
            data={**_grant_data(grant, chosen), "reason": grant.reason},
            request=http_request,
        )
    forget_reach(user)
    return grant


def _check_until(until: Any) -> datetime:
    if not isinstance(until, datetime) or timezone.is_naive(until):
        raise InvalidInput(_("Give the end of the grant as a date and time."))
    now = timezone.now()
    if until <= now:
        raise InvalidInput(_("The end of the grant must be in the future."))
    days = settings.KEYOU_GRANT_MAX_DAYS
    if until > now + timedelta(days=days):
        raise InvalidInput(_("A grant can last at most %(days)d days.") % {"days": days})
    return until


def _check_grantee(actor: Actor, user: Any) -> None:
    if not isinstance(user, User) or not user.is_active or user.departed_at is not None:
        raise InvalidInput(_("Access can only be given to an active user."))
    if getattr(actor, "pk", None) == user.pk:
        raise InvalidInput(_("You cannot give access to yourself."))


def _accounts_to_share(actor: Actor, refs: list, *, edit: bool) -> list[Account]:
    out: dict[int, Account] = {}
    for ref in refs:
        key = ref.pk if isinstance(ref, Account) else ref
        try:
            if str(key).strip().isdigit() and int(str(key)) >= 2**63:
                raise NotFound(key)  # no such id (and too big for the database to compare)
            account = account_get_for(actor, key)
        except NotFound:
            # The same words whether the account is missing or outside the granter's scope.
            raise NotFound(
                _("No customer %(ref)s among those you can see.") % {"ref": str(key).strip()}
            ) from None
        if reached_by_grant(actor, account):
            # Passing on borrowed access would outlive (and widen) the grant it came from.
            raise NotAllowed(
                _("You see %(name)s only through temporary access: you cannot share it.")
                % {"name": account.name}
            )
        if edit:
            try:
                account_get_for(actor, account.pk, write=True)
            except NotAllowed:
                raise NotAllowed(
                    _("You cannot give edit access to %(name)s: you may not edit it yourself.")
                    % {"name": account.name}
                ) from None
        out[account.pk] = account
    return list(out.values())


def _check_team(actor: Actor, team: Team, *, edit: bool) -> None:
    if not can(actor, Capability.MANAGE_USERS) and team.pk not in managed_teams(actor):
        raise NotAllowed(
            _("You can share a team's customers only if you manage it or a team above it.")
        )
    if edit and not can(actor, Capability.EDIT_CUSTOMERS):
        raise NotAllowed(_("You cannot give edit access: you may not edit customers yourself."))


def _grant_data(grant: AccessGrant, accounts: Iterable[Account] | None = None) -> dict:
    ids = sorted(a.pk for a in (accounts if accounts is not None else grant.accounts.all()))
    return {
        "user": grant.user.username,
        "user_id": grant.user_id,
        "accounts": ids,
        "team": grant.team.name if grant.team_id else None,
        "team_id": grant.team_id,
        "until": grant.expires_at.isoformat(),
        "edit": grant.edit,
    }


def grant_revoke(*, actor: Actor, grant: AccessGrant, http_request: Any = None) -> AccessGrant:
    """End GRANT now. ACTOR must be able to see it (else NotFound); an ended one is InvalidInput."""
    grant_get_for(actor, grant.pk)
    now = timezone.now()
    changed = AccessGrant.objects.filter(
        pk=grant.pk, revoked_at__isnull=True, expires_at__gt=now
    ).update(revoked_at=now)
    if not changed:
        raise InvalidInput(_("This grant has already ended."))
    grant.revoked_at = now
    audit(actor, AuditAction.GRANT_REVOKE, obj=grant, data=_grant_data(grant), request=http_request)
    forget_reach(grant.user)
    return grant


def grants_expire_sweep(now: datetime | None = None) -> int:
    """Audit each grant that ran out (once: safe to run twice or on two workers).

    Return how many expiries were written. Revoked grants ended with their own entry.
    """
    now = now or timezone.now()
    due = (
        AccessGrant.objects.filter(
            expires_at__lte=now, expiry_audited=False, revoked_at__isnull=True
        )
        .select_related("user", "team")
        .prefetch_related("accounts")
        .order_by("pk")
    )
    written = 0
    for grant in due:
        with transaction.atomic():
            claimed = AccessGrant.objects.filter(pk=grant.pk, expiry_audited=False).update(
                expiry_audited=True
            )
            if claimed != 1:
                continue  # another sweep got there first
            audit(SYSTEM, AuditAction.GRANT_EXPIRE, obj=grant, data=_grant_data(grant), at=now)
            written += 1
    return written


# --- The grants page -------------------------------------------------------------------


@dataclass(frozen=True)
class GrantRow:
    """One grant as a person's list shows it; account names only where the viewer sees them."""

    grant: AccessGrant
    state: str
    accounts: list[tuple[int, str]]  # (id, name or "")
    may_revoke: bool


def grants_given_and_received(
    actor: Actor, *, days: int = RECENT_DAYS
) -> tuple[list[GrantRow], list[GrantRow]]:
    """Return (received, given): ACTOR's grants, active ones and those ended within DAYS."""
    now = timezone.now()
    recent = Q(expires_at__gt=now - timedelta(days=days)) & (
        Q(revoked_at__isnull=True) | Q(revoked_at__gt=now - timedelta(days=days))
    )
    qs = (
        AccessGrant.objects.filter(recent)
        .select_related("user", "granted_by", "team")
        .prefetch_related("accounts")
    )
    pk = getattr(actor, "pk", None)
    received = list(qs.filter(user_id=pk)) if pk else []
    given = list(qs.filter(granted_by_id=pk)) if pk else []
    wanted = {a.pk for g in received + given for a in g.accounts.all()}
    names = dict(accounts_visible_to(actor).filter(pk__in=wanted).values_list("pk", "name"))

    def row(grant: AccessGrant) -> GrantRow:
        state = grant_state(grant, now)
        labels = sorted((a.pk, names.get(a.pk, "")) for a in grant.accounts.all())
        return GrantRow(grant=grant, state=state, accounts=labels, may_revoke=state == "active")

    return [row(g) for g in received], [row(g) for g in given]


def grants_list(
    actor: Actor, *, user: User | None = None, active: bool = False
) -> QuerySet[AccessGrant]:
    """Return the grants ACTOR may see, newest first, narrowed to USER's and to active ones."""
    qs = grants_visible_to(actor).prefetch_related("accounts")
    if user is not None:
        qs = qs.filter(user=user)
    if active:
        qs = qs.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
    return qs.order_by("-created_at", "-pk")


# --- Access requests -------------------------------------------------------------------


def access_request_create(
    *, requester: User, account_id: int | str, reason: str, http_request: Any = None
) -> AccessRequest:
    """Ask for access to account ACCOUNT_ID; tell the requester's manager and the admins.

    Whatever the id (missing, out of scope, visible), the answer is the same: a
    stored request. A second open request for the same id returns the first.
    """
    try:
        number = int(str(account_id).strip())
    except ValueError:
        number = 0
    if not 0 < number < 2**63:
        raise InvalidInput(_("Name the customer by its number."))
    reason = (reason or "").strip()[:300]
    existing = AccessRequest.objects.filter(
        requester=requester, account_id=number, status=AccessRequest.Status.OPEN
    ).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        access_request = AccessRequest.objects.create(
            requester=requester, account_id=number, reason=reason
        )
        audit(
            requester,
            AuditAction.ACCESS_REQUEST,
            obj=access_request,
            data={"account_id": number, "reason": reason},
            request=http_request,
        )
    url = reverse("access_request_list")
    params = {"user": requester.get_username(), "id": number, "reason": reason or "—"}
    for decider in _deciders_of(requester):
        notify_translated(
            decider,
            gettext_noop("%(user)s asks for access to customer #%(id)d: %(reason)s"),
            params,
            kind="access_request",
            url=url,
        )
    return access_request


def _deciders_of(requester: User) -> list[User]:
    """The admins and the nearest manager above REQUESTER (skipping REQUESTER themselves)."""
    out = {
        u.pk: u
        for u in User.objects.filter(is_superuser=True, is_active=True, departed_at__isnull=True)
    }
    teams = {t.pk: t for t in Team.objects.select_related("manager")}
    team_id, seen = requester.team_id, set()
    while team_id in teams and team_id not in seen:
        seen.add(team_id)
        manager = teams[team_id].manager
        if manager is not None and manager.pk != requester.pk:
            if manager.is_active and manager.departed_at is None:
                out[manager.pk] = manager
            break
        team_id = teams[team_id].parent_id
    out.pop(requester.pk, None)
    return list(out.values())


def _decidable(actor: Actor) -> QuerySet[AccessRequest]:
    """The requests ACTOR may decide: all for user administrators, else their teams' members'."""
    qs = AccessRequest.objects.select_related("requester", "requester__team", "decided_by")
    pk = getattr(actor, "pk", None)
    if can(actor, Capability.MANAGE_USERS):
        return qs.exclude(requester_id=pk) if pk else qs
    teams = managed_teams(actor)
    if not teams:
        return qs.none()
    return qs.filter(requester__team_id__in=sorted(teams)).exclude(requester_id=pk)


@dataclass(frozen=True)
class RequestRow:
    """An open request as the decider sees it: the account's name only if they can see it."""

    request: AccessRequest
    account_name: str
    may_grant: bool
    may_refuse: bool


def access_requests_for(actor: Actor) -> list[RequestRow]:
    """Return the open requests ACTOR may decide, oldest first."""
    rows = list(_decidable(actor).filter(status=AccessRequest.Status.OPEN).order_by("created_at"))
    wanted = {r.account_id for r in rows}
    names = dict(accounts_visible_to(actor).filter(pk__in=wanted).values_list("pk", "name"))
    everything = sees_everything(actor)
    return [
        RequestRow(
            request=r,
            account_name=names.get(r.account_id, ""),
            may_grant=r.account_id in names,
            may_refuse=r.account_id in names or everything,
        )
        for r in rows
    ]


def access_request_get_for(actor: Actor, request_id: int) -> AccessRequest:
    """Return request REQUEST_ID if ACTOR may decide it, else raise NotFound."""
    found = _decidable(actor).filter(pk=request_id).first()
    if found is None:
        raise NotFound(f"access request {request_id!r} not found")
    return found


def access_requests_of(user: User, *, days: int = RECENT_DAYS) -> QuerySet[AccessRequest]:
    """Return USER's own requests: open ones and those decided within DAYS, newest first."""
    since = timezone.now() - timedelta(days=days)
    return AccessRequest.objects.filter(requester=user).filter(
        Q(status=AccessRequest.Status.OPEN) | Q(decided_at__gt=since)
    )


def access_request_decide(
    *,
    actor: Actor,
    request: AccessRequest,
    grant: bool,
    until: datetime | None = None,
    edit: bool = False,
    http_request: Any = None,
) -> AccessRequest:
    """Grant (until UNTIL, EDIT or read-only) or refuse REQUEST, and tell the requester.

    ACTOR must be able to decide the request and to see its account (else
    NotFound). An admin, who sees everything, may refuse a request for an id
    that names nothing.
    """
    access_request_get_for(actor, request.pk)
    try:
        account: Account | None = account_get_for(actor, request.account_id)
    except NotFound:
        if grant or not sees_everything(actor):
            raise
        account = None
    if grant and until is None:
        raise InvalidInput(_("Give the end of the grant as a date and time."))
    with transaction.atomic():
        locked = AccessRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != AccessRequest.Status.OPEN:
            raise InvalidInput(_("This request has already been decided."))
        made = None
        if grant:
            made = grant_add(
                actor=actor,
                user=locked.requester,
                accounts=[account],
                until=until,
                edit=edit,
                reason=locked.reason or _("Access request #%(number)d") % {"number": locked.pk},
                http_request=http_request,
            )
        locked.status = AccessRequest.Status.GRANTED if grant else AccessRequest.Status.REFUSED
        locked.decided_by = None if actor is SYSTEM else actor
        locked.decided_at = timezone.now()
        locked.grant = made
        locked.save(update_fields=["status", "decided_by", "decided_at", "grant"])
        audit(
            actor,
            AuditAction.ACCESS_REQUEST,
            obj=locked,
            data={
                "decision": locked.status,
                "account_id": locked.account_id,
                "grant_id": made.pk if made else None,
            },
            request=http_request,
        )
    requester = locked.requester
    if made is not None and account is not None:
        notify_translated(
            requester,
            gettext_noop("Your request for access to %(name)s was granted until %(until)s."),
            {"name": account.name, "until": _when_for(requester, made.expires_at)},
            kind="access_granted",
            url=reverse("account_detail", args=[account.pk]),
        )
    else:
        notify_translated(
            requester,
            gettext_noop("Your request for access to customer #%(id)d was refused."),
            {"id": locked.account_id},
            kind="access_refused",
            url=reverse("grant_list"),
        )
    return locked


def _when_for(user: User, moment: datetime) -> str:
    """MOMENT in USER's time zone (else the company's), as "2026-03-05 18:00 (Asia/Shanghai)"."""
    name = user.time_zone or Organization.get().time_zone
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zone, name = ZoneInfo("UTC"), "UTC"
    return f"{timezone.localtime(moment, zone):%Y-%m-%d %H:%M} ({name})"
