"""The audit log (append-only) and the record of every export."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    LOCKED_OUT = "locked_out", _("Locked out")
    VIEW = "view", _("View")
    EXPORT = "export", _("Export")
    EXPORT_REFUSED = "export_refused", _("Export refused")
    CREATE = "create", _("Create")
    CHANGE = "change", _("Change")
    DELETE = "delete", _("Delete")
    ASSIGN = "assign", _("Assign")
    ROLE_CHANGE = "role_change", _("Role change")
    USER_CHANGE = "user_change", _("User change")
    GRANT_CREATE = "grant_create", _("Grant given")
    GRANT_USE = "grant_use", _("Grant used")
    GRANT_EXPIRE = "grant_expire", _("Grant expired")
    GRANT_REVOKE = "grant_revoke", _("Grant revoked")
    ACCESS_REQUEST = "access_request", _("Access requested")
    HANDOVER = "handover", _("Handover")
    MAILBOX_CREDENTIALS = "mailbox_credentials", _("Mailbox credentials changed")
    THREAD_PRIVACY = "thread_privacy", _("Thread privacy changed")
    ALERT = "alert", _("Alert")


class AuditEntry(models.Model):
    """One thing that happened, by whom, to what. Rows are never changed or deleted."""

    at = models.DateTimeField(db_index=True)
    # No database constraint: rows are never updated, so a removed user's entries
    # keep their id (and name) instead of being rewritten.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150)  # kept if the user is ever removed
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["actor", "action", "at"], name="audit_actor_action_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[override]
        raise ValueError("the audit log is append-only")


class ExportKind(models.TextChoices):
    ACCOUNTS = "accounts", _("Accounts")
    CONTACTS = "contacts", _("Contacts")
    TIMELINE = "timeline", _("Timeline")
    ANALYTICS = "analytics", _("Analytics table")


class Export(models.Model):
    """One file someone exported: what, how many rows, and its watermark."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="exports"
    )
    user_name = models.CharField(max_length=150)
    kind = models.CharField(max_length=16, choices=ExportKind.choices)
    file_format = models.CharField(max_length=8)  # csv | xlsx
    params = models.JSONField(default=dict, blank=True)
    rows = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"export {self.pk}"
