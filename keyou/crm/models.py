"""Customers: accounts, contacts, tags and the timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Lifecycle(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    NEW = "new", _("New")
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    LOST = "lost", _("Lost")


class Tier(models.TextChoices):
    A = "A", _("A (key account)")
    B = "B", _("B")
    C = "C", _("C")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")

    def __str__(self) -> str:
        return self.name


class OwnedModel(models.Model):
    """Customer data: every row has an owner user and a team, from day one."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        "people.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("team"),
    )

    class Meta:
        abstract = True


class Account(OwnedModel):
    """A customer company, or a person writing from free mail."""

    name = models.CharField(_("name"), max_length=255)
    country = models.CharField(_("country"), max_length=2, blank=True)
    source = models.CharField(_("source"), max_length=80, blank=True)
    lifecycle = models.CharField(
        _("lifecycle"), max_length=16, choices=Lifecycle.choices, default=Lifecycle.PROSPECT
    )
    is_person = models.BooleanField(_("person (free mail)"), default=False)
    tier = models.CharField(_("value tier"), max_length=1, choices=Tier.choices, blank=True)
    # Set when the account went back to the public pool (no owner); None otherwise.
    pooled_at = models.DateTimeField(_("in the public pool since"), null=True, blank=True)
    # When the current owner got it (claim, assignment, routing): the first-contact clock.
    assigned_at = models.DateTimeField(_("owner since"), null=True, blank=True)
    # The customer engaged: no reclaim before this time.
    protected_until = models.DateTimeField(_("protected until"), null=True, blank=True)
    # The name folded for the duplicate check (legal suffixes and width dropped).
    name_key = models.CharField(max_length=255, blank=True, db_index=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="accounts")
    first_contact_at = models.DateTimeField(null=True, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_outbound_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("account")
        indexes = [
            # Owner/team scoped lists sorted by last contact.
            models.Index(fields=["owner", "last_inbound_at"], name="account_owner_inbound"),
            models.Index(fields=["team", "last_inbound_at"], name="account_team_inbound"),
            models.Index(fields=["name"], name="account_name"),
            # Duplicate check by folded company name.
            models.Index(fields=["name_key"], name="account_name_key"),
            # The public pool, newest first.
            models.Index(fields=["owner", "pooled_at"], name="account_pool"),
        ]

    def __str__(self) -> str:
        return self.name


class AccountDomain(models.Model):
    """A registrable company domain owned by exactly one account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(_("domain"), max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class Contact(OwnedModel):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=255, blank=True)
    title = models.CharField(_("title"), max_length=255, blank=True)
    phones = models.JSONField(_("phones (E.164)"), default=list, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    # PHONES as one searchable string (" +8675512345678 +4930... "), for the duplicate check.
    phone_keys = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("contact")

    def __str__(self) -> str:
        return self.name or (self.primary_email or f"#{self.pk}")

    @property
    def primary_email(self) -> str:
        first = self.emails.order_by("-is_primary", "id").first()
        return first.email if first else ""


class ContactEmail(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    email = models.CharField(_("email"), max_length=320, unique=True)  # normalized
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


class ActivityKind(models.TextChoices):
    EMAIL = "email", _("Email")
    NOTE = "note", _("Note")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    HANDOVER = "handover", _("Handover")
    AUTOMATION = "automation", _("Automation")
    ASSIGNMENT = "assignment", _("Assignment")
    TASK = "task", _("Task")
    COMMENT = "comment", _("Comment")
    LEAD = "lead", _("Lead")
    DEAL = "deal", _("Deal")
    QUOTE = "quote", _("Quote")
    ORDER = "order", pgettext_lazy("deal record", "Order")
    PAYMENT = "payment", _("Payment")
    POOL = "pool", _("Public pool")


class Activity(OwnedModel):
    """One entry on an account's timeline."""

    kind = models.CharField(max_length=16, choices=ActivityKind.choices)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="activities")
    contacts = models.ManyToManyField(Contact, blank=True, related_name="activities")
    occurred_at = models.DateTimeField(db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        "mail.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    thread = models.ForeignKey(
        "mail.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    deal = models.ForeignKey(
        "deals.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            # An email is filed once per account, however many mailboxes hold it.
            models.UniqueConstraint(
                fields=["account", "message"], name="activity_once_per_account_message"
            ),
        ]
        indexes = [
            # The account timeline, newest first.
            models.Index(fields=["account", "-occurred_at"], name="activity_timeline"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_at:%Y-%m-%d}"


class Note(OwnedModel):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("note")

    def __str__(self) -> str:
        return self.body[:40]


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class TaskKind(models.TextChoices):
    FOLLOW_UP = "follow_up", _("Follow-up")
    REPLY = "reply", _("Reply")
    SERVICE = "service", _("Service")
    GREETING = "greeting", _("Greeting")
    OTHER = "other", _("Other")


class Task(OwnedModel):
    """Something a person must do by a time; OWNER/TEAM are the related account's."""

    title = models.CharField(pgettext_lazy("task or lead", "title"), max_length=300)
    notes = models.TextField(_("notes"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=TaskKind.choices, default=TaskKind.FOLLOW_UP
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    remind_at = models.DateTimeField(_("remind me at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        verbose_name=_("assignee"),
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    thread = models.ForeignKey(
        "mail.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    deal_id = models.PositiveBigIntegerField(null=True, blank=True)  # pipeline issue
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_rule = models.ForeignKey(
        "automation.Rule", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    # A rule action creates at most one task per (run, action).
    source_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("task")
        indexes = [
            # "My tasks": open tasks of a person by due time.
            models.Index(fields=["assignee", "status", "due_at"], name="task_my_open"),
            # The due/overdue sweep over open tasks.
            models.Index(fields=["status", "due_at"], name="task_due_sweep"),
        ]

    def __str__(self) -> str:
        return self.title


class Comment(OwnedModel):
    """An internal comment on an account or a thread; @mentions notify."""

    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    thread = models.ForeignKey(
        "mail.Thread", null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("comment"))
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")

    def __str__(self) -> str:
        return self.body[:40]


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")
    CONVERTED = "converted", _("Converted")


class Lead(OwnedModel):
    """An inquiry worth pursuing, before it becomes a deal in a pipeline."""

    title = models.CharField(pgettext_lazy("task or lead", "title"), max_length=300)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="leads")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    thread = models.ForeignKey(
        "mail.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    message = models.ForeignKey(
        "mail.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    source = models.CharField(_("source"), max_length=80, blank=True)
    source_rule = models.ForeignKey(
        "automation.Rule", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    source_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")

    def __str__(self) -> str:
        return self.title
