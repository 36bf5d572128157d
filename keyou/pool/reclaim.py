"""Reclaims: taking an account back (by the sweep or a manager's approval) and sharing it out.

`account_reclaim` and `account_redistribute` move one account (an approval decided
on the web); the nightly sweep moves many at once through keyou.pool.bulk, with
the same picks (`redistribute_pick`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from keyou.automation.models import RoutingRule, Strategy
from keyou.crm.models import Account
from keyou.crm.services import account_pool_return, accounts_assign
from keyou.people.access import SYSTEM, Actor, region_countries
from keyou.people.models import Team, User
from keyou.people.services import notify_once
from keyou.pool.models import (
    ApprovalStatus,
    MoveKind,
    PoolPolicy,
    ReclaimApproval,
    Redistribute,
)
from keyou.pool.selectors import approval_get_for
from keyou.pool.services import (
    DEFAULT_PROTECTION_DAYS,
    PoolRefused,
    _actor_id,
    _approvals_cancel,
    _record,
)


def account_reclaim(
    *,
    account_id: int,
    owner_id: int,
    policy: PoolPolicy | None,
    why: str,
    now: datetime,
    actor: Actor = SYSTEM,
) -> Account | None:
    """Return ACCOUNT_ID to the pool under POLICY if OWNER_ID still owns it; then share it out.

    Return the account (None when its owner changed meanwhile). The previous owner
    is told. With a policy that redistributes, the account goes on to its next owner.
    """
    with transaction.atomic():
        # Locked while it moves; no select_related (PostgreSQL refuses FOR UPDATE on outer joins).
        account = Account.objects.select_for_update().filter(pk=account_id).first()
        if account is None or account.owner_id != owner_id:
            return None
        previous = account.owner
        account_pool_return(actor=actor, account=account, at=now, reason=why)
        _approvals_cancel(account, now)
        _record(
            account,
            MoveKind.RECLAIMED,
            at=now,
            actor=actor,
            user_id=owner_id,
            policy=policy,
            summary=f"Reclaimed from {previous.username}: {why}",
            data={"why": why, "trigger": policy.trigger if policy else ""},
        )
        notify_once(
            previous,
            gettext_noop("%(account)s went back to the public pool: %(why)s."),
            {"account": account.name, "why": why},
            dedupe_key=f"pool-reclaimed:{account.pk}:{now.isoformat()}",
            kind="pool",
            url=f"/accounts/{account.pk}/",
        )
    if policy is not None and policy.redistribute != Redistribute.STAY:
        account_redistribute(account=account, policy=policy, previous_owner_id=owner_id, now=now)
    return account


def region_rules() -> list[tuple[RoutingRule, frozenset[str]]]:
    """Return the enabled routing rules that name countries, with the countries they cover."""
    rules = RoutingRule.objects.filter(enabled=True).select_related("team", "user")
    return [
        (rule, region_countries(rule.countries))
        for rule in rules.order_by("position", "id")
        if rule.countries
    ]


def _pick(team: Team, strategy: str, user: User | None, previous_owner_id: int) -> User | None:
    from keyou.automation.routing import assignee_pick

    picked = assignee_pick(team=team, strategy=strategy, user=user)
    if picked is not None and picked.pk == previous_owner_id:
        # Never straight back to whom it was taken from: the next turn instead.
        picked = assignee_pick(team=team, strategy=Strategy.ROUND_ROBIN)
    if picked is not None and picked.pk == previous_owner_id:
        return None
    return picked


def redistribute_pick(
    *,
    account: Account,
    policy: PoolPolicy,
    previous_owner_id: int,
    rules: list[tuple[RoutingRule, frozenset[str]]] | None = None,
) -> tuple[User, str] | None:
    """Return who takes a reclaimed ACCOUNT next under POLICY and how they were chosen.

    round_robin: the next person in POLICY's team (else the account's team). region:
    the team of the first routing rule whose countries hold the account's country,
    with that rule's strategy; without one, round robin as above. Never the previous
    owner. None: nobody available (or the policy keeps it in the pool). The turn
    moves on. RULES: `region_rules()`, read once by a caller picking for many.
    """
    if policy.redistribute == Redistribute.STAY:
        return None
    if policy.redistribute == Redistribute.REGION and account.country:
        for rule, countries in region_rules() if rules is None else rules:
            if account.country.upper() in countries:
                user = _pick(rule.team, rule.strategy, rule.user, previous_owner_id)
                if user is not None:
                    return user, f"region {account.country} → team {rule.team.name}"
                break
    team = policy.redistribute_team or (Team.objects.filter(pk=account.team_id).first())
    if team is None:
        return None
    user = _pick(team, Strategy.ROUND_ROBIN, None, previous_owner_id)
    return (user, f"round robin in team {team.name}") if user is not None else None


def account_redistribute(
    *, account: Account, policy: PoolPolicy, previous_owner_id: int, now: datetime
) -> User | None:
    """Give a reclaimed ACCOUNT its next owner as POLICY says (see `redistribute_pick`).

    Return the new owner; None when the account stays in the pool.
    """
    picked = redistribute_pick(account=account, policy=policy, previous_owner_id=previous_owner_id)
    if picked is None:
        return None
    user, how = picked
    with transaction.atomic():
        account = accounts_assign(actor=SYSTEM, account=account.pk, owner=user)
        Account.objects.filter(pk=account.pk).update(assigned_at=now)
        account.assigned_at = now
        _record(
            account,
            MoveKind.REDISTRIBUTED,
            at=now,
            actor=SYSTEM,
            user_id=user.pk,
            policy=policy,
            summary=f"Given to {user.username} from the public pool ({how})",
            data={"how": how, "from": previous_owner_id},
        )
        notify_once(
            user,
            gettext_noop("%(account)s was given to you from the public pool."),
            {"account": account.name},
            dedupe_key=f"pool-given:{account.pk}:{now.isoformat()}",
            kind="pool",
            url=f"/accounts/{account.pk}/",
        )
    return user


# --- Approvals -------------------------------------------------------------------------------


def approval_decide(
    *,
    actor: Actor,
    approval: ReclaimApproval | int,
    approve: bool,
    now: datetime | None = None,
) -> ReclaimApproval:
    """Approve (reclaim now) or reject (keep it with its owner) a pending reclaim.

    ACTOR is the manager of the owner's team (or a team above it), or someone who
    may assign the account; anyone else gets NotFound. A rejection protects the
    account for the policy's quiet time again (AFTER_HOURS), so it is not asked
    about again before then. Refused when it was decided already or the account
    changed hands meanwhile.
    """
    now = now or timezone.now()
    pk = approval.pk if isinstance(approval, ReclaimApproval) else int(approval)
    with transaction.atomic():
        found = approval_get_for(actor, pk)
        if found.status != ApprovalStatus.PENDING:
            raise PoolRefused(gettext_noop("This reclaim was decided already."))
        account = Account.objects.select_related("owner", "team").get(pk=found.account_id)
        if account.owner_id is None or account.owner_id != found.owner_id:
            _approvals_cancel(account, now)
            raise PoolRefused(gettext_noop("The account changed hands meanwhile."))
        status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
        decided = ReclaimApproval.objects.filter(pk=pk, status=ApprovalStatus.PENDING).update(
            status=status, decided_by_id=_actor_id(actor), decided_at=now
        )
        if decided != 1:
            raise PoolRefused(gettext_noop("This reclaim was decided already."))
        policy = found.policy
        who = getattr(actor, "username", "system")
        if not approve:
            hours = policy.after_hours if policy is not None else DEFAULT_PROTECTION_DAYS * 24
            until = now + timedelta(hours=hours)
            Account.objects.filter(pk=account.pk).update(protected_until=until)
            _record(
                account,
                MoveKind.REJECTED,
                at=now,
                actor=actor,
                user_id=account.owner_id,
                policy=policy,
                due_at=until,
                summary=f"Reclaim rejected by {who}; kept until {until:%Y-%m-%d}",
            )
            notify_once(
                account.owner,
                gettext_noop("%(account)s stays with you: %(who)s kept it out of the pool."),
                {"account": account.name, "who": who},
                dedupe_key=f"pool-kept:{pk}",
                kind="pool",
                url=f"/accounts/{account.pk}/",
            )
        else:
            _record(
                account,
                MoveKind.APPROVED,
                at=now,
                actor=actor,
                user_id=account.owner_id,
                policy=policy,
                summary=f"Reclaim approved by {who}",
            )
    if approve:
        account_reclaim(
            account_id=account.pk,
            owner_id=found.owner_id,
            policy=policy,
            why=f"approved by {who}",
            now=now,
            actor=actor,
        )
    found.refresh_from_db()
    return found


def approval_ask(
    *, account: Account, policy: PoolPolicy, owner_id: int, why: str, now: datetime
) -> ReclaimApproval | None:
    """Ask the owner's manager to approve reclaiming ACCOUNT; None when a question is open."""
    from keyou.automation.recipients import manager_of

    if ReclaimApproval.objects.filter(account=account, status=ApprovalStatus.PENDING).exists():
        return None
    owner = User.objects.select_related("team").get(pk=owner_id)
    try:
        with transaction.atomic():
            approval = ReclaimApproval.objects.create(
                account=account, policy=policy, owner=owner, requested_at=now
            )
            manager = manager_of(owner.team, besides=owner)
            _record(
                account,
                MoveKind.APPROVAL_ASKED,
                at=now,
                actor=SYSTEM,
                user_id=owner_id,
                policy=policy,
                summary=f"Reclaim from {owner.username} needs a manager's approval: {why}",
                data={"approval_id": approval.pk, "manager": manager.pk if manager else None},
            )
            if manager is not None:
                notify_once(
                    manager,
                    gettext_noop(
                        "Approve or reject returning %(account)s (%(owner)s) to the public pool."
                    ),
                    {"account": account.name, "owner": owner.username},
                    dedupe_key=f"pool-approval:{approval.pk}",
                    kind="pool",
                    url="/pool/approvals/",
                )
    except IntegrityError:
        return None  # a concurrent sweep asked first
    return approval
