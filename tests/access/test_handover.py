"""Handover (交接): a departing salesperson's whole book moves; their access closes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from keyou.api.models import ApiToken
from keyou.api.services import token_create
from keyou.audit.models import AuditAction, AuditEntry
from keyou.crm.models import Account, Activity, ActivityKind, Contact, ContactEmail, Note
from keyou.mail.ingest import mail_ingest
from keyou.mail.models import Mailbox, OutgoingMessage, OutgoingStatus
from keyou.mail.send import mailboxes_sendable_by
from keyou.mail.services import mailbox_add
from keyou.mail.sources import RawItem
from keyou.mail.sync import mailboxes_due
from keyou.people.access import SYSTEM
from keyou.people.handover import (
    HandoverPlan,
    MailboxChoice,
    handover_execute,
    handover_preview,
    plan_build,
    rule_countries,
)
from keyou.people.models import AccessGrant, Role, User
from keyou.people.services import InvalidInput, team_ensure, user_add
from tests.mail.mailfactory import raw_message

BOOK = 300
COUNTRIES = ["CN", "HK", "DE", "GB", "US"]  # 60 accounts each
PASSWORD = "a long enough password"


def _ingest(box, *raws):
    items = [RawItem(source=f"handover-test#{i}", raw=raw) for i, raw in enumerate(raws)]
    return mail_ingest(mailbox=box, items=items)


@pytest.fixture
def book(people, staff):
    """dave (salesperson, Europe) owns 300 accounts, each with a contact; 100 with a note.

    Three customers wrote to his mailbox: two wait for a reply (accounts 0, CN and 3,
    GB), one (account 4, US) was answered. He holds a grant, gave one, manages a team,
    has a shared mailbox, three outgoing messages (queued, failed, sent), an API token
    and a session.
    """
    dave = user_add(
        username="dave",
        email="dave@demo-trading.com",
        team="Europe",
        role="salesperson",
        password=PASSWORD,
    )
    accounts = Account.objects.bulk_create(
        Account(
            name=f"Customer {i:03}",
            country=COUNTRIES[i % len(COUNTRIES)],
            owner=dave,
            team=dave.team,
        )
        for i in range(BOOK)
    )
    contacts = Contact.objects.bulk_create(
        Contact(account=a, name=f"Buyer {i}", owner=dave, team=dave.team)
        for i, a in enumerate(accounts)
    )
    ContactEmail.objects.bulk_create(
        ContactEmail(contact=c, email=f"buyer{i}@customer{i}.example.com", is_primary=True)
        for i, c in enumerate(contacts)
    )
    notes = Note.objects.bulk_create(
        Note(account=a, author=dave, body=f"Met at the fair ({i})", owner=dave, team=dave.team)
        for i, a in enumerate(accounts)
        if i % 3 == 0
    )
    Activity.objects.bulk_create(
        Activity(
            kind=ActivityKind.NOTE,
            account_id=n.account_id,
            occurred_at=timezone.now(),
            actor=dave,
            owner=dave,
            team=dave.team,
            data={"note_id": n.pk, "summary": n.body},
        )
        for n in notes
    )
    mailbox = mailbox_add(address="dave@demo-trading.com", owner="dave")
    shared = mailbox_add(address="asia-sales@demo-trading.com", kind="shared", owner="dave")

    def inbound(i: int, day: int) -> bytes:
        return raw_message(
            sender=f"Buyer {i} <buyer{i}@customer{i}.example.com>",
            to="dave@demo-trading.com",
            subject=f"Inquiry {i}",
            message_id=f"<inquiry-{i}@customer{i}.example.com>",
            date=datetime(2026, 3, day, 8, 0, tzinfo=UTC),
        )

    answer = raw_message(
        sender="Dave <dave@demo-trading.com>",
        to="buyer4@customer4.example.com",
        subject="Re: Inquiry 4",
        message_id="<answer-4@demo-trading.com>",
        in_reply_to="<inquiry-4@customer4.example.com>",
        references="<inquiry-4@customer4.example.com>",
        date=datetime(2026, 3, 5, 9, 0, tzinfo=UTC),
    )
    _ingest(mailbox, inbound(0, 2), inbound(3, 3), inbound(4, 4), answer)

    later = timezone.now() + timedelta(days=7)
    held = AccessGrant.objects.create(user=dave, granted_by=people.alice, expires_at=later)
    held.accounts.add(accounts[0])
    expired = AccessGrant.objects.create(
        user=dave, granted_by=people.alice, expires_at=timezone.now() - timedelta(days=1)
    )
    given = AccessGrant.objects.create(user=people.carol, granted_by=dave, expires_at=later)
    nordics = team_ensure(name="Nordics", parent="Europe")
    nordics.manager = dave
    nordics.save()

    def outgoing(status: str, n: int) -> OutgoingMessage:
        return OutgoingMessage.objects.create(
            mailbox=mailbox,
            sender=dave,
            to=["buyer1@customer1.example.com"],
            subject=f"Offer {n}",
            message_id=f"out-{n}@demo-trading.com",
            raw_sha256="0" * 64,
            status=status,
        )

    queued = outgoing(OutgoingStatus.QUEUED, 1)
    failed = outgoing(OutgoingStatus.FAILED, 2)
    sent = outgoing(OutgoingStatus.SENT, 3)
    token, _secret = token_create(user=dave, name="script")
    browser = Client()
    assert browser.login(username="dave", password=PASSWORD)
    return SimpleNamespace(
        dave=dave,
        accounts=accounts,
        mailbox=mailbox,
        shared=shared,
        held=held,
        expired=expired,
        given=given,
        nordics=nordics,
        queued=queued,
        failed=failed,
        sent=sent,
        token=token,
        browser=browser,
    )


def _plan(book, people, **kw) -> HandoverPlan:
    return HandoverPlan(departing=book.dave, successor=people.bob, **kw)


def _pointing_at_owner(user: User) -> dict[str, int]:
    """Count rows of every model whose owner-ish key (FK or M2M to users) names USER."""
    found = {}
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if not (f.is_relation and f.concrete and f.related_model is User):
                continue
            if "owner" not in f.name:
                continue
            n = model._default_manager.filter(**{f.name: user}).count()
            if n:
                found[f"{model._meta.label_lower}.{f.name}"] = n
    return found


EXPECTED_TOTALS = {
    "accounts": BOOK,
    "contacts": BOOK,
    "notes": BOOK // 3,
    "timeline_entries": BOOK // 3 + 4,  # note entries + four emails
    "awaiting_threads": 2,
    "mailboxes": 1,
    "shared_mailboxes": 1,
    "outgoing": 2,
    "grants": 1,
    "teams": 1,
    "api_tokens": 1,
    "tasks": 0,
    "comments": 0,
    "leads": 0,
    "deals": 0,
}


def test_preview_counts_exactly_what_would_move(book, people):
    data = handover_preview(_plan(book, people))

    assert data["totals"] == EXPECTED_TOTALS
    assert data["successors"] == [
        {
            "successor": "bob",
            "matches": ["default"],
            "accounts": BOOK,
            "contacts": BOOK,
            "notes": BOOK // 3,
            "timeline_entries": BOOK // 3 + 4,
            "awaiting_threads": 2,
            "tasks": 0,
            "comments": 0,
            "leads": 0,
            "deals": 0,
        }
    ]
    assert Account.objects.filter(owner=book.dave).count() == BOOK  # nothing moved


def test_dry_run_prints_the_preview_and_changes_nothing(book, people):
    out = StringIO()
    call_command("handover", "--from", "dave", "--to", "bob", "--dry-run", "--json", stdout=out)

    assert json.loads(out.getvalue())["totals"] == EXPECTED_TOTALS
    book.dave.refresh_from_db()
    assert book.dave.is_active and book.dave.departed_at is None
    assert _pointing_at_owner(book.dave)["crm.account.owner"] == BOOK
    assert not Activity.objects.filter(kind=ActivityKind.HANDOVER).exists()
    assert not AuditEntry.objects.filter(action=AuditAction.HANDOVER).exists()
    assert Session.objects.count() == 1
    assert book.browser.get("/accounts/").status_code == 200


def test_handover_moves_the_whole_book_and_closes_access(book, people):
    dave, bob = book.dave, people.bob

    result = handover_execute(_plan(book, people), actor=people.admin)

    # Nothing names dave as owner any more; bob holds it all, under bob's team.
    assert _pointing_at_owner(dave) == {}
    assert Account.objects.filter(owner=bob, team=bob.team).count() == BOOK
    assert Contact.objects.filter(owner=bob, account__in=book.accounts).count() == BOOK
    assert Note.objects.filter(owner=bob, team=bob.team, author=dave).count() == BOOK // 3
    # A handover entry on each moved account's timeline, saying who to whom.
    entries = Activity.objects.filter(kind=ActivityKind.HANDOVER)
    assert entries.count() == BOOK
    assert set(entries.values_list("account_id", flat=True)) == {a.pk for a in book.accounts}
    first = entries.first()
    assert first.data["from"] == "dave" and first.data["to"] == "bob"
    assert first.owner_id == bob.pk and first.actor_id == people.admin.pk
    # Duties and access.
    book.nordics.refresh_from_db()
    assert book.nordics.manager_id == bob.pk
    book.held.refresh_from_db(), book.expired.refresh_from_db(), book.given.refresh_from_db()
    assert book.held.revoked_at is not None
    assert book.expired.revoked_at is None  # already over; left as it was
    assert book.given.revoked_at is None and book.given.granted_by_id == dave.pk
    dave.refresh_from_db()
    assert not dave.is_active and dave.departed_at is not None
    assert not Session.objects.exists()
    assert book.browser.get("/accounts/").status_code == 302  # the old session is gone
    assert not Client().login(username="dave", password=PASSWORD)
    assert ApiToken.objects.get(pk=book.token.pk).revoked_at is not None
    statuses = dict(OutgoingMessage.objects.values_list("pk", "status"))
    assert statuses[book.queued.pk] == OutgoingStatus.CANCELLED
    assert statuses[book.failed.pk] == OutgoingStatus.CANCELLED
    assert statuses[book.sent.pk] == OutgoingStatus.SENT
    # The audit log tells the story, with the counts.
    handover = AuditEntry.objects.get(action=AuditAction.HANDOVER)
    assert handover.actor_id == people.admin.pk and handover.object_id == str(dave.pk)
    assert handover.data["totals"]["accounts"] == BOOK
    assert handover.data["totals"]["handover_entries"] == BOOK
    assert AuditEntry.objects.filter(
        action=AuditAction.USER_CHANGE, object_id=str(dave.pk), data__reason="handover"
    ).exists()
    assert AuditEntry.objects.filter(
        action=AuditAction.GRANT_REVOKE, object_id=str(book.held.pk)
    ).exists()
    assert result["totals"] == {
        "accounts": BOOK,
        "contacts": BOOK,
        "notes": BOOK // 3,
        "timeline_entries": BOOK // 3 + 4,
        "awaiting_threads": 2,
        "handover_entries": BOOK,
        "mailboxes": 1,
        "shared_mailboxes": 1,
        "outgoing_cancelled": 2,
        "grants_revoked": 1,
        "teams": 1,
        "sessions": 1,
        "api_tokens_revoked": 1,
        "tasks": 0,
        "comments": 0,
        "leads": 0,
        "deals": 0,
    }


def test_the_successor_sees_the_handover_on_the_timeline(book, people, login):
    handover_execute(_plan(book, people), actor=people.admin)

    page = login(people.bob).get(f"/accounts/{book.accounts[7].pk}/")
    assert page.status_code == 200
    assert "Handed over from dave to bob" in page.content.decode()
    _token, secret = token_create(user=people.bob)
    api = Client().get(
        f"/api/v1/accounts/{book.accounts[7].pk}/timeline",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert api.status_code == 200
    entry = api.json()["items"][0]
    assert entry["kind"] == "handover" and entry["summary"] == "dave → bob"
    assert entry["actor"] == "admin"


def test_split_by_country_sends_each_account_to_the_first_matching_rule(book, people):
    carol, bob, alice = people.carol, people.bob, people.alice
    plan = _plan(
        book,
        people,
        rules=(rule_countries("CN,HK", carol), rule_countries("HK,GB", alice)),
    )

    preview = handover_preview(plan)
    result = handover_execute(plan, actor=SYSTEM)

    by = {row["successor"]: row for row in preview["successors"]}
    assert by["carol"]["accounts"] == 120 and by["carol"]["awaiting_threads"] == 1  # CN
    assert by["alice"]["accounts"] == 60 and by["alice"]["awaiting_threads"] == 1  # GB only
    assert by["bob"]["accounts"] == 120 and by["bob"]["awaiting_threads"] == 0
    assert {r["successor"]: r["accounts"] for r in result["successors"]} == {
        "carol": 120,
        "alice": 60,
        "bob": 120,
    }
    moved = Account.objects.filter(pk__in=[a.pk for a in book.accounts])
    assert set(moved.filter(country__in=["CN", "HK"]).values_list("owner", "team")) == {
        (carol.pk, carol.team_id)
    }
    assert set(moved.filter(country="GB").values_list("owner", flat=True)) == {alice.pk}
    assert set(moved.filter(country__in=["DE", "US"]).values_list("owner", flat=True)) == {bob.pk}
    # Contacts and timeline entries follow their account.
    assert not Contact.objects.filter(account__country="CN").exclude(owner=carol).exists()
    handovers = Activity.objects.filter(kind=ActivityKind.HANDOVER, account__country="HK")
    assert set(handovers.values_list("owner", flat=True)) == {carol.pk}
    assert _pointing_at_owner(book.dave) == {}


def test_cli_split_by_team_tried_in_command_line_order(book, people):
    out = StringIO()
    call_command(
        "handover",
        "--from=dave",
        "--to=bob",
        "--split-team=Europe=carol",  # dave's accounts are all under Europe: this wins
        "--split-country=CN=alice",
        "--json",
        stdout=out,
    )

    data = json.loads(out.getvalue())
    assert [r["to"] for r in data["plan"]["rules"]] == ["carol", "alice"]
    assert Account.objects.filter(owner=people.carol, team=people.carol.team).count() == BOOK
    assert not Account.objects.filter(owner=people.alice, country="CN").exists()


def test_keep_leaves_the_mailbox_read_only_unsynced_and_unsendable(book, people):
    Mailbox.objects.filter(pk=book.mailbox.pk).update(sync_enabled=True)
    assert book.mailbox.pk in mailboxes_due()

    handover_execute(_plan(book, people, mailboxes=MailboxChoice.KEEP), actor=SYSTEM)

    box = Mailbox.objects.get(pk=book.mailbox.pk)
    assert box.read_only and not box.sync_enabled
    assert not box.owners.exists()
    assert box.copies.count() == 4  # the history stays
    assert book.mailbox.pk not in mailboxes_due()
    # Even someone later made an owner, or an admin switching sync back on, cannot use it.
    box.owners.add(people.bob)
    Mailbox.objects.filter(pk=box.pk).update(sync_enabled=True)
    assert box.pk not in mailboxes_sendable_by(people.bob).values_list("pk", flat=True)
    assert box.pk not in mailboxes_due()
    # The shared mailbox carries on with bob in dave's place.
    assert list(book.shared.owners.all()) == [people.bob]
    assert not Mailbox.objects.get(pk=book.shared.pk).read_only


def test_reassign_gives_the_mailbox_to_the_successor(book, people):
    handover_execute(_plan(book, people, mailboxes=MailboxChoice.REASSIGN), actor=SYSTEM)

    box = Mailbox.objects.get(pk=book.mailbox.pk)
    assert list(box.owners.all()) == [people.bob]
    assert box.team_id == people.bob.team_id and not box.read_only
    assert box.pk in mailboxes_sendable_by(people.bob).values_list("pk", flat=True)


def test_refusals(book, people):
    with pytest.raises(InvalidInput):
        plan_build(departing="dave", successor="dave")
    with pytest.raises(InvalidInput):
        plan_build(departing="dave", successor="bob", splits=[("country", "CN", "dave")])
    people.carol.is_active = False
    people.carol.save()
    with pytest.raises(InvalidInput):
        plan_build(departing="dave", successor="carol")
    with pytest.raises(InvalidInput):
        plan_build(departing="dave", successor="bob", splits=[("country", "CN", "carol")])
    with pytest.raises(InvalidInput):
        plan_build(departing="dave", successor="bob", splits=[("country", "C1", "alice")])
    with pytest.raises(CommandError):
        call_command("handover", "--from", "dave", "--to", "nobody", stdout=StringIO())
    assert Account.objects.filter(owner=book.dave).count() == BOOK


def test_a_user_with_nothing_hands_over_zero(people, staff):
    result = handover_execute(
        plan_build(departing="sid", successor="bob"), actor=SYSTEM
    )  # fmt: skip

    assert result["totals"]["accounts"] == 0 and result["totals"]["handover_entries"] == 0
    assert not User.objects.get(username="sid").is_active


def _form(**extra) -> dict:
    data = {"departing": "", "successor": "", "mailboxes": "reassign"}
    for i in range(3):
        data[f"countries_{i}"] = ""
        data[f"split_to_{i}"] = ""
    data.update(extra)
    return data


def test_web_form_preview_confirm(book, people, login):
    client = login(people.admin)
    form = _form(
        departing=book.dave.pk,
        successor=people.bob.pk,
        countries_0="CN, HK",
        split_to_0=people.carol.pk,
        mailboxes="keep",
    )

    assert client.get("/people/handover/").status_code == 200
    preview = client.post("/people/handover/preview/", form)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert '<input type="hidden" name="split_to_0"' in html  # the plan rides along
    assert "<dd>300</dd>" in html  # customers
    assert '<td class="num">120</td>' in html  # carol's share
    book.dave.refresh_from_db()
    assert book.dave.is_active  # a preview changes nothing

    done = client.post("/people/handover/confirm/", form)
    assert done.status_code == 302 and done.url == "/people/handover/done/"
    page = client.get(done.url)
    assert page.status_code == 200 and "<dd>300</dd>" in page.content.decode()
    assert client.get(done.url).status_code == 302  # shown once
    book.dave.refresh_from_db()
    assert not book.dave.is_active
    assert Account.objects.filter(owner=people.carol, country="HK").count() == 60
    assert Mailbox.objects.get(pk=book.mailbox.pk).read_only
    assert _pointing_at_owner(book.dave) == {}


def test_web_form_shows_refusals(book, people, login):
    client = login(people.admin)
    same = client.post(
        "/people/handover/preview/", _form(departing=book.dave.pk, successor=book.dave.pk)
    )
    assert same.status_code == 200 and "themselves" in same.content.decode()
    half = client.post(
        "/people/handover/preview/",
        _form(departing=book.dave.pk, successor=people.bob.pk, countries_0="CN"),
    )
    assert half.status_code == 200 and "Give both" in half.content.decode()
    assert client.post("/people/handover/confirm/", _form()).status_code == 200
    assert User.objects.get(pk=book.dave.pk).is_active


def test_web_handover_needs_manage_users(book, people, staff, login):
    form = _form(departing=book.dave.pk, successor=people.bob.pk)
    for user in (staff.dora, people.alice, people.carol):  # director, team lead, salesperson
        client = login(user)
        assert client.get("/people/handover/").status_code == 403
        assert client.post("/people/handover/preview/", form).status_code == 403
        assert client.post("/people/handover/confirm/", form).status_code == 403
    assert Client().get("/people/handover/").status_code == 302  # to the login page
    assert User.objects.get(pk=book.dave.pk).is_active


def test_a_user_manager_who_is_not_admin_cannot_hand_over_an_admin(people, login):
    role = Role.objects.create(slug="hr", name="HR", capabilities=["manage_users"])
    hr = user_add(username="hanna", email="hanna@demo-trading.com", role="hr")
    assert hr.role == role
    client = login(hr)
    assert client.get("/people/handover/").status_code == 200

    refused = client.post(
        "/people/handover/confirm/",
        _form(departing=people.admin.pk, successor=people.bob.pk),
    )
    assert refused.status_code == 200 and "administrator" in refused.content.decode()
    assert User.objects.get(pk=people.admin.pk).is_active


def test_web_handover_asks_for_the_password_again_after_a_while(people, login):
    from keyou.web.reauth import SESSION_KEY

    client = login(people.admin)
    session = client.session
    session[SESSION_KEY] = 0
    session.save()

    page = client.get("/people/handover/")
    assert page.status_code == 302 and page.url.startswith("/reauth/")
