"""Search as a user: the index narrowed to what the actor may see, hits loaded as rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from keyou.crm.models import Account, Contact
from keyou.crm.selectors import accounts_visible_to, contacts_visible_to
from keyou.mail.models import Message
from keyou.mail.selectors import may_read_bodies, messages_visible_to
from keyou.people.access import Actor, sees_everything
from keyou.search.models import SearchKind
from keyou.search.selectors import search


@dataclass
class SearchResults:
    accounts: list[Account] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.accounts or self.contacts or self.messages)


def _load(qs, hits) -> list:
    ids = [h.object_id for h in hits]
    rows = qs.in_bulk(ids)
    return [rows[i] for i in ids if i in rows]


def search_for(actor: Actor, q: str, *, limit: int = 20) -> SearchResults:
    """Return the accounts, contacts and messages matching Q that ACTOR may see, best first."""
    if not (q or "").strip():
        return SearchResults()
    scope = None if sees_everything(actor) else accounts_visible_to(actor).values("pk")
    account_hits = search(q, kinds={SearchKind.ACCOUNT}, account_ids=scope, limit=limit)
    contact_hits = search(q, kinds={SearchKind.CONTACT}, account_ids=scope, limit=limit)
    # Message hits match on email text: none for a reader who may not read bodies.
    message_hits = (
        search(q, kinds={SearchKind.MESSAGE}, account_ids=scope, limit=limit)
        if may_read_bodies(actor)
        else []
    )
    return SearchResults(
        accounts=_load(accounts_visible_to(actor), account_hits),
        contacts=_load(contacts_visible_to(actor).select_related("account"), contact_hits),
        # The index narrows by account; the selector has the last word (private
        # threads, mailbox-only mail).
        messages=_load(messages_visible_to(actor).select_related("thread"), message_hits),
    )
