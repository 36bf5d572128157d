"""Organisation, teams and users."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    """The one company this installation serves (a single row, pk=1)."""

    name = models.CharField(_("company name"), max_length=200, blank=True)
    own_domains = models.JSONField(_("our own domains"), default=list, blank=True)
    time_zone = models.CharField(_("default time zone"), max_length=64, default="Asia/Shanghai")
    currency = models.CharField(_("company currency"), max_length=3, default="CNY")
    # The public pool: a previous owner may not claim an account back for this long.
    pool_cooldown_days = models.PositiveIntegerField(_("re-claim cooldown (days)"), default=30)
    # The duplicate check on creating or importing: "block" or "warn".
    duplicate_mode = models.CharField(_("on a duplicate"), max_length=8, default="warn")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organisation")

    def __str__(self) -> str:
        return self.name or "Keyou"

    @classmethod
    def get(cls) -> Organization:
        """Return the organisation row, creating it on first use."""
        org, _created = cls.objects.get_or_create(pk=1)
        return org


class Team(models.Model):
    """A node of the department tree: company → department → team."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    manager = models.ForeignKey(
        "people.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")

    def __str__(self) -> str:
        return self.name


class Capability(models.TextChoices):
    """What a role allows, beyond seeing the customers in its scope."""

    VIEW_CUSTOMERS = "view_customers", _("View customers")
    CREATE_CUSTOMERS = "create_customers", _("Create customers")
    EDIT_CUSTOMERS = "edit_customers", _("Edit customers")
    DELETE_CUSTOMERS = "delete_customers", _("Delete customers")
    VIEW_EMAIL_BODIES = "view_email_bodies", _("Read email bodies and attachments")
    VIEW_DEAL_AMOUNTS = "view_deal_amounts", _("See deal amounts")
    SEND_MAIL = "send_mail", _("Send mail")
    EXPORT = "export", _("Export")
    ASSIGN = "assign", _("Assign customers")
    CLAIM_POOL = "claim_pool", _("Claim from the public pool")
    MANAGE_RULES = "manage_rules", _("Manage rules")
    MANAGE_MAILBOXES = "manage_mailboxes", _("Manage mailboxes")
    MANAGE_USERS = "manage_users", _("Manage users, teams and roles")
    VIEW_AUDIT = "view_audit", _("View the audit log")


class DataScope(models.TextChoices):
    """Whose customers a role sees."""

    OWN = "own", _("Own")
    TEAM = "team", _("Team")
    SUBTREE = "subtree", _("Team and sub-teams")
    ALL = "all", _("All")


class Role(models.Model):
    """A set of capabilities and a data scope, editable by admins."""

    slug = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)
    builtin = models.BooleanField(default=False)
    capabilities = models.JSONField(_("capabilities"), default=list, blank=True)
    scope = models.CharField(
        _("data scope"), max_length=16, choices=DataScope.choices, default=DataScope.OWN
    )
    by_region = models.BooleanField(_("only the user's regions"), default=False)
    # The public pool: how many accounts one may hold, and claim per day (None: no limit).
    pool_max_accounts = models.PositiveIntegerField(
        _("accounts held at most"), null=True, blank=True
    )
    pool_claims_per_day = models.PositiveIntegerField(_("claims per day"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("role")

    def __str__(self) -> str:
        return self.name

    def allows(self, capability: str) -> bool:
        return capability in (self.capabilities or [])


class RegionGroup(models.Model):
    """A named group of countries a user can be given as one region (e.g. EU, LATAM)."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=80)
    countries = models.JSONField(_("countries"), default=list)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who logs in to Keyou."""

    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    # ISO 3166 country codes and region group codes, as entered (e.g. ["CN", "EU"]).
    regions = models.JSONField(_("regions"), default=list, blank=True)
    departed_at = models.DateTimeField(_("departed"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    digest = models.CharField(
        _("email digest of notifications"),
        max_length=8,
        choices=[("", _("Off")), ("hourly", _("Hourly")), ("daily", _("Daily"))],
        blank=True,
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class AccessGrant(models.Model):
    """Temporary access (临时权限) to some accounts, or to a team's accounts, until a time."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="grants_given"
    )
    accounts = models.ManyToManyField("crm.Account", blank=True, related_name="grants")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )
    edit = models.BooleanField(_("may edit"), default=False)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("until"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    expiry_audited = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "expires_at"], name="grant_user_expiry")]

    def __str__(self) -> str:
        return f"grant {self.pk} to {self.user_id}"


class AccessRequest(models.Model):
    """A user asks for access to a record they cannot see (never confirms it exists)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    requester = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_requests")
    account_id = models.PositiveBigIntegerField()  # not a key: the row may not exist
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    grant = models.ForeignKey(AccessGrant, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"request {self.pk}"


class Notification(models.Model):
    """Something a user should know: a mailbox that stopped syncing, a failed send."""

    recipient = models.ForeignKey(
        "people.User", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=64)
    text = models.TextField()
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Notices from events (rules, SLA, mentions) are left once per key.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    emailed_at = models.DateTimeField(null=True, blank=True)  # in a digest

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
        ]

    def __str__(self) -> str:
        return self.text[:60]
