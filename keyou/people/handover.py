"""Handover (交接): a departing user's whole book moves to their successors in one go.

A plan names the departing user, a default successor and, optionally, split rules
tried in order before the default: an account goes to the first rule matching its
country (or its team, sub-teams included). Everything hanging off an account (its
contacts, timeline entries, notes, and any other row with an `owner`) follows the
rule its account matches. `handover_preview` counts what would move;
`handover_execute` moves it in one transaction, with bulk updates, and closes the
departing user's way in: deactivated, sessions deleted, API tokens and grants revoked.

Mailboxes they own: personal ones go to the default successor ("reassign") or are
kept read-only with sync stopped and no owner ("keep"); on shared ones the default
successor takes their place. Their queued and failed outgoing messages are cancelled
(status `cancelled`): nobody should send mail in the name of someone who left.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keyou.api.models import ApiToken
from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.automation.events import ACCOUNT_OWNER_CHANGED, event_new, events_emit
from keyou.crm.models import Account, Activity, ActivityKind, Task, TaskStatus
from keyou.mail.models import Mailbox, MailboxKind, OutgoingMessage, OutgoingStatus, Thread
from keyou.people.access import (
    SYSTEM,
    Actor,
    forget_reach,
    region_countries,
    require,
    sees_everything,
    team_subtree,
)
from keyou.people.models import AccessGrant, Capability, Team, User
from keyou.people.services import InvalidInput, regions_clean


class MailboxChoice(models.TextChoices):
    """What happens to the departing user's personal mailboxes."""

    REASSIGN = "reassign", gettext_lazy("Give them to the successor")
    KEEP = "keep", gettext_lazy("Keep them read-only (no sync, no sending)")


@dataclass(frozen=True)
class SplitRule:
    """Accounts in COUNTRIES, or in TEAM (and its sub-teams), go to SUCCESSOR."""

    successor: User
    countries: frozenset[str] = frozenset()
    team: Team | None = None
    team_ids: tuple[int, ...] = ()

    def q(self, prefix: str = "") -> Q:
        """Return the filter matching accounts (or rows reaching one via PREFIX)."""
        if self.team is not None:
            return Q(**{f"{prefix}team_id__in": list(self.team_ids)})
        return Q(**{f"{prefix}country__in": sorted(self.countries)})

    def describe(self) -> str:
        if self.team is not None:
            return f"team {self.team.name}"
        return "countries " + ",".join(sorted(self.countries))


@dataclass(frozen=True)
class HandoverPlan:
    """Who leaves, who takes over (by default and by rule), and what becomes of mailboxes."""

    departing: User
    successor: User
    rules: tuple[SplitRule, ...] = ()
    mailboxes: str = MailboxChoice.REASSIGN

    def successors(self) -> list[User]:
        """Every successor once, rules' first, the default last."""
        out: dict[int, User] = {}
        for rule in self.rules:
            out.setdefault(rule.successor.pk, rule.successor)
        out.pop(self.successor.pk, None)
        return [*out.values(), self.successor]

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.departing.username,
            "to": self.successor.username,
            "rules": [
                {
                    "match": r.describe(),
                    "countries": sorted(r.countries),
                    "team": r.team.name if r.team else None,
                    "to": r.successor.username,
                }
                for r in self.rules
            ],
            "mailboxes": str(self.mailboxes),
        }


@dataclass(frozen=True)
class _Branch:
    """One way out of the departing user's book: what RULE matches (None: the rest),
    unless an EARLIER rule matched it first, goes to SUCCESSOR."""

    successor: User
    rule: SplitRule | None
    earlier: tuple[SplitRule, ...]

    def cond(self, prefix: str | None) -> Q:
        """Return the filter over a model reaching its account via PREFIX.

        A row with no account (PREFIX None) always takes the default branch.
        """
        if prefix is None:
            return Q() if self.rule is None else Q(pk__in=[])
        q = self.rule.q(prefix) if self.rule is not None else Q()
        for before in self.earlier:
            q &= ~before.q(prefix)
        return q


