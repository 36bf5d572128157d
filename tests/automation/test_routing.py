"""Shared-mailbox routing: rules pick the team, a strategy picks the person, once per message."""

from __future__ import annotations

import threading
from collections import Counter
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from keyou.audit.models import AuditAction, AuditEntry
from keyou.automation.models import RoutingCursor, RoutingRule, Strategy
from keyou.automation.origin import Origin
from keyou.automation.routing import (
    assignee_pick,
    assignee_preview,
    inquiry_assign,
    inquiry_route,
    routing_rule_pick,
)
from keyou.crm.models import Account, Activity, ActivityKind
from keyou.mail.models import Mailbox, Thread
from keyou.mail.services import mailbox_add
from keyou.people.models import Notification, RegionGroup, Team, User
from keyou.people.services import team_ensure, user_add

EU = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"


def _team(name: str, *usernames: str) -> SimpleNamespace:
    team = team_ensure(name=name)
    members = [
        user_add(username=u, email=f"{u}@demo-trading.com", team=name, role="salesperson")
        for u in usernames
    ]
    return SimpleNamespace(team=team, members=members)


@pytest.fixture
def org(db):
    """Teams Sales (4 people, the mailbox's team), Lighting (2), Europe (2); sales@ shared."""
    sales = _team("Sales", "sam", "sue", "sid", "sal")
    lighting = _team("Lighting", "lea", "leo")
    europe = _team("Europe", "eva", "emil")
    mailbox = mailbox_add(address="sales@demo-trading.com", kind="shared")
    mailbox.team = sales.team
    mailbox.save(update_fields=["team"])
    RegionGroup.objects.get_or_create(
        code="EU", defaults={"name": "European Union", "countries": EU.split()}
    )
    return SimpleNamespace(sales=sales, lighting=lighting, europe=europe, mailbox=mailbox)


def _rule(name: str, team: Team, position: int, **criteria) -> RoutingRule:
    return RoutingRule.objects.create(name=name, team=team, position=position, **criteria)


def _inquire(
    org, n: int, *, sender: str = "buyer@example.com", subject: str = "Inquiry", text: str = ""
) -> tuple[Account, bool]:
    """A new ownerless customer sends message N to sales@; route it and assign it."""
    account = Account.objects.create(name=f"Buyer {n}")
    route = inquiry_route(
        mailbox=org.mailbox, account=account, subject=subject, text=text, sender=sender
    )
    assigned = inquiry_assign(route=route, account=account, message_id=n)
    return account, assigned


def _owners(accounts) -> Counter:
    return Counter(
        Account.objects.filter(pk__in=[a.pk for a in accounts]).values_list(
            "owner__username", flat=True
        )
    )


def test_round_robin_spreads_1000_inquiries_evenly(org):
    accounts = []
    for n in range(1000):
        account, assigned = _inquire(org, n)
        assert assigned
        accounts.append(account)
    assert _owners(accounts) == {"sam": 250, "sue": 250, "sid": 250, "sal": 250}
    assignments = Activity.objects.filter(kind=ActivityKind.ASSIGNMENT)
    assert assignments.count() == 1000
    first = assignments.get(data__message_id=0)
    assert first.data["to"] == "sam"
    assert first.data["rule"] == ""
    assert first.data["why"] == ["no rule matched → team Sales", "round robin"]
    assert Counter(
        Notification.objects.filter(kind="assignment").values_list("recipient__username", flat=True)
    ) == {"sam": 250, "sue": 250, "sid": 250, "sal": 250}


def test_the_turn_goes_on_in_id_order_and_wraps(org):
    team = org.sales.team
    picks = [assignee_pick(team=team, strategy=Strategy.ROUND_ROBIN).username for _ in range(6)]
    assert picks == ["sam", "sue", "sid", "sal", "sam", "sue"]
    assert RoutingCursor.objects.get(team=team).last_user_id == org.sales.members[1].pk


