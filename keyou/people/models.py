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


class User(AbstractUser):
    """A person who logs in to Keyou."""

    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.get_full_name() or self.username


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

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
        ]

    def __str__(self) -> str:
        return self.text[:60]
