"""Cursor pagination: opaque cursors holding the last row's (sort key, id).

A cursor is base64url of a small JSON document naming the listing it belongs
to and where the previous page ended. Keyset paging never skips or repeats a
row while rows are added, and costs the same on page 1 and page 1000. The
cursor is not signed: it only says where to continue, and every page is still
read through the actor's scoped selector.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from keyou.api.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 1000
MAX_ID = 2**63 - 1  # a bigint; larger ids would make PostgreSQL fail, not answer

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Keyset:
    """How a listing is ordered: FIELD (ascending or DESCENDING, NULLS LAST), then id alike."""

    field: str
    descending: bool = False
    nullable: bool = False
    is_datetime: bool = False

    def value_of(self, row: Model) -> str | None:
        value = getattr(row, self.field)
        if isinstance(value, datetime):
            return value.isoformat()
        return None if value is None else str(value)

    def after(self, value: Any, pk: int) -> Q:
        """Return the filter for rows after (VALUE, PK) in this order."""
        beyond = "lt" if self.descending else "gt"
        if value is None:  # only NULLs remain, ordered by id
            return Q(**{f"{self.field}__isnull": True, f"pk__{beyond}": pk})
        q = Q(**{f"{self.field}__{beyond}": value}) | Q(**{self.field: value, f"pk__{beyond}": pk})
        if self.nullable:
            q |= Q(**{f"{self.field}__isnull": True})
        return q


def _bad_cursor(why: str) -> ApiError:
    return ApiError(400, "bad_cursor", f"{why}; pass the next_cursor of a previous page, or none")


def encode_cursor(listing: str, value: str | None, pk: int) -> str:
    """Return the cursor for continuing LISTING after the row (VALUE, PK)."""
    doc = json.dumps({"l": listing, "v": value, "id": pk}, separators=(",", ":"))
    return base64.urlsafe_b64encode(doc.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(listing: str, cursor: str, keyset: Keyset) -> tuple[Any, int]:
    """Return (value, pk) of CURSOR for LISTING, or raise ApiError bad_cursor."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise _bad_cursor("the cursor is too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        doc = json.loads(raw)
    except (binascii.Error, ValueError):
        raise _bad_cursor("the cursor is not one this API gave out") from None
    if not isinstance(doc, dict) or set(doc) != {"l", "v", "id"}:
        raise _bad_cursor("the cursor is not one this API gave out")
    if doc["l"] != listing:
        raise _bad_cursor("the cursor belongs to another listing or sort order")
    pk, value = doc["id"], doc["v"]
    if type(pk) is not int or not 0 <= pk <= MAX_ID:
        raise _bad_cursor("the cursor is damaged")
    if value is None:
        if not keyset.nullable:
            raise _bad_cursor("the cursor is damaged")
        return None, pk
    if not isinstance(value, str):
        raise _bad_cursor("the cursor is damaged")
    if keyset.is_datetime:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _bad_cursor("the cursor is damaged") from None
        if moment.tzinfo is None:
            raise _bad_cursor("the cursor is damaged")
        return moment, pk
    return value, pk


def paginate(
    qs: QuerySet[M], *, listing: str, keyset: Keyset, cursor: str | None, limit: int
) -> tuple[list[M], str | None]:
    """Return one page of QS (already ordered by KEYSET) after CURSOR, and the next cursor."""
    if cursor:
        value, pk = decode_cursor(listing, cursor, keyset)
        qs = qs.filter(keyset.after(value, pk))
    rows = list(qs[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor(listing, keyset.value_of(last), last.pk)
