"""Consume the event outbox: at least once, in order, every handler idempotent.

A worker takes an event by a conditional UPDATE of its lease (exactly one row
changed means it is ours), runs the handlers in a fixed order (SLA clock, then
shared-mailbox routing, then the pool's protection when a customer replies, then
the analytics rollups, then the rules, so a rule sees the owner routing chose) and
marks it processed. A handler that fails leaves the event for a later
attempt with backoff; handlers that already did their part skip it then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from keyou.automation import events as kinds
from keyou.automation.models import Event

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
BACKOFF_MINUTES = (1, 5, 15, 60)


def _sla(event: Event, now: datetime) -> bool:
    from keyou.automation.clock import response_times_record, thread_sla_refresh
    from keyou.mail.models import Message, Thread

    if event.kind not in (kinds.MESSAGE_RECEIVED, kinds.MESSAGE_SENT):
        return True
    message = Message.objects.filter(pk=event.message_id).first() if event.message_id else None
    thread_id = event.thread_id or (message.thread_id if message else None)
    thread = Thread.objects.filter(pk=thread_id).first() if thread_id else None
    if thread is not None:
        thread_sla_refresh(thread)
    if event.kind == kinds.MESSAGE_SENT and message is not None:
        response_times_record(message)
    return True


def _routing(event: Event, now: datetime) -> bool:
    from keyou.automation.routing import inquiry_assign, inquiry_route
    from keyou.automation.snapshot import subjects_load
    from keyou.mail.models import Direction, MailboxKind

    if event.kind != kinds.MESSAGE_RECEIVED or not event.live or not event.mailbox_id:
        return True
    found = subjects_load(event)
    message, mailbox, account = found.message, found.mailbox, found.account
    if message is None or mailbox is None or account is None:
        return True
    if mailbox.kind != MailboxKind.SHARED or message.direction != Direction.INBOUND:
        return True
    if message.is_automated:
        return True
    route = inquiry_route(
        mailbox=mailbox,
        account=account,
        subject=message.subject,
        text=message.visible_text or message.text_body,
        sender=message.from_email,
        full_text=message.text_body,
    )
    if route is not None and route.user is not None:
        inquiry_assign(route=route, account=account, thread=found.thread, message_id=message.pk)
    return True


def _pool(event: Event, now: datetime) -> bool:
    from keyou.pool.services import pool_on_message_received

    return pool_on_message_received(event, now)


def _analytics(event: Event, now: datetime) -> bool:
    from keyou.analytics.rollups import analytics_on_event

    return analytics_on_event(event, now)


def _rules(event: Event, now: datetime) -> bool:
    from keyou.automation.rules import rules_handle

    return rules_handle(event, now=now)


HANDLERS: tuple[tuple[str, Callable[[Event, datetime], bool]], ...] = (
    ("sla", _sla),
    ("routing", _routing),
    ("pool", _pool),
    ("analytics", _analytics),
    ("rules", _rules),
)


def event_handle(event: Event, *, now: datetime | None = None) -> bool:
    """Run every handler on EVENT; return True when it is done with (or given up on).

    Safe to call again on the same event: each handler is idempotent.
    """
    now = now or timezone.now()
    settled, errors = True, []
    for name, handler in HANDLERS:
        try:
            settled &= handler(event, now)
        except Exception as exc:  # noqa: BLE001 - recorded, retried, never lost
            settled = False
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            log.warning("event %s handler %s failed: %s", event.pk, name, type(exc).__name__)
    attempts = event.attempts + 1
    fields: dict = {"attempts": attempts, "lease_until": None, "error": "\n".join(errors)[:4000]}
    if settled or attempts >= MAX_ATTEMPTS:
        fields |= {"processed_at": timezone.now(), "next_attempt_at": None}
    else:
        wait = BACKOFF_MINUTES[min(attempts - 1, len(BACKOFF_MINUTES) - 1)]
        fields["next_attempt_at"] = now + timedelta(minutes=wait)
    Event.objects.filter(pk=event.pk).update(**fields)
    for name, value in fields.items():
        setattr(event, name, value)
    return settled


def _claim(event_id: int, now: datetime) -> bool:
    """Take EVENT_ID for this worker; True if exactly this worker got it."""
    taken = (
        Event.objects.filter(pk=event_id, processed_at__isnull=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )
    return taken == 1


def events_pending(now: datetime, limit: int) -> list[int]:
    return list(
        Event.objects.filter(processed_at__isnull=True)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


def events_process(*, limit: int = 500, now: datetime | None = None) -> int:
    """Handle up to LIMIT pending events in order; return how many were handled."""
    from keyou.automation.rules import rules_batch

    done = 0
    with rules_batch():
        done = _process(limit, now)
    return done


def _process(limit: int, now: datetime | None) -> int:
    done = 0
    while done < limit:
        now_ = now or timezone.now()
        batch = events_pending(now_, min(100, limit - done))
        if not batch:
            break
        for event_id in batch:
            if not _claim(event_id, now_):
                continue
            event = Event.objects.get(pk=event_id)
            event_handle(event, now=now_)
            done += 1
    return done


def events_prune(*, days: int = 90, now: datetime | None = None) -> int:
    """Delete processed events older than DAYS (their runs keep their log); return how many."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = Event.objects.filter(processed_at__isnull=False, occurred_at__lt=cutoff).delete()
    return deleted