def test_least_loaded_prefers_the_idle_person(org):
    sam, sue, sid, sal = org.sales.members
    now = timezone.now()
    for owner, waiting in ((sam, 3), (sue, 1), (sid, 2), (sal, 0)):
        account = Account.objects.create(name=f"Busy {owner}", owner=owner, team=owner.team)
        for _ in range(waiting):
            Thread.objects.create(subject="waiting", account=account, awaiting_since=now)
        # Answered threads are no load.
        Thread.objects.create(subject="answered", account=account)
    _rule("Everything", org.sales.team, 10, strategy=Strategy.LEAST_LOADED)
    account, _ = _inquire(org, 1)
    assert account.owner == sal
    why = Activity.objects.get(kind=ActivityKind.ASSIGNMENT).data["why"]
    assert why[-1] == "least loaded (0 awaiting reply)"
    # Still idle (a new customer owes no reply yet): sal again.
    assert _inquire(org, 2)[0].owner == sal
    # Sal now has two threads waiting: sue (one) is the least loaded.
    for _ in range(2):
        Thread.objects.create(subject="waiting", account=account, awaiting_since=now)
    assert _inquire(org, 3)[0].owner == sue


def test_least_loaded_ties_go_round(org):
    team = org.sales.team
    picks = [assignee_pick(team=team, strategy=Strategy.LEAST_LOADED).username for _ in range(5)]
    assert picks == ["sam", "sue", "sid", "sal", "sam"]


def test_a_departed_user_never_receives_one(org):
    sam, sue, sid, sal = org.sales.members
    before = [_inquire(org, n)[0] for n in range(102)]
    assert _owners(before) == {"sam": 26, "sue": 26, "sid": 25, "sal": 25}
    # Mid-way, with sid's turn next: sid departs and sal is deactivated.
    sid.departed_at = timezone.now()
    sid.save(update_fields=["departed_at"])
    sal.is_active = False
    sal.save(update_fields=["is_active"])
    after = [_inquire(org, n)[0] for n in range(102, 400)]
    assert _owners(after) == {"sam": 149, "sue": 149}
    # Back again: sid rejoins the rotation where it stands.
    User.objects.filter(pk=sid.pk).update(departed_at=None)
    assert [_inquire(org, n)[0].owner.username for n in range(400, 403)] == ["sid", "sam", "sue"]


def test_a_team_with_nobody_available_falls_back_to_the_mailbox_team(org):
    lea, leo = org.lighting.members
    User.objects.filter(pk__in=[lea.pk, leo.pk]).update(departed_at=timezone.now())
    _rule("Lighting", org.lighting.team, 10, keywords=["LED"])
    route = inquiry_route(
        mailbox=org.mailbox, account=None, subject="LED panels", text="", sender="a@b.com"
    )
    assert route.user.username == "sam"
    assert route.rule.name == "Lighting"
    assert route.reason == [
        "keyword 'LED' → team Lighting",
        "nobody available in team Lighting",
        "fallback → team Sales",
        "round robin",
    ]
    assert assignee_pick(team=org.lighting.team, strategy=Strategy.ROUND_ROBIN) is None


def test_keyword_rule_beats_region_rule_by_order(org):
    keyword = _rule("LED products", org.lighting.team, 10, keywords=["led", "灯具"])
    region = _rule("Europe", org.europe.team, 20, countries=["EU"])
    account, _ = _inquire(org, 1, sender="Hans <hans@firma.de>", subject="Angebot LED-Panels")
    assert account.owner.username == "lea"
    entry = Activity.objects.get(kind=ActivityKind.ASSIGNMENT, account=account)
    assert entry.data["rule"] == "LED products"
    assert entry.data["why"] == ["keyword 'led' → team Lighting", "round robin"]
    # Chinese keywords match inside Chinese text.
    account, _ = _inquire(org, 2, sender="hans@firma.de", text="我们需要灯具的报价")
    assert account.owner.username == "leo"
    # No keyword: the region rule.
    account, _ = _inquire(org, 3, sender="hans@firma.de", subject="Angebot Kabel")
    assert account.owner.username == "eva"
    # Region first: it wins.
    region.position, keyword.position = 5, 10
    region.save()
    keyword.save()
    account, _ = _inquire(org, 4, sender="hans@firma.de", subject="Angebot LED-Panels")
    assert account.owner.username == "emil"
    # A disabled rule is skipped.
    region.enabled = False
    region.save()
    account, _ = _inquire(org, 5, sender="hans@firma.de", subject="Angebot LED-Panels")
    assert account.owner.username == "lea"


def test_eu_region_group_matches_a_de_sender(org):
    _rule("Europe", org.europe.team, 10, countries=["EU"])
    origin = Origin(country="DE", how="domain")
    args = {"mailbox": org.mailbox, "subject": "Quote", "text": ""}
    assert routing_rule_pick(origin=origin, **args).name == "Europe"
    assert routing_rule_pick(origin=Origin(country="US", how="domain"), **args) is None
    assert routing_rule_pick(origin=Origin(), **args) is None
    route = inquiry_route(
        mailbox=org.mailbox, account=None, subject="Quote", text="", sender="hans@firma.de"
    )
    assert route.team.name == "Europe"
    assert route.reason == ["country DE (domain) → team Europe", "round robin"]


