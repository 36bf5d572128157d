"""Changes to the public pool: claim, release, reclaim, redistribution, protection, approvals.

Every move writes a row of the pool ledger (`PoolMove`), an entry on the account's
timeline (kind "pool") and an audit entry. Claims are decided by the database: a
conditional UPDATE that only takes an account still without an owner, so of two
people claiming at the same moment exactly one wins.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.automation.events import ACCOUNT_OWNER_CHANGED, MESSAGE_RECEIVED, event_emit
from keyou.automation.models import Event
from keyou.crm.activities import pool_activity
from keyou.crm.models import Account, Activity, ActivityKind
from keyou.crm.selectors import NotFound, account_get_for, accounts_visible_to
from keyou.crm.services import _rows_follow, account_pool_return
from keyou.errors import UserFixableError
from keyou.people.access import SYSTEM, Actor, can, require
from keyou.people.models import Capability, User
from keyou.pool.models import (
    ApprovalStatus,
    MoveKind,
    PoolMove,
    PoolPolicy,
    ReclaimApproval,
)
from keyou.pool.selectors import (
    cooldown_until,
    policies_enabled,
    policy_for,
    pool_limits_for,
    pool_scope_q,
    user_local,
)

DEFAULT_PROTECTION_DAYS = 7


class PoolRefused(UserFixableError):
    """A pool move the user asked for that cannot be made now; the message says why."""


def _actor_id(actor: Actor) -> int | None:
    return None if actor is SYSTEM or actor is None else actor.pk


def _account_ref(account: Account | int) -> int:
    return account.pk if isinstance(account, Account) else int(account)


def _record(
    account: Account,
    kind: str,
    *,
    at: datetime,
    actor: Actor,
    user_id: int | None,
    summary: str,
    policy: PoolPolicy | None = None,
    due_at: datetime | None = None,
    data: dict | None = None,
) -> PoolMove:
    """Write KIND to the ledger, the timeline and the audit log."""
    data = data or {}
    move = PoolMove.objects.create(
        account=account,
        kind=kind,
        user_id=user_id,
        actor_id=_actor_id(actor),
        policy=policy,
        at=at,
        due_at=due_at,
        data=data,
    )
    extra = {"move_id": move.pk, "policy": policy.name if policy else ""}
    if due_at is not None:
        extra["due_at"] = due_at.isoformat()
    pool_activity(
        account=account,
        move=kind,
        occurred_at=at,
        actor_id=_actor_id(actor),
        summary=summary,
        data=extra,
    ).save()
    audit(
        actor,
        AuditAction.ASSIGN if kind in _OWNER_MOVES else AuditAction.CHANGE,
        obj=account,
        data={"pool": kind, "user": user_id, **extra, **data},
        at=at,
    )
    return move


_OWNER_MOVES = {MoveKind.CLAIMED, MoveKind.RELEASED, MoveKind.RECLAIMED, MoveKind.REDISTRIBUTED}


def _username(user_id: int | None) -> str:
    if user_id is None:
        return "-"
    return User.objects.filter(pk=user_id).values_list("username", flat=True).first() or "-"


def _approvals_cancel(account: Account, now: datetime) -> int:
    """Close the pending approval of ACCOUNT: it changed hands, nothing is left to decide."""
    return ReclaimApproval.objects.filter(account=account, status=ApprovalStatus.PENDING).update(
        status=ApprovalStatus.CANCELLED, decided_at=now
    )


# --- Claim and release -------------------------------------------------------------------


def _refuse_taken(actor: User, account_id: int) -> None:
    """Raise the right refusal for an account that has an owner (NotFound if never seen)."""
    current = Account.objects.filter(pk=account_id).select_related("owner").first()
    if current is None or current.owner_id is None:
        raise NotFound(f"account {account_id!r} not found")
    if current.owner_id == actor.pk:
        raise PoolRefused(gettext_noop("You already own this account."))
    claim = (
        PoolMove.objects.filter(account_id=account_id, kind=MoveKind.CLAIMED)
        .order_by("-at", "-id")
        .values_list("user_id", "data")
        .first()
    )
    if accounts_visible_to(actor).filter(pk=account_id).exists():
        raise PoolRefused(
            gettext_noop("This account was already claimed by %(user)s."), user=str(current.owner)
        )
    if claim is not None and claim[0] == current.owner_id:
        # Was it in the pool this person could see before it was taken?
        before = Account(team_id=claim[1].get("from_team"), country=current.country)
        if _pool_visible(actor, before):
            raise PoolRefused(gettext_noop("This account was already claimed by someone else."))
    raise NotFound(f"account {account_id!r} not found")


def _pool_visible(actor: Actor, account: Account) -> bool:
    """Return True when an ownerless ACCOUNT (possibly unsaved) would be in ACTOR's pool."""
    from keyou.people.access import reach

    r = reach(actor)
    if r.everything:
        return True
    if r.user_id is None or Capability.CLAIM_POOL not in r.capabilities:
        return False
    if r.countries is not None and account.country and account.country not in r.countries:
        return False
    if r.team_ids is None or account.team_id is None:
        return True
    return account.team_id in r.team_ids or account.team_id == getattr(actor, "team_id", None)


