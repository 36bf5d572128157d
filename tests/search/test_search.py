"""Indexing and searching on the test database (SQLite, or PostgreSQL when configured)."""

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyou.crm.models import Account, AccountDomain, Activity, ActivityKind, Contact, ContactEmail
from keyou.mail.models import AddressRole, Attachment, Direction, Message, MessageAddress
from keyou.search.models import SearchDoc, SearchKind
from keyou.search.selectors import Hit, search
from keyou.search.services import (
    search_index_accounts,
    search_index_contacts,
    search_index_messages,
    search_rebuild,
    search_remove,
)
from keyou.search.tokens import query_tokens

pytestmark = pytest.mark.django_db

_seq = count(1)
_T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def make_message(subject="", body="", *, account=None, addresses=(), files=(), text_body=""):
    n = next(_seq)
    message = Message.objects.create(
        dedupe_key=f"<m{n}@test>",
        message_id=f"<m{n}@test>",
        content_hash=f"{n:064x}",
        raw_sha256=f"{n:064x}",
        sent_at=_T0 + timedelta(minutes=n),
        direction=Direction.INBOUND,
        subject=subject,
        visible_text=body,
        text_body=text_body or body,
    )
    for position, (role, name, email) in enumerate(addresses):
        MessageAddress.objects.create(
            message=message, role=role, name=name, email=email, position=position
        )
    for position, filename in enumerate(files):
        Attachment.objects.create(
            message=message,
            sha256=f"{n:064x}",
            filename=filename,
            content_type="application/pdf",
            size=1,
            position=position,
        )
    if account is not None:
        file_to(message, account)
    return message


def file_to(message, account):
    Activity.objects.create(
        kind=ActivityKind.EMAIL, account=account, message=message, occurred_at=message.sent_at
    )


def found(query, **kwargs):
    return {h.object_id for h in search(query, **kwargs)}


@pytest.fixture
def acme(db):
    return Account.objects.create(name="Acme Trading GmbH")


@pytest.fixture
def globex(db):
    return Account.objects.create(name="Globex 贸易有限公司")


def test_two_character_chinese_word_is_found_inside_longer_text(acme):
    # Given Chinese mail without spaces, one mentioning 报价 mid-sentence
    quote = make_message("询价", "您好，请尽快提供最新的报价单和交货期，谢谢！", account=acme)
    other = make_message("发货通知", "货物已经发出，请注意查收。", account=acme)
    # When both are indexed
    assert search_index_messages([quote.pk, other.pk]) == 2
    # Then a search for the two-character word finds only that message
    hits = search("报价")
    assert [(h.kind, h.object_id) for h in hits] == [(SearchKind.MESSAGE, quote.pk)]
    assert isinstance(hits[0], Hit) and hits[0].rank > 0
    assert found("报价单") == {quote.pk}
    assert found("交货期 报价") == {quote.pk}
    assert found("价格") == set()


def test_single_chinese_character_matches_anywhere_in_a_run(acme):
    message = make_message("", "质量问题", account=acme)
    search_index_messages([message.pk])
    assert found("质") == {message.pk}
    assert found("题") == {message.pk}  # the last character of the run, too
    assert found("货") == set()


def test_english_words_addresses_and_attachment_names(acme):
    message = make_message(
        "Quotation request for LED panels",
        "Dear Sir, please send your best price.",
        account=acme,
        addresses=[
            (AddressRole.FROM, "Hans Müller", "hans.mueller@acme.de"),
            (AddressRole.TO, "Alice", "alice@demo-trading.com"),
            (AddressRole.CC, "", "buyer@acme.co.uk"),
        ],
        files=["PI-2024-017.pdf", "报价单.xlsx"],
    )
    noise = make_message("Price list", "Nothing about panels from buyers here. acme co uk")
    search_index_messages([message.pk, noise.pk])

    assert found("quotation") == {message.pk}
    assert found("LED PANELS") == {message.pk}
    assert found("müller") == {message.pk}
    assert found("hans.mueller@acme.de") == {message.pk}
    assert found("buyer@acme.co.uk") == {message.pk}
    assert found("acme.co.uk") == {message.pk}
    assert found("alice@demo-trading.com") == {message.pk}
    assert found("PI-2024-017.pdf") == {message.pk}
    assert found("2024 017") == {message.pk}
    assert found("报价单") == {message.pk}
    assert found("price") == {message.pk, noise.pk}


def test_text_body_is_used_when_there_is_no_visible_text(acme):
    message = make_message("Re: order", "", text_body="Confirm the invoice please", account=acme)
    search_index_messages([message.pk])
    assert found("invoice") == {message.pk}


