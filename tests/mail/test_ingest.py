"""The flow of one email through ingest: dedupe, thread, match, file."""

from datetime import UTC, datetime

import pytest

from keyou.crm.models import Account, Activity, Contact
from keyou.crm.selectors import timeline_for
from keyou.mail.ingest import mail_ingest
from keyou.mail.models import Direction, MailboxCopy, Message, Thread
from keyou.mail.services import message_delete
from keyou.mail.sources import RawItem
from keyou.people.access import SYSTEM
from tests.mail.mailfactory import raw_message


def ingest(box, *raws, folder="INBOX"):
    items = [RawItem(source=f"test#{i}", raw=r) for i, r in enumerate(raws)]
    return mail_ingest(mailbox=box, items=items, folder=folder)


def test_import_twice_changes_nothing(org):
    raws = [raw_message(message_id=f"<m{i}@acme.co.uk>", subject=f"Order {i}") for i in range(5)]
    first = ingest(org["boxes"]["alice"], *raws)
    counts = (Message.objects.count(), MailboxCopy.objects.count(), Activity.objects.count())
    second = ingest(org["boxes"]["alice"], *raws)

    assert (first.read, first.new, first.duplicates) == (5, 5, 0)
    assert (second.read, second.new, second.duplicates) == (5, 0, 5)
    assert counts == (
        Message.objects.count(),
        MailboxCopy.objects.count(),
        Activity.objects.count(),
    )


def test_same_message_in_three_mailboxes_is_one_timeline_entry(org):
    raw = raw_message(
        to="alice@demo-trading.com",
        cc="bob@demo-trading.com, sales@demo-trading.com",
    )
    for name in ("alice", "bob", "sales"):
        ingest(org["boxes"][name], raw)

    assert Message.objects.count() == 1
    entries = list(timeline_for(SYSTEM, "acme.co.uk"))
    assert len(entries) == 1
    mailboxes = {c.mailbox.address for c in entries[0].message.copies.all()}
    assert mailboxes == {
        "alice@demo-trading.com",
        "bob@demo-trading.com",
        "sales@demo-trading.com",
    }


def test_duplicate_copies_inside_one_batch(org):
    raw = raw_message()
    stats = ingest(org["boxes"]["alice"], raw, raw)
    assert (stats.new, stats.duplicates) == (1, 1)
    assert MailboxCopy.objects.count() == 1


def test_reply_before_parent_joins_thread_later(org):
    parent = raw_message(message_id="<p@acme.co.uk>", subject="Sample request")
    reply = raw_message(
        sender="alice@demo-trading.com",
        to="Buyer <buyer@acme.co.uk>",
        subject="Re: Sample request",
        message_id="<r@demo-trading.com>",
        in_reply_to="<p@acme.co.uk>",
        references="<p@acme.co.uk>",
        date=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
    )
    grandchild = raw_message(
        subject="Re: Re: Sample request",
        message_id="<g@acme.co.uk>",
        in_reply_to="<r@demo-trading.com>",
        references="<p@acme.co.uk> <r@demo-trading.com>",
        date=datetime(2026, 3, 4, 9, 0, tzinfo=UTC),
    )
    ingest(org["boxes"]["alice"], grandchild)
    ingest(org["boxes"]["alice"], reply, folder="Sent")
    ingest(org["boxes"]["alice"], parent)

    threads = set(Message.objects.values_list("thread_id", flat=True))
    assert len(threads) == 1
    thread = Thread.objects.get()
    assert thread.message_count == 3
    assert thread.subject == "Sample request"
    assert set(Activity.objects.values_list("thread_id", flat=True)) == threads


def test_unrelated_messages_with_same_reply_subject_need_shared_participants(org):
    first = raw_message(sender="a@one.com", subject="Re: Price", message_id="<a@one.com>")
    second = raw_message(sender="b@two.com", subject="Re: Price", message_id="<b@two.com>")
    third = raw_message(
        sender="a@one.com",
        subject="RE: price",
        message_id="<c@one.com>",
        date=datetime(2026, 3, 10, tzinfo=UTC),
    )
    ingest(org["boxes"]["alice"], first, second, third)
    a, b, c = (
        Message.objects.get(message_id=m).thread_id for m in ("a@one.com", "b@two.com", "c@one.com")
    )
    assert a == c
    assert a != b


def test_subject_fallback_refused_after_thirty_days(org):
    first = raw_message(sender="a@one.com", subject="Re: Price", message_id="<a@one.com>")
    late = raw_message(
        sender="a@one.com",
        subject="Re: Price",
        message_id="<late@one.com>",
        date=datetime(2026, 5, 2, tzinfo=UTC),
    )
    ingest(org["boxes"]["alice"], first, late)
    assert Thread.objects.count() == 2


def test_internal_only_thread_is_on_no_timeline(org):
    raw = raw_message(
        sender="alice@demo-trading.com",
        to="bob@demo-trading.com",
        subject="Lunch?",
        message_id="<lunch@demo-trading.com>",
    )
    ingest(org["boxes"]["alice"], raw)
    message = Message.objects.get()
    assert message.direction == Direction.INTERNAL
    assert Activity.objects.count() == 0
    assert Account.objects.count() == 0


def test_matching_by_registrable_domain(org):
    ingest(org["boxes"]["alice"], raw_message(sender="x@acme.co.uk", message_id="<1@x>"))
    ingest(org["boxes"]["alice"], raw_message(sender="y@mail.acme.co.uk", message_id="<2@x>"))
    ingest(org["boxes"]["alice"], raw_message(sender="z@other.co.uk", message_id="<3@x>"))

    acme = Account.objects.get(domains__domain="acme.co.uk")
    assert set(Contact.objects.filter(account=acme).values_list("emails__email", flat=True)) == {
        "x@acme.co.uk",
        "y@mail.acme.co.uk",
    }
    assert Account.objects.count() == 2
    assert acme.owner == org["alice"]
    assert acme.team == org["alice"].team


