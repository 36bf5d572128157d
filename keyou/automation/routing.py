"""Shared-mailbox routing: who takes a new inquiry from an unknown or ownerless customer.

An inquiry to a shared mailbox (sales@) goes to the customer's owner when it has an
active one. Otherwise the first enabled routing rule that matches (keywords →
a product-line team, sender country or region → a regional team, language) names
a team and a strategy; without a match, the mailbox's own team takes it in turn.
Inside the team the strategy picks one active person: round robin, least loaded
(fewest threads awaiting our reply), or a fixed person.

`inquiry_route` decides (and moves the round-robin turn on); `inquiry_assign`
gives the account to the person, once per message, with a timeline entry and a
notification. Both are safe to run twice for the same message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_noop

from keyou.automation.models import RoutingCursor, RoutingRule, Strategy
from keyou.automation.origin import Origin, origin_detect
from keyou.crm.activities import assignment_activity
from keyou.crm.models import Account, Activity, ActivityKind
from keyou.crm.services import accounts_assign
from keyou.mail.models import Mailbox, MailboxKind, Thread
from keyou.people.access import SYSTEM, region_countries
from keyou.people.directory import users_active
from keyou.people.models import Team, User
from keyou.people.services import notify_once, notify_translated

__all__ = [
    "Origin",
    "Route",
    "assignee_pick",
    "assignee_preview",
    "fallback_team",
    "inquiry_assign",
    "inquiry_route",
    "origin_detect",
    "routing_rule_pick",
]


@dataclass(frozen=True)
class Route:
    """Who should take an inquiry, by which rule (None: no rule), and why (short English)."""

    user: User | None
    rule: RoutingRule | None
    origin: Origin
    reason: list[str] = field(default_factory=list)
    team: Team | None = None  # the team the person was picked in


def user_available(user: User | None) -> bool:
    """Return whether USER may still receive customers (active, not departed)."""
    return user is not None and user.is_active and user.departed_at is None


# --- Rules -----------------------------------------------------------------------------


def _criteria_hold(
    rule: RoutingRule, *, mailbox: Mailbox, haystack: str, origin: Origin
) -> list[str] | None:
    """Return the reasons RULE matches (one per criterion it sets), or None if it does not."""
    why: list[str] = []
    if rule.mailbox_id is not None:
        if rule.mailbox_id != mailbox.pk:
            return None
        why.append(f"mailbox {mailbox.address}")
    if rule.languages:
        if origin.language not in {str(code).lower() for code in rule.languages}:
            return None
        why.append(f"language {origin.language}")
    if rule.keywords:
        hit = next(
            (k for k in rule.keywords if str(k).strip() and str(k).casefold() in haystack), None
        )
        if hit is None:
            return None
        why.insert(0, f"keyword '{hit}'")
    if rule.countries:
        # Checked last: expanding region groups reads the database.
        if not origin.country or origin.country not in region_countries(rule.countries):
            return None
        via = f" ({origin.how})" if origin.how else ""
        why.append(f"country {origin.country}{via}")
    return why


def _rule_pick(
    *, mailbox: Mailbox, subject: str, text: str, origin: Origin
) -> tuple[RoutingRule | None, str]:
    haystack = f"{subject or ''}\n{text or ''}".casefold()
    rules = RoutingRule.objects.filter(enabled=True).select_related("team", "user")
    for rule in rules.order_by("position", "id"):
        why = _criteria_hold(rule, mailbox=mailbox, haystack=haystack, origin=origin)
        if why is not None:
            said = ", ".join(why) if why else f"rule '{rule.name}'"
            return rule, f"{said} → team {rule.team.name}"
    return None, ""


def routing_rule_pick(
    *, mailbox: Mailbox, subject: str, text: str, origin: Origin
) -> RoutingRule | None:
    """Return the first enabled routing rule (by position) whose every criterion holds.

    A rule holds when its mailbox is MAILBOX (or it names none), one of its keywords
    is in SUBJECT or TEXT (case-insensitive), ORIGIN's country is in its countries or
    region groups, and ORIGIN's language is among its languages; criteria it leaves
    empty always hold. Return None when no rule matches.
    """
    return _rule_pick(mailbox=mailbox, subject=subject, text=text, origin=origin)[0]


def fallback_team(mailbox: Mailbox) -> Team | None:
    """Return the team that takes MAILBOX's inquiries when no rule matches (round robin)."""
    return mailbox.team


# --- People inside a team ------------------------------------------------------------------


def _eligible(team: Team) -> list[User]:
    """Return the members of exactly TEAM who may receive customers, by id."""
    return list(users_active().filter(team=team).select_related("team").order_by("pk"))


