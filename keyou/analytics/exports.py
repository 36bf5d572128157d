"""Exports of dashboard tables to CSV and XLSX, under the same rules as customer exports.

The rows are the dashboard's own (`keyou.analytics.dashboards.dashboard_table`), so
a file holds exactly the numbers the viewer sees. As in `keyou.audit.exports`: the
export capability is checked (a refusal is audited), every file is an `Export`
row with an audit entry, and its first row (and XLSX properties) carry the
watermark with the user and time (`keyou.audit.export_files`).
"""

from __future__ import annotations

import hashlib
from datetime import UTC
from typing import Any

from django.utils import timezone

from keyou.analytics.dashboards import TABLES, Table, dashboard_table
from keyou.analytics.filters import AnalyticsFilters
from keyou.audit.export_files import WRITERS, Column
from keyou.audit.exports import CONTENT_TYPES, FORMATS, ExportResult, InvalidExport
from keyou.audit.models import AuditAction, Export, ExportKind
from keyou.audit.services import audit, watch_volume
from keyou.people.access import SYSTEM, Actor, NotAllowed, can
from keyou.people.models import Capability

# Stored in Export.kind (a 16-character field); ExportKind has no choice for it yet.
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
    if not can(actor, Capability.EXPORT):
        audit(
            actor,
            AuditAction.EXPORT_REFUSED,
            object_type="export",
            data={"kind": EXPORT_KIND, "format": file_format, "params": params},
            request=request,
        )
        raise NotAllowed(str(Capability.EXPORT))
    table = dashboard_table(actor, table_name, filters)
    export = Export.objects.create(
        user=None if actor is SYSTEM else actor,
        user_name=actor.username[:150],
        kind=EXPORT_KIND,
        file_format=file_format,
        params=params,
        created_at=timezone.now(),
    )
    try:
        content, rows = WRITERS[file_format](export, _columns(table), table.rows)
    except BaseException:
        export.delete()
        raise
    export.rows = rows
    export.sha256 = hashlib.sha256(content).hexdigest()
    export.save(update_fields=["rows", "sha256"])
    audit(
        actor,
        AuditAction.EXPORT,
        obj=export,
        data={
            "export_id": export.pk,
            "kind": EXPORT_KIND,
            "format": file_format,
            "rows": rows,
            "params": params,
        },
        request=request,
    )
    if actor is not SYSTEM:
        watch_volume(actor)
    stamp = export.created_at.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    return ExportResult(
        export=export,
        content=content,
        filename=f"keyou-{table_name.replace('_', '-')}-{stamp}-{export.pk}.{file_format}",
        content_type=CONTENT_TYPES[file_format],
    )
