"""How export rows become files: CSV (UTF-8 with BOM) or XLSX, each with its watermark.

A file's first row names the export id, the user and the time (`watermark_text`);
an XLSX file also carries them in its properties and a hidden "watermark" sheet.
Text that a spreadsheet would run as a formula is kept as text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keyou.audit.models import Export


@dataclass(frozen=True)
class Column:
    """One column of an export: its (translated) header and how a row gives its value."""

    label: Any
    value: Callable[[Any], Any]


def iso_utc(value: datetime | None) -> str:
    """Return VALUE as ISO 8601 in UTC, to the second ("" for none)."""
    if value is None:
        return ""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def watermark_text(export: Export, rows: int | None = None) -> str:
    """Return the line naming EXPORT's id, user and time (and row count, when known).

    Kept in one fixed form, whatever the UI language, so a leaked file is traced by grep.
    """
    parts = [f"Keyou export {export.pk}", export.user_name, iso_utc(export.created_at)]
    if rows is not None:
        parts.append(f"{rows} rows")
    return " · ".join(parts)


# Spreadsheets run a cell starting with one of these as a formula; numbers such as
# phone numbers ("+86 138…", "-5") cannot call anything and are kept as they are.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[\d\s().-]*")


def _csv_cell(value: Any) -> Any:
    dangerous = isinstance(value, str) and value.startswith(_FORMULA_START)
    return "'" + value if dangerous and not _PLAIN_NUMBER.fullmatch(value) else value


def write_csv(export: Export, columns: list[Column], items: Iterable[Any]) -> tuple[bytes, int]:
    """Return the CSV of ITEMS (watermark row, header row, data) and its data row count."""
    body = io.StringIO()
    writer = csv.writer(body)
    rows = 0
    for item in items:
        writer.writerow([_csv_cell(c.value(item)) for c in columns])
        rows += 1
    head = io.StringIO()
    head_writer = csv.writer(head)
    head_writer.writerow(["# " + watermark_text(export, rows)])
    head_writer.writerow([str(c.label) for c in columns])
    # The BOM makes Excel read the file as UTF-8 (Chinese names intact).
    return ("\ufeff" + head.getvalue() + body.getvalue()).encode("utf-8"), rows


def write_xlsx(export: Export, columns: list[Column], items: Iterable[Any]) -> tuple[bytes, int]:
    """Return the XLSX of ITEMS (watermark row, header row, data) and its data row count."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)  # rows go straight to the file, not kept in memory
    sheet = workbook.create_sheet(title=export.kind)

    def cell(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if not value:
            return None  # an empty cell costs nothing in the file
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("="):  # text, never a formula
            text = WriteOnlyCell(sheet, value=value)
            text.data_type = "s"
            return text
        return value

    sheet.append([watermark_text(export)])
    sheet.append([str(c.label) for c in columns])
    rows = 0
    for item in items:
        sheet.append([cell(c.value(item)) for c in columns])
        rows += 1
    mark = watermark_text(export, rows)
    props = workbook.properties
    props.creator = export.user_name
    props.lastModifiedBy = export.user_name
    props.title = f"Keyou export {export.pk}: {export.kind}"
    props.subject = export.kind
    props.description = mark
    props.keywords = (
        f"keyou-export:{export.pk} user:{export.user_name} at:{iso_utc(export.created_at)}"
    )
    props.created = export.created_at.astimezone(UTC).replace(tzinfo=None)
    props.modified = props.created
    hidden = workbook.create_sheet(title="watermark")
    hidden.sheet_state = "hidden"
    for key, value in (
        ("export", export.pk),
        ("user", export.user_name),
        ("at", iso_utc(export.created_at)),
        ("rows", rows),
    ):
        hidden.append([key, value])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), rows


WRITERS: dict[str, Callable[[Export, list[Column], Iterable[Any]], tuple[bytes, int]]] = {
    "csv": write_csv,
    "xlsx": write_xlsx,
}