def _rotation(members: list[User], last_user_id: int | None) -> list[User]:
    """Return MEMBERS in turn order: first the one after LAST_USER_ID, wrapping around.

    A last user who left the team (or departed) is not in MEMBERS; the turn passes
    to the next id after theirs, so the rotation carries on where it was.
    """
    if last_user_id is None:
        return members
    after = [m for m in members if m.pk > last_user_id]
    return after + [m for m in members if m.pk <= last_user_id]


def _open_threads(members: list[User]) -> dict[int, int]:
    """Return, per member id, the threads awaiting our reply whose customer they own."""
    rows = (
        Thread.objects.filter(awaiting_since__isnull=False, account__owner__in=members)
        .values("account__owner")
        .annotate(n=Count("id"))
    )
    return {row["account__owner"]: row["n"] for row in rows}


def _choose_in_turn(
    team: Team, choose: Callable[[list[User]], tuple[User, str]], *, dry_run: bool
) -> tuple[User | None, str]:
    """Pick with CHOOSE over the team's members in turn order, and move the turn on.

    The cursor row is locked (select_for_update) while choosing, so two workers
    never hand out the same turn. With DRY_RUN, read the cursor and change nothing.
    """
    if dry_run:
        last = (
            RoutingCursor.objects.filter(team=team).values_list("last_user_id", flat=True).first()
        )
        members = _eligible(team)
        return choose(_rotation(members, last)) if members else (None, "")
    with transaction.atomic():
        cursor = RoutingCursor.objects.select_for_update().filter(team=team).first()
        if cursor is None:  # the team's first inquiry
            RoutingCursor.objects.get_or_create(team=team)
            cursor = RoutingCursor.objects.select_for_update().get(team=team)
        members = _eligible(team)
        if not members:
            return None, ""
        user, why = choose(_rotation(members, cursor.last_user_id))
        cursor.last_user_id = user.pk
        cursor.save(update_fields=["last_user_id"])
    return user, why


def _round_robin(in_turn: list[User]) -> tuple[User, str]:
    return in_turn[0], "round robin"


def _least_loaded(in_turn: list[User]) -> tuple[User, str]:
    load = _open_threads(in_turn)
    fewest = min(load.get(m.pk, 0) for m in in_turn)
    # Ties go to whoever's turn comes first, so idle people share the work evenly.
    user = next(m for m in in_turn if load.get(m.pk, 0) == fewest)
    return user, f"least loaded ({fewest} awaiting reply)"


def _assignee_pick(
    *, team: Team, strategy: str, user: User | None = None, dry_run: bool = False
) -> tuple[User | None, str]:
    if strategy == Strategy.FIXED:
        if user is not None and any(m.pk == user.pk for m in _eligible(team)):
            return user, f"fixed person {user.username}"
        who = user.username if user is not None else "nobody"
        picked, why = _choose_in_turn(team, _round_robin, dry_run=dry_run)
        return picked, f"fixed person {who} unavailable; {why}"
    if strategy == Strategy.LEAST_LOADED:
        return _choose_in_turn(team, _least_loaded, dry_run=dry_run)
    return _choose_in_turn(team, _round_robin, dry_run=dry_run)


def assignee_pick(
    *, team: Team, strategy: str, user: User | None = None, dry_run: bool = False
) -> User | None:
    """Return the member of TEAM who takes the next inquiry under STRATEGY, or None.

    Only active members of exactly TEAM who have not departed are eligible.
    round_robin: the one after the last receiver (by id, wrapping). least_loaded:
    the one owning the fewest customers' threads awaiting our reply, ties in turn.
    fixed: USER if eligible, else round robin. The turn moves on unless DRY_RUN.
    """
    return _assignee_pick(team=team, strategy=strategy, user=user, dry_run=dry_run)[0]


def assignee_preview(
    *, team: Team, strategy: str = Strategy.ROUND_ROBIN, user: User | None = None
) -> User | None:
    """Return who assignee_pick would pick now, without taking the turn."""
    return assignee_pick(team=team, strategy=strategy, user=user, dry_run=True)


# --- Routing an inquiry ----------------------------------------------------------------------


