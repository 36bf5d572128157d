"""One constructor per kind of timeline entry, so every entry has the same shape."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from keyou.crm.models import Account, Activity, ActivityKind, Comment, Contact, Lead, Note, Task

if TYPE_CHECKING:
    from keyou.deals.models import Deal, DealRecord
    from keyou.mail.models import Thread
    from keyou.people.models import User


def note_activity(*, note: Note, actor_id: int | None) -> Activity:
    """Return the (unsaved) timeline entry for NOTE."""
    return Activity(
        kind=ActivityKind.NOTE,
        account_id=note.account_id,
        occurred_at=note.created_at,
        actor_id=actor_id,
        owner_id=note.owner_id,
        team_id=note.team_id,
        data={"note_id": note.pk, "summary": note.body[:300]},
    )


def interaction_activity(
    *,
    kind: ActivityKind,
    account: Account,
    occurred_at: datetime,
    actor_id: int | None,
    summary: str,
    outcome: str = "",
    next_step: str = "",
    duration_minutes: int | None = None,
) -> Activity:
    """Return the (unsaved) entry for a logged call or meeting."""
    if kind not in (ActivityKind.CALL, ActivityKind.MEETING):
        raise ValueError(f"not an interaction kind: {kind}")
    return Activity(
        kind=kind,
        account=account,
        occurred_at=occurred_at,
        actor_id=actor_id,
        owner_id=account.owner_id,
        team_id=account.team_id,
        data={
            "summary": summary,
            "outcome": outcome,
            "next_step": next_step,
            "duration_minutes": duration_minutes,
        },
    )


def link_contacts(activity: Activity, contacts: Iterable[Contact]) -> None:
    """Attach CONTACTS (already checked to belong to the account) to a saved ACTIVITY."""
    activity.contacts.add(*contacts)


def task_activity(
    *,
    task: Task,
    actor_id: int | None,
    occurred_at: datetime,
    event: str = "created",
) -> Activity:
    """Return the (unsaved) entry saying TASK was created (or done, with EVENT="done").

    TASK must be on an account. The data keeps what the entry shows, so it reads the
    same after the task changes: title, due time (ISO, UTC), assignee and source rule.
    """
    if task.account_id is None:
        raise ValueError("a task without an account has no timeline")
    return Activity(
        kind=ActivityKind.TASK,
        account_id=task.account_id,
        thread_id=task.thread_id,
        occurred_at=occurred_at,
        actor_id=actor_id,
        owner_id=task.owner_id,
        team_id=task.team_id,
        data={
            "task_id": task.pk,
            "title": task.title,
            "due_at": task.due_at.isoformat() if task.due_at else None,
            "assignee": task.assignee.get_username() if task.assignee_id else "",
            "rule": task.source_rule.name if task.source_rule_id else "",
            "event": event,
        },
    )


def comment_activity(
    *,
    comment: Comment,
    account_id: int,
    mentions: Iterable[str] = (),
    cannot_see: Iterable[str] = (),
) -> Activity:
    """Return the (unsaved) entry for COMMENT on ACCOUNT_ID's timeline (a thread's account).

    MENTIONS are the usernames linked; CANNOT_SEE those mentioned who may not see the
    record and so were not notified.
    """
    return Activity(
        kind=ActivityKind.COMMENT,
        account_id=account_id,
        thread_id=comment.thread_id,
        occurred_at=comment.created_at,
        actor_id=comment.author_id,
        owner_id=comment.owner_id,
        team_id=comment.team_id,
        data={
            "comment_id": comment.pk,
            "summary": comment.body[:2000],
            "mentions": list(mentions),
            "cannot_see": list(cannot_see),
        },
    )


def lead_status_activity(
    *, lead: Lead, actor_id: int | None, occurred_at: datetime, old_status: str
) -> Activity:
    """Return the (unsaved) entry saying LEAD moved from OLD_STATUS to its current status."""
    return Activity(
        kind=ActivityKind.LEAD,
        account_id=lead.account_id,
        thread_id=lead.thread_id,
        occurred_at=occurred_at,
        actor_id=actor_id,
        owner_id=lead.owner_id,
        team_id=lead.team_id,
        data={
            "lead_id": lead.pk,
            "title": lead.title,
            "rule": "",
            "status": lead.status,
            "old_status": old_status,
        },
    )


def automation_activity(
    *,
    account: Account,
    occurred_at: datetime,
    rule_id: int,
    rule_name: str,
    why: Iterable[str],
    actions: Iterable[str],
) -> Activity:
    """Return the (unsaved) entry saying a rule fired on ACCOUNT, why, and what it did."""
    return Activity(
        kind=ActivityKind.AUTOMATION,
        account=account,
        occurred_at=occurred_at,
        owner_id=account.owner_id,
        team_id=account.team_id,
        data={"rule": rule_name, "rule_id": rule_id, "why": list(why), "actions": list(actions)},
    )


def assignment_activity(
    *,
    account: Account,
    to: User,
    rule_name: str,
    why: Iterable[str],
    origin: dict[str, str],
    thread: Thread | None,
    message_id: int | None,
) -> Activity:
    """Return the (unsaved) entry saying ACCOUNT was routed to TO, by which rule and why."""
    why = list(why)
    return Activity(
        kind=ActivityKind.ASSIGNMENT,
        account=account,
        occurred_at=timezone.now(),
        owner=to,
        team_id=to.team_id,
        thread=thread,
        data={
            "to": to.username,
            "rule": rule_name,
            "why": why,
            "message_id": message_id,
            "origin": origin,
            "summary": f"→ {to.username}: " + "; ".join(why),
        },
    )


def deal_activity(
    *, deal: Deal, actor_id: int | None, occurred_at: datetime, event: str, **data: object
) -> Activity:
    """Return the (unsaved) entry saying something happened to DEAL on its account's timeline.

    EVENT is "created", "moved" (DATA: from_stage, to_stage, status) or "updated". The
    summary names the deal and its stage, never its amount (not every reader may see it).
    """
    summary = f"{deal.title} · {data.get('to_stage') or deal.stage.name}"
    return Activity(
        kind=ActivityKind.DEAL,
        account_id=deal.account_id,
        deal=deal,
        occurred_at=occurred_at,
        actor_id=actor_id,
        owner_id=deal.account.owner_id,
        team_id=deal.account.team_id,
        data={"deal_id": deal.pk, "title": deal.title, "event": event, "summary": summary, **data},
    )


def deal_record_activity(
    *, record: DealRecord, actor_id: int | None, occurred_at: datetime, event: str
) -> Activity:
    """Return the (unsaved) entry for a quote, order or payment RECORD (EVENT: "added", "status").

    Like `deal_activity`, the summary leaves the amount out; DATA keeps it for those who may see.
    """
    deal = record.deal
    return Activity(
        kind=record.kind,  # RecordKind values are ActivityKind values (quote, order, payment)
        account_id=deal.account_id,
        deal=deal,
        occurred_at=occurred_at,
        actor_id=actor_id,
        owner_id=deal.account.owner_id,
        team_id=deal.account.team_id,
        data={
            "deal_id": deal.pk,
            "record_id": record.pk,
            "title": deal.title,
            "number": record.number,
            "status": record.status,
            "amount": str(record.amount),
            "currency": record.currency,
            "event": event,
            "summary": f"{record.number} · {record.status} · {deal.title}",
        },
    )


def pool_activity(
    *,
    account: Account,
    move: str,
    occurred_at: datetime,
    actor_id: int | None,
    summary: str,
    data: dict | None = None,
) -> Activity:
    """Return the (unsaved) entry for a public-pool MOVE on ACCOUNT (a pool.MoveKind value).

    SUMMARY is one plain English line (who, why, until when); DATA adds the move's details.
    """
    return Activity(
        kind=ActivityKind.POOL,
        account=account,
        occurred_at=occurred_at,
        actor_id=actor_id,
        owner_id=account.owner_id,
        team_id=account.team_id,
        data={"move": move, "summary": summary, **(data or {})},
    )
