"""Thread messages by Message-ID, In-Reply-To and References (JWZ), with a guarded subject fallback.

This is Jamie Zawinski's algorithm (https://www.jwz.org/doc/threading.html) on plain data:
build the id table, link reference chains, prune empty containers, then group roots by
subject. Our product rule narrows the last step: two roots with the same normalized subject
join only when they share a participant and lie within a time window of each other, so a
subject as common as "Inquiry" does not pull strangers' mail into one conversation.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from keyou.mail.parse.headers import normalize_subject

__all__ = [
    "SUBJECT_WINDOW",
    "Container",
    "ThreadItem",
    "iter_items",
    "link_items",
    "thread_items",
]

SUBJECT_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class ThreadItem:
    """What threading needs to know about one message.

    KEY is the caller's handle for the message (a primary key, a path). PARTICIPANTS are
    the normalized addresses of everyone on it, ours and theirs. Subject grouping joins
    roots that share any one of them, so an address on nearly every message (a shared
    sales@ box, a mailing list) lets every "Inquiry" of the month join up: leave such
    addresses out if that is not wanted.
    """

    key: Hashable
    message_id: str
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    subject: str = ""
    date: datetime | None = None
    participants: frozenset[str] = frozenset()


@dataclass(eq=False)
class Container:
    """A node of a thread tree: a message, or an empty stand-in for one we have not seen.

    MESSAGE_ID is the id-table key: the Message-ID without angle brackets, a made-up key
    (containing a space, so it never equals a real id) for a repeated or missing
    Message-ID, or '' for a container made by subject grouping.
    """

    message_id: str
    item: ThreadItem | None = None
    parent: Container | None = field(default=None, repr=False)
    children: list[Container] = field(default_factory=list)

    def adopt(self, child: Container) -> None:
        """Make CHILD a child of this container, unlinking it from any other parent."""
        child.unlink()
        child.parent = self
        self.children.append(child)

    def unlink(self) -> None:
        """Detach this container from its parent, if it has one."""
        if self.parent is not None:
            self.parent.children.remove(self)
            self.parent = None

    def has_ancestor(self, other: Container) -> bool:
        """Return whether OTHER is this container or one of its ancestors."""
        node: Container | None = self
        while node is not None:
            if node is other:
                return True
            node = node.parent
        return False


def iter_items(container: Container) -> Iterator[ThreadItem]:
    """Yield the items of CONTAINER's tree depth first, each parent before its children."""
    stack = [container]
    while stack:
        node = stack.pop()
        if node.item is not None:
            yield node.item
        stack.extend(reversed(node.children))


def thread_items(
    items: Iterable[ThreadItem], *, subject_window: timedelta = SUBJECT_WINDOW
) -> list[Container]:
    """Return the threads of ITEMS as root containers, oldest thread first.

    Link messages by their References and In-Reply-To (JWZ), keep every item even when
    Message-IDs repeat, and drop empty containers that add nothing. Then join two roots
    with the same non-empty normalized subject only when they share a participant and
    their messages lie within SUBJECT_WINDOW of each other. Order roots and children by
    their earliest date, undated ones last.
    """
    table = link_items(items)
    roots = [c for c in table.values() if c.parent is None]
    roots = _prune(roots)
    roots = _group_by_subject(roots, subject_window)
    return _sort(roots)


def link_items(items: Iterable[ThreadItem]) -> dict[str, Container]:
    """Return the JWZ id table for ITEMS: one container per id seen, linked into trees.

    This is JWZ's first step, before pruning and subject grouping; thread_items() goes on
    from here. Tests use it to check the linking rules on their own.
    """
    table: dict[str, Container] = {}
    fresh = itertools.count(1)
    for item in items:
        own_id = _clean_id(item.message_id)
        container = table.get(own_id) if own_id else None
        if container is None or container.item is not None:
            # A second message with the same Message-ID (a resend, a list's copy, a
            # broken client) gets a key of its own rather than being merged away: both
            # must reach the timeline.
            key = own_id
            while not key or key in table:
                key = f"{own_id or '(no message-id)'} #{next(fresh)}"
            container = table[key] = Container(key)
        container.item = item

        chain = _parent_chain(item, own_id)
        previous: Container | None = None
        for ref in chain:
            ref_container = table.get(ref)
            if ref_container is None:
                ref_container = table[ref] = Container(ref)
            # Earlier messages' References win: a link once made is never moved by a
            # later message's idea of the ancestry, and never closes a loop.
            if (
                previous is not None
                and ref_container.parent is None
                and not previous.has_ancestor(ref_container)
            ):
                previous.adopt(ref_container)
            previous = ref_container

        # The message's own headers name its parent; they overrule what other messages'
        # References presumed, unless that would close a loop.
        if previous is None:
            container.unlink()
        elif container.parent is not previous and not previous.has_ancestor(container):
            previous.adopt(container)
    return table


def _clean_id(raw: str) -> str:
    return raw.strip().strip("<>").strip()


def _parent_chain(item: ThreadItem, own_id: str) -> list[str]:
    """Return the ids from ITEM's thread root down to its parent."""
    chain = [ref for ref in map(_clean_id, item.references) if ref and ref != own_id]
    in_reply_to = next((ref for ref in map(_clean_id, item.in_reply_to) if ref), "")
    # Some clients send In-Reply-To without References, or References that stop short
    # of the message being answered: In-Reply-To then names the parent.
    if in_reply_to and in_reply_to != own_id and (not chain or chain[-1] != in_reply_to):
        chain.append(in_reply_to)
    return chain