def test_every_criterion_a_rule_sets_must_hold(org):
    other = mailbox_add(address="info@demo-trading.com", kind="shared")
    _rule(
        "Chinese LED to info@",
        org.lighting.team,
        10,
        mailbox=other,
        keywords=["LED"],
        languages=["zh"],
        countries=["CN"],
    )
    zh = "您好，我们想要LED灯的报价，谢谢"
    args = {"subject": "询价", "text": zh, "origin": Origin(country="CN", language="zh")}
    assert routing_rule_pick(mailbox=other, **args).name == "Chinese LED to info@"
    assert routing_rule_pick(mailbox=org.mailbox, **args) is None  # another mailbox
    no_keyword = {**args, "text": "您好，我们想要报价"}
    assert routing_rule_pick(mailbox=other, **no_keyword) is None
    english = {**args, "origin": Origin(country="CN", language="en")}
    assert routing_rule_pick(mailbox=other, **english) is None


def test_a_country_from_the_phone_number_routes_too(org):
    _rule("Brazil", org.europe.team, 10, countries=["BR"])
    route = inquiry_route(
        mailbox=org.mailbox,
        account=None,
        subject="Quote",
        text="Please quote.",
        full_text="Please quote.\n\nAna Souza\nWhatsApp +55 11 98765-4321",
        sender="ana@gmail.com",
    )
    assert route.reason[0] == "country BR (phone) → team Europe"


def test_an_existing_customer_goes_to_the_owner(org):
    eva = org.europe.members[0]
    account = Account.objects.create(name="Known", owner=eva, team=eva.team)
    route = inquiry_route(
        mailbox=org.mailbox, account=account, subject="Hi", text="", sender="k@known.de"
    )
    assert route.user == eva
    assert route.reason == ["existing customer"]
    assert inquiry_assign(route=route, account=account, message_id=7) is False
    assert not Activity.objects.filter(kind=ActivityKind.ASSIGNMENT).exists()
    assert not RoutingCursor.objects.exists()  # nobody's turn was taken


def test_a_customer_of_a_departed_owner_is_routed_again(org):
    eva = org.europe.members[0]
    account = Account.objects.create(name="Orphan", owner=eva, team=eva.team)
    eva.departed_at = timezone.now()
    eva.save(update_fields=["departed_at"])
    route = inquiry_route(
        mailbox=org.mailbox, account=account, subject="Hi", text="", sender="o@orphan.com"
    )
    assert route.reason[0] == "previous owner eva is no longer active"
    assert inquiry_assign(route=route, account=account, message_id=8) is True
    assert account.owner.username == "sam"


def test_a_second_assign_for_the_same_message_changes_nothing(org):
    account = Account.objects.create(name="Twice", pooled_at=timezone.now())
    thread = Thread.objects.create(subject="Quote")
    route = inquiry_route(
        mailbox=org.mailbox, account=account, subject="Quote", text="", sender="t@twice.com"
    )
    assert inquiry_assign(route=route, account=account, thread=thread, message_id=42) is True
    account.refresh_from_db()
    thread.refresh_from_db()
    assert (account.owner.username, account.team.name, account.pooled_at) == ("sam", "Sales", None)
    assert thread.account == account

    def counts():
        return (
            Activity.objects.filter(kind=ActivityKind.ASSIGNMENT).count(),
            Notification.objects.count(),
            AuditEntry.objects.filter(action=AuditAction.ASSIGN).count(),
            RoutingCursor.objects.get().last_user_id,
        )

    once = counts()
    assert once[:3] == (1, 1, 1)
    notice = Notification.objects.get()
    assert (notice.recipient.username, notice.kind) == ("sam", "assignment")
    assert notice.dedupe_key == f"assign:{account.pk}:42"
    assert notice.url == f"/accounts/{account.pk}/"
    # Redelivered: the same route again, and a fresh route (the owner is now known).
    assert inquiry_assign(route=route, account=account, thread=thread, message_id=42) is False
    again = inquiry_route(
        mailbox=org.mailbox, account=account, subject="Quote", text="", sender="t@twice.com"
    )
    assert again.reason == ["existing customer"]
    assert inquiry_assign(route=again, account=account, thread=thread, message_id=42) is False
    # Even if the customer lost its owner meanwhile, this message assigns nothing twice.
    Account.objects.filter(pk=account.pk).update(owner=None)
    account.refresh_from_db()
    other = inquiry_route(
        mailbox=org.mailbox, account=account, subject="Quote", text="", sender="t@twice.com"
    )
    assert other.user.username == "sue"
    assert inquiry_assign(route=other, account=account, message_id=42) is False
    assert counts()[:3] == once[:3]
    # The next message of that customer is routed as usual.
    assert inquiry_assign(route=other, account=account, message_id=43) is True
    assert Account.objects.get(pk=account.pk).owner.username == "sue"


