"""Reads of people data, for the user asking."""

from __future__ import annotations

from django.db.models import QuerySet

from keyou.people.models import Notification, User


def notifications_for(user: User) -> QuerySet[Notification]:
    """USER's own notifications, newest first."""
    return Notification.objects.filter(recipient=user)


def unread_notifications(user: User) -> int:
    """How many of USER's notifications are unread."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
