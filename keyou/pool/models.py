"""The public customer pool (公海池): reclaim policies, the ledger of moves, approvals.

An account with no owner is in the pool (`Account.owner` is None, `pooled_at` set).
Limits per role live on `people.Role`; the cooldown on `people.Organization`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReclaimTrigger(models.TextChoices):
    NO_FOLLOW_UP = "no_follow_up", _("No follow-up by the owner")
    NO_FIRST_CONTACT = "no_first_contact", _("No first contact after assignment")
    LOST_IDLE = "lost_idle", _("Deal lost and no activity since")


class Redistribute(models.TextChoices):
    STAY = "stay", _("Stay in the pool")
    ROUND_ROBIN = "round_robin", _("Round robin in a team")
    REGION = "region", _("By region (routing rules)")


class PoolPolicy(models.Model):
    """When an owned account goes back to the pool, and what happens to it then.

    LIFECYCLES, TIERS and TAGS narrow which accounts the policy covers (empty: any).
    AFTER_HOURS is the quiet time that triggers it (15 days = 360 hours).
    """

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(default=0)
    enabled = models.BooleanField(_("enabled"), default=True)
    trigger = models.CharField(_("when"), max_length=20, choices=ReclaimTrigger.choices)
    after_hours = models.PositiveIntegerField(_("after (hours)"), default=15 * 24)
    lifecycles = models.JSONField(_("lifecycles"), default=list, blank=True)
    tiers = models.JSONField(_("value tiers"), default=list, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    warn_hours = models.PositiveIntegerField(_("warn the owner (hours before)"), default=24)
    protection_days = models.PositiveIntegerField(
        _("protection when the customer engages (days)"), default=7
    )
    requires_approval = models.BooleanField(_("needs a manager's approval"), default=False)
    redistribute = models.CharField(
        _("then"), max_length=12, choices=Redistribute.choices, default=Redistribute.STAY
    )
    redistribute_team = models.ForeignKey(
        "people.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("team to share among"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("reclaim policy")
        verbose_name_plural = _("reclaim policies")

    def __str__(self) -> str:
        return self.name


class MoveKind(models.TextChoices):
    CLAIMED = "claimed", _("Claimed")
    RELEASED = "released", _("Released")
    RECLAIMED = "reclaimed", _("Reclaimed")
    REDISTRIBUTED = "redistributed", _("Redistributed")
    WARNED = "warned", _("Warned")
    PROTECTED = "protected", _("Protected")
    APPROVAL_ASKED = "approval_asked", _("Approval asked")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class PoolMove(models.Model):
    """One entry of the pool ledger; USER is whose account it was or who took it."""

    account = models.ForeignKey("crm.Account", on_delete=models.CASCADE, related_name="pool_moves")
    kind = models.CharField(max_length=16, choices=MoveKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    policy = models.ForeignKey(
        PoolPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="moves"
    )
    at = models.DateTimeField()
    # For a warning: when the reclaim is due; it also keys "warned once per stay".
    due_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("pool move")
        indexes = [
            # Cooldown and "warned already": an account's recent moves of a kind.
            models.Index(fields=["account", "kind", "at"], name="poolmove_account_kind"),
            # Claims per day and pool flows per person.
            models.Index(fields=["user", "kind", "at"], name="poolmove_user_kind"),
            # Pool flows over a date range.
            models.Index(fields=["kind", "at"], name="poolmove_kind_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.account_id} {self.at:%Y-%m-%d}"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    # The account changed hands (released, reassigned) before anyone decided.
    CANCELLED = "cancelled", _("Cancelled")


class ReclaimApproval(models.Model):
    """A reclaim of a protected-tier account waiting for a manager's word."""

    account = models.ForeignKey("crm.Account", on_delete=models.CASCADE, related_name="+")
    policy = models.ForeignKey(PoolPolicy, null=True, on_delete=models.SET_NULL, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("reclaim approval")
        constraints = [
            # One open question per account.
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(status="pending"),
                name="approval_one_pending_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.status}"
