"""Mail privacy: private threads, mailbox-only mail, and no bodies for roles without them."""

from __future__ import annotations

from keyou.audit.models import AuditAction, AuditEntry
from keyou.mail.models import Message, Thread
from keyou.mail.selectors import messages_visible_to
from keyou.people.services import user_add
from keyou.search.scoped import search_for


def _quote_thread() -> Thread:
    return Message.objects.get(message_id="quote-1@acme.co.uk").thread


def test_a_private_thread_is_seen_by_participants_and_admins_only(acme_mail, people, login, staff):
    thread = _quote_thread()
    bob = login(people.bob)  # team lead of Europe: sees acme, took no part in the thread
    assert bob.get(f"/threads/{thread.pk}/").status_code == 200

    alice = login(people.alice)  # her mailbox holds it
    response = alice.post(f"/threads/{thread.pk}/privacy/", {"private": "1"})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.is_private
    assert AuditEntry.objects.filter(
        action=AuditAction.THREAD_PRIVACY, object_id=str(thread.pk), actor=people.alice
    ).exists()

    assert bob.get(f"/threads/{thread.pk}/").status_code == 404
    assert (
        b"Quotation request"
        not in bob.get(f"/accounts/{thread.activities.first().account_id}/").content
    )
    assert not search_for(people.bob, "LED panels").messages
    director = login(staff.dora)  # sees every customer, but is not an admin
    assert director.get(f"/threads/{thread.pk}/").status_code == 404
    assert alice.get(f"/threads/{thread.pk}/").status_code == 200
    assert login(people.admin).get(f"/threads/{thread.pk}/").status_code == 200
    # Someone the mail was written to (by address) is a participant too.
    anna_colleague = user_add(username="salesbox", email="sales@demo-trading.com", role="team_lead",
                              team="Europe")  # fmt: skip
    assert login(anna_colleague).get(f"/threads/{thread.pk}/").status_code == 200

    # The other acme thread stays visible to bob.
    samples = Message.objects.get(message_id="samples-1@acme.co.uk").thread
    assert bob.get(f"/threads/{samples.pk}/").status_code == 200


def test_only_a_participant_may_mark_a_thread_private(acme_mail, people, login):
    thread = _quote_thread()
    response = login(people.bob).post(f"/threads/{thread.pk}/privacy/", {"private": "1"})
    assert response.status_code == 403
    thread.refresh_from_db()
    assert not thread.is_private


def test_unfiled_mail_in_a_personal_mailbox_is_the_owners_alone(people, login):
    from datetime import UTC, datetime

    from keyou.mail.ingest import mail_ingest
    from keyou.mail.services import mailbox_add
    from keyou.mail.sources import RawItem
    from tests.mail.mailfactory import raw_message

    box = mailbox_add(address="alice@demo-trading.com", owner="alice")
    raw = raw_message(
        sender="HR <hr@demo-trading.com>",
        to="alice@demo-trading.com",
        subject="Personal matter",
        body="Unrelated to any customer.",
        message_id="<personal-1@demo-trading.com>",
        date=datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
    )
    mail_ingest(mailbox=box, items=[RawItem(source="t", raw=raw)])
    message = Message.objects.get(message_id="personal-1@demo-trading.com")
    assert not message.activities.exists()  # filed to no customer
    assert messages_visible_to(people.alice).filter(pk=message.pk).exists()
    for other in (people.bob, people.carol):
        assert not messages_visible_to(other).filter(pk=message.pk).exists()
        assert login(other).get(f"/threads/{message.thread_id}/").status_code == 404


def test_a_role_without_bodies_sees_subjects_not_text(acme_mail, staff, login):
    fiona = login(staff.fiona)
    thread = _quote_thread()
    page = fiona.get(f"/threads/{thread.pk}/")
    assert page.status_code == 200
    assert b"Quotation request" in page.content
    assert b"Please quote 500" not in page.content
    message = Message.objects.get(message_id="quote-1@acme.co.uk")
    assert fiona.get(f"/messages/{message.pk}/raw/").status_code == 404
    assert not search_for(staff.fiona, "LED panels").messages
    assert search_for(staff.sam, "LED panels").messages  # support reads mail


def test_a_role_without_the_send_capability_sends_nothing(acme_mail, people, staff):
    from keyou.mail.send import mailboxes_sendable_by
    from keyou.mail.services import mailbox_add

    mailbox_add(address="fiona@demo-trading.com", owner="fiona")
    assert not mailboxes_sendable_by(staff.fiona).exists()  # finance: no send_mail
    assert mailboxes_sendable_by(people.alice).filter(address="alice@demo-trading.com").exists()