def account_claim(*, actor: User, account: Account | int, now: datetime | None = None) -> Account:
    """Take ACCOUNT out of the public pool for ACTOR; return it, now theirs.

    The account must be in ACTOR's pool (else NotFound) and ACTOR's role must allow
    claiming (else NotAllowed). Refused (PoolRefused, saying why) when ACTOR holds
    the most accounts their role allows, has used up today's claims (their local
    day), lost this account within the company's cooldown, or someone else took it
    first. The account, its contacts and timeline get ACTOR and their team; its
    first-contact clock starts at NOW.
    """
    now = now or timezone.now()
    if actor is SYSTEM or not getattr(actor, "pk", None):
        raise PoolRefused(gettext_noop("Only a person can claim an account."))
    account_id = _account_ref(account)
    with transaction.atomic():
        current = Account.objects.filter(pk=account_id).first()
        if current is None:
            raise NotFound(f"account {account_id!r} not found")
        if current.owner_id is not None:
            _refuse_taken(actor, account_id)
        if not Account.objects.filter(pk=account_id).filter(pool_scope_q(actor)).exists():
            raise NotFound(f"account {account_id!r} not found")
        require(actor, Capability.CLAIM_POOL)
        # One person's claims one at a time, so two quick clicks cannot pass a limit.
        User.objects.select_for_update().filter(pk=actor.pk).values_list("pk").first()
        limits = pool_limits_for(actor, now=now)
        if not limits.can_hold_more:
            raise PoolRefused(
                gettext_noop(
                    "You already hold %(held)s accounts, the most your role allows (%(max)s)."
                ),
                held=limits.held,
                max=limits.max_held,
            )
        if not limits.can_claim_today:
            raise PoolRefused(
                gettext_noop("You have made today's %(max)s claims; you can claim more tomorrow."),
                max=limits.claims_per_day,
            )
        until = cooldown_until(actor, current, now=now)
        if until is not None:
            raise PoolRefused(
                gettext_noop(
                    "You gave this account back recently; you may claim it again from %(date)s."
                ),
                date=user_local(actor, until),
            )
        team_before = current.team_id
        taken = Account.objects.filter(pk=account_id, owner__isnull=True).update(
            owner_id=actor.pk,
            team_id=actor.team_id,
            assigned_at=now,
            pooled_at=None,
            protected_until=None,
            updated_at=now,
        )
        if taken != 1:
            _refuse_taken(actor, account_id)
        claimed = Account.objects.select_related("owner", "team").get(pk=account_id)
        _rows_follow(claimed, owner_id=actor.pk, team_id=actor.team_id)
        event_emit(
            ACCOUNT_OWNER_CHANGED,
            occurred_at=now,
            account_id=account_id,
            actor_id=actor.pk,
            data={"from": None, "to": actor.pk, "claim": True},
        )
        _approvals_cancel(claimed, now)
        _record(
            claimed,
            MoveKind.CLAIMED,
            at=now,
            actor=actor,
            user_id=actor.pk,
            summary=f"Claimed from the public pool by {actor.username}",
            data={"from_team": team_before},
        )
    return claimed


