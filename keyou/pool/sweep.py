"""The nightly reclaim sweep: warn owners, ask approvals, return idle accounts to the pool.

Which policy: every enabled policy whose lifecycles, tiers and tags admit an owned
account applies to it, and the earliest due time wins ("no first contact within 72
hours" and "no follow-up in 15 days" work side by side); an account no policy covers
is never reclaimed. If any policy covering the account needs approval, its reclaim
waits for a manager, whichever policy made it due. A policy's reclaim is due:

- no_follow_up: AFTER_HOURS after the later of "owner since" (assigned_at, else
  created) and the owner's last qualifying follow-up;
- no_first_contact: AFTER_HOURS after "owner since", unless the owner followed up
  since then;
- lost_idle: when the account's latest deal is lost, AFTER_HOURS after the latest of
  its close, the account's last human activity (email, call, meeting, note) and
  "owner since".

A qualifying follow-up is a call, meeting or note logged by the owner, or an outbound
(not automated) email sent from the owner's address (their user email or a personal
mailbox they own). Protection (`protected_until`) pushes the due time to its end.

The owner is always warned first. A sweep that finds the due time within
WARN_HOURS warns, telling the time the account will go: the due time, or WARN_HOURS
from now if that is later (an account first seen past due is warned and reclaimed
by the first sweep WARN_HOURS later). The warning stands while the due time has not
moved past it; a follow-up moves it, and the next warning is for the new due time.
At the first sweep at or after the time told, the account is reclaimed — or, when
a covering policy needs approval, the owner's manager is asked (once) and the account
stays until they decide. The approval flag applies to every account the policy
covers; narrow such a policy to tier A for "key accounts need approval".

Cost: a constant number of queries over all owned accounts (accounts, tags,
follow-ups, lost deals, warnings), then writes only for the accounts that change.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from keyou.crm.activities import pool_activity
from keyou.crm.models import Account, Activity, ActivityKind, Tag
from keyou.people.models import User
from keyou.people.services import notify_once
from keyou.pool.bulk import Gift, Reclaim, accounts_give_many, accounts_reclaim_many
from keyou.pool.models import (
    ApprovalStatus,
    MoveKind,
    PoolMove,
    PoolPolicy,
    ReclaimApproval,
    ReclaimTrigger,
    Redistribute,
)
from keyou.pool.reclaim import approval_ask, redistribute_pick, region_rules
from keyou.pool.selectors import policies_enabled, policy_covers, user_local

_CHUNK = 5000
_BATCH = 500  # accounts reclaimed per transaction
FOLLOW_UP_KINDS = (ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.NOTE)
HUMAN_KINDS = (ActivityKind.EMAIL, ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.NOTE)
_WHY = {
    ReclaimTrigger.NO_FOLLOW_UP: "no follow-up by the owner for {span}",
    ReclaimTrigger.NO_FIRST_CONTACT: "no first contact within {span} of assignment",
    ReclaimTrigger.LOST_IDLE: "deal lost and no activity for {span}",
}


@dataclass
class SweepResult:
    """What one sweep did."""

    owned: int = 0
    covered: int = 0
    warned: int = 0
    reclaimed: int = 0
    redistributed: int = 0
    approvals_asked: int = 0
    approvals_cancelled: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class _Owned:
    pk: int
    owner_id: int
    since: datetime  # owner since: the start of this stay
    protected_until: datetime | None
    name: str


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def owner_addresses() -> dict[int, set[str]]:
    """Return each user's own sending addresses: their email and their personal mailboxes."""
    from keyou.mail.models import Mailbox, MailboxKind

    out: dict[int, set[str]] = {}
    for pk, email in User.objects.exclude(email="").values_list("pk", "email"):
        out.setdefault(pk, set()).add(email.casefold())
    rows = Mailbox.objects.filter(kind=MailboxKind.PERSONAL).values_list("owners", "address")
    for pk, address in rows:
        if pk is not None:
            out.setdefault(pk, set()).add(address.casefold())
    return out


