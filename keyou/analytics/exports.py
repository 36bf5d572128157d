"""Exports of dashboard tables to CSV and XLSX, under the same rules as customer exports.

The rows are the dashboard's own (`keyou.analytics.dashboards.dashboard_table`), so
a file holds exactly the numbers the viewer sees. As in `keyou.audit.exports`: the
export capability is checked (a refusal is audited), every file is an `Export`
row with an audit entry, and its first row (and XLSX properties) carry the
watermark with the user and time (`keyou.audit.export_files`).
"""

from __future__ import annotations

from typing import Any

from keyou.analytics.dashboards import TABLES, Table, dashboard_table
from keyou.analytics.filters import AnalyticsFilters
from keyou.audit.export_files import Column
from keyou.audit.exports import (
    FORMATS,
    ExportResult,
    InvalidExport,
    export_allowed_or_refuse,
    export_write,
)
from keyou.audit.models import ExportKind
from keyou.people.access import Actor

EXPORT_KIND = ExportKind.ANALYTICS


def _columns(table: Table) -> list[Column]:
    return [
        Column(header, lambda row, i=index: row[i].value)
        for index, header in enumerate(table.headers)
    ]


def analytics_export_build(
    actor: Actor,
    table_name: str,
    file_format: str,
    filters: AnalyticsFilters,
    *,
    request: Any = None,
) -> ExportResult:
    """Export dashboard table TABLE_NAME as ACTOR sees it under FILTERS, as FILE_FORMAT.

    Raise InvalidExport for an unknown table or format, NotAllowed without the
    export capability (after an EXPORT_REFUSED audit entry).
    """
    if table_name not in TABLES:
        raise InvalidExport(f"unknown table {table_name!r}")
    if file_format not in FORMATS:
        raise InvalidExport(f"unknown export format {file_format!r}")
    params = {"table": table_name, **filters.as_params()}
    export_allowed_or_refuse(
        actor, kind=EXPORT_KIND, file_format=file_format, params=params, request=request
    )
    table = dashboard_table(actor, table_name, filters)
    return export_write(
        actor,
        kind=EXPORT_KIND,
        file_format=file_format,
        params=params,
        columns=_columns(table),
        rows=table.rows,
        label=table_name.replace("_", "-"),
        request=request,
    )