def inquiry_route(
    *,
    mailbox: Mailbox,
    account: Account | None,
    subject: str,
    text: str,
    sender: str,
    full_text: str = "",
    dry_run: bool = False,
) -> Route | None:
    """Return who should take an inquiry from SENDER to MAILBOX about ACCOUNT, and why.

    Only inquiries to a shared mailbox are routed (else None). A customer with an
    active owner goes to that owner. Otherwise the first matching routing rule names
    the team and strategy, else the mailbox's team in turn; a rule whose team has
    nobody available falls back to the mailbox's team too. The route's user is None
    when nobody can take it. Keywords are looked for in SUBJECT and TEXT; the origin
    is read from FULL_TEXT when given (the body with its signature, where a phone
    number can give the country), else TEXT. With DRY_RUN nothing changes (the
    round-robin turn stays where it is).
    """
    if mailbox is None or mailbox.kind != MailboxKind.SHARED:
        return None
    origin = origin_detect(sender=sender, text=full_text or text)
    owner = account.owner if account is not None and account.owner_id else None
    if user_available(owner):
        return Route(
            user=owner, rule=None, origin=origin, reason=["existing customer"], team=owner.team
        )
    reasons = [f"previous owner {owner.username} is no longer active"] if owner else []
    rule, why = _rule_pick(mailbox=mailbox, subject=subject, text=text, origin=origin)
    user: User | None = None
    team: Team | None = None
    how = ""
    if rule is not None:
        reasons.append(why)
        team = rule.team
        user, how = _assignee_pick(
            team=team, strategy=rule.strategy, user=rule.user, dry_run=dry_run
        )
        if user is None:
            reasons.append(f"nobody available in team {team.name}")
    if user is None:
        tried = team
        team = fallback_team(mailbox)
        if team is None:
            reasons.append(f"{'no rule matched and ' if rule is None else ''}mailbox has no team")
            return Route(user=None, rule=rule, origin=origin, reason=reasons)
        if tried is not None and tried.pk == team.pk:  # the rule's team is the mailbox's
            return Route(user=None, rule=rule, origin=origin, reason=reasons, team=team)
        reasons.append(f"{'no rule matched' if rule is None else 'fallback'} → team {team.name}")
        user, how = _assignee_pick(team=team, strategy=Strategy.ROUND_ROBIN, dry_run=dry_run)
        if user is None:
            reasons.append(f"nobody available in team {team.name}")
            return Route(user=None, rule=rule, origin=origin, reason=reasons, team=team)
    reasons.append(how)
    return Route(user=user, rule=rule, origin=origin, reason=reasons, team=team)


def _notify_assigned(user: User, account: Account, key: str | None) -> None:
    """Tell USER they received ACCOUNT; with KEY, at most once however often we run."""
    message = gettext_noop("A new inquiry from %(account)s was assigned to you.")
    params, url = {"account": account.name}, f"/accounts/{account.pk}/"
    if key is None:
        notify_translated(user, message, params, kind="assignment", url=url)
    else:
        notify_once(user, message, params, dedupe_key=key, kind="assignment", url=url)


def inquiry_assign(
    *, route: Route | None, account: Account, thread: Thread | None = None, message_id: Any = None
) -> bool:
    """Give ACCOUNT to ROUTE's user if it still has no active owner; return whether it did.

    The account is re-read under a lock: a second run for the same message (or a
    customer someone took meanwhile) changes nothing. Write the assignment with the
    rule and the reasons on the timeline, once per MESSAGE_ID, and notify the new
    owner. A THREAD without a customer gets ACCOUNT.
    """
    with transaction.atomic():
        # No select_related here: PostgreSQL refuses FOR UPDATE across an outer join.
        current = Account.objects.select_for_update().get(pk=account.pk)
        if thread is not None and thread.account_id is None:
            Thread.objects.filter(pk=thread.pk, account__isnull=True).update(account=current)
            thread.account = current
        if route is None or route.user is None or user_available(current.owner):
            return False
        already = Activity.objects.filter(account=current, kind=ActivityKind.ASSIGNMENT)
        if message_id is not None and already.filter(data__message_id=message_id).exists():
            return False
        user = User.objects.select_related("team").filter(pk=route.user.pk).first()
        if not user_available(user):
            return False  # left between routing and now; the next delivery routes again
        # Also takes it out of the public pool and emits account.owner_changed.
        accounts_assign(actor=SYSTEM, account=current, owner=user)
        assignment_activity(
            account=current,
            to=user,
            rule_name=route.rule.name if route.rule is not None else "",
            why=route.reason,
            origin={
                "country": route.origin.country,
                "language": route.origin.language,
                "how": route.origin.how,
            },
            thread=thread,
            message_id=message_id,
        ).save()
        key = f"assign:{current.pk}:{message_id}" if message_id is not None else None
        _notify_assigned(user, current, key)
    account.refresh_from_db(fields=["owner", "team", "pooled_at"])
    return True