def test_reindexing_replaces_old_tokens(acme):
    message = make_message("Sample request", "Please send samples", account=acme)
    search_index_messages([message.pk])
    Message.objects.filter(pk=message.pk).update(subject="Payment", visible_text="已付款")
    assert search_index_messages([message.pk]) == 1
    assert found("samples") == set()
    assert found("payment") == {message.pk}
    assert found("付款") == {message.pk}
    assert SearchDoc.objects.filter(kind=SearchKind.MESSAGE).count() == 1


def test_remove_and_reindexing_a_deleted_message(acme):
    kept = make_message("Invoice 42", account=acme)
    gone = make_message("Invoice 43", account=acme)
    search_index_messages([kept.pk, gone.pk])
    assert search_remove(SearchKind.MESSAGE, [gone.pk]) == 1
    assert found("invoice") == {kept.pk}
    # Indexing an id whose message is gone removes its doc.
    kept_pk = kept.pk
    kept.delete()
    assert search_index_messages([kept_pk]) == 0
    assert found("invoice") == set()
    assert not SearchDoc.objects.exists()


def test_account_narrowing_hides_other_accounts_messages(acme, globex):
    # Given a message filed to Acme, one to Globex, one to both and one to nobody
    to_acme = make_message("Shipment schedule", account=acme)
    to_globex = make_message("Shipment delay", account=globex)
    shared = make_message("Shipment consolidated", account=acme)
    file_to(shared, globex)
    unfiled = make_message("Shipment spam")
    search_index_messages([to_acme.pk, to_globex.pk, shared.pk, unfiled.pk])

    everything = {to_acme.pk, to_globex.pk, shared.pk, unfiled.pk}
    assert found("shipment") == everything
    assert found("shipment", account_ids=[acme.pk]) == {to_acme.pk, shared.pk}
    assert found("shipment", account_ids={globex.pk}) == {to_globex.pk, shared.pk}
    assert found("shipment", account_ids=[]) == set()
    # A scoped QuerySet works as well as a list, as model rows or as ids.
    scoped = Account.objects.filter(name__startswith="Globex")
    assert found("shipment", account_ids=scoped) == {to_globex.pk, shared.pk}
    assert found("shipment", account_ids=scoped.values_list("id", flat=True)) == {
        to_globex.pk,
        shared.pk,
    }


def test_accounts_and_contacts_are_searchable_and_narrowed(acme, globex):
    AccountDomain.objects.create(account=acme, domain="acme.de")
    hans = Contact.objects.create(account=acme, name="Hans Müller", title="Einkaufsleiter")
    ContactEmail.objects.create(contact=hans, email="hans@acme.de", is_primary=True)
    li = Contact.objects.create(account=globex, name="李经理", phones=["+8613800138000"])
    search_index_accounts([acme.pk, globex.pk])
    search_index_contacts([hans.pk, li.pk])

    assert [(h.kind, h.object_id) for h in search("acme.de", kinds={SearchKind.ACCOUNT})] == [
        (SearchKind.ACCOUNT, acme.pk)
    ]
    assert found("贸易", kinds={SearchKind.ACCOUNT}) == {globex.pk}
    assert found("hans@acme.de", kinds={SearchKind.ACCOUNT}) == {acme.pk}
    assert found("hans@acme.de", kinds={SearchKind.CONTACT}) == {hans.pk}
    assert found("经理", kinds={SearchKind.CONTACT}) == {li.pk}
    assert found("+8613800138000", kinds={SearchKind.CONTACT}) == {li.pk}
    assert {(h.kind, h.object_id) for h in search("müller")} == {
        (SearchKind.ACCOUNT, acme.pk),
        (SearchKind.CONTACT, hans.pk),
    }
    assert search("müller", account_ids=[globex.pk]) == []
    assert found("经理", account_ids=[acme.pk]) == set()


def test_kinds_must_be_known(acme):
    with pytest.raises(ValueError):
        search("x", kinds={"mailbox"})
    assert search("x", kinds=set()) == []