def last_follow_ups(account_ids: list[int] | None = None) -> dict[int, datetime]:
    """Return, per owned account, when its owner last followed up (see the module docstring).

    Two aggregate queries over the timeline, whatever the number of accounts.
    """
    from keyou.mail.models import Direction

    base = Activity.objects.filter(account__owner__isnull=False)
    if account_ids is not None:
        base = base.filter(account_id__in=account_ids)
    out: dict[int, datetime] = {}
    logged = (
        base.filter(kind__in=FOLLOW_UP_KINDS, actor_id=F("account__owner_id"))
        .order_by()
        .values("account_id")
        .annotate(last=Max("occurred_at"))
        .values_list("account_id", "last")
    )
    out.update(logged)
    addresses = owner_addresses()
    mailed = (
        base.filter(
            kind=ActivityKind.EMAIL,
            message__direction=Direction.OUTBOUND,
            message__is_automated=False,
        )
        .order_by()
        .values("account_id", "account__owner_id", "message__from_email")
        .annotate(last=Max("occurred_at"))
        .values_list("account_id", "account__owner_id", "message__from_email", "last")
    )
    for account_id, owner_id, sender, last in mailed:
        mine = (sender or "").casefold() in addresses.get(owner_id, ())
        if mine and (account_id not in out or last > out[account_id]):
            out[account_id] = last
    return out


def _lost_since(account_ids: list[int]) -> dict[int, datetime]:
    """Return, for those ACCOUNT_IDS whose latest deal is lost, the later of its close and
    the account's last human activity."""
    from keyou.deals.models import Deal, DealStatus

    latest: dict[int, tuple[str, datetime | None]] = {}
    for chunk in _chunks(account_ids):
        rows = (
            Deal.objects.filter(account_id__in=chunk)
            .order_by("account_id", "created_at", "pk")
            .values_list("account_id", "status", "closed_at")
        )
        for account_id, status, closed_at in rows:
            latest[account_id] = (status, closed_at)
    lost = {
        pk: closed
        for pk, (status, closed) in latest.items()
        if status == DealStatus.LOST and closed is not None
    }
    if not lost:
        return {}
    human = Q(message__isnull=True) | Q(message__is_automated=False)
    for chunk in _chunks(sorted(lost)):
        rows = (
            Activity.objects.filter(account_id__in=chunk, kind__in=HUMAN_KINDS)
            .filter(human)
            .order_by()
            .values("account_id")
            .annotate(last=Max("occurred_at"))
            .values_list("account_id", "last")
        )
        for account_id, last in rows:
            if last is not None and last > lost[account_id]:
                lost[account_id] = last
    return lost


def _tags_by_account(policies: list[PoolPolicy]) -> dict[int, set[str]]:
    wanted = {str(t).casefold() for p in policies for t in p.tags}
    if not wanted:
        return {}
    tags = {
        pk: name for pk, name in Tag.objects.values_list("pk", "name") if name.casefold() in wanted
    }
    out: dict[int, set[str]] = {}
    through = Account.tags.through.objects.filter(tag_id__in=list(tags))
    for account_id, tag_id in through.values_list("account_id", "tag_id"):
        out.setdefault(account_id, set()).add(tags[tag_id])
    return out


def _span(hours: int) -> str:
    return f"{hours // 24} days" if hours % 24 == 0 else f"{hours} hours"


def _due_times(
    owned: list[tuple[_Owned, PoolPolicy]], now: datetime
) -> dict[int, tuple[_Owned, PoolPolicy, datetime]]:
    """Return the reclaim due time of each covered account that has one (the earliest
    of its policies', with the policy that set it)."""
    triggers = {policy.trigger for _acc, policy in owned}
    follow_ups: dict[int, datetime] = {}
    if triggers & {ReclaimTrigger.NO_FOLLOW_UP, ReclaimTrigger.NO_FIRST_CONTACT}:
        follow_ups = last_follow_ups()
    lost: dict[int, datetime] = {}
    if ReclaimTrigger.LOST_IDLE in triggers:
        lost = _lost_since(
            [acc.pk for acc, policy in owned if policy.trigger == ReclaimTrigger.LOST_IDLE]
        )
    out: dict[int, tuple[_Owned, PoolPolicy, datetime]] = {}
    for acc, policy in owned:
        quiet = timedelta(hours=policy.after_hours)
        last = follow_ups.get(acc.pk)
        if policy.trigger == ReclaimTrigger.NO_FOLLOW_UP:
            due = max(acc.since, last) + quiet if last else acc.since + quiet
        elif policy.trigger == ReclaimTrigger.NO_FIRST_CONTACT:
            if last is not None and last >= acc.since:
                continue
            due = acc.since + quiet
        elif acc.pk in lost:
            due = max(lost[acc.pk], acc.since) + quiet  # a new owner gets the full time
        else:
            continue
        if acc.protected_until is not None and acc.protected_until > due:
            due = acc.protected_until
        if acc.pk not in out or due < out[acc.pk][2]:
            out[acc.pk] = (acc, policy, due)  # the earliest of the covering policies
    return out