def _postorder(roots: Iterable[Container]) -> list[Container]:
    """Return every container under ROOTS, children before their parents."""
    order: list[Container] = []
    stack = [(root, False) for root in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in node.children)
    return order


def _prune(roots: list[Container]) -> list[Container]:
    """Drop empty containers, splicing their children into their place (JWZ step 4)."""
    for node in _postorder(roots):
        kept: list[Container] = []
        for child in node.children:
            # CHILD's own subtree is pruned already; an empty child gives way to its
            # children, or vanishes if it has none.
            kept.extend(child.children if child.item is None else [child])
        node.children = kept
        for child in kept:
            child.parent = node
    # At the top, an empty container holding several replies to a message we never saw
    # stays: it is what ties them together.
    kept_roots: list[Container] = []
    for root in roots:
        if root.item is None and len(root.children) <= 1:
            kept_roots.extend(root.children)
        else:
            kept_roots.append(root)
    for root in kept_roots:
        root.parent = None
    return kept_roots


def _utc(value: datetime | None) -> datetime | None:
    # A naive date would make comparisons raise; read it as UTC, which is what we store.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(eq=False)
class _Root:
    """A root container with what subject grouping needs to know about its tree."""

    container: Container
    subject_key: str
    is_reply: bool
    first: datetime
    last: datetime
    participants: frozenset[str]
    seq: int = 0

    @classmethod
    def of(cls, container: Container) -> _Root | None:
        """Return CONTAINER's summary, or None if subject grouping cannot apply to it."""
        items = list(iter_items(container))
        dates = [d for d in (_utc(i.date) for i in items) if d is not None]
        if not dates:
            return None  # without dates we cannot tell a follow-up from a year-old namesake
        head = container.item or items[0]
        normalized = _squash(normalize_subject(head.subject or ""))
        if not normalized:
            return None
        return cls(
            container=container,
            subject_key=normalized,
            is_reply=normalized != _squash(head.subject or ""),
            first=min(dates),
            last=max(dates),
            participants=frozenset().union(*(i.participants for i in items)),
        )

    def near(self, other: _Root, window: timedelta) -> bool:
        """Return whether OTHER shares a participant and lies within WINDOW of this root."""
        if not (self.participants & other.participants):
            return False
        gap = max(other.first - self.last, self.first - other.last, timedelta(0))
        return gap <= window

    def absorb(self, other: _Root) -> None:
        """Widen this cluster's span and participants by OTHER's."""
        self.first = min(self.first, other.first)
        self.last = max(self.last, other.last)
        self.participants |= other.participants


def _group_by_subject(roots: list[Container], window: timedelta) -> list[Container]:
    """Join roots with the same subject, participants in common and close dates (JWZ step 5)."""
    by_subject: dict[str, list[_Root]] = defaultdict(list)
    result: list[Container] = []
    for container in roots:
        root = _Root.of(container)
        if root is None:
            result.append(container)
        else:
            by_subject[root.subject_key].append(root)

    for group in by_subject.values():
        # Oldest first, so the original message usually anchors its cluster.
        group.sort(key=lambda r: r.first)
        clusters: list[_Root] = []
        by_person: dict[str, list[_Root]] = defaultdict(list)
        for root in group:
            candidates: dict[int, _Root] = {}
            for person in root.participants:
                # Roots come oldest first, so a cluster that ended more than WINDOW before
                # this root can take no later root either; dropping it keeps a subject that
                # hundreds of customers use ("Inquiry") cheap.
                live = [c for c in by_person[person] if root.first - c.last <= window]
                by_person[person] = live
                candidates.update((c.seq, c) for c in live if c.near(root, window))
            if not candidates:
                root.seq = len(clusters)
                clusters.append(root)
                for person in root.participants:
                    by_person[person].append(root)
                continue
            # Join the cluster active most recently (the older one on a tie).
            cluster = max(candidates.values(), key=lambda c: (c.last, -c.seq))
            cluster.container = _merge(cluster, root)
            cluster.is_reply = cluster.is_reply and root.is_reply
            for person in root.participants - cluster.participants:
                by_person[person].append(cluster)
            cluster.absorb(root)
        result.extend(c.container for c in clusters)
    return result


def _merge(anchor: _Root, other: _Root) -> Container:
    """Put OTHER's tree together with ANCHOR's and return the new top (JWZ's rules)."""
    top, tree = anchor.container, other.container
    if top.item is None and tree.item is None:
        for child in list(tree.children):
            top.adopt(child)
        return top
    if top.item is None:
        top.adopt(tree)
        return top
    if tree.item is None:
        tree.adopt(top)
        return tree
    if not anchor.is_reply and other.is_reply:
        top.adopt(tree)
        return top
    if anchor.is_reply and not other.is_reply:
        # The original turned up after a reply to it: it becomes the parent.
        tree.adopt(top)
        return tree
    # Two originals (or two orphaned replies) with one subject: siblings under a stand-in.
    stand_in = Container("")
    stand_in.adopt(top)
    stand_in.adopt(tree)
    return stand_in


_NO_DATE = datetime.max.replace(tzinfo=UTC)


def _date_key(value: datetime | None) -> datetime:
    return _NO_DATE if value is None else value


def _sort(roots: list[Container]) -> list[Container]:
    """Order ROOTS and every child list by earliest date in each subtree (stable)."""
    earliest: dict[int, datetime] = {}
    for node in _postorder(roots):
        own = _date_key(_utc(node.item.date)) if node.item is not None else _NO_DATE
        earliest[id(node)] = min([own, *(earliest[id(c)] for c in node.children)])
        node.children.sort(key=lambda c: earliest[id(c)])
    return sorted(roots, key=lambda r: earliest[id(r)])
