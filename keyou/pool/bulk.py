"""The sweep's moves in batches: reclaim and redistribute many accounts in a few queries.

Each batch does what `account_reclaim` and `account_redistribute` do for one
account — owner changed with its rows, an `account.owner_changed` event, the ledger,
the timeline, the audit log, a notice — but with one statement per table instead of
one per account, in one transaction. An account whose owner changed since the
sweep read it is left alone. Notices are grouped: one per person per batch.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext_noop

from keyou.audit.models import AuditAction, AuditEntry
from keyou.automation.events import ACCOUNT_OWNER_CHANGED, event_new, events_emit
from keyou.crm.activities import pool_activity
from keyou.crm.models import Account, Activity, Task, TaskStatus
from keyou.crm.services import rows_follow_many
from keyou.people.models import User
from keyou.people.services import notify_once
from keyou.pool.models import ApprovalStatus, MoveKind, PoolMove, PoolPolicy, ReclaimApproval

_SHOWN = 5  # account names listed in a grouped notice


@dataclass(frozen=True)
class Reclaim:
    """One account to take back from OWNER_ID under POLICY, and why (short English)."""

    account_id: int
    owner_id: int
    policy: PoolPolicy
    why: str


@dataclass(frozen=True)
class Gift:
    """One reclaimed account to give to USER (HOW: the rotation or rule that chose them)."""

    account_id: int
    previous_owner_id: int
    user: User
    policy: PoolPolicy
    how: str


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" (+{len(names) - _SHOWN})" if len(names) > _SHOWN else "")


def _audit(account_id: int, now: datetime, data: dict) -> AuditEntry:
    return AuditEntry(
        at=now,
        actor=None,
        actor_name="system",
        action=AuditAction.ASSIGN,
        object_type="account",
        object_id=str(account_id),
        data=data,
    )


def accounts_reclaim_many(items: list[Reclaim], *, now: datetime) -> list[int]:
    """Return the accounts of ITEMS to the pool (those still with the same owner); return their ids."""
    if not items:
        return []
    wanted = {item.account_id: item for item in items}
    with transaction.atomic():
        rows = (
            Account.objects.select_for_update()
            .filter(pk__in=sorted(wanted))
            .order_by("pk")
            .values_list("pk", "owner_id", "team_id", "name")
        )
        current = [row for row in rows if row[1] == wanted[row[0]].owner_id]
        ids = [row[0] for row in current]
        if not ids:
            return []
        Account.objects.filter(pk__in=ids).update(owner=None, pooled_at=now, updated_at=now)
        rows_follow_many(ids, owner_id=None)
        ReclaimApproval.objects.filter(account_id__in=ids, status=ApprovalStatus.PENDING).update(
            status=ApprovalStatus.CANCELLED, decided_at=now
        )
        owners = User.objects.in_bulk({row[1] for row in current})
        moves = PoolMove.objects.bulk_create(
            [
                PoolMove(
                    account_id=pk,
                    kind=MoveKind.RECLAIMED,
                    user_id=owner_id,
                    policy=wanted[pk].policy,
                    at=now,
                    data={"why": wanted[pk].why, "trigger": wanted[pk].policy.trigger},
                )
                for pk, owner_id, _team, _name in current
            ]
        )
        entries, audits, events = [], [], []
        lost: dict[int, list[str]] = defaultdict(list)
        for (pk, owner_id, team_id, name), move in zip(current, moves, strict=True):
            item, who = wanted[pk], owners[owner_id].username
            entries.append(
                pool_activity(
                    account=Account(pk=pk, owner_id=None, team_id=team_id),
                    move=MoveKind.RECLAIMED,
                    occurred_at=now,
                    actor_id=None,
                    summary=f"Reclaimed from {who}: {item.why}",
                    data={"move_id": move.pk, "policy": item.policy.name},
                )
            )
            audits.append(
                _audit(
                    pk,
                    now,
                    {
                        "from": who,
                        "to": None,
                        "pool": MoveKind.RECLAIMED,
                        "reason": item.why,
                        "policy": item.policy.name,
                        "move_id": move.pk,
                    },
                )
            )
            events.append(
                event_new(
                    ACCOUNT_OWNER_CHANGED,
                    occurred_at=now,
                    account_id=pk,
                    data={"from": owner_id, "to": None, "pool": True},
                )
            )
            lost[owner_id].append(name)
        Activity.objects.bulk_create(entries)
        AuditEntry.objects.bulk_create(audits)
        events_emit(events)
        for owner_id, names in lost.items():
            notify_once(
                owners[owner_id],
                gettext_noop("Back to the public pool (no follow-up in time): %(accounts)s."),
                {"accounts": _names(names)},
                dedupe_key=f"pool-reclaimed:{owner_id}:{now.isoformat()}:{ids[0]}",
                kind="pool",
                url="/pool/moves/",
            )
    return ids


def accounts_give_many(gifts: list[Gift], *, now: datetime) -> int:
    """Give each reclaimed account of GIFTS to its user (if still in the pool); return how many."""
    if not gifts:
        return 0
    wanted = {gift.account_id: gift for gift in gifts}
    with transaction.atomic():
        rows = (
            Account.objects.select_for_update()
            .filter(pk__in=sorted(wanted), owner__isnull=True)
            .order_by("pk")
            .values_list("pk", "name")
        )
        names = dict(rows)
        by_user: dict[int, list[int]] = defaultdict(list)
        for pk in names:
            by_user[wanted[pk].user.pk].append(pk)
        for user_id, ids in by_user.items():
            user = wanted[ids[0]].user
            Account.objects.filter(pk__in=ids).update(
                owner_id=user_id,
                team_id=user.team_id,
                pooled_at=None,
                assigned_at=now,
                protected_until=None,
                updated_at=now,
            )
            rows_follow_many(ids, owner_id=user_id, team_id=user.team_id)
            by_previous: dict[int, list[int]] = defaultdict(list)
            for pk in ids:
                by_previous[wanted[pk].previous_owner_id].append(pk)
            for previous, pks in by_previous.items():
                # Open work on the customer goes with it.
                Task.objects.filter(
                    account_id__in=pks, assignee_id=previous, status=TaskStatus.OPEN
                ).update(assignee_id=user_id)
        ordered = sorted(names)
        moves = PoolMove.objects.bulk_create(
            [
                PoolMove(
                    account_id=pk,
                    kind=MoveKind.REDISTRIBUTED,
                    user=wanted[pk].user,
                    policy=wanted[pk].policy,
                    at=now,
                    data={"how": wanted[pk].how, "from": wanted[pk].previous_owner_id},
                )
                for pk in ordered
            ]
        )
        entries, audits, events = [], [], []
        for pk, move in zip(ordered, moves, strict=True):
            gift = wanted[pk]
            entries.append(
                pool_activity(
                    account=Account(pk=pk, owner_id=gift.user.pk, team_id=gift.user.team_id),
                    move=MoveKind.REDISTRIBUTED,
                    occurred_at=now,
                    actor_id=None,
                    summary=f"Given to {gift.user.username} from the public pool ({gift.how})",
                    data={"move_id": move.pk, "policy": gift.policy.name},
                )
            )
            audits.append(
                _audit(
                    pk,
                    now,
                    {
                        "from": None,
                        "to": gift.user.username,
                        "pool": MoveKind.REDISTRIBUTED,
                        "how": gift.how,
                        "policy": gift.policy.name,
                        "move_id": move.pk,
                    },
                )
            )
            events.append(
                event_new(
                    ACCOUNT_OWNER_CHANGED,
                    occurred_at=now,
                    account_id=pk,
                    data={"from": None, "to": gift.user.pk, "pool": True},
                )
            )
        Activity.objects.bulk_create(entries)
        AuditEntry.objects.bulk_create(audits)
        events_emit(events)
        for user_id, ids in by_user.items():
            notify_once(
                wanted[ids[0]].user,
                gettext_noop("Given to you from the public pool: %(accounts)s."),
                {"accounts": _names([names[pk] for pk in ids])},
                dedupe_key=f"pool-given:{user_id}:{now.isoformat()}:{ids[0]}",
                kind="pool",
                url="/pool/moves/",
            )
    return len(names)
