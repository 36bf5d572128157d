"""Take raw mail in: parse, deduplicate, thread, match and file, a batch at a time.

`mail_ingest()` is the one writer used by the importer and by IMAP sync.
Parsing is pure and happens outside the transaction; each batch is written in
one transaction, so a crash loses at most the batch in flight and a re-run
picks up exactly where it stopped (every step is idempotent).
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from keyou.automation.events import (
    ACCOUNT_CREATED,
    MESSAGE_RECEIVED,
    MESSAGE_SENT,
    event_new,
    events_emit,
)
from keyou.mail.blobs import blob_put, blob_sha256
from keyou.mail.domains import email_domain, is_own_domain
from keyou.mail.filing import ToFile, messages_file
from keyou.mail.models import (
    Attachment,
    Direction,
    Mailbox,
    MailboxCopy,
    Message,
    MessageAddress,
    ThreadRef,
    Tombstone,
)
from keyou.mail.parse import (
    Address,
    ParsedMessage,
    UnparseableMessage,
    normalize_email,
    normalize_subject,
    parse_message,
)
from keyou.mail.sources import RawItem
from keyou.mail.threads import Threader, ThreadInput, ref_key
from keyou.people.models import Organization, User
from keyou.search.services import (
    search_index_accounts,
    search_index_contacts,
    search_index_messages,
)

log = logging.getLogger(__name__)

# Problems that are worth recording but not worth an admin's attention.
QUIET_PROBLEMS = ("charset_fallback", "missing_message_id")


@dataclass
class IngestStats:
    read: int = 0
    new: int = 0
    duplicates: int = 0
    flagged: int = 0
    failed: int = 0
    tombstoned: int = 0
    accounts_created: int = 0
    contacts_created: int = 0
    threads: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "read": self.read,
            "new": self.new,
            "duplicates": self.duplicates,
            "flagged": self.flagged,
            "failed": self.failed,
            "tombstoned": self.tombstoned,
            "accounts_created": self.accounts_created,
            "contacts_created": self.contacts_created,
            "threads": self.threads,
            "errors": self.errors,
        }


@dataclass(slots=True)
class _Prepared:
    item: RawItem
    raw_sha: str
    parsed: ParsedMessage | None = None
    problem: str = ""
    message_id: str = ""
    sent_at: datetime | None = None
    date_source: str = ""
    from_email: str = ""
    content_hash: str = ""
    mid_key: str = ""
    hash_key: str = ""
    keyou_id: str = ""
    message_pk: int | None = None
    is_new: bool = False
    known: bool = False  # the very same bytes are already stored
    direction: str = Direction.INBOUND
    thread_id: int | None = None
    external: dict[str, str] = field(default_factory=dict)


class _Internal:
    """Decides which addresses are ours: own domains, mailboxes and users."""

    def __init__(self) -> None:
        org = Organization.get()
        self.domains = [d.lower() for d in org.own_domains]
        self.addresses = {
            normalize_email(a) for a in Mailbox.objects.values_list("address", flat=True)
        }
        self.addresses |= {
            normalize_email(e)
            for e in User.objects.exclude(email="").values_list("email", flat=True)
        }
        self._cache: dict[str, bool] = {}

    def __call__(self, email: str) -> bool:
        hit = self._cache.get(email)
        if hit is None:
            hit = email in self.addresses or is_own_domain(email_domain(email), self.domains)
            self._cache[email] = hit
        return hit


def _batches(items: Iterable[RawItem], size: int) -> Iterator[list[RawItem]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _content_hash(from_email: str, sent_at: datetime | None, subject: str, body: str) -> str:
    stamp = sent_at.isoformat() if sent_at else ""
    text = "\n".join((from_email, stamp, normalize_subject(subject), " ".join(body.split())))
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def _id_key(prefix: str, value: str) -> str:
    if len(value) > 900:
        value = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
        prefix += "#"
    return f"{prefix}:{value}"


def _prepare(item: RawItem, raw_sha: str) -> _Prepared:
    p = _Prepared(item=item, raw_sha=raw_sha, sent_at=item.arrived_at or timezone.now())
    try:
        p.parsed = parse_message(item.raw)
    except UnparseableMessage as exc:
        p.problem = f"unparseable: {exc}"
    except Exception as exc:  # a parser bug must never cost a message or the batch
        log.exception("parser crashed on %s", item.source)
        p.problem = f"parser_error: {type(exc).__name__}"
    if p.parsed is None:
        p.content_hash, p.hash_key, p.date_source = raw_sha, f"raw:{raw_sha}", "arrival"
        return p
    parsed = p.parsed
    p.from_email = normalize_email(parsed.from_[0].email) if parsed.from_ else ""
    p.sent_at = parsed.date or p.sent_at
    p.date_source = parsed.date_source or "arrival"
    p.content_hash = _content_hash(p.from_email, parsed.date, parsed.subject, parsed.text)
    p.message_id = parsed.message_id
    p.keyou_id = parsed.keyou_id
    p.mid_key = _id_key("mid", p.message_id) if p.message_id else ""
    p.hash_key = f"hash:{p.content_hash}"
    return p


def _consistent(p: _Prepared, from_email: str, sent_at: datetime, date_source: str) -> bool:
    """Same Message-ID is the same message only with the same sender and date."""
    if p.from_email != from_email:
        return False
    if p.date_source == "date" and date_source == "date" and p.sent_at is not None:
        return abs((p.sent_at - sent_at).total_seconds()) < 1
    return True


def _prepare_many(items: list[tuple[RawItem, str]]) -> list[_Prepared]:
    return [_prepare(item, sha) for item, sha in items]


_POOL_MIN = 24


class _Preparer:
    """Parses batches, in worker processes when a batch is big enough to be worth it.

    Parsing is pure CPU work and the database writes are mostly not, so with
    workers the next batch is parsed while the current one is written.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Preparer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def submit(self, batch: list[RawItem]) -> Callable[[], list[_Prepared]]:
        """Start preparing BATCH and return a function that waits for the result."""
        shas = [blob_sha256(item.raw) for item in batch]
        # Byte-identical copies (the same mail in another mailbox, a re-import)
        # need no parsing at all.
        known = dict(
            Message.objects.filter(raw_sha256__in=set(shas)).values_list("raw_sha256", "pk")
        )
        todo = [(item, sha) for item, sha in zip(batch, shas, strict=True) if sha not in known]
        # A few messages (a sync finding new mail) are parsed here; starting the
        # pool costs more than it saves. Anything bigger goes to the workers, the
        # first batch included, so a short import is parallel too.
        if self.workers > 0 and len(todo) >= _POOL_MIN:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("fork")
                )
            size = max(1, -(-len(todo) // self.workers))
            futures = [
                self._pool.submit(_prepare_many, todo[i : i + size])
                for i in range(0, len(todo), size)
            ]

            def parsed() -> list[_Prepared]:
                return [p for f in futures for p in f.result()]

        else:
            done = _prepare_many(todo)

            def parsed() -> list[_Prepared]:
                return done

        def result() -> list[_Prepared]:
            by_sha = iter(parsed())
            out = []
            for item, sha in zip(batch, shas, strict=True):
                if sha in known:
                    out.append(_Prepared(item=item, raw_sha=sha, message_pk=known[sha], known=True))
                else:
                    out.append(next(by_sha))
            return out

        return result


def mail_ingest(
    *,
    mailbox: Mailbox,
    items: Iterable[RawItem],
    folder: str = "INBOX",
    batch_size: int | None = None,
    workers: int | None = None,
    progress: Callable[[IngestStats], None] | None = None,
) -> IngestStats:
    """File every raw message of ITEMS as seen in MAILBOX/FOLDER and return the counts.

    WORKERS parser processes (default: the KEYOU_IMPORT_WORKERS setting) parse
    the next batch while the current one is written; 0 parses inline.
    """
    stats = IngestStats()
    internal = _Internal()
    workers = settings.KEYOU_IMPORT_WORKERS if workers is None else workers
    with _Preparer(workers) as preparer:
        pending: Callable[[], list[_Prepared]] | None = None
        for batch in _batches(items, batch_size or settings.KEYOU_IMPORT_BATCH):
            job = preparer.submit(batch)
            if pending is not None:
                _finish(pending(), mailbox, folder, internal, stats, progress)
            pending = job
        if pending is not None:
            _finish(pending(), mailbox, folder, internal, stats, progress)
    return stats


def _finish(
    prepared: list[_Prepared],
    mailbox: Mailbox,
    folder: str,
    internal: _Internal,
    stats: IngestStats,
    progress: Callable[[IngestStats], None] | None,
) -> None:
    stats.read += len(prepared)
    _write_batch(mailbox, folder, prepared, internal, stats)
    if progress:
        progress(stats)


def _write_batch(
    mailbox: Mailbox,
    folder: str,
    prepared: list[_Prepared],
    internal: _Internal,
    stats: IngestStats,
) -> None:
    with transaction.atomic():
        _lock_keys(prepared)
        fresh, live = _deduplicate(prepared, stats)
        threader = Threader()
        _thread(fresh, internal, threader)
        _insert_messages(fresh, stats)
        threader.flush()
        stats.threads += threader.threads_created
        # Resolve in-batch duplicates (negative placeholders) to real pks.
        for p in live:
            if p.message_pk is not None and p.message_pk < 0:
                p.message_pk = fresh[-p.message_pk - 1].message_pk
        _insert_copies(mailbox, folder, live, stats)
        filed = messages_file(
            mailbox=mailbox,
            items=[
                ToFile(
                    message_pk=p.message_pk,
                    thread_id=p.thread_id,
                    sent_at=p.sent_at,
                    direction=p.direction,
                    subject=p.parsed.subject,
                    automated=p.parsed.automated,
                    external=p.external,
                )
                for p in fresh
                if p.parsed is not None and p.message_pk and p.sent_at
            ],
        )
        stats.accounts_created += filed.accounts_created
        stats.contacts_created += filed.contacts_created
        search_index_messages([p.message_pk for p in fresh if p.message_pk])
        search_index_accounts(filed.new_account_ids)
        search_index_contacts(filed.new_contact_ids)
        _emit(mailbox, fresh, filed.new_account_ids)


# Advisory-lock namespace for "a batch is writing messages with these keys".
_KEY_LOCK = 7341
_KEY_BUCKETS = 4096


def _lock_keys(prepared: list[_Prepared]) -> None:
    """On PostgreSQL, hold (until commit) a lock per dedupe-key bucket of PREPARED.

    Two workers filing the same message from two mailboxes at once would both find it
    new and the second insert would fail on the unique key. With the lock, the second
    batch waits for the first to commit, then its duplicate check sees the message.
    Buckets are taken in ascending order, so two batches never deadlock.
    """
    if connection.vendor != "postgresql":
        return  # SQLite has one writer at a time already
    keys = {k for p in prepared for k in (p.mid_key, p.hash_key) if k}
    buckets = sorted(
        {int.from_bytes(hashlib.blake2b(k.encode(), digest_size=4).digest()) % _KEY_BUCKETS
         for k in keys}
    )  # fmt: skip
    with connection.cursor() as cursor:
        for bucket in buckets:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_KEY_LOCK, bucket])