HOSTILE = [
    '"',
    '""',
    "AND",
    "OR",
    "NOT",
    "*",
    "报*",
    "NEAR(",
    "NEAR(a b, 2)",
    "'; drop table search_doc; --",
    "",
    "   ",
    "-",
    "tokens:invoice",
    "(invoice",
    "invoice)",
    "^invoice",
    "invoice:*",
    "!invoice & | <->",
    "\\",
    "\x00",
    "a" * 5000,
    "报价" * 500,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_raise(acme, query):
    message = make_message("AND OR NOT near invoice drop table", "报价", account=acme)
    search_index_messages([message.pk])
    hits = search(query, account_ids=[acme.pk])
    assert all(h.object_id == message.pk for h in hits)
    assert SearchDoc.objects.count() == 1


def test_plain_operator_words_are_searched_as_words(acme):
    message = make_message("Terms AND conditions", account=acme)
    search_index_messages([message.pk])
    assert found("AND") == {message.pk}
    assert found("near") == set()


def test_ranking_prefers_more_occurrences_then_newest(acme):
    once = make_message("sample", "other words here", account=acme)
    often = make_message("sample", "sample sample sample", account=acme)
    tie_old = make_message("tie", "x", account=acme)
    tie_new = make_message("tie", "x", account=acme)
    search_index_messages([once.pk, often.pk, tie_old.pk, tie_new.pk])
    assert [h.object_id for h in search("sample")] == [often.pk, once.pk]
    assert [h.object_id for h in search("tie")] == [tie_new.pk, tie_old.pk]


def test_limit_and_offset_page_through_hits(acme):
    messages = [make_message("Weekly report", account=acme) for _ in range(5)]
    search_index_messages([m.pk for m in messages])
    first = search("report", limit=2)
    second = search("report", limit=2, offset=2)
    assert len(first) == len(second) == 2
    assert not {h.object_id for h in first} & {h.object_id for h in second}
    assert search("report", limit=0) == []


def test_bulk_indexing_uses_few_queries(acme, django_assert_max_num_queries):
    messages = [
        make_message(
            f"询价 {i}",
            "请报价",
            account=acme,
            addresses=[(AddressRole.FROM, "", f"b{i}@acme.de")],
            files=[f"f{i}.pdf"],
        )
        for i in range(200)
    ]
    search_index_messages([m.pk for m in messages[::2]])
    # Four reads, one upsert, one token write, and the savepoint around the writes,
    # for a batch that mixes new and already indexed messages.
    with django_assert_max_num_queries(8):
        assert search_index_messages([m.pk for m in messages]) == 200
    assert len(search("报价", limit=1000)) == 200
    # Each doc got its own message's tokens, whichever rows were new.
    for i in (0, 1, 98, 199):
        assert found(f"b{i}@acme.de") == {messages[i].pk}
        assert found(f"f{i}.pdf") == {messages[i].pk}


def test_rebuild_indexes_everything_and_drops_stale_docs(acme):
    message = make_message("Container booking", account=acme)
    contact = Contact.objects.create(account=acme, name="Booking Agent")
    search_index_messages([message.pk])
    gone = make_message("Stale")
    search_index_messages([gone.pk])
    Message.objects.filter(pk=gone.pk).delete()

    result = search_rebuild(batch_size=1)

    assert result["messages"] == 1
    assert result["accounts"] == 1
    assert result["contacts"] == 1
    assert result["removed"] == 1
    assert {(h.kind, h.object_id) for h in search("booking")} == {
        (SearchKind.MESSAGE, message.pk),
        (SearchKind.CONTACT, contact.pk),
        (SearchKind.ACCOUNT, acme.pk),  # through its contact's name
    }
    assert found("stale") == set()


def test_command_query_and_rebuild(acme, capsys):
    from django.core.management import call_command

    make_message("Proforma invoice 报价", account=acme)
    call_command("search", "rebuild", "--json")
    call_command("search", "query", "报价", "--json")
    out = capsys.readouterr().out
    assert '"messages": 1' in out
    assert '"title": "Proforma invoice 报价"' in out
    call_command("search", "query", "'\"NEAR(")
    assert "no matches" in capsys.readouterr().out


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=st.one_of(
        st.text(max_size=80),
        st.lists(
            st.sampled_from(["报价", "单", "ｶﾀ", "हिन्दी", "สวัสดี", "a.b@c.de", "Ü", " ", "-", "𰀀"]),
            max_size=12,
        ).map("".join),
    )
)
def test_any_subject_is_found_by_itself(acme, text):
    # The engine must match tokens exactly as cut: no re-splitting by FTS5 or PostgreSQL.
    text = text.replace("\x00", "")
    message = Message.objects.filter(dedupe_key="<self@test>").first() or make_message()
    Message.objects.filter(pk=message.pk).update(
        dedupe_key="<self@test>", subject=text, visible_text="", text_body=""
    )
    search_index_messages([message.pk])
    if query_tokens(text):
        assert found(text) == {message.pk}, (text, connection.vendor)
    else:
        assert found(text) == set()
