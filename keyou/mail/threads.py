"""Put each new message in its thread: JWZ's id table kept in the database.

Every Message-ID a message carries or references maps to one Thread
(`ThreadRef`). A new message joins the thread of any id it shares; when it
links several threads (a parent arriving after its replies, or a reply that
references two conversations) they merge into the oldest. Without shared ids,
a reply-looking subject joins a thread with the same normalized subject and at
least one common participant within 30 days.

A `Threader` serves one ingest batch: it decides threads before the batch's
messages are inserted (so they are written with their thread), keeps the
touched threads in memory and writes them back once in `flush()`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from keyou.crm.models import Activity
from keyou.mail.models import Direction, Message, Thread, ThreadRef

SUBJECT_WINDOW = timedelta(days=30)
MAX_PARTICIPANTS = 50
MAX_ID = 900
_FIELDS = [
    "subject",
    "normalized_subject",
    "participants",
    "first_at",
    "last_at",
    "message_count",
    "last_inbound_at",
    "last_outbound_at",
    "awaiting_since",
]


def ref_key(message_id: str) -> str:
    """Return the id-table key of MESSAGE_ID (very long ids are hashed to fit an index)."""
    if len(message_id) <= MAX_ID:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()


@dataclass(slots=True)
class ThreadInput:
    """What threading needs to know about one new message."""

    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    normalized_subject: str
    is_reply: bool
    sent_at: datetime
    participants: frozenset[str]
    direction: str = Direction.INBOUND
    automated: bool = False


class Threader:
    """Assigns threads to the new messages of one batch (inside its transaction)."""

    def __init__(self) -> None:
        self.threads_created = 0
        self._ref: dict[str, int] = {}
        self._new_refs: dict[str, int] = {}
        self._threads: dict[int, Thread] = {}
        self._dirty: set[int] = set()
        self._recount: set[int] = set()
        self._merged: dict[int, int] = {}

    def final(self, thread_id: int) -> int:
        """Return the thread THREAD_ID ended up in after this batch's merges."""
        while thread_id in self._merged:
            thread_id = self._merged[thread_id]
        return thread_id

    def prefetch(self, ids: set[str]) -> None:
        """Load the threads of IDS (Message-IDs) in two queries."""
        keys = {ref_key(i) for i in ids if i} - set(self._ref)
        if keys:
            self._ref.update(
                ThreadRef.objects.filter(message_id__in=keys).values_list("message_id", "thread_id")
            )
        missing = set(self._ref.values()) - set(self._threads)
        if missing:
            self._threads.update(Thread.objects.in_bulk(missing))

    def assign(self, item: ThreadInput) -> int:
        """Return the pk of the thread the message described by ITEM belongs to."""
        ids = [i for i in (item.message_id, *item.references, *item.in_reply_to) if i]
        keys = list(dict.fromkeys(ref_key(i) for i in ids))
        found = sorted({self._ref[k] for k in keys if k in self._ref})
        if found:
            thread_id = found[0]
            for other in found[1:]:
                self._merge(other, into=thread_id)
        else:
            thread_id = self._by_subject(item) or self._create(item)
        for key in keys:
            if self._ref.get(key) != thread_id:
                self._ref[key] = thread_id
                self._new_refs[key] = thread_id
        self._apply(self._thread(thread_id), item)
        return thread_id

    def flush(self) -> None:
        """Write the id table and the touched threads (call after the messages are saved)."""
        if self._new_refs:
            existing = set(
                ThreadRef.objects.filter(message_id__in=list(self._new_refs)).values_list(
                    "message_id", flat=True
                )
            )
            ThreadRef.objects.bulk_create(
                [
                    ThreadRef(message_id=k, thread_id=t)
                    for k, t in self._new_refs.items()
                    if k not in existing
                ],
                ignore_conflicts=True,
            )
            for key in existing:
                ThreadRef.objects.filter(message_id=key).update(thread_id=self._new_refs[key])
            self._new_refs.clear()
        for thread_id in self._recount & self._dirty:
            thread = self._threads[thread_id]
            thread.message_count = Message.objects.filter(thread_id=thread_id).count()
            thread.awaiting_since = _awaiting_since(thread)
        self._recount.clear()
        # One plain UPDATE per thread: much cheaper than bulk_update's CASE chains.
        for thread_id in sorted(self._dirty):
            thread = self._threads.get(thread_id)
            if thread is not None:
                Thread.objects.filter(pk=thread_id).update(
                    **{name: getattr(thread, name) for name in _FIELDS}
                )
        self._dirty.clear()

    def _thread(self, thread_id: int) -> Thread:
        if thread_id not in self._threads:
            self._threads[thread_id] = Thread.objects.get(pk=thread_id)
        return self._threads[thread_id]

    def _by_subject(self, item: ThreadInput) -> int | None:
        has_refs = bool(item.references or item.in_reply_to)
        if not item.normalized_subject or not (item.is_reply or has_refs):
            return None
        key = item.normalized_subject[:255]
        low, high = item.sent_at - SUBJECT_WINDOW, item.sent_at + SUBJECT_WINDOW
        for thread in self._threads.values():
            if (
                thread.normalized_subject == key
                and thread.last_at
                and thread.first_at
                and thread.last_at >= low
                and thread.first_at <= high
                and item.participants & set(thread.participants)
            ):
                return thread.pk
        candidates = Thread.objects.filter(
            normalized_subject=key, last_at__gte=low, first_at__lte=high
        ).order_by("-last_at")[:20]
        for thread in candidates:
            if thread.pk not in self._threads and item.participants & set(thread.participants):
                self._threads[thread.pk] = thread
                return thread.pk
        return None

    def _create(self, item: ThreadInput) -> int:
        thread = Thread.objects.create(
            subject=item.subject[:998],
            normalized_subject=item.normalized_subject[:255],
            participants=sorted(item.participants)[:MAX_PARTICIPANTS],
            first_at=item.sent_at,
            last_at=item.sent_at,
        )
        self._threads[thread.pk] = thread
        self.threads_created += 1
        return thread.pk

    def _apply(self, thread: Thread, item: ThreadInput) -> None:
        """Fold one new message into THREAD's summary, in memory."""
        at = item.sent_at
        if thread.first_at is None or at < thread.first_at:
            thread.first_at = at
            if item.subject and not item.is_reply:
                thread.subject = item.subject[:998]
                thread.normalized_subject = item.normalized_subject[:255]
        thread.last_at = max(filter(None, (thread.last_at, at)))
        thread.message_count += 1
        thread.participants = sorted(set(thread.participants) | item.participants)[
            :MAX_PARTICIPANTS
        ]
        if not item.automated and item.direction == Direction.INBOUND:
            thread.last_inbound_at = max(filter(None, (thread.last_inbound_at, at)))
            answered = thread.last_outbound_at and at <= thread.last_outbound_at
            if not answered:
                thread.awaiting_since = min(filter(None, (thread.awaiting_since, at)))
        elif not item.automated and item.direction == Direction.OUTBOUND:
            thread.last_outbound_at = max(filter(None, (thread.last_outbound_at, at)))
            if thread.awaiting_since and thread.awaiting_since <= at:
                if thread.last_inbound_at and thread.last_inbound_at > at:
                    # A later customer message is still unanswered: find the first
                    # one after this reply once the batch is in the database.
                    self._recount.add(thread.pk)
                else:
                    thread.awaiting_since = None
        self._dirty.add(thread.pk)

    def _merge(self, other: int, *, into: int) -> None:
        """Move everything of thread OTHER into thread INTO and drop OTHER."""
        Message.objects.filter(thread_id=other).update(thread_id=into)
        ThreadRef.objects.filter(thread_id=other).update(thread_id=into)
        Activity.objects.filter(thread_id=other).update(thread_id=into)
        source = self._threads.pop(other, None) or Thread.objects.filter(pk=other).first()
        target = self._thread(into)
        if source is not None:
            if source.first_at and (target.first_at is None or source.first_at < target.first_at):
                target.subject = source.subject
                target.normalized_subject = source.normalized_subject
            for name, pick in (
                ("first_at", min),
                ("last_at", max),
                ("last_inbound_at", max),
                ("last_outbound_at", max),
            ):
                values = [v for v in (getattr(target, name), getattr(source, name)) if v]
                setattr(target, name, pick(values) if values else None)
            participants = set(target.participants) | set(source.participants)
            target.participants = sorted(participants)[:MAX_PARTICIPANTS]
            Thread.objects.filter(pk=other).delete()
        self._merged[other] = into
        self._dirty.discard(other)
        self._dirty.add(into)
        self._recount.add(into)
        self._recount.discard(other)
        for table in (self._ref, self._new_refs):
            for key, value in table.items():
                if value == other:
                    table[key] = into


def _awaiting_since(thread: Thread) -> datetime | None:
    """Return when the customer's unanswered messages began, or None if we owe nothing."""
    if thread.last_inbound_at is None:
        return None
    if thread.last_outbound_at and thread.last_outbound_at >= thread.last_inbound_at:
        return None
    unanswered = Message.objects.filter(
        thread_id=thread.pk, direction=Direction.INBOUND, is_automated=False
    )
    if thread.last_outbound_at:
        unanswered = unanswered.filter(sent_at__gt=thread.last_outbound_at)
    first = unanswered.order_by("sent_at").values_list("sent_at", flat=True).first()
    return first or thread.last_inbound_at
