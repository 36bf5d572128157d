"""Request bodies: JSON only, and said so by the Content-Type."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.parser import Parser

from keyou.api.errors import UnsupportedMediaType


class JsonParser(Parser):
    """Read request bodies as JSON, refusing bodies that say they are something else."""

    def parse_body(self, request: HttpRequest):  # type: ignore[override]
        media_type = request.content_type or ""
        if media_type != "application/json" and not media_type.endswith("+json"):
            raise UnsupportedMediaType(
                f"send the body as JSON with 'Content-Type: application/json', "
                f"not {media_type or 'no content type'!r}"
            )
        return super().parse_body(request)
