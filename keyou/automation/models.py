"""Events, rules and what they did; business hours, routing and reply times."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One state change, written in the same transaction as the change (the outbox).

    The worker consumes pending events at least once; every handler is idempotent.
    Subjects are plain ids, not keys: an event outlives what it speaks of.
    """

    kind = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Live events run rules; history filed by a first sync or an import does not.
    live = models.BooleanField(default=True)
    actor_id = models.PositiveBigIntegerField(null=True, blank=True)
    account_id = models.PositiveBigIntegerField(null=True, blank=True)
    contact_id = models.PositiveBigIntegerField(null=True, blank=True)
    thread_id = models.PositiveBigIntegerField(null=True, blank=True)
    message_id = models.PositiveBigIntegerField(null=True, blank=True)
    mailbox_id = models.PositiveBigIntegerField(null=True, blank=True)
    task_id = models.PositiveBigIntegerField(null=True, blank=True)
    deal_id = models.PositiveBigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Timer events (SLA marks, due tasks, birthdays) are emitted once per key.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The worker's claim: pending events in order.
            models.Index(fields=["processed_at", "id"], name="event_pending"),
            # Dry runs: the events of a kind in the last N days.
            models.Index(fields=["kind", "occurred_at"], name="event_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Trigger(models.TextChoices):
    MESSAGE_RECEIVED = "message.received", _("An email arrives")
    MESSAGE_SENT = "message.sent", _("An email is sent")
    ACCOUNT_CREATED = "account.created", _("A customer is created")
    ACCOUNT_OWNER_CHANGED = "account.owner_changed", _("A customer changes owner")
    THREAD_AWAITING_REPLY = "thread.awaiting_reply", _("A customer waits for our reply")
    ACCOUNT_NO_FOLLOW_UP = "account.no_follow_up", _("A customer has no follow-up")
    TASK_DUE = "task.due", _("A task falls due")
    TASK_OVERDUE = "task.overdue", _("A task is overdue")
    CONTACT_BIRTHDAY = "contact.birthday", _("A contact's birthday")
    DEAL_CREATED = "deal.created", _("A deal is created")
    DEAL_STAGE_CHANGED = "deal.stage_changed", _("A deal changes stage")
    DEAL_STALLED = "deal.stalled", _("A deal stalls in its stage")
    SCHEDULE = "schedule", _("On a schedule")


class Rule(models.Model):
    """If (trigger and conditions) then actions; data, edited in the web app."""

    name = models.CharField(_("name"), max_length=200)
    description = models.CharField(_("description"), max_length=500, blank=True)
    enabled = models.BooleanField(_("enabled"), default=False)
    position = models.PositiveIntegerField(_("order"), default=0)
    trigger = models.CharField(_("trigger"), max_length=64, choices=Trigger.choices)
    # Timer triggers: working minutes waited (thread.awaiting_reply) or days without
    # follow-up (account.no_follow_up).
    trigger_after = models.PositiveIntegerField(_("after"), null=True, blank=True)
    # Schedule triggers: "hourly" or "daily HH:MM" in the organisation's time zone.
    schedule = models.CharField(_("schedule"), max_length=32, blank=True)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    template = models.SlugField(max_length=64, blank=True)  # the built-in it came from
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("rule")

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    DONE = "done", _("Done")
    RETRYING = "retrying", _("Retrying")
    FAILED = "failed", _("Failed")


class RuleRun(models.Model):
    """One rule matched one event (for a schedule, one subject): what it did and why."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="runs")
    event = models.ForeignKey(Event, null=True, on_delete=models.SET_NULL, related_name="runs")
    subject = models.CharField(max_length=64, default="")  # "account:12" for schedules
    account_id = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.DONE)
    why = models.JSONField(default=list, blank=True)  # the conditions that held
    results = models.JSONField(default=list, blank=True)  # one line per action
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Redelivery of an event never runs a rule twice on it.
            models.UniqueConstraint(
                fields=["rule", "event", "subject"], name="rulerun_once_per_event"
            ),
        ]
        indexes = [models.Index(fields=["rule", "-created_at"], name="rulerun_log")]

    def __str__(self) -> str:
        return f"{self.rule_id} on {self.event_id}: {self.status}"


class WebhookDelivery(models.Model):
    """A webhook call a rule asked for, sent after commit and retried."""

    key = models.CharField(max_length=120, unique=True)  # run + action: at most one call
    run = models.ForeignKey(RuleRun, null=True, on_delete=models.SET_NULL, related_name="+")
    url = models.CharField(max_length=1000)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RETRYING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_pending")]

    def __str__(self) -> str:
        return f"webhook {self.pk}: {self.status}"


def _default_workdays() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday..Friday


def _default_periods() -> list[list[str]]:
    return [["09:00", "12:00"], ["13:30", "18:00"]]


class BusinessCalendar(models.Model):
    """Working time of a team (or, without a team, the whole organisation).

    HOLIDAYS holds a list per year: {"2026": {"off": ["2026-10-01", ...],
    "work": ["2026-10-10"]}}; "work" days are make-up working days (调休) that count
    even on a weekend.
    """

    name = models.CharField(_("name"), max_length=120)
    team = models.OneToOneField(
        "people.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar",
        verbose_name=_("team"),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    workdays = models.JSONField(_("working days"), default=_default_workdays)
    periods = models.JSONField(_("working hours"), default=_default_periods)
    holidays = models.JSONField(_("holidays and make-up days"), default=dict, blank=True)
    reply_minutes = models.PositiveIntegerField(_("reply within (working minutes)"), default=240)
    inquiry_reply_minutes = models.PositiveIntegerField(
        _("answer inquiries within (working minutes)"), default=30
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        constraints = [
            # One organisation-wide default (the row without a team).
            models.UniqueConstraint(
                fields=["team"], name="calendar_one_default", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Strategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")
    FIXED = "fixed", _("A fixed person")


class RoutingRule(models.Model):
    """Where a new inquiry to a shared mailbox goes: first matching rule wins."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("order"), default=0)
    enabled = models.BooleanField(_("enabled"), default=True)
    mailbox = models.ForeignKey(
        "mail.Mailbox",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("mailbox (empty: every shared mailbox)"),
    )
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    countries = models.JSONField(_("countries or regions"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    team = models.ForeignKey(
        "people.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team")
    )
    strategy = models.CharField(
        _("strategy"), max_length=16, choices=Strategy.choices, default=Strategy.ROUND_ROBIN
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("person (fixed strategy)"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("routing rule")

    def __str__(self) -> str:
        return self.name


class RoutingCursor(models.Model):
    """Round robin: who in a team received the last inquiry."""

    team = models.OneToOneField("people.Team", on_delete=models.CASCADE, related_name="+")
    last_user_id = models.PositiveBigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.team_id}: {self.last_user_id}"


class ResponseTime(models.Model):
    """How long one customer message waited for our first answer, and who gave it."""

    message = models.OneToOneField(
        "mail.Message", on_delete=models.CASCADE, related_name="response_time"
    )
    thread = models.ForeignKey("mail.Thread", on_delete=models.CASCADE, related_name="+")
    account_id = models.PositiveBigIntegerField(null=True, blank=True)
    reply = models.ForeignKey("mail.Message", on_delete=models.CASCADE, related_name="+")
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField()
    responded_at = models.DateTimeField()
    minutes = models.PositiveIntegerField()  # wall clock
    working_minutes = models.PositiveIntegerField()  # under the team's business hours

    class Meta:
        indexes = [
            # Response-time reports per person over a period.
            models.Index(fields=["responder", "responded_at"], name="response_by_person"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.working_minutes} min"


class ChannelKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    FEISHU = "feishu", _("Feishu group robot")


class Channel(models.Model):
    """A group chat robot that receives a copy of some notifications."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    url_encrypted = models.TextField()  # the webhook URL carries the robot's token
    secret_encrypted = models.TextField(blank=True)  # signing secret (DingTalk, Feishu)
    team = models.ForeignKey(
        "people.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("team (empty: everyone)"),
    )
    kinds = models.JSONField(_("notification kinds (empty: all)"), default=list, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("chat channel")

    def __str__(self) -> str:
        return self.name


class ChannelDelivery(models.Model):
    """One notification posted (or being posted) to one channel."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    notification = models.ForeignKey(
        "people.Notification", on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RETRYING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "notification"], name="channel_delivery_once"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="channel_pending")]

    def __str__(self) -> str:
        return f"{self.channel_id}/{self.notification_id}: {self.status}"
