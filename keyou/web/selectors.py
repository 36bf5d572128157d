"""Reads shaped for the web pages, built on the scoped selectors of `crm`.

Nothing here widens what a user may see: every query starts from
`accounts_list`, `account_get_for`, `contact_get_for` or `timeline_for`, which
apply the user's data scope. This module only pages and groups their results
(one timeline row per email thread, keyset pages, capped counts).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery

from keyou.crm.models import Account, Activity, ActivityKind, Contact, Note
from keyou.crm.selectors import (
    AccountFilters,
    account_contacts,
    account_counts,
    account_get_for,
    accounts_list,
    contact_get_for,
    timeline_for,
)
from keyou.mail.models import MailboxCopy, Thread
from keyou.mail.selectors import may_read_bodies
from keyou.people.access import Actor

ACCOUNTS_PER_PAGE = 50
# Beyond this the list says "1,000+" instead of counting 50k rows on every page.
ACCOUNTS_COUNT_CAP = 1000
# Deep offsets get slow; nobody pages 200 times, they narrow the filters.
ACCOUNTS_MAX_PAGE = 200
TIMELINE_PER_PAGE = 50


# --- Accounts list -----------------------------------------------------------


@dataclass
class AccountPage:
    """One page of an accounts list, without a full count of the result set."""

    accounts: list[Account]
    number: int
    per_page: int
    has_next: bool
    total: int  # exact up to ACCOUNTS_COUNT_CAP
    total_capped: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.accounts else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.accounts)


def account_list_page(
    actor: Actor, filters: AccountFilters, *, page: int = 1, per_page: int = ACCOUNTS_PER_PAGE
) -> AccountPage:
    """Return page PAGE of ACTOR's accounts narrowed by FILTERS, each marked `awaiting_reply`."""
    page = min(max(page, 1), ACCOUNTS_MAX_PAGE)
    qs = accounts_list(actor, filters)
    offset = (page - 1) * per_page
    rows = list(
        qs.select_related("owner", "team").prefetch_related("domains", "tags")[
            offset : offset + per_page + 1
        ]
    )
    has_next = len(rows) > per_page and page < ACCOUNTS_MAX_PAGE
    rows = rows[:per_page]
    # Unordered and limited, so the database stops at the cap instead of sorting everything.
    total = qs.order_by().values("pk")[: ACCOUNTS_COUNT_CAP + 1].count()
    awaiting = set(
        Activity.objects.filter(
            account_id__in=[a.pk for a in rows],
            kind=ActivityKind.EMAIL,
            thread__awaiting_since__isnull=False,
        )
        .order_by()
        .values_list("account_id", flat=True)
        .distinct()
    )
    for account in rows:
        account.awaiting_reply = account.pk in awaiting
    return AccountPage(
        accounts=rows,
        number=page,
        per_page=per_page,
        has_next=has_next,
        total=min(total, ACCOUNTS_COUNT_CAP),
        total_capped=total > ACCOUNTS_COUNT_CAP,
    )


# --- Timeline ----------------------------------------------------------------

