"""Pieces every router uses: the documented error responses and the paging parameters."""

from __future__ import annotations

from typing import Annotated

from ninja import Query

from keyou.api.errors import ErrorOut
from keyou.api.pagination import MAX_LIMIT

# Errors any authenticated operation may answer, for the OpenAPI document.
COMMON_ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}

Cursor = Annotated[
    str | None,
    Query(max_length=1000, description="next_cursor of the previous page; omit for the first"),
]
Limit = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_LIMIT,
        description=f"rows per page, 1 to {MAX_LIMIT} (larger is refused, not clamped)",
    ),
]
