"""Sales pipelines, their stages, deals, and the quotes, orders and payments on a deal."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from keyou.crm.models import OwnedModel


class Pipeline(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    position = models.PositiveIntegerField(default=0)
    is_default = models.BooleanField(_("default pipeline"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pipeline")

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", pgettext_lazy("stage kind", "Open")
    WON = "won", _("Won")
    LOST = "lost", pgettext_lazy("deal", "Lost")


class Stage(models.Model):
    """One step of a pipeline, with what entering it requires and sets in motion.

    REQUIRED_FIELDS names deal fields that must be filled to enter (see
    `keyou.deals.stages.REQUIRABLE`). SOP lists the tasks created on entry:
    [{"title", "due_days" (working days), "assignee" ("owner" | "manager" | "director"),
    "checklist": [str, ...]}]. STALL_DAYS: a deal left here that long fires
    `deal.stalled`, once per stay.
    """

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(
        _("kind"), max_length=8, choices=StageKind.choices, default=StageKind.OPEN
    )
    probability = models.PositiveSmallIntegerField(_("win probability (%)"), default=0)
    required_fields = models.JSONField(_("required to enter"), default=list, blank=True)
    sop = models.JSONField(_("tasks on entry"), default=list, blank=True)
    stall_days = models.PositiveIntegerField(_("stalled after (days)"), null=True, blank=True)

    class Meta:
        ordering = ["pipeline", "position", "id"]
        verbose_name = _("stage")
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_name_per_pipeline"),
        ]

    def __str__(self) -> str:
        return self.name


class LostReason(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("lost reason")

    def __str__(self) -> str:
        return self.name


class CurrencyRate(models.Model):
    """One unit of CURRENCY is worth RATE units of the company currency from VALID_FROM."""

    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=18, decimal_places=8)
    valid_from = models.DateField(_("valid from"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-valid_from"]
        verbose_name = _("exchange rate")
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_from"], name="rate_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} ({self.valid_from})"


class DealStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("deal status", "Open")
    WON = "won", _("Won")
    LOST = "lost", pgettext_lazy("deal", "Lost")


class Deal(OwnedModel):
    """A chance to sell to an account; OWNER is the salesperson working it."""

    title = models.CharField(pgettext_lazy("deal", "title"), max_length=300)
    account = models.ForeignKey("crm.Account", on_delete=models.CASCADE, related_name="deals")
    contacts = models.ManyToManyField("crm.Contact", blank=True, related_name="deals")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals")
    status = models.CharField(
        _("status"), max_length=8, choices=DealStatus.choices, default=DealStatus.OPEN
    )
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=80, blank=True)
    lost_reason = models.ForeignKey(
        LostReason, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("lost reason")
    )
    lost_note = models.CharField(_("why it was lost"), max_length=500, blank=True)
    stage_entered_at = models.DateTimeField()
    # Set when `deal.stalled` fired for the current stay in the stage; cleared on a move.
    stalled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    lead = models.ForeignKey(
        "crm.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    thread = models.ForeignKey(
        "mail.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_rule = models.ForeignKey(
        "automation.Rule", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    # A rule action creates at most one deal per (run, action).
    source_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deal")
        indexes = [
            # The board: a pipeline's open deals by stage.
            models.Index(fields=["pipeline", "status", "stage"], name="deal_board"),
            # A person's deals and the forecast by owner.
            models.Index(fields=["owner", "status", "expected_close"], name="deal_owner_open"),
            # The stall sweep: open deals by time in stage.
            models.Index(fields=["status", "stage_entered_at"], name="deal_stall_sweep"),
        ]

    def __str__(self) -> str:
        return self.title


class DealLine(models.Model):
    """One product line on a deal."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="lines")
    product = models.CharField(_("product"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, default=1)
    unit_price = models.DecimalField(
        _("unit price"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["deal", "position", "id"]
        verbose_name = _("product line")

    def __str__(self) -> str:
        return self.product


class StageChange(models.Model):
    """A deal entering a stage (FROM_STAGE is None when the deal was created)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["deal", "at", "id"]
        verbose_name = _("stage change")
        indexes = [
            # Funnel and time-in-stage analytics by stage over a date range.
            models.Index(fields=["to_stage", "at"], name="stagechange_stage_at"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id} → {self.to_stage_id} {self.at:%Y-%m-%d}"


class RecordKind(models.TextChoices):
    QUOTE = "quote", _("Quote")
    ORDER = "order", pgettext_lazy("deal record", "Order")
    PAYMENT = "payment", _("Payment")


class RecordStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    CONFIRMED = "confirmed", _("Confirmed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    EXPECTED = "expected", _("Expected")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class DealRecord(models.Model):
    """A quote, an order or a payment on a deal; ATTACHMENT may come from the customer's mail."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(_("kind"), max_length=8, choices=RecordKind.choices)
    number = models.CharField(_("number"), max_length=60)
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=RecordStatus.choices)
    attachment = models.ForeignKey(
        "mail.Attachment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("attachment"),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deal", "date", "id"]
        verbose_name = _("deal record")
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="record_number_per_kind"),
        ]

    def __str__(self) -> str:
        return self.number
