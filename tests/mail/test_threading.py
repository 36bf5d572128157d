"""Tests for keyou.mail.threading: JWZ linking and pruning, and the guarded subject fallback."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.parser import HeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyou.mail.threading import Container, ThreadItem, iter_items, link_items, thread_items

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
ALICE = "alice@customer.example"
BOB = "bob@other.example"
SALES = "li.lei@keyou.example"


def item(
    msgid: str,
    *,
    refs: tuple[str, ...] = (),
    irt: tuple[str, ...] = (),
    subject: str = "",
    at: datetime | None = None,
    people: tuple[str, ...] = (ALICE, SALES),
    key: object = None,
) -> ThreadItem:
    return ThreadItem(
        key=msgid if key is None else key,
        message_id=msgid,
        in_reply_to=irt,
        references=refs,
        subject=subject,
        date=at,
        participants=frozenset(people),
    )


def keys(root: Container) -> list[object]:
    return [i.key for i in iter_items(root)]


def parents(roots: list[Container]) -> dict[object, object]:
    """Map each item's key to its parent's item key (None for a root or an empty parent)."""
    out: dict[object, object] = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node.item is not None:
            parent = node.parent
            out[node.item.key] = parent.item.key if parent and parent.item else None
        stack.extend(node.children)
    return out


# --- the flanker JWZ cases ---------------------------------------------------------------

FLANKER_CASES = [
    "simple chain",
    "missing middle message becomes an empty container",
    "messages disagree about structure",
    "reference loop is refused",
    "duplicate Message-ID",
    "root set and full thread",
]


@pytest.fixture(scope="module")
def flanker_cases(corpora_dir: Path) -> dict[str, dict]:
    data = json.loads((corpora_dir / "mailgun-flanker" / "threading_cases.json").read_text())
    return {case["name"]: case for case in data["cases"]}


def flanker_items(case: dict) -> list[ThreadItem]:
    return [
        ThreadItem(key=n, message_id=m["id"], references=tuple(m["references"]))
        for n, m in enumerate(case["messages"])
    ]


def test_flanker_cases_are_the_ones_we_test(flanker_cases: dict[str, dict]) -> None:
    assert list(flanker_cases) == FLANKER_CASES


@pytest.mark.parametrize("name", FLANKER_CASES[:5])
def test_flanker_linking(flanker_cases: dict[str, dict], name: str) -> None:
    # These cases describe the id table before pruning ("dummy:x" is an empty container).
    case = flanker_cases[name]
    table = link_items(flanker_items(case))

    if "table_size" in case:
        assert len(table) == case["table_size"]
    for node, parent in case.get("expect_parent", {}).items():
        container = table[node.removeprefix("dummy:")]
        assert (container.item is None) == node.startswith("dummy:"), node
        if parent is None:
            assert container.parent is None, node
        else:
            assert container.parent is table[parent.removeprefix("dummy:")], node


def test_flanker_root_set_after_pruning(flanker_cases: dict[str, dict]) -> None:
    case = flanker_cases["root set and full thread"]
    roots = thread_items(flanker_items(case))

    ids = {n: m["id"] for n, m in enumerate(case["messages"])}
    got = {ids[k]: (None if p is None else ids[p]) for k, p in parents(roots).items()}
    assert got == case["expect_parent"]
    assert {r.message_id for r in roots} == {"a", "f", "g"}


@pytest.mark.parametrize("name", FLANKER_CASES)
def test_flanker_threading_keeps_every_message_once(
    flanker_cases: dict[str, dict], name: str
) -> None:
    items = flanker_items(flanker_cases[name])
    roots = thread_items(items)
    assert sorted(k for r in roots for k in keys(r)) == [i.key for i in items]


def test_pruning_of_the_flanker_cases() -> None:
    # given the shapes of cases 2-4 after linking, when pruned, then:
    missing_middle = thread_items(
        [item("a"), item("b", refs=("a",)), item("d", refs=("a", "b", "c"))]
    )
    assert parents(missing_middle) == {"a": None, "b": "a", "d": "b"}

    disagree = thread_items([item("e", refs=("a", "c")), item("d", refs=("a", "b", "c"))])
    assert len(disagree) == 1
    (root,) = disagree
    # An empty root holding several replies stays: it is what ties them together.
    assert root.item is None and root.message_id == "a"
    assert sorted(c.message_id for c in root.children) == ["d", "e"]

    loop = thread_items([item("c", refs=("a", "b")), item("a", refs=("c",))])
    assert parents(loop) == {"a": None, "c": "a"}


def test_duplicate_message_id_keeps_both_messages() -> None:
    first = item("a", refs=("b",), key=1)
    second = item("a", refs=("c",), key=2)

    table = link_items([first, second])

    assert table["a"].item is first
    (other_key,) = [k for k, c in table.items() if c.item is second]
    assert other_key != "a" and " " in other_key
    assert sorted(k for r in thread_items([first, second]) for k in keys(r)) == [1, 2]


def test_missing_message_ids_are_never_merged() -> None:
    roots = thread_items([item("", key=1), item("", key=2), item("  ", key=3)])
    assert sorted(k for r in roots for k in keys(r)) == [1, 2, 3]


# --- the fedora-devel archive -------------------------------------------------------------

FROM_LINE = re.compile(r"^From .*\d\d \d\d\d\d$\n?", re.MULTILINE)
MSG_IDS = re.compile(r"<[^<>\s]+>")


def decoded(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError):
        return value


def read_fedora_mbox(path: Path) -> list[ThreadItem]:
    """Return one ThreadItem per message of the archive, keyed by its 0-based index."""
    text = gzip.decompress(path.read_bytes()).decode("latin-1")
    items = []
    for index, raw in enumerate(FROM_LINE.split(text)[1:]):
        headers = HeaderParser().parsestr(raw, headersonly=True)
        # Mailman archives write addresses as "user at example.com".
        addresses = getaddresses(
            [v.replace(" at ", "@") for k in ("From", "To", "Cc") for v in headers.get_all(k, [])]
        )
        try:
            date = parsedate_to_datetime(headers["Date"])
        except (TypeError, ValueError):
            date = None
        items.append(
            ThreadItem(
                key=index,
                message_id=headers.get("Message-ID", ""),
                in_reply_to=tuple(MSG_IDS.findall(headers.get("In-Reply-To", ""))),
                references=tuple(MSG_IDS.findall(headers.get("References", ""))),
                subject=decoded(headers.get("Subject", "")),
                date=date,
                participants=frozenset(a.lower() for _, a in addresses if "@" in a),
            )
        )
    return items


def expected_shape(node: dict) -> frozenset[tuple[int, int | None]]:
    """Return the (message, parent) pairs of an expected tree."""
    pairs: set[tuple[int, int | None]] = set()
    stack: list[tuple[dict, int | None]] = [(node, None)]
    while stack:
        n, parent = stack.pop()
        pairs.add((n["index"], parent))
        stack.extend((c, n["index"]) for c in n["children"])
    return frozenset(pairs)


def our_shape(root: Container) -> frozenset[tuple[int, int | None]]:
    """Return the (message, parent) pairs of ROOT's tree as MHonArc would draw it.

    MHonArc nests at most 3 levels deep (deeper replies hang off the depth-2 message), and
    shows replies to an unseen message under the first of them, where JWZ keeps an empty
    container. Sibling order is not compared.
    """
    if root.item is None:
        head, *rest = root.children
    else:
        head, rest = root, []
    pairs: set[tuple[int, int | None]] = set()
    stack: list[tuple[Container, list[int]]] = [(head, [])]
    stack.extend((c, [head.item.key]) for c in rest)
    while stack:
        node, ancestors = stack.pop()
        assert node.item is not None, "pruning leaves no empty container below the root"
        parent = ancestors[min(len(ancestors), 3) - 1] if ancestors else None
        pairs.add((node.item.key, parent))
        stack.extend((c, [*ancestors, node.item.key]) for c in node.children)
    return frozenset(pairs)


@pytest.fixture(scope="module")
def fedora(corpora_dir: Path) -> tuple[list[ThreadItem], dict]:
    folder = corpora_dir / "jwzthreading-fedora-devel"
    expected = json.loads((folder / "expected_threads.json").read_text())
    return read_fedora_mbox(folder / "2010-January.txt.gz"), expected


def fedora_matches(items: list[ThreadItem], expected: dict) -> list[int]:
    """Return the root indices of the expected threads that threading reproduces exactly."""
    roots = thread_items(items)
    assert sorted(k for r in roots for k in keys(r)) == list(range(len(items)))
    ours = {our_shape(r) for r in roots}
    return [t["index"] for t in expected["threads"] if expected_shape(t) in ours]


def test_fedora_mbox_reads_as_expected(fedora: tuple[list[ThreadItem], dict]) -> None:
    items, expected = fedora
    assert len(items) == expected["message_count"] == 292
    assert [i.message_id for i in items] == [m["message_id"] for m in expected["messages"]]
    assert len(expected["threads"]) == 60


def test_fedora_threads_by_references_alone(fedora: tuple[list[ThreadItem], dict]) -> None:
    # given no participants, subject grouping never applies: pure JWZ
    items, expected = fedora
    alone = [
        ThreadItem(i.key, i.message_id, i.in_reply_to, i.references, i.subject, i.date)
        for i in items
    ]

    matched = fedora_matches(alone, expected)

    # 59 of 60: only "Common Lisp apps in Fedora" (55) differs, whose two "possible
    # follow-ups" MHonArc placed by subject, not by References.
    missed = sorted(set(t["index"] for t in expected["threads"]) - set(matched))
    assert len(matched) >= 59, f"reproduced {len(matched)}/60 threads; missed roots {missed}"


def test_fedora_threads_with_subject_fallback(fedora: tuple[list[ThreadItem], dict]) -> None:
    # given the list address as a shared participant, the subject fallback joins the two
    # follow-ups MHonArc guessed by subject, and nothing else
    items, expected = fedora

    matched = fedora_matches(items, expected)

    missed = sorted(set(t["index"] for t in expected["threads"]) - set(matched))
    assert len(matched) == 60, f"reproduced {len(matched)}/60 threads; missed roots {missed}"


# --- arrival order, In-Reply-To, loops ----------------------------------------------------


def test_reply_arriving_before_its_parent_joins_the_thread() -> None:
    a = item("a", subject="Order 42", at=T0)
    b = item("b", refs=("a",), subject="Re: Order 42", at=T0 + timedelta(hours=1))
    c = item("c", refs=("a", "b"), subject="Re: Order 42", at=T0 + timedelta(hours=2))

    roots = thread_items([c, b, a])

    assert len(roots) == 1
    assert keys(roots[0]) == ["a", "b", "c"]
    assert parents(roots) == {"a": None, "b": "a", "c": "b"}


def test_in_reply_to_alone_names_the_parent() -> None:
    roots = thread_items([item("b", irt=("a",)), item("c", irt=("b",)), item("a")])
    assert parents(roots) == {"a": None, "b": "a", "c": "b"}


def test_in_reply_to_extends_references_that_stop_short() -> None:
    roots = thread_items([item("a"), item("b", refs=("a",)), item("c", refs=("a",), irt=("b",))])
    assert parents(roots) == {"a": None, "b": "a", "c": "b"}


def test_angle_brackets_and_spaces_do_not_matter_in_ids() -> None:
    roots = thread_items([item("<a@x>"), item("b@x", refs=(" <a@x> ",))])
    assert len(roots) == 1
    assert keys(roots[0]) == ["<a@x>", "b@x"]


def test_self_reference_and_mutual_references_do_not_loop() -> None:
    roots = thread_items([item("a", refs=("a",)), item("b", refs=("c",)), item("c", refs=("b",))])
    assert sorted(k for r in roots for k in keys(r)) == ["a", "b", "c"]
    assert_tree_is_sound(roots)


def test_a_long_chain_needs_no_recursion() -> None:
    chain = [item("m0")] + [item(f"m{n}", irt=(f"m{n - 1}",)) for n in range(1, 5000)]
    (root,) = thread_items(reversed(chain))
    assert len(keys(root)) == 5000


# --- the subject fallback -----------------------------------------------------------------


def test_subject_fallback_joins_same_people_within_the_window() -> None:
    # given a reply whose client dropped In-Reply-To and References
    original = item("a", subject="Quote for 500 pcs", at=T0)
    reply = item("b", subject="RE: Quote for 500 pcs", at=T0 + timedelta(days=5))

    roots = thread_items([reply, original])

    assert parents(roots) == {"a": None, "b": "a"}


def test_subject_fallback_refused_for_different_participants() -> None:
    first = item("a", subject="Inquiry", at=T0, people=(ALICE,))
    second = item("b", subject="Re: Inquiry", at=T0 + timedelta(days=1), people=(BOB,))

    roots = thread_items([first, second])

    assert [keys(r) for r in roots] == [["a"], ["b"]]


def test_subject_fallback_refused_more_than_30_days_apart() -> None:
    first = item("a", subject="Inquiry", at=T0)
    late = item("b", subject="Re: Inquiry", at=T0 + timedelta(days=30, seconds=1))
    on_the_day = item("c", subject="Re: Inquiry", at=T0 + timedelta(days=30))

    assert [keys(r) for r in thread_items([first, late])] == [["a"], ["b"]]
    assert [keys(r) for r in thread_items([first, on_the_day])] == [["a", "c"]]


def test_subject_window_counts_from_the_end_of_a_thread() -> None:
    # given a conversation that ran for three weeks, a follow-up 25 days after its last
    # message still belongs to it
    a = item("a", subject="Sample shipment", at=T0)
    b = item("b", refs=("a",), subject="Re: Sample shipment", at=T0 + timedelta(days=21))
    c = item("c", subject="Re: Sample shipment", at=T0 + timedelta(days=46))

    (root,) = thread_items([a, b, c])

    assert keys(root) == ["a", "b", "c"]
    assert thread_items([a, b, c], subject_window=timedelta(days=7))[1].item.key == "c"


def test_subject_fallback_needs_dates_and_a_subject() -> None:
    undated = thread_items([item("a", subject="Inquiry"), item("b", subject="Re: Inquiry")])
    blank = thread_items([item("a", subject="Re:", at=T0), item("b", subject="", at=T0)])
    assert len(undated) == 2
    assert len(blank) == 2


@pytest.mark.parametrize(
    "prefix", ["回复：", "回复: ", "答复：", "回覆:", "转发：", "轉寄:", "AW: ", "SV: ", "Fwd: "]
)
def test_subject_fallback_reads_reply_prefixes(prefix: str) -> None:
    original = item("a", subject="报价单 2024-03", at=T0)
    reply = item("b", subject=f"{prefix}报价单 2024-03", at=T0 + timedelta(days=1))

    roots = thread_items([reply, original])

    assert parents(roots) == {"a": None, "b": "a"}


def test_two_originals_with_one_subject_become_siblings() -> None:
    first = item("a", subject="Price list", at=T0)
    second = item("b", subject="Price list", at=T0 + timedelta(days=2))

    (root,) = thread_items([first, second])

    assert root.item is None and root.message_id == ""
    assert [c.item.key for c in root.children] == ["a", "b"]


def test_orphaned_replies_join_an_empty_root_with_the_same_subject() -> None:
    # given two replies to an unseen message, and a third reply that lost its headers
    a = item("a", refs=("lost",), subject="Re: Catalogue", at=T0)
    b = item("b", refs=("lost",), subject="Re: Catalogue", at=T0 + timedelta(hours=1))
    c = item("c", subject="Re: Catalogue", at=T0 + timedelta(hours=2))

    (root,) = thread_items([a, b, c])

    assert root.item is None and root.message_id == "lost"
    assert [ch.item.key for ch in root.children] == ["a", "b", "c"]


# --- order and shape ----------------------------------------------------------------------


def test_roots_and_children_come_oldest_first_undated_last() -> None:
    items = [
        item("late", subject="x", at=T0 + timedelta(days=3)),
        item("undated", subject="y"),
        item("early", subject="z", at=T0),
        item("r2", irt=("early",), at=T0 + timedelta(hours=2)),
        item("r1", irt=("early",), at=T0 + timedelta(hours=1)),
    ]

    roots = thread_items(items)

    assert [r.item.key for r in roots] == ["early", "late", "undated"]
    assert [c.item.key for c in roots[0].children] == ["r1", "r2"]


def test_naive_and_aware_dates_mix_without_error() -> None:
    naive = item("a", subject="Hello", at=datetime(2024, 3, 1, 9, 0))
    aware = item("b", subject="Re: Hello", at=T0 + timedelta(hours=1))
    assert parents(thread_items([aware, naive])) == {"a": None, "b": "a"}


def test_iter_items_is_depth_first() -> None:
    roots = thread_items(
        [
            item("a", at=T0),
            item("b", irt=("a",), at=T0 + timedelta(minutes=1)),
            item("c", irt=("a",), at=T0 + timedelta(minutes=2)),
            item("b1", irt=("b",), at=T0 + timedelta(minutes=3)),
        ]
    )
    assert keys(roots[0]) == ["a", "b", "b1", "c"]


def assert_tree_is_sound(roots: list[Container]) -> None:
    seen: set[int] = set()
    stack = [(r, None) for r in roots]
    while stack:
        node, parent = stack.pop()
        assert node.parent is parent
        assert id(node) not in seen, "a container appears twice (a loop)"
        seen.add(id(node))
        assert node.item is not None or node.children, "an empty leaf survived pruning"
        stack.extend((c, node) for c in node.children)


ids = st.sampled_from([f"m{n}" for n in range(8)] + [""])
thread_item = st.builds(
    item,
    ids,
    refs=st.lists(ids, max_size=4).map(tuple),
    irt=st.lists(ids, max_size=2).map(tuple),
    subject=st.sampled_from(["", "Hello", "Re: Hello", "回复：Hello", "Re:"]),
    at=st.none() | st.integers(0, 90).map(lambda d: T0 + timedelta(days=d)),
    people=st.sets(st.sampled_from([ALICE, BOB, SALES]), max_size=2).map(tuple),
)


@given(st.lists(thread_item, max_size=12))
def test_any_headers_give_sound_trees_with_every_item_once(items: list[ThreadItem]) -> None:
    keyed = [
        ThreadItem(n, i.message_id, i.in_reply_to, i.references, i.subject, i.date, i.participants)
        for n, i in enumerate(items)
    ]

    roots = thread_items(keyed)

    assert_tree_is_sound(roots)
    assert Counter(k for r in roots for k in keys(r)) == Counter(range(len(items)))