def _emit(mailbox: Mailbox, fresh: list[_Prepared], new_account_ids: list[int]) -> None:
    """Write the batch's events (step 7): one per new message, one per new account.

    Mail older than KEYOU_EVENT_LIVE_HOURS is history (a first sync, an import):
    its events are not live, so it is clocked but runs no rules.
    """
    horizon = timezone.now() - timedelta(hours=settings.KEYOU_EVENT_LIVE_HOURS)
    kinds = {Direction.INBOUND: MESSAGE_RECEIVED, Direction.OUTBOUND: MESSAGE_SENT}
    rows = [
        event_new(
            kinds[p.direction],
            occurred_at=p.sent_at,
            live=p.sent_at >= horizon,
            message_id=p.message_pk,
            mailbox_id=mailbox.pk,
        )
        for p in fresh
        if p.message_pk and p.sent_at and p.direction in kinds
    ]
    any_live = any(row.live for row in rows)
    rows += [
        event_new(ACCOUNT_CREATED, live=any_live, account_id=pk, mailbox_id=mailbox.pk)
        for pk in new_account_ids
    ]
    events_emit(rows)


def _deduplicate(
    prepared: list[_Prepared], stats: IngestStats
) -> tuple[list[_Prepared], list[_Prepared]]:
    """Split PREPARED into new messages and all live ones (tombstoned ones dropped)."""
    keys = {k for p in prepared for k in (p.mid_key, p.hash_key) if k}
    dead = set(Tombstone.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    by_mid: dict[str, list[tuple[int, str, datetime, str]]] = {}
    mids = {p.message_id for p in prepared if p.message_id}
    for row in Message.objects.filter(message_id__in=mids).values_list(
        "message_id", "pk", "from_email", "sent_at", "date_source"
    ):
        by_mid.setdefault(row[0], []).append(row[1:])
    by_key = dict(Message.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", "pk"))
    by_kid = _sent_by_keyou(prepared)
    fresh: list[_Prepared] = []
    live: list[_Prepared] = []
    for p in prepared:
        if p.known:
            live.append(p)
            continue
        if p.mid_key in dead or p.hash_key in dead:
            stats.tombstoned += 1
            continue
        live.append(p)
        existing = by_kid.get((p.keyou_id, p.from_email)) if p.keyou_id else None
        if existing is not None:
            p.message_pk = existing
            continue
        if p.message_id:
            for pk, from_email, sent_at, date_source in by_mid.get(p.message_id, []):
                if _consistent(p, from_email, sent_at, date_source):
                    existing = pk
                    break
            else:
                if p.message_id in by_mid:
                    # Same Message-ID, different sender or date: two messages.
                    p.mid_key = ""
                    p.problem = "message_id_conflict"
        if existing is None:
            existing = by_key.get(p.mid_key or p.hash_key)
        if existing is not None:
            p.message_pk = existing
            continue
        p.is_new = True
        fresh.append(p)
        # Later copies of the same message in this batch find it here.
        if p.message_id and p.mid_key:
            by_mid.setdefault(p.message_id, []).append(
                (-len(fresh), p.from_email, p.sent_at, p.date_source)
            )
        by_key[p.mid_key or p.hash_key] = -len(fresh)
        if p.keyou_id:
            by_kid[(p.keyou_id, p.from_email)] = -len(fresh)
    return fresh, live


def _sent_by_keyou(prepared: list[_Prepared]) -> dict[tuple[str, str], int]:
    """Return {(X-Keyou-Id, sender): message pk} for the messages Keyou sent among PREPARED.

    Providers such as Amazon SES, Exchange and Gmail may give the mail we send a new
    Message-ID; the copy synced back from the Sent folder still carries our X-Keyou-Id
    and is the same Message. Its new Message-ID joins the thread's id table, so replies
    that quote only the rewritten id find the conversation. The sender must match too:
    the header alone, copied into a stranger's mail, must not swallow that mail.
    """
    wanted = {p.keyou_id for p in prepared if p.keyou_id and not p.known}
    if not wanted:
        return {}
    found: dict[tuple[str, str], int] = {}
    refs: dict[str, int] = {}
    for kid, pk, from_email, message_id, thread_id in Message.objects.filter(
        keyou_id__in=list(wanted)
    ).values_list("keyou_id", "pk", "from_email", "message_id", "thread_id"):
        found[(kid, from_email)] = pk
        for p in prepared:
            rewritten = p.keyou_id == kid and p.from_email == from_email and p.message_id
            if rewritten and p.message_id != message_id and thread_id is not None:
                refs[ref_key(p.message_id)] = thread_id
    if refs:
        ThreadRef.objects.bulk_create(
            [ThreadRef(message_id=key, thread_id=thread_id) for key, thread_id in refs.items()],
            ignore_conflicts=True,
        )
    return found


def _people(parsed: ParsedMessage) -> list[Address]:
    return [*parsed.from_, *parsed.to, *parsed.cc, *parsed.reply_to, *parsed.bcc]


def _direction(parsed: ParsedMessage, internal: _Internal) -> Direction:
    senders = [normalize_email(a.email) for a in parsed.from_]
    if not senders or not internal(senders[0]):
        return Direction.INBOUND
    recipients = [normalize_email(a.email) for a in (*parsed.to, *parsed.cc, *parsed.bcc)]
    if recipients and all(internal(r) for r in recipients if r):
        return Direction.INTERNAL
    return Direction.OUTBOUND


def _thread(fresh: list[_Prepared], internal: _Internal, threader: Threader) -> None:
    """Decide direction, external people and thread of each new message."""
    parsed_fresh = [p for p in fresh if p.parsed is not None]
    threader.prefetch(
        {
            i
            for p in parsed_fresh
            for i in (p.parsed.message_id, *p.parsed.references, *p.parsed.in_reply_to)
            if i
        }
    )
    for p in sorted(parsed_fresh, key=lambda p: p.sent_at):
        parsed = p.parsed
        addresses = {normalize_email(a.email): a.name for a in _people(parsed)}
        addresses.pop("", None)
        p.external = {e: n for e, n in addresses.items() if not internal(e)}
        p.direction = _direction(parsed, internal)
        subject_key = normalize_subject(parsed.subject)
        p.thread_id = threader.assign(
            ThreadInput(
                message_id=parsed.message_id,
                in_reply_to=parsed.in_reply_to,
                references=parsed.references,
                subject=parsed.subject,
                normalized_subject=subject_key,
                is_reply=subject_key != " ".join(parsed.subject.split()).casefold(),
                sent_at=p.sent_at,
                participants=frozenset(p.external or addresses),
                direction=p.direction,
                automated=parsed.automated,
            )
        )
    for p in parsed_fresh:
        p.thread_id = threader.final(p.thread_id)


def _insert_messages(fresh: list[_Prepared], stats: IngestStats) -> None:
    if not fresh:
        return
    rows = []
    for p in fresh:
        blob_put(p.item.raw, p.raw_sha)
        parsed = p.parsed
        problems = list(parsed.problems) if parsed else []
        if p.problem:
            problems.append(p.problem)
        flagged = any(not pr.startswith(QUIET_PROBLEMS) for pr in problems)
        stats.flagged += flagged
        if parsed is None:
            stats.failed += 1
            stats.errors.append({"source": p.item.source, "reason": p.problem})
            rows.append(
                Message(
                    dedupe_key=p.hash_key,
                    content_hash=p.content_hash,
                    raw_sha256=p.raw_sha,
                    size=len(p.item.raw),
                    sent_at=p.sent_at,
                    date_source="arrival",
                    direction=Direction.INBOUND,
                    problems=problems,
                    is_flagged=True,
                    parse_failed=True,
                )
            )
            continue
        rows.append(
            Message(
                dedupe_key=p.mid_key or p.hash_key,
                message_id=p.message_id[:998],
                content_hash=p.content_hash,
                raw_sha256=p.raw_sha,
                size=parsed.size,
                subject=parsed.subject,
                sent_at=p.sent_at,
                date_source=p.date_source,
                from_email=p.from_email[:320],
                from_name=(parsed.from_[0].name if parsed.from_ else "")[:255],
                direction=p.direction,
                in_reply_to=parsed.in_reply_to,
                references=parsed.references,
                text_body=parsed.text,
                html_body=parsed.html,
                visible_text=parsed.visible_text,
                snippet=parsed.snippet[:300],
                is_automated=parsed.automated,
                automated_reason=parsed.automated_reason[:64],
                problems=problems,
                is_flagged=flagged,
                thread_id=p.thread_id,
                keyou_id=p.keyou_id,
            )
        )
    created = Message.objects.bulk_create(rows)
    addresses: list[MessageAddress] = []
    attachments: list[Attachment] = []
    for p, message in zip(fresh, created, strict=True):
        p.message_pk = message.pk
        stats.new += 1
        if p.parsed is None:
            continue
        addresses += _address_rows(message.pk, p.parsed, p.external)
        for position, att in enumerate(p.parsed.attachments):
            attachments.append(
                Attachment(
                    message_id=message.pk,
                    sha256=blob_put(att.data),
                    filename=att.filename[:500],
                    content_type=att.content_type[:255],
                    size=len(att.data),
                    content_id=att.content_id[:500],
                    inline=att.inline,
                    position=position,
                )
            )
    MessageAddress.objects.bulk_create(addresses)
    Attachment.objects.bulk_create(attachments)


def _address_rows(message_pk: int, parsed: ParsedMessage, external: dict[str, str]) -> list:
    rows = []
    for role, people in (
        ("from", parsed.from_),
        ("sender", parsed.sender),
        ("to", parsed.to),
        ("cc", parsed.cc),
        ("bcc", parsed.bcc),
        ("reply-to", parsed.reply_to),
    ):
        for position, person in enumerate(people):
            email = normalize_email(person.email)
            if email:
                rows.append(
                    MessageAddress(
                        message_id=message_pk,
                        role=role,
                        name=person.name[:255],
                        email=email[:320],
                        is_internal=email not in external,
                        position=position,
                    )
                )
    return rows


def _insert_copies(
    mailbox: Mailbox, folder: str, live: list[_Prepared], stats: IngestStats
) -> None:
    pks = {p.message_pk for p in live}
    have = {
        row[0]: row[1:]
        for row in MailboxCopy.objects.filter(
            mailbox=mailbox, folder=folder, message_id__in=pks
        ).values_list("message_id", "pk", "uid", "uidvalidity")
    }
    copies = []
    moved: dict[int, MailboxCopy] = {}
    for p in live:
        if not p.is_new:
            stats.duplicates += 1
        held = have.get(p.message_pk)
        if held is not None:
            copy_pk, uid, uidvalidity = held
            if p.item.uid is not None and (uid, uidvalidity) != (p.item.uid, p.item.uidvalidity):
                # The server renumbered the folder (a new UIDVALIDITY): same copy, new UID.
                moved[copy_pk] = MailboxCopy(
                    pk=copy_pk,
                    uid=p.item.uid,
                    uidvalidity=p.item.uidvalidity,
                    flags=list(p.item.flags),
                    deleted_on_server=False,
                )
            continue
        have[p.message_pk] = (None, p.item.uid, p.item.uidvalidity)
        copies.append(
            MailboxCopy(
                mailbox=mailbox,
                message_id=p.message_pk,
                folder=p.item.folder or folder,
                uid=p.item.uid,
                uidvalidity=p.item.uidvalidity,
                flags=list(p.item.flags),
            )
        )
    if moved:
        MailboxCopy.objects.bulk_update(
            list(moved.values()), ["uid", "uidvalidity", "flags", "deleted_on_server"]
        )
    MailboxCopy.objects.bulk_create(copies, ignore_conflicts=True)
