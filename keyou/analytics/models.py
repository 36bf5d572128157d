"""Rollups: small tables the heavy metrics read instead of scanning every message.

Mail volume per account and company day. A message filed on one account is
counted in that account's `MailDay`; a message filed on two or more accounts
(a customer cc'd beside another) gets one `MailShared` row per account instead,
so a metric counts it once however many of its accounts the viewer sees
(`count(distinct message)`), exactly like the live query. Both are keyed by the
account, not its owner or team: scoping (`scope_q`, grants, the filters) joins
to the account's current owner, team and country, so nothing needs rewriting
when an account changes hands.

Days are days of the time zone `RollupState.zone` records (the company's when
the rows were built). Metrics read a rollup only when its state row exists and
its zone is the zone of their filters; otherwise they count the live tables.
The event handler builds the rollup from scratch when it finds no state row (a
new or upgraded installation) or a company time zone other than the recorded one.
Automated mail and internal mail are not counted. `keyou.analytics.rollups`
keeps the rows current from the event outbox and rebuilds them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MailDay(models.Model):
    """Non-automated messages filed only on ACCOUNT, sent on company day DAY."""

    day = models.DateField()
    # No index of its own: the unique (account, day) leads with it.
    account = models.ForeignKey(
        "crm.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    inbound = models.PositiveIntegerField(default=0)
    outbound = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("mail volume per account and day")
        verbose_name_plural = _("mail volume per account and day")
        constraints = [
            # One row per account-day: the handler upserts it.
            models.UniqueConstraint(fields=["account", "day"], name="mailday_account_day"),
        ]
        indexes = [
            # email_volume: the days of the period, joined to the visible accounts.
            models.Index(fields=["day", "account"], name="mailday_day_account"),
        ]

    def __str__(self) -> str:
        return f"{self.day} #{self.account_id}: {self.inbound} in, {self.outbound} out"


class MailShared(models.Model):
    """A non-automated message filed on more than one account: one row per such account."""

    # No index of its own: the unique (message, account) leads with it.
    message = models.ForeignKey(
        "mail.Message", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    account = models.ForeignKey("crm.Account", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    direction = models.CharField(max_length=16)

    class Meta:
        verbose_name = _("message on several accounts")
        verbose_name_plural = _("messages on several accounts")
        constraints = [
            # Once per message and account; its index (message first) also finds the
            # account-days a message was counted on before it changed.
            models.UniqueConstraint(
                fields=["message", "account"], name="mailshared_message_account"
            ),
        ]
        indexes = [
            # email_volume: the days of the period, joined to the visible accounts;
            # the handler's refresh of one account-day.
            models.Index(fields=["day", "account"], name="mailshared_day_account"),
        ]

    def __str__(self) -> str:
        return f"{self.day} #{self.account_id} message {self.message_id} {self.direction}"


class RollupState(models.Model):
    """A rollup that is complete: when it was last built from scratch, and in which zone."""

    name = models.CharField(max_length=40, unique=True)
    zone = models.CharField(max_length=64)
    rebuilt_at = models.DateTimeField()

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"{self.name} ({self.zone}, {self.rebuilt_at:%Y-%m-%d %H:%M})"
