"""Types shared by the API schemas."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime")  # a bug on our side: the API only speaks UTC
    return value.astimezone(UTC)


# An aware datetime, written as ISO 8601 in UTC ("2026-03-02T08:30:00Z").
UtcDateTime = Annotated[datetime, AfterValidator(_utc)]


class AddressOut(Schema):
    name: str
    email: str


class AccountRef(Schema):
    id: int
    name: str


class ContactRef(Schema):
    id: int
    name: str
    email: str