def test_a_person_who_leaves_between_route_and_assign_gets_nothing(org):
    account = Account.objects.create(name="Late")
    route = inquiry_route(
        mailbox=org.mailbox, account=account, subject="Quote", text="", sender="l@late.com"
    )
    User.objects.filter(pk=route.user.pk).update(is_active=False)
    assert inquiry_assign(route=route, account=account, message_id=1) is False
    assert Account.objects.get(pk=account.pk).owner is None


def test_fixed_strategy_with_a_departed_person_falls_back(org):
    lea, leo = org.lighting.members
    _rule("Lamps to Lea", org.lighting.team, 10, keywords=["lamp"], strategy="fixed", user=lea)
    first, _ = _inquire(org, 1, subject="lamp prices")
    second, _ = _inquire(org, 2, subject="lamp prices")
    assert (first.owner, second.owner) == (lea, lea)
    assert Activity.objects.filter(account=first).get(kind=ActivityKind.ASSIGNMENT).data["why"] == [
        "keyword 'lamp' → team Lighting",
        "fixed person lea",
    ]
    lea.departed_at = timezone.now()
    lea.save(update_fields=["departed_at"])
    third, _ = _inquire(org, 3, subject="lamp prices")
    assert third.owner == leo
    assert Activity.objects.filter(account=third).get(kind=ActivityKind.ASSIGNMENT).data["why"] == [
        "keyword 'lamp' → team Lighting",
        "fixed person lea unavailable; round robin",
    ]
    # A fixed person outside the team is not eligible either.
    assert assignee_pick(team=org.europe.team, strategy="fixed", user=leo).team.name == "Europe"


def test_only_shared_mailboxes_are_routed(org):
    personal = mailbox_add(address="sam@demo-trading.com", owner="sam")
    assert (
        inquiry_route(mailbox=personal, account=None, subject="Q", text="", sender="a@b.de") is None
    )


def test_a_preview_does_not_take_the_turn(org):
    team = org.sales.team
    assert assignee_preview(team=team).username == "sam"
    assert assignee_preview(team=team).username == "sam"
    route = inquiry_route(
        mailbox=org.mailbox, account=None, subject="Q", text="", sender="a@b.de", dry_run=True
    )
    assert route.user.username == "sam"
    assert not RoutingCursor.objects.exists()
    assert assignee_pick(team=team, strategy="round_robin").username == "sam"
    assert assignee_preview(team=team, strategy="least_loaded").username == "sue"


def test_a_mailbox_without_a_team_and_no_rule_routes_to_nobody(org):
    Mailbox.objects.filter(pk=org.mailbox.pk).update(team=None)
    org.mailbox.refresh_from_db()
    account = Account.objects.create(name="Nobody's")
    route = inquiry_route(
        mailbox=org.mailbox, account=account, subject="Q", text="", sender="a@b.com"
    )
    assert route.user is None
    assert route.reason == ["no rule matched and mailbox has no team"]
    assert inquiry_assign(route=route, account=account, message_id=1) is False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_never_take_the_same_turn():
    """Four threads (each its own database connection) take 100 turns: 25 each, no repeats."""
    team = _team("Parallel", "pa", "pb", "pc", "pd").team
    picked: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(25):
                picked.append(assignee_pick(team=team, strategy="round_robin").username)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Counter(picked) == {"pa": 25, "pb": 25, "pc": 25, "pd": 25}


def test_a_rule_for_the_mailbox_team_with_nobody_routes_to_nobody(org):
    User.objects.filter(team=org.sales.team).update(is_active=False)
    _rule("Sales", org.sales.team, 10, keywords=["quote"])
    route = inquiry_route(
        mailbox=org.mailbox, account=None, subject="quote", text="", sender="a@b.com"
    )
    assert route.user is None
    assert route.reason == ["keyword 'quote' → team Sales", "nobody available in team Sales"]
