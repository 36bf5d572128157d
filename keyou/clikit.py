"""Shared pieces of the `keyou` management commands: JSON output and clear errors."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(data: Any) -> str:
    """Return DATA as JSON text (datetimes as ISO 8601, non-ASCII kept readable)."""
    return json.dumps(data, default=_default, ensure_ascii=False, indent=2)


class JsonCommand(BaseCommand):
    """A command that prints either readable text or, with --json, one JSON document."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any):  # type: ignore[override]
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        return parser

    def emit(self, options: dict[str, Any], data: Any, text: str) -> None:
        """Print DATA as JSON when --json was given, else TEXT."""
        self.stdout.write(to_json(data) if options.get("json") else text)


__all__ = ["CommandError", "JsonCommand", "to_json"]