# Entries are ordered newest first by (time, source, id): a thread row (source 1)
# sorts before a single activity (source 0) at the same instant.
_THREAD, _SINGLE = 1, 0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Cursor:
    """Where the next (older) timeline page starts: just after this entry."""

    at: datetime
    source: int
    id: int

    def encode(self) -> str:
        micros = (self.at - _EPOCH) // timedelta(microseconds=1)
        return f"{micros}_{self.source}_{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """Return the cursor in TEXT, or None when it is missing or malformed."""
        try:
            micros, source, pk = (int(part) for part in (text or "").split("_"))
            if source not in (_THREAD, _SINGLE) or pk < 0:
                return None
            at = _EPOCH + timedelta(microseconds=micros)
        except (ValueError, OverflowError, OSError):
            return None
        return cls(at, source, pk)


@dataclass
class TimelineEntry:
    """One row of a timeline: a whole email thread, or one note, call, meeting or email."""

    type: str  # "thread", or an ActivityKind value
    at: datetime
    source: int
    id: int
    activity: Activity | None = None
    thread: Thread | None = None
    note: Note | None = None
    count: int = 1
    directions: dict[str, int] = field(default_factory=dict)
    mailboxes: list[str] = field(default_factory=list)
    automated: bool = False
    snippet: str = ""

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.at, self.source, self.id)


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str | None  # None on the last page


def timeline_page(
    actor: Actor,
    account: Account,
    *,
    kinds: set[str] | None = None,
    contact_id: int | None = None,
    cursor: Cursor | None = None,
    per_page: int = TIMELINE_PER_PAGE,
) -> TimelinePage:
    """Return a page of ACCOUNT's timeline for ACTOR with emails grouped one row per thread.

    ACCOUNT must come from `account_get_for` (or a contact's account); KINDS and
    CONTACT_ID narrow as in `timeline_for`; CURSOR starts the page after that entry.
    """
    base = timeline_for(actor, account, kinds=kinds, contact_id=contact_id)
    threaded = base.filter(kind=ActivityKind.EMAIL, thread__isnull=False)
    groups = (
        threaded.order_by()
        .select_related(None)
        .prefetch_related(None)
        .values("thread_id")
        .annotate(latest=Max("occurred_at"), n=Count("id", distinct=True))
    )
    singles = base.exclude(kind=ActivityKind.EMAIL, thread__isnull=False)
    if cursor is not None:
        if cursor.source == _THREAD:
            groups = groups.filter(
                Q(latest__lt=cursor.at) | Q(latest=cursor.at, thread_id__lt=cursor.id)
            )
            singles = singles.filter(occurred_at__lte=cursor.at)
        else:
            groups = groups.filter(latest__lt=cursor.at)
            singles = singles.filter(
                Q(occurred_at__lt=cursor.at) | Q(occurred_at=cursor.at, id__lt=cursor.id)
            )
    group_rows = list(groups.order_by("-latest", "-thread_id")[: per_page + 1])
    single_rows = list(singles[: per_page + 1])

    entries = [
        TimelineEntry(
            type="thread", at=r["latest"], source=_THREAD, id=r["thread_id"], count=r["n"]
        )
        for r in group_rows
    ] + [
        TimelineEntry(type=a.kind, at=a.occurred_at, source=_SINGLE, id=a.pk, activity=a)
        for a in single_rows
    ]
    entries.sort(key=lambda e: (e.at, e.source, e.id), reverse=True)
    more = len(entries) > per_page
    entries = entries[:per_page]
    _fill_threads(account, threaded, [e for e in entries if e.type == "thread"])
    if not may_read_bodies(actor):
        for entry in entries:
            entry.snippet = ""
    _fill_notes([e for e in entries if e.type == ActivityKind.NOTE])
    return TimelinePage(
        entries=entries, next_cursor=entries[-1].cursor.encode() if more and entries else None
    )


def _fill_threads(account: Account, threaded: QuerySet[Activity], entries: list[TimelineEntry]):
    """Load what a thread row shows, in a fixed number of queries for the whole page."""
    if not entries:
        return
    ids = [e.id for e in entries]
    on_page = threaded.filter(thread_id__in=ids).order_by().select_related(None)
    latest_snippet = (
        Activity.objects.filter(account=account, kind=ActivityKind.EMAIL, thread_id=OuterRef("pk"))
        .order_by("-occurred_at", "-id")
        .values("message__snippet")[:1]
    )
    threads = Thread.objects.filter(pk__in=ids).annotate(latest_snippet=Subquery(latest_snippet))
    by_id = {t.pk: t for t in threads}
    directions: dict[int, dict[str, int]] = defaultdict(dict)
    automated: set[int] = set()
    for thread_id, direction, is_automated, n in (
        on_page.prefetch_related(None)
        .values_list("thread_id", "message__direction", "message__is_automated")
        .annotate(n=Count("id", distinct=True))
    ):
        directions[thread_id][direction] = directions[thread_id].get(direction, 0) + n
        if is_automated:
            automated.add(thread_id)
    mailboxes: dict[int, set[str]] = defaultdict(set)
    copies = MailboxCopy.objects.filter(
        message__in=on_page.prefetch_related(None).values("message_id")
    ).values_list("message__thread_id", "mailbox__address")
    for thread_id, address in copies.distinct():
        mailboxes[thread_id].add(address)
    for entry in entries:
        entry.thread = by_id.get(entry.id)
        entry.directions = directions.get(entry.id, {})
        entry.automated = entry.id in automated
        entry.mailboxes = sorted(mailboxes.get(entry.id, ()))
        entry.snippet = getattr(entry.thread, "latest_snippet", "") or ""


def _fill_notes(entries: list[TimelineEntry]) -> None:
    ids = [e.activity.data.get("note_id") for e in entries if e.activity]
    notes = Note.objects.in_bulk([i for i in ids if isinstance(i, int)])
    for entry in entries:
        entry.note = notes.get(entry.activity.data.get("note_id")) if entry.activity else None


# --- Account and contact pages ------------------------------------------------


@dataclass
class Account360:
    account: Account
    contacts: list[Contact]
    counts: dict[str, int]
    timeline: TimelinePage


def account_360(
    actor: Actor,
    account_ref: int | Account,
    *,
    kinds: set[str] | None = None,
    contact_id: int | None = None,
    cursor: Cursor | None = None,
) -> Account360:
    """Return everything the account page shows, or raise NotFound outside ACTOR's scope.

    ACCOUNT_REF is an id, or an account already obtained with `account_get_for`.
    """
    account = (
        account_ref if isinstance(account_ref, Account) else account_get_for(actor, account_ref)
    )
    return Account360(
        account=account,
        contacts=list(account_contacts(actor, account)),
        counts=account_counts(account),
        timeline=timeline_page(actor, account, kinds=kinds, contact_id=contact_id, cursor=cursor),
    )


def account_timeline(
    actor: Actor,
    account_id: int,
    *,
    kinds: set[str] | None = None,
    contact_id: int | None = None,
    cursor: Cursor | None = None,
) -> tuple[Account, TimelinePage]:
    """Return the account and one page of its timeline (raise NotFound outside the scope)."""
    account = account_get_for(actor, account_id)
    page = timeline_page(actor, account, kinds=kinds, contact_id=contact_id, cursor=cursor)
    return account, page


@dataclass
class ContactPage:
    contact: Contact
    timeline: TimelinePage


def contact_page(actor: Actor, contact_id: int, *, cursor: Cursor | None = None) -> ContactPage:
    """Return a contact with its timeline entries, or raise NotFound outside ACTOR's scope."""
    contact = contact_get_for(actor, contact_id)
    page = timeline_page(actor, contact.account, contact_id=contact.pk, cursor=cursor)
    return ContactPage(contact=contact, timeline=page)