def pool_sweep(*, now: datetime | None = None) -> SweepResult:
    """Warn, ask approval for or reclaim every owned account a policy says is idle (at NOW).

    Safe to run twice: a warning is given once per due time, an approval asked once,
    a reclaim happens once. See the module docstring for the rules.
    """
    started = time.monotonic()
    now = now or timezone.now()
    result = SweepResult()
    policies = policies_enabled()
    if not policies:
        result.seconds = time.monotonic() - started
        return result  # nothing is ever reclaimed without a policy
    rows = Account.objects.filter(owner__isnull=False).values_list(
        "pk",
        "owner_id",
        "lifecycle",
        "tier",
        "assigned_at",
        "created_at",
        "protected_until",
        "name",
    )
    tags = _tags_by_account(policies)
    covered: list[tuple[_Owned, PoolPolicy]] = []
    needs_approval: set[int] = set()
    for pk, owner_id, lifecycle, tier, assigned_at, created_at, protected, name in rows.iterator(
        chunk_size=5000
    ):
        result.owned += 1
        acc = _Owned(pk, owner_id, assigned_at or created_at, protected, name)
        mine = [
            policy
            for policy in policies
            if policy_covers(policy, lifecycle=lifecycle, tier=tier, tags=tags.get(pk, set()))
        ]
        if any(policy.requires_approval for policy in mine):
            needs_approval.add(pk)
        covered.extend((acc, policy) for policy in mine)
        result.covered += bool(mine)
    due = _due_times(covered, now) if covered else {}
    soon = {
        pk: item for pk, item in due.items() if item[2] <= now + timedelta(hours=item[1].warn_hours)
    }
    result.approvals_cancelled = _approvals_settle(soon, now)
    warnings = _warnings(list(soon))
    pending = set(
        ReclaimApproval.objects.filter(
            account_id__in=list(soon), status=ApprovalStatus.PENDING
        ).values_list("account_id", flat=True)
    )
    to_warn: list[tuple[_Owned, PoolPolicy, datetime, datetime]] = []
    to_reclaim: list[tuple[Reclaim, _Owned]] = []
    for pk, (acc, policy, due_at) in sorted(soon.items()):
        warning = warnings.get(pk)
        valid = (
            warning is not None
            and warning[0] == acc.owner_id
            and warning[1] >= acc.since
            and due_at <= warning[2]
        )
        if not valid:
            told = max(due_at, now + timedelta(hours=policy.warn_hours))
            to_warn.append((acc, policy, due_at, told))
            continue
        if now < warning[2] or pk in pending:
            continue
        why = _WHY[policy.trigger].format(span=_span(policy.after_hours))
        if pk in needs_approval:
            account = Account.objects.get(pk=pk)
            if approval_ask(
                account=account, policy=policy, owner_id=acc.owner_id, why=why, now=now
            ):
                result.approvals_asked += 1
            continue
        to_reclaim.append((Reclaim(pk, acc.owner_id, policy, why), acc))
    result.warned = _warn(to_warn, now)
    rules = region_rules()
    for start in range(0, len(to_reclaim), _BATCH):
        batch = to_reclaim[start : start + _BATCH]
        with transaction.atomic():  # one commit per batch, the round-robin turns included
            done = set(accounts_reclaim_many([item for item, _acc in batch], now=now))
            result.reclaimed += len(done)
            gifts = _gifts([item for item, _acc in batch if item.account_id in done], rules)
            result.redistributed += accounts_give_many(gifts, now=now)
    result.seconds = time.monotonic() - started
    return result