# --- Building a plan ------------------------------------------------------------------


def _user(username: str) -> User:
    user = User.objects.filter(username=username.strip()).first()
    if user is None:
        raise InvalidInput(_("No user named %(name)s.") % {"name": username})
    return user


def countries_parse(text: str | Iterable[str]) -> frozenset[str]:
    """Return the countries a list of country or region group codes ("CN,HK", "EU") covers."""
    codes = text.replace(";", ",").split(",") if isinstance(text, str) else list(text)
    cleaned = regions_clean(codes)
    if not cleaned:
        raise InvalidInput(_("Name at least one country code (e.g. CN, HK) for a split."))
    return region_countries(cleaned)


def rule_countries(countries: str | Iterable[str], successor: User) -> SplitRule:
    """Return the rule sending accounts in COUNTRIES (codes or region groups) to SUCCESSOR."""
    return SplitRule(successor=successor, countries=countries_parse(countries))


def rule_team(team: Team, successor: User) -> SplitRule:
    """Return the rule sending accounts of TEAM (and its sub-teams) to SUCCESSOR."""
    return SplitRule(successor=successor, team=team, team_ids=tuple(team_subtree(team.pk)))


def plan_build(
    *,
    departing: str,
    successor: str,
    splits: Sequence[tuple[str, str, str]] = (),
    mailboxes: str = MailboxChoice.REASSIGN,
) -> HandoverPlan:
    """Return a checked plan from usernames; SPLITS are ("country"|"team", what, username)."""
    rules = []
    for kind, what, username in splits:
        user = _user(username)
        if kind == "country":
            rules.append(rule_countries(what, user))
        elif kind == "team":
            team = Team.objects.filter(name=what.strip()).first()
            if team is None:
                raise InvalidInput(_("No team named %(name)s.") % {"name": what})
            rules.append(rule_team(team, user))
        else:
            raise InvalidInput(f"unknown split kind {kind!r}")
    plan = HandoverPlan(
        departing=_user(departing),
        successor=_user(successor),
        rules=tuple(rules),
        mailboxes=mailboxes,
    )
    plan_check(plan)
    return plan


def plan_check(plan: HandoverPlan, *, actor: Actor = None) -> None:
    """Raise InvalidInput when PLAN cannot run (or ACTOR may not run it)."""
    if plan.mailboxes not in MailboxChoice.values:
        raise InvalidInput(
            _("Mailboxes: choose one of %(choices)s.")
            % {"choices": ", ".join(MailboxChoice.values)}
        )
    for user in plan.successors():
        if user.pk == plan.departing.pk:
            raise InvalidInput(_("A user cannot hand over to themselves."))
        if not user.is_active or user.departed_at is not None:
            raise InvalidInput(
                _("%(name)s is not active and cannot take over customers.")
                % {"name": user.username}
            )
    if actor is not None and actor is not SYSTEM:
        if getattr(actor, "pk", None) == plan.departing.pk:
            raise InvalidInput(_("You cannot hand over your own customers."))
        if plan.departing.is_superuser and not sees_everything(actor):
            raise InvalidInput(_("Only an administrator may hand over an administrator."))


# --- Which rows move where -----------------------------------------------------------------


_KEYS = {
    "crm.account": "accounts",
    "crm.contact": "contacts",
    "crm.activity": "timeline_entries",
    "crm.note": "notes",
    "crm.task": "tasks",
    "crm.comment": "comments",
    "crm.lead": "leads",
    "deals.deal": "deals",
}
# Rows whose owner says whose it was, not what they hold: they do not move.
_NOT_HELD = {"pool.reclaimapproval"}