def test_free_mail_never_matches_by_domain(org):
    ingest(
        org["boxes"]["alice"], raw_message(sender="Wang Wei <wangwei@qq.com>", message_id="<1@x>")
    )
    ingest(org["boxes"]["alice"], raw_message(sender="Li Na <lina@qq.com>", message_id="<2@x>"))
    accounts = Account.objects.order_by("name")
    assert [a.name for a in accounts] == ["Li Na", "Wang Wei"]
    assert all(a.is_person for a in accounts)
    assert not accounts[0].domains.exists()


def test_shared_mailbox_customers_go_to_the_pool(org):
    ingest(org["boxes"]["sales"], raw_message(to="sales@demo-trading.com"))
    account = Account.objects.get()
    assert account.owner is None


def test_key_dates_and_direction(org):
    inbound = raw_message(date=datetime(2026, 3, 1, tzinfo=UTC))
    outbound = raw_message(
        sender="alice@demo-trading.com",
        to="buyer@acme.co.uk",
        subject="Re: Quotation request",
        message_id="<out@demo-trading.com>",
        in_reply_to="<q1@acme.co.uk>",
        date=datetime(2026, 3, 5, tzinfo=UTC),
    )
    ingest(org["boxes"]["alice"], inbound)
    ingest(org["boxes"]["alice"], outbound, folder="Sent")
    account = Account.objects.get()
    assert account.first_contact_at == datetime(2026, 3, 1, tzinfo=UTC)
    assert account.last_inbound_at == datetime(2026, 3, 1, tzinfo=UTC)
    assert account.last_outbound_at == datetime(2026, 3, 5, tzinfo=UTC)
    assert Message.objects.get(message_id="out@demo-trading.com").direction == Direction.OUTBOUND


def test_automated_mail_is_stored_but_creates_no_customer(org):
    raw = raw_message(
        sender="noreply@newsletters.example.com",
        subject="Weekly deals",
        extra_headers="Precedence: bulk\nList-Id: <deals.newsletters.example.com>",
        message_id="<news@x>",
    )
    ingest(org["boxes"]["alice"], raw)
    message = Message.objects.get()
    assert message.is_automated
    assert Account.objects.count() == 0


def test_same_message_id_different_sender_is_two_messages_flagged(org):
    one = raw_message(sender="a@one.com", message_id="<same@x>")
    two = raw_message(sender="b@two.com", message_id="<same@x>")
    ingest(org["boxes"]["alice"], one)
    ingest(org["boxes"]["alice"], two)
    assert Message.objects.count() == 2
    assert (
        Message.objects.filter(is_flagged=True, problems__icontains="message_id_conflict").count()
        == 1
    )


def test_message_without_id_deduplicates_by_content(org):
    raw = raw_message(message_id=None)
    ingest(org["boxes"]["alice"], raw)
    ingest(org["boxes"]["bob"], raw)
    assert Message.objects.count() == 1
    assert MailboxCopy.objects.count() == 2


def test_unparseable_message_is_stored_raw_and_flagged(org):
    garbage = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4
    good = raw_message()
    stats = ingest(org["boxes"]["alice"], garbage, good)
    assert (stats.read, stats.new, stats.failed) == (2, 2, 1)
    bad = Message.objects.get(parse_failed=True)
    assert bad.is_flagged
    from keyou.mail.blobs import blob_get

    assert blob_get(bad.raw_sha256) == garbage
    assert stats.errors and stats.errors[0]["source"] == "test#0"


def test_deleted_message_never_comes_back(org):
    raw = raw_message()
    ingest(org["boxes"]["alice"], raw)
    message_delete(message_id=Message.objects.get().pk, reason="privacy request")
    stats = ingest(org["boxes"]["bob"], raw)
    assert Message.objects.count() == 0
    assert stats.tombstoned == 1


@pytest.mark.parametrize("batch", [1, 3, 200])
def test_batch_size_does_not_change_the_result(org, batch):
    raws = [
        raw_message(
            message_id=f"<b{i}@acme.co.uk>",
            subject=f"Re: Thread {i % 3}",
            references=f"<root{i % 3}@acme.co.uk>",
        )
        for i in range(9)
    ]
    items = [RawItem(source=str(i), raw=r) for i, r in enumerate(raws)]
    mail_ingest(mailbox=org["boxes"]["alice"], items=items, batch_size=batch)
    assert Thread.objects.count() == 3
    assert Message.objects.count() == 9


def test_gb2312_label_with_gbk_characters_reads_and_is_searchable(org):
    from keyou.search.scoped import search_for

    body = "朱镕基先生：您好，请报价三千件不锈钢餐具。"
    assert "镕".encode("gbk")
    with pytest.raises(UnicodeEncodeError):
        "镕".encode("gb2312")
    raw = raw_message(subject="询价", body=body, charset="gbk").replace(
        b"charset=gbk", b"charset=gb2312"
    )
    ingest(org["boxes"]["alice"], raw)
    message = Message.objects.get()
    assert "朱镕基" in message.text_body
    results = search_for(SYSTEM, "报价")
    assert [m.pk for m in results.messages] == [message.pk]
    outsider_results = search_for(org["carol"], "报价")
    assert outsider_results.messages == []
    assert search_for(org["bob"], "报价").messages == [message]  # same team as the owner
