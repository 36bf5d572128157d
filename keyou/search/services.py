"""Write the search index: messages, accounts and contacts, in bulk.

Each `search_index_*` call upserts one SearchDoc per object and replaces its tokens,
with a handful of queries per call whatever the number of ids; ids whose object no
longer exists are removed from the index. Callers batch (the importer passes about
200 message ids per transaction).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db import connection, transaction
from django.db.models import Model
from django.db.models.functions import Substr
from django.utils import timezone

from keyou.crm.models import Account, AccountDomain, Activity, ActivityKind, Contact, ContactEmail
from keyou.mail.models import AddressRole, Attachment, Message, MessageAddress
from keyou.search.models import SearchDoc, SearchKind
from keyou.search.tokens import index_tokens

BODY_CHARS = 20_000  # beyond this a body adds index size, not findability
REBUILD_BATCH = 500
_MAX_POSITIONS = 256  # PostgreSQL keeps no more per lexeme


def _ids(ids: Iterable[int]) -> list[int]:
    return sorted({int(i) for i in ids})


def _tsvector_literal(tokens: list[str]) -> str:
    # A literal keeps every token exactly as cut; to_tsvector() would re-parse it.
    # Tokens hold no quotes or backslashes (see tokens.py), so they need no escaping;
    # PostgreSQL itself sets positions past 16383 to 16383 and drops the repeats.
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for position, token in enumerate(tokens, start=1):
        positions[token].append(position)
    return " ".join(
        f"'{token}':{','.join(map(str, found[:_MAX_POSITIONS]))}"
        for token, found in positions.items()
    )


def _write(kind: str, docs: dict[int, tuple[list[int], list[str]]], missing: list[int]) -> int:
    """Upsert DOCS ({object id: (account ids, tokens)}) of KIND; remove MISSING ids."""
    with transaction.atomic():
        if missing:
            SearchDoc.objects.filter(kind=kind, object_id__in=missing).delete()
        if not docs:
            return 0
        now = timezone.now()
        rows = SearchDoc.objects.bulk_create(
            [
                SearchDoc(kind=kind, object_id=oid, account_ids=accounts, updated_at=now)
                for oid, (accounts, _tokens) in docs.items()
            ],
            update_conflicts=True,
            unique_fields=["kind", "object_id"],
            update_fields=["account_ids", "updated_at"],
        )
        pairs = [(row.pk, docs[row.object_id][1]) for row in rows]
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                # FTS5 honours OR REPLACE: the doc's old tokens go, by rowid.
                cursor.executemany(
                    "INSERT OR REPLACE INTO search_fts(rowid, tokens) VALUES (%s, %s)",
                    [(pk, " ".join(tokens)) for pk, tokens in pairs],
                )
            elif connection.vendor == "postgresql":
                cursor.execute(
                    "UPDATE search_doc d SET tokens = v.tokens::tsvector"
                    " FROM unnest(%s::bigint[], %s::text[]) AS v(id, tokens) WHERE d.id = v.id",
                    [[pk for pk, _t in pairs], [_tsvector_literal(t) for _pk, t in pairs]],
                )
            else:
                raise NotImplementedError(f"no search index for {connection.vendor}")
        return len(pairs)


def _tokens(parts: Iterable[str | None]) -> list[str]:
    tokens: list[str] = []
    for part in parts:
        if part:
            tokens.extend(index_tokens(part))
    return tokens


def search_index_messages(message_ids: Iterable[int]) -> int:
    """Index the messages with MESSAGE_IDS, replacing their tokens; return how many.

    Index the subject, visible text (or the text body when there is none, first
    BODY_CHARS characters), From/To/Cc names and addresses and attachment file names;
    file each under the accounts its email activities belong to.
    """
    ids = _ids(message_ids)
    if not ids:
        return 0
    rows = (
        Message.objects.filter(id__in=ids)
        .annotate(
            visible=Substr("visible_text", 1, BODY_CHARS), text=Substr("text_body", 1, BODY_CHARS)
        )
        .values_list("id", "subject", "from_name", "from_email", "visible", "text")
    )
    parts: dict[int, list[str]] = {}
    senders: dict[int, list[str]] = {}
    for mid, subject, from_name, from_email, visible, text in rows:
        parts[mid] = [subject, visible or text]
        senders[mid] = [from_name, from_email]
    addresses = MessageAddress.objects.filter(
        message_id__in=ids, role__in=[AddressRole.FROM, AddressRole.TO, AddressRole.CC]
    ).values_list("message_id", "role", "name", "email")
    for mid, role, name, email in addresses:
        parts[mid] += [name, email]
        if role == AddressRole.FROM:
            senders.pop(mid, None)
    for mid, sender in senders.items():
        # No From row (an old or partial import): the message's own From fields.
        parts[mid] += sender
    for mid, filename in Attachment.objects.filter(message_id__in=ids).values_list(
        "message_id", "filename"
    ):
        parts[mid].append(filename)
    accounts: dict[int, set[int]] = defaultdict(set)
    for mid, account_id in Activity.objects.filter(
        message_id__in=ids, kind=ActivityKind.EMAIL
    ).values_list("message_id", "account_id"):
        accounts[mid].add(account_id)
    docs = {mid: (sorted(accounts[mid]), _tokens(p)) for mid, p in parts.items()}
    return _write(SearchKind.MESSAGE, docs, [i for i in ids if i not in parts])


def search_index_accounts(account_ids: Iterable[int]) -> int:
    """Index the accounts with ACCOUNT_IDS (name, domains, contacts' names and addresses).

    Return how many were indexed.
    """
    ids = _ids(account_ids)
    if not ids:
        return 0
    parts: dict[int, list[str]] = {
        aid: [name] for aid, name in Account.objects.filter(id__in=ids).values_list("id", "name")
    }
    for aid, domain in AccountDomain.objects.filter(account_id__in=ids).values_list(
        "account_id", "domain"
    ):
        parts[aid].append(domain)
    for aid, name in Contact.objects.filter(account_id__in=ids).values_list("account_id", "name"):
        parts[aid].append(name)
    for aid, email in ContactEmail.objects.filter(contact__account_id__in=ids).values_list(
        "contact__account_id", "email"
    ):
        parts[aid].append(email)
    docs = {aid: ([aid], _tokens(p)) for aid, p in parts.items()}
    return _write(SearchKind.ACCOUNT, docs, [i for i in ids if i not in parts])


def search_index_contacts(contact_ids: Iterable[int]) -> int:
    """Index the contacts with CONTACT_IDS (name, title, addresses, phones); return how many."""
    ids = _ids(contact_ids)
    if not ids:
        return 0
    parts: dict[int, list[str]] = {}
    account_of: dict[int, int] = {}
    for cid, account_id, name, title, phones in Contact.objects.filter(id__in=ids).values_list(
        "id", "account_id", "name", "title", "phones"
    ):
        account_of[cid] = account_id
        parts[cid] = [name, title, *(p for p in phones or [] if isinstance(p, str))]
    for cid, email in ContactEmail.objects.filter(contact_id__in=ids).values_list(
        "contact_id", "email"
    ):
        parts[cid].append(email)
    docs = {cid: ([account_of[cid]], _tokens(p)) for cid, p in parts.items()}
    return _write(SearchKind.CONTACT, docs, [i for i in ids if i not in parts])


_INDEXERS = {
    SearchKind.MESSAGE: (Message, search_index_messages),
    SearchKind.ACCOUNT: (Account, search_index_accounts),
    SearchKind.CONTACT: (Contact, search_index_contacts),
}


def search_remove(kind: str, ids: Iterable[int]) -> int:
    """Remove the objects of KIND with IDS from the index; return how many docs went."""
    if kind not in SearchKind.values:
        raise ValueError(f"unknown search kind {kind!r}")
    ids = _ids(ids)
    if not ids:
        return 0
    with transaction.atomic():
        # On SQLite a trigger removes the FTS rows; on PostgreSQL they are the doc rows.
        deleted, _per_model = SearchDoc.objects.filter(kind=kind, object_id__in=ids).delete()
    return deleted


def _id_batches(model: type[Model], size: int) -> Iterator[list[int]]:
    last = 0
    while True:
        batch = list(
            model.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size]
        )
        if not batch:
            return
        yield batch
        last = batch[-1]


def search_rebuild(*, batch_size: int = REBUILD_BATCH) -> dict[str, int | float]:
    """Index every message, account and contact again and drop docs of deleted objects.

    Work in batches of BATCH_SIZE, one transaction each, so search keeps answering
    meanwhile. Return the number indexed per kind, docs removed and seconds taken.
    """
    started = time.monotonic()
    result: dict[str, int | float] = {}
    for kind, (model, index) in _INDEXERS.items():
        result[f"{kind}s"] = sum(index(batch) for batch in _id_batches(model, batch_size))
    removed = 0
    for kind, (model, _index) in _INDEXERS.items():
        gone, _per_model = (
            SearchDoc.objects.filter(kind=kind)
            .exclude(object_id__in=model.objects.values("pk"))
            .delete()
        )
        removed += gone
    result["removed"] = removed
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # Stray FTS rows (a doc deleted before the trigger existed), then merge
            # the many small b-trees a bulk load leaves into one.
            cursor.execute("DELETE FROM search_fts WHERE rowid NOT IN (SELECT id FROM search_doc)")
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
    result["seconds"] = round(time.monotonic() - started, 3)
    return result