def owned_models() -> list[type[models.Model]]:
    """Return every model with an `owner` key to the user, those hanging off accounts first.

    Accounts come last: the split rules look at an account's country and team,
    which must not change before the rows hanging off it have moved.
    """
    found = []
    for model in apps.get_models():
        if model._meta.label_lower in _NOT_HELD:
            continue
        try:
            owner = model._meta.get_field("owner")
        except FieldDoesNotExist:
            continue
        if owner.many_to_one and owner.related_model is User:
            found.append(model)
    return sorted(found, key=lambda m: (m is Account, m._meta.label_lower))


def _account_prefix(model: type[models.Model]) -> str | None:
    """Return the path from MODEL to its account ("" for accounts), or None without one."""
    if model._meta.label_lower == "crm.account":
        return ""
    try:
        account = model._meta.get_field("account")
    except FieldDoesNotExist:
        return None
    if account.many_to_one and account.related_model._meta.label_lower == "crm.account":
        return "account__"
    return None


def _has_team(model: type[models.Model]) -> bool:
    try:
        return model._meta.get_field("team").related_model is Team
    except FieldDoesNotExist:
        return False


def _key(model: type[models.Model]) -> str:
    return _KEYS.get(model._meta.label_lower, model._meta.label_lower)


def _branches(plan: HandoverPlan) -> list[_Branch]:
    """Return the branches partitioning the book: each rule in order, then the default."""
    out = [
        _Branch(successor=rule.successor, rule=rule, earlier=plan.rules[:i])
        for i, rule in enumerate(plan.rules)
    ]
    out.append(_Branch(successor=plan.successor, rule=None, earlier=plan.rules))
    return out


# --- Preview --------------------------------------------------------------------------


def _awaiting_threads(account_ids: models.QuerySet) -> int:
    """Count the threads owing a reply with an email filed on one of ACCOUNT_IDS."""
    return (
        Thread.objects.filter(
            awaiting_since__isnull=False,
            activities__kind=ActivityKind.EMAIL,
            activities__account__in=account_ids,
        )
        .distinct()
        .count()
    )