def account_release(
    *, actor: Actor, account: Account | int, reason: str = "", now: datetime | None = None
) -> Account:
    """Give ACCOUNT back to the public pool (its owner, or a manager who may assign it).

    NotFound when ACTOR cannot see it; NotAllowed when it is someone else's and ACTOR
    may not assign it; PoolRefused when it is in the pool already.
    """
    now = now or timezone.now()
    account_id = _account_ref(account)
    reason = (reason or "").strip()[:300]
    with transaction.atomic():
        current = account_get_for(actor, account_id)
        if current.owner_id is None:
            raise PoolRefused(gettext_noop("This account is in the public pool already."))
        if current.owner_id != _actor_id(actor):
            require(actor, Capability.ASSIGN)
            current = account_get_for(actor, account_id, write=True)
        previous = current.owner_id
        account_pool_return(actor=actor, account=current, at=now, reason=reason)
        _approvals_cancel(current, now)
        _record(
            current,
            MoveKind.RELEASED,
            at=now,
            actor=actor,
            user_id=previous,
            summary=f"Released to the public pool by {getattr(actor, 'username', 'system')}"
            + (f": {reason}" if reason else ""),
            data={"reason": reason},
        )
    return current


# --- Protection ----------------------------------------------------------------------------


def account_protect(
    *,
    account: Account,
    reason: str,
    days: int,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
    data: dict | None = None,
) -> bool:
    """Keep ACCOUNT from being reclaimed for DAYS from NOW; return whether that extended it.

    Only an owned account is protected, and only a later end than the current one is
    written (so running it twice changes nothing).
    """
    now = now or timezone.now()
    until = now + timedelta(days=days)
    with transaction.atomic():
        changed = (
            Account.objects.filter(pk=account.pk, owner__isnull=False)
            .filter(Q(protected_until__isnull=True) | Q(protected_until__lt=until))
            .update(protected_until=until)
        )
        if not changed:
            return False
        account.refresh_from_db(fields=["owner", "team", "protected_until"])
        _record(
            account,
            MoveKind.PROTECTED,
            at=now,
            actor=actor,
            user_id=account.owner_id,
            summary=f"Protected from reclaim until {until:%Y-%m-%d}: {reason}",
            due_at=until,
            data={"reason": reason, **(data or {})},
        )
    return True


def pool_on_message_received(event: Event, now: datetime | None = None) -> bool:
    """Protect the owned accounts whose customer replied to us in EVENT's message.

    An outbox handler: EVENT is a `message.received` row; anything else, mail that
    is not live, automated mail and mail that answers nothing of ours pass. A reply
    is an inbound message in a thread that already holds an earlier outbound one.
    Each account the message is filed on (with an owner) is protected for the
    applicable policy's protection days (else 7) from when the reply was sent.
    Idempotent: the same message never protects twice. Always returns True.
    """
    from keyou.mail.models import Direction, Message

    if event.kind != MESSAGE_RECEIVED or not event.message_id or not event.live:
        return True
    message = Message.objects.filter(pk=event.message_id).first()
    if message is None or message.direction != Direction.INBOUND or message.is_automated:
        return True
    if message.thread_id is None:
        return True
    answered = Message.objects.filter(
        thread_id=message.thread_id, direction=Direction.OUTBOUND, sent_at__lt=message.sent_at
    ).exists()
    if not answered:
        return True
    filed = Activity.objects.filter(message_id=message.pk, kind=ActivityKind.EMAIL).values(
        "account"
    )
    policies = policies_enabled()
    for account in Account.objects.filter(pk__in=filed, owner__isnull=False).order_by("pk"):
        done = PoolMove.objects.filter(
            account=account, kind=MoveKind.PROTECTED, data__message_id=message.pk
        )
        if done.exists():
            continue
        policy = policy_for(account, policies)
        days = policy.protection_days if policy is not None else DEFAULT_PROTECTION_DAYS
        account_protect(
            account=account,
            reason="the customer replied",
            days=days,
            now=message.sent_at,
            data={"message_id": message.pk},
        )
    return True


def can_release(actor: Actor, account: Account) -> bool:
    """Return True when ACTOR may give ACCOUNT back to the pool (owner, or may assign it)."""
    if account.owner_id is None:
        return False
    return account.owner_id == _actor_id(actor) or can(actor, Capability.ASSIGN)
