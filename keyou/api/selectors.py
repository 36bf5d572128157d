"""Reads of API tokens (never their secrets: those are not stored)."""

from __future__ import annotations

from django.db.models import QuerySet

from keyou.api.models import ApiToken
from keyou.people.models import User


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """Return USER's tokens, newest first, revoked ones included."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