def _gifts(items: list[Reclaim], rules: list) -> list[Gift]:
    """Pick the next owner of each reclaimed account whose policy redistributes."""
    sharing = [item for item in items if item.policy.redistribute != Redistribute.STAY]
    if not sharing:
        return []
    accounts = Account.objects.in_bulk([item.account_id for item in sharing])
    out = []
    for item in sharing:
        picked = redistribute_pick(
            account=accounts[item.account_id],
            policy=item.policy,
            previous_owner_id=item.owner_id,
            rules=rules,
        )
        if picked is not None:
            out.append(Gift(item.account_id, item.owner_id, picked[0], item.policy, picked[1]))
    return out


def _warnings(account_ids: list[int]) -> dict[int, tuple[int | None, datetime, datetime]]:
    """Return each account's latest warning as (user, given at, reclaim time told)."""
    out: dict[int, tuple[int | None, datetime, datetime]] = {}
    for chunk in _chunks(account_ids):
        rows = (
            PoolMove.objects.filter(account_id__in=chunk, kind=MoveKind.WARNED)
            .order_by("account_id", "at", "id")
            .values_list("account_id", "user_id", "at", "due_at")
        )
        for account_id, user_id, at, due_at in rows:
            out[account_id] = (user_id, at, due_at)
    return out


def _approvals_settle(soon: dict, now: datetime) -> int:
    """Cancel pending approvals whose account is no longer due or changed hands."""
    cancelled = 0
    for approval in ReclaimApproval.objects.filter(status=ApprovalStatus.PENDING).select_related(
        "account"
    ):
        item = soon.get(approval.account_id)
        still_due = item is not None and item[2] <= now and item[0].owner_id == approval.owner_id
        if not still_due:
            cancelled += ReclaimApproval.objects.filter(
                pk=approval.pk, status=ApprovalStatus.PENDING
            ).update(status=ApprovalStatus.CANCELLED, decided_at=now)
    return cancelled


def _warn(items: list[tuple[_Owned, PoolPolicy, datetime, datetime]], now: datetime) -> int:
    """Warn each owner: a ledger row, timeline entry and audit entry per account, and one
    notice per owner and reclaim time listing the accounts."""
    from keyou.audit.models import AuditAction, AuditEntry

    if not items:
        return 0
    accounts = Account.objects.in_bulk([acc.pk for acc, *_rest in items])
    owners = User.objects.in_bulk({acc.owner_id for acc, *_rest in items})
    moves = PoolMove.objects.bulk_create(
        [
            PoolMove(
                account_id=acc.pk,
                kind=MoveKind.WARNED,
                user_id=acc.owner_id,
                policy=policy,
                at=now,
                due_at=told,
                data={"due": due_at.isoformat(), "trigger": policy.trigger},
            )
            for acc, policy, due_at, told in items
        ]
    )
    entries, audits = [], []
    notices: dict[tuple[int, datetime], list[str]] = {}
    for (acc, policy, _due_at, told), move in zip(items, moves, strict=True):
        why = _WHY[policy.trigger].format(span=_span(policy.after_hours))
        entries.append(
            pool_activity(
                account=accounts[acc.pk],
                move=MoveKind.WARNED,
                occurred_at=now,
                actor_id=None,
                summary=f"Goes back to the public pool on {told:%Y-%m-%d %H:%M} UTC: {why}",
                data={"move_id": move.pk, "policy": policy.name, "due_at": told.isoformat()},
            )
        )
        audits.append(
            AuditEntry(
                at=now,
                actor=None,
                actor_name="system",
                action=AuditAction.CHANGE,
                object_type="account",
                object_id=str(acc.pk),
                data={"pool": MoveKind.WARNED, "user": acc.owner_id, "due_at": told.isoformat()},
            )
        )
        notices.setdefault((acc.owner_id, told), []).append(acc.name)
    Activity.objects.bulk_create(entries)
    AuditEntry.objects.bulk_create(audits)
    for (owner_id, told), names in notices.items():
        owner = owners.get(owner_id)
        if owner is None:
            continue
        shown = ", ".join(names[:5]) + (f" (+{len(names) - 5})" if len(names) > 5 else "")
        notify_once(
            owner,
            gettext_noop("Back to the public pool on %(date)s unless you follow up: %(accounts)s."),
            {"accounts": shown, "date": user_local(owner, told)},
            dedupe_key=f"pool-warn:{owner_id}:{told.isoformat()}:{now.isoformat()}",
            kind="pool",
            url="/pool/moves/?kind=warned",
        )
    return len(items)