def _book_counts(plan: HandoverPlan) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Return (totals, per successor) of the rows owned by the departing user."""
    departing = plan.departing
    models_ = owned_models()
    totals: dict[str, int] = {}
    per: dict[int, dict[str, Any]] = {}
    theirs: dict[int, Q] = {}  # successor → the accounts they take
    for branch in _branches(plan):
        row = per.setdefault(
            branch.successor.pk,
            {"successor": branch.successor.username, "matches": []},
        )
        row["matches"].append(branch.rule.describe() if branch.rule else "default")
        for model in models_:
            n = model._default_manager.filter(owner=departing).filter(
                branch.cond(_account_prefix(model))
            )
            row[_key(model)] = row.get(_key(model), 0) + n.count()
        pk = branch.successor.pk
        theirs[pk] = theirs[pk] | branch.cond("") if pk in theirs else branch.cond("")
    for pk, cond in theirs.items():
        accounts = Account.objects.filter(owner=departing).filter(cond)
        per[pk]["awaiting_threads"] = _awaiting_threads(accounts.values("pk"))
    for model in models_:
        totals[_key(model)] = model._default_manager.filter(owner=departing).count()
    totals["awaiting_threads"] = _awaiting_threads(
        Account.objects.filter(owner=departing).values("pk")
    )
    return totals, list(per.values())


def _mailbox_ids(user: User) -> tuple[list[int], list[int]]:
    """Return (personal, shared) ids of the mailboxes USER owns."""
    personal, shared = [], []
    for pk, kind in Mailbox.objects.filter(owners=user).values_list("pk", "kind").order_by("pk"):
        (personal if kind == MailboxKind.PERSONAL else shared).append(pk)
    return personal, shared


def _outgoing(user: User) -> models.QuerySet:
    return OutgoingMessage.objects.filter(
        sender=user, status__in=[OutgoingStatus.QUEUED, OutgoingStatus.FAILED]
    )


def _active_grants(user: User, now) -> models.QuerySet:
    return AccessGrant.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)


def _api_tokens(user: User) -> models.QuerySet:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def handover_preview(plan: HandoverPlan) -> dict[str, Any]:
    """Return what handing PLAN over would move and close, without changing anything.

    `totals` holds: accounts, contacts, timeline_entries, notes (and any other model
    with an owner, by its label), awaiting_threads (threads on the accounts that owe
    a reply), mailboxes (personal), shared_mailboxes, outgoing (queued or failed),
    grants (active ones they hold), teams (they manage), api_tokens (active).
    `successors` splits the book part by successor.
    """
    plan_check(plan)
    now = timezone.now()
    totals, per = _book_counts(plan)
    personal, shared = _mailbox_ids(plan.departing)
    totals.update(
        mailboxes=len(personal),
        shared_mailboxes=len(shared),
        outgoing=_outgoing(plan.departing).count(),
        grants=_active_grants(plan.departing, now).count(),
        teams=Team.objects.filter(manager=plan.departing).count(),
        api_tokens=_api_tokens(plan.departing).count(),
    )
    return {"plan": plan.as_dict(), "totals": totals, "successors": per}


# --- Execute --------------------------------------------------------------------------


def _handover_entry(*, account_id: int, plan: HandoverPlan, to: User, actor_id, now):
    """Return the (unsaved) timeline entry saying ACCOUNT_ID passed from one owner to TO."""
    source = plan.departing.username
    return Activity(
        kind=ActivityKind.HANDOVER,
        account_id=account_id,
        occurred_at=now,
        actor_id=actor_id,
        owner_id=to.pk,
        team_id=to.team_id,
        data={"from": source, "to": to.username, "summary": f"{source} → {to.username}"},
    )


def _sessions_end(user: User) -> int:
    """Delete USER's sessions (database-backed session engines); return how many."""
    engine = import_module(settings.SESSION_ENGINE)
    store_class = engine.SessionStore
    if not hasattr(store_class, "get_model_class"):
        # Cookie or cache sessions cannot be listed; the inactive user is refused anyway.
        return 0
    model = store_class.get_model_class()
    wanted = str(user.pk)
    keys = [
        s.session_key
        for s in model.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(s.get_decoded().get("_auth_user_id", "")) == wanted
    ]
    for key in keys:
        store_class(session_key=key).delete()  # clears a cached_db copy too
    return len(keys)


def _mailboxes_move(plan: HandoverPlan, personal: list[int], shared: list[int]) -> None:
    through = Mailbox.owners.through
    through.objects.filter(user=plan.departing).delete()
    successor = plan.successor
    take = shared + (personal if plan.mailboxes == MailboxChoice.REASSIGN else [])
    through.objects.bulk_create(
        [through(mailbox_id=pk, user_id=successor.pk) for pk in take], ignore_conflicts=True
    )
    if plan.mailboxes == MailboxChoice.REASSIGN:
        Mailbox.objects.filter(pk__in=personal).update(team_id=successor.team_id)
    else:
        Mailbox.objects.filter(pk__in=personal).update(
            read_only=True, sync_enabled=False, next_sync_at=None
        )


