"""Write events to the outbox, in the caller's transaction.

A service that changes state calls `event_emit` (or `events_emit` for a batch)
inside its own transaction, so the event exists exactly when the change does. The
worker is woken after the commit; consuming is in `keyou.automation.outbox`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from keyou.automation.models import Event

MESSAGE_RECEIVED = "message.received"
MESSAGE_SENT = "message.sent"
ACCOUNT_CREATED = "account.created"
ACCOUNT_OWNER_CHANGED = "account.owner_changed"
THREAD_AWAITING_REPLY = "thread.awaiting_reply"
ACCOUNT_NO_FOLLOW_UP = "account.no_follow_up"
TASK_DUE = "task.due"
TASK_OVERDUE = "task.overdue"
CONTACT_BIRTHDAY = "contact.birthday"
DEAL_CREATED = "deal.created"
DEAL_STAGE_CHANGED = "deal.stage_changed"
DEAL_STALLED = "deal.stalled"
SCHEDULE_TICK = "schedule"


def _wake() -> None:
    from keyou.automation.tasks import events_process

    transaction.on_commit(events_process)


def event_new(
    kind: str,
    *,
    occurred_at: datetime | None = None,
    live: bool = True,
    dedupe_key: str | None = None,
    data: dict[str, Any] | None = None,
    **subjects: int | None,
) -> Event:
    """Return an unsaved event of KIND about SUBJECTS (account_id=, thread_id=, ...)."""
    return Event(
        kind=kind,
        occurred_at=occurred_at or timezone.now(),
        live=live,
        dedupe_key=dedupe_key,
        data=data or {},
        **subjects,
    )


def event_emit(
    kind: str,
    *,
    occurred_at: datetime | None = None,
    live: bool = True,
    dedupe_key: str | None = None,
    data: dict[str, Any] | None = None,
    **subjects: int | None,
) -> Event | None:
    """Write one event of KIND; with DEDUPE_KEY, only the first time (else return None)."""
    event = event_new(
        kind, occurred_at=occurred_at, live=live, dedupe_key=dedupe_key, data=data, **subjects
    )
    if dedupe_key is not None:
        if Event.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        try:
            with transaction.atomic():
                event.save()
        except IntegrityError:
            return None  # a concurrent sweep wrote it first
    else:
        event.save()
    _wake()
    return event


def events_emit(events: Iterable[Event]) -> int:
    """Write a batch of unsaved events without dedupe keys (ingest); return how many."""
    rows = list(events)
    if rows:
        Event.objects.bulk_create(rows)
        _wake()
    return len(rows)
