"""Account metrics: where new customers come from, and how the book of customers splits.

Accounts are scoped by `scope_q(actor)` and narrowed by every filter.
"""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from keyou.analytics.filters import AnalyticsFilters
from keyou.analytics.rows import CountRow, Distribution
from keyou.analytics.scope import accounts_in
from keyou.crm.models import Account, ActivityKind, Lifecycle, Tier
from keyou.mail.models import MailboxCopy, MailboxKind
from keyou.people.access import Actor

NO_MAIL = "none"  # the channel of an account no email was filed on


def _new_accounts(actor: Actor, filters: AnalyticsFilters) -> QuerySet[Account]:
    return accounts_in(actor, filters).filter(
        created_at__gte=filters.start_at, created_at__lt=filters.end_at
    )


def account_sources(actor: Actor, filters: AnalyticsFilters) -> list[CountRow]:
    """Return the accounts created in the period per source (`Account.source`), most first.

    KEY is the source ("" when none was recorded). One grouped query.
    """
    grouped = _new_accounts(actor, filters).values("source").order_by().annotate(n=Count("pk"))
    rows = [
        CountRow(
            key=r["source"], label=r["source"] or _("Unknown"), count=r["n"], drill=r["source"]
        )
        for r in grouped
    ]
    return sorted(rows, key=lambda r: (-r.count, r.key))


def _with_channel(qs: QuerySet[Account]) -> QuerySet[Account]:
    # The mailbox that held the account's first filed email; a shared inbox wins a tie
    # ("shared" sorts after "personal", hence the descending kind).
    first = (
        MailboxCopy.objects.filter(
            message__activities__account_id=OuterRef("pk"),
            message__activities__kind=ActivityKind.EMAIL,
        )
        .order_by("message__sent_at", "-mailbox__kind", "pk")
        .values("mailbox__kind")[:1]
    )
    return qs.annotate(channel=Subquery(first))


def account_channels(actor: Actor, filters: AnalyticsFilters) -> list[CountRow]:
    """Return the accounts created in the period per channel: the kind of mailbox (shared or
    personal) that held their first email, or "none" when no email is filed on them
    (created by hand or imported). One grouped query.
    """
    labels = {
        MailboxKind.SHARED: _("Shared mailbox"),
        MailboxKind.PERSONAL: _("Personal mailbox"),
        NO_MAIL: _("No email"),
    }
    grouped = (
        _with_channel(_new_accounts(actor, filters))
        .values("channel")
        .order_by()
        .annotate(n=Count("pk"))
    )
    rows = []
    for r in grouped:
        key = r["channel"] or NO_MAIL
        rows.append(CountRow(key=key, label=str(labels.get(key, key)), count=r["n"], drill=key))
    return sorted(rows, key=lambda r: (-r.count, r.key))


def account_distribution(actor: Actor, filters: AnalyticsFilters) -> Distribution:
    """Return the accounts ACTOR may see (all of them now, not only new ones) by lifecycle,
    value tier and country. Three grouped queries."""
    base = accounts_in(actor, filters)
    out = {}
    for field, labels in (
        ("lifecycle", dict(Lifecycle.choices)),
        ("tier", dict(Tier.choices)),
        ("country", {}),
    ):
        grouped = base.values(field).order_by().annotate(n=Count("pk"))
        rows = [
            CountRow(
                key=f"{field}:{r[field]}",
                label=str(labels.get(r[field], r[field] or _("None"))),
                count=r["n"],
                drill=f"{field}:{r[field]}",
            )
            for r in grouped
        ]
        if field == "lifecycle":
            order = {value: i for i, value in enumerate(Lifecycle.values)}
            rows.sort(key=lambda r: order.get(r.key.split(":", 1)[1], 99))
        else:
            rows.sort(key=lambda r: (-r.count, r.key))
        out[field] = rows
    return Distribution(lifecycle=out["lifecycle"], tier=out["tier"], country=out["country"])


def drill_account_sources(actor: Actor, key: str, filters: AnalyticsFilters) -> QuerySet[Account]:
    """Return the accounts created in the period with source KEY."""
    return _new_accounts(actor, filters).filter(source=key).order_by("created_at", "pk")


def drill_account_channels(actor: Actor, key: str, filters: AnalyticsFilters) -> QuerySet[Account]:
    """Return the accounts created in the period that came through channel KEY."""
    qs = _with_channel(_new_accounts(actor, filters))
    qs = qs.filter(channel__isnull=True) if key == NO_MAIL else qs.filter(channel=key)
    return qs.order_by("created_at", "pk")


def drill_account_distribution(
    actor: Actor, key: str, filters: AnalyticsFilters
) -> QuerySet[Account]:
    """Return the accounts behind KEY ("lifecycle:<v>", "tier:<v>", "country:<code>")."""
    field, _sep, value = key.partition(":")
    if field not in ("lifecycle", "tier", "country"):
        return Account.objects.none()
    return accounts_in(actor, filters).filter(**{field: value}).order_by("name", "pk")