@transaction.atomic
def handover_execute(plan: HandoverPlan, *, actor: Actor) -> dict[str, Any]:
    """Hand PLAN's departing user's whole book over and close their access; return the counts.

    One transaction: every row they own moves (owner and team become the
    successor's), each moved account gets a handover entry on its timeline, the
    teams they manage go to the default successor, their grants, sessions and API
    tokens end, their queued and failed outgoing mail is cancelled, their mailboxes
    are reassigned or kept read-only, and they are deactivated. Grants they gave
    stay as they are (the audit keeps who gave them).
    """
    require(actor, Capability.MANAGE_USERS)
    departing = User.objects.select_for_update().get(pk=plan.departing.pk)
    plan_check(plan, actor=actor)
    now = timezone.now()
    preview = handover_preview(plan)
    actor_id = None if actor is SYSTEM else getattr(actor, "pk", None)

    # Which accounts go where, fixed before any of them changes.
    branches = _branches(plan)
    moved_accounts: list[tuple[User, list[int]]] = [
        (
            b.successor,
            list(
                Account.objects.filter(owner=departing)
                .filter(b.cond(""))
                .values_list("pk", flat=True)
            ),
        )
        for b in branches
    ]

    moved: dict[str, int] = {}
    per: dict[int, dict[str, Any]] = {}
    for model in owned_models():  # accounts last
        prefix = _account_prefix(model)
        for branch in branches:
            changes: dict[str, Any] = {"owner_id": branch.successor.pk}
            if _has_team(model):
                changes["team_id"] = branch.successor.team_id
            if model is Account:
                changes["updated_at"] = now
            n = (
                model._default_manager.filter(owner=departing)
                .filter(branch.cond(prefix))
                .update(**changes)
            )
            moved[_key(model)] = moved.get(_key(model), 0) + n
            row = per.setdefault(
                branch.successor.pk, {"successor": branch.successor.username, "matches": []}
            )
            row[_key(model)] = row.get(_key(model), 0) + n

    entries = [
        _handover_entry(account_id=pk, plan=plan, to=successor, actor_id=actor_id, now=now)
        for successor, ids in moved_accounts
        for pk in ids
    ]
    Activity.objects.bulk_create(entries, batch_size=500)
    events_emit(
        event_new(
            ACCOUNT_OWNER_CHANGED,
            account_id=pk,
            actor_id=actor_id,
            data={"from": departing.pk, "to": successor.pk, "handover": True},
        )
        for successor, ids in moved_accounts
        for pk in ids
    )
    # Open tasks of the departing person go with their customers, or to the successor.
    Task.objects.filter(assignee=departing, status=TaskStatus.OPEN).update(
        assignee_id=Coalesce("owner_id", Value(plan.successor.pk))
    )

    teams = Team.objects.filter(manager=departing).update(manager=plan.successor)

    grant_ids = list(_active_grants(departing, now).values_list("pk", flat=True))
    AccessGrant.objects.filter(pk__in=grant_ids).update(revoked_at=now)
    for pk in grant_ids:
        audit(
            actor,
            AuditAction.GRANT_REVOKE,
            object_type="accessgrant",
            object_id=pk,
            data={"reason": "handover", "user": departing.username},
        )

    personal, shared = _mailbox_ids(departing)
    _mailboxes_move(plan, personal, shared)

    outgoing = _outgoing(departing).update(status=OutgoingStatus.CANCELLED, next_attempt_at=None)

    departing.is_active = False
    departing.departed_at = departing.departed_at or now
    departing.save(update_fields=["is_active", "departed_at"])
    sessions = _sessions_end(departing)
    tokens = _api_tokens(departing).update(revoked_at=now)

    totals = {
        **moved,
        "awaiting_threads": preview["totals"]["awaiting_threads"],
        "handover_entries": len(entries),
        "mailboxes": len(personal),
        "shared_mailboxes": len(shared),
        "outgoing_cancelled": outgoing,
        "grants_revoked": len(grant_ids),
        "teams": teams,
        "sessions": sessions,
        "api_tokens_revoked": tokens,
    }
    awaiting = {p["successor"]: p["awaiting_threads"] for p in preview["successors"]}
    successors = []
    matches = {p["successor"]: p["matches"] for p in preview["successors"]}
    for row in per.values():
        row["matches"] = matches.get(row["successor"], [])
        row["awaiting_threads"] = awaiting.get(row["successor"], 0)
        successors.append(row)
    result = {"plan": plan.as_dict(), "totals": totals, "successors": successors}

    audit(actor, AuditAction.HANDOVER, obj=departing, data=result)
    audit(
        actor,
        AuditAction.USER_CHANGE,
        obj=departing,
        data={
            "is_active": False,
            "departed_at": departing.departed_at.isoformat(),
            "reason": "handover",
        },
    )
    for user in (departing, *plan.successors()):
        forget_reach(user)
    plan.departing.is_active = False
    plan.departing.departed_at = departing.departed_at
    return result
