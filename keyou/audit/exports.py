"""Exports of customer data to CSV and XLSX: scoped, field-limited, watermarked, audited.

Rows come only through the scoped selectors (`accounts_list`, `contacts_visible_to`,
`timeline_for`), so a file holds exactly what its user may see on the pages, less
email text for a role that may not read email bodies (`may_read_bodies`). Every file names its export
id, user and time (a first row, and the XLSX properties), every export leaves an
`Export` row and an audit entry, and a refused one is audited too.

Rows are read in chunks (`iterator`), never all at once; the file itself is built
in memory, which stays small (about 4 MB of CSV, 2 MB of XLSX for 50k accounts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC
from itertools import islice
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyou.audit.export_files import WRITERS, Column, iso_utc
from keyou.audit.models import AuditAction, Export, ExportKind
from keyou.audit.services import audit, watch_volume
from keyou.crm import selectors
from keyou.crm.models import Account, AccountDomain, Activity, ActivityKind, ContactEmail, Note
from keyou.mail.selectors import may_read_bodies
from keyou.people.access import SYSTEM, Actor, NotAllowed, can
from keyou.people.models import Capability

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Rows fetched per query: big enough to be quick, small enough that 50k rows
# never sit in memory as model objects at once.
CHUNK_SIZE = 2000
# The accounts-list filters an accounts export takes (the list page's query string).
ACCOUNT_PARAMS = (
    "q",
    "owner",
    "team",
    "tag",
    "lifecycle",
    "country",
    "after",
    "before",
    "awaiting",
    "sort",
)


class InvalidExport(ValueError):
    """The export asked for does not exist (unknown kind or format, no account given)."""


@dataclass(frozen=True)
class ExportResult:
    """A finished export: its record, the file's bytes, a file name and its content type."""

    export: Export
    content: bytes
    filename: str
    content_type: str


# --- What each kind exports ----------------------------------------------------


@dataclass
class _Plan:
    columns: list[Column]
    rows: Iterable[Any]  # one item per data row, read lazily
    params: dict[str, Any]  # what narrowed the rows, as recorded
    label: str  # the file name's middle part


def _joined(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values if v not in (None, ""))


def _account_params(params: Mapping[str, Any]) -> tuple[selectors.AccountFilters, dict]:
    """Parse the accounts-list filters in PARAMS exactly as the list page does.

    Return the filters and the valid ones as recorded (invalid ones are ignored, as on the page).
    """
    from keyou.web.forms import AccountFilterForm  # the list page's parsing, reused

    form = AccountFilterForm(params)
    form.is_valid()
    recorded = {}
    for name in ACCOUNT_PARAMS:
        value = params.get(name)
        if value not in (None, "") and name not in form.errors:
            recorded[name] = str(value)
    return form.filters(), recorded


def _chunked_rows(
    qs: QuerySet, fields: tuple[str, ...], extras: Callable[[list[int]], dict[str, dict]]
) -> Iterator[dict[str, Any]]:
    """Yield QS's FIELDS as dicts, a chunk at a time, each chunk given EXTRAS by row id.

    Plain values, not model instances and prefetches: 50k rows in seconds, not minutes.
    """
    rows = qs.values(*fields).iterator(chunk_size=CHUNK_SIZE)
    for chunk in _chunks(rows, CHUNK_SIZE):
        more = extras([row["pk"] for row in chunk])
        for row in chunk:
            for name, by_id in more.items():
                row[name] = by_id.get(row["pk"], [])
            yield row


def _grouped(pairs: Iterable[tuple[int, Any]]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def _accounts_plan(actor: Actor, params: Mapping[str, Any]) -> _Plan:
    filters, recorded = _account_params(params)
    fields = (
        "pk",
        "name",
        "country",
        "lifecycle",
        "owner__username",
        "team__name",
        "first_contact_at",
        "last_inbound_at",
        "last_outbound_at",
        "created_at",
    )

    def domains_and_tags(ids: list[int]) -> dict[str, dict]:
        domains = AccountDomain.objects.filter(account_id__in=ids).order_by("domain")
        tags = Account.tags.through.objects.filter(account_id__in=ids).order_by("tag__name")
        return {
            "domains": _grouped(domains.values_list("account_id", "domain")),
            "tags": _grouped(tags.values_list("account_id", "tag__name")),
        }

    rows = _chunked_rows(selectors.accounts_list(actor, filters), fields, domains_and_tags)
    columns = [
        Column(_("ID"), lambda a: a["pk"]),
        Column(_("Name"), lambda a: a["name"]),
        Column(_("Domains"), lambda a: _joined(a["domains"])),
        Column(_("Country"), lambda a: a["country"]),
        Column(_("Lifecycle"), lambda a: a["lifecycle"]),
        Column(_("Owner"), lambda a: a["owner__username"] or ""),
        Column(_("Team"), lambda a: a["team__name"] or ""),
        Column(_("Tags"), lambda a: _joined(a["tags"])),
        Column(_("First contact"), lambda a: iso_utc(a["first_contact_at"])),
        Column(_("Last inbound"), lambda a: iso_utc(a["last_inbound_at"])),
        Column(_("Last outbound"), lambda a: iso_utc(a["last_outbound_at"])),
        Column(_("Created"), lambda a: iso_utc(a["created_at"])),
    ]
    return _Plan(columns, rows, recorded, "accounts")


def _contacts_plan(actor: Actor, params: Mapping[str, Any]) -> _Plan:
    fields = ("pk", "account_id", "account__name", "name", "title", "phones", "owner__username")

    def emails(ids: list[int]) -> dict[str, dict]:
        rows = ContactEmail.objects.filter(contact_id__in=ids).order_by("-is_primary", "id")
        return {"emails": _grouped(rows.values_list("contact_id", "email"))}

    qs = selectors.contacts_visible_to(actor).order_by("account__name", "account_id", "name", "id")
    columns = [
        Column(_("ID"), lambda c: c["pk"]),
        Column(_("Account ID"), lambda c: c["account_id"]),
        Column(_("Account"), lambda c: c["account__name"]),
        Column(_("Name"), lambda c: c["name"]),
        Column(_("Title"), lambda c: c["title"]),
        Column(_("Emails"), lambda c: _joined(c["emails"])),
        Column(_("Phones"), lambda c: _joined(c["phones"] or ())),
        Column(_("Owner"), lambda c: c["owner__username"] or ""),
    ]
    return _Plan(columns, _chunked_rows(qs, fields, emails), {}, "contacts")


def _address(name: str, email: str) -> str:
    return f"{name} <{email}>" if name and email else email or name


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _with_note_texts(activities: Iterable[Activity]) -> Iterator[Activity]:
    """Yield ACTIVITIES, a chunk at a time, each note entry given its note's full text."""
    for chunk in _chunks(activities, CHUNK_SIZE):
        ids = [a.data.get("note_id") for a in chunk if a.kind == ActivityKind.NOTE]
        bodies = dict(
            Note.objects.filter(pk__in=[i for i in ids if isinstance(i, int)]).values_list(
                "pk", "body"
            )
        )
        for activity in chunk:
            activity.note_text = bodies.get(activity.data.get("note_id"), "")
            yield activity


def _timeline_plan(actor: Actor, params: Mapping[str, Any]) -> _Plan:
    ref = params.get("account")
    if ref in (None, ""):
        raise InvalidExport("a timeline export needs an account")
    # Raises NotFound outside the actor's scope: the caller's 404, before any capability check.
    account = selectors.account_get_for(actor, str(ref))
    from keyou.mail.models import AddressRole, MessageAddress

    recipients = MessageAddress.objects.filter(role=AddressRole.TO).order_by("position", "id")
    activities = (
        selectors.timeline_for(actor, account)
        .prefetch_related(None)
        .prefetch_related(Prefetch("message__addresses", queryset=recipients))
        .iterator(chunk_size=CHUNK_SIZE)
    )

    bodies = may_read_bodies(actor)

    def summary(a: Activity) -> str:
        if a.kind == ActivityKind.EMAIL:
            # The one field-limited value: an email's text needs the bodies capability.
            return (a.message.snippet if a.message else "") if bodies else ""
        if a.kind == ActivityKind.NOTE:
            return a.note_text or a.data.get("summary", "")
        return a.data.get("summary", "")

    columns = [
        Column(_("Date (UTC)"), lambda a: iso_utc(a.occurred_at)),
        Column(_("Kind"), lambda a: a.kind),
        Column(_("Direction"), lambda a: a.message.direction if a.message else ""),
        Column(_("Subject"), lambda a: a.message.subject if a.message else ""),
        Column(
            _("From"),
            lambda a: _address(a.message.from_name, a.message.from_email) if a.message else "",
        ),
        Column(
            _("To"),
            lambda a: (
                _joined(_address(r.name, r.email) for r in a.message.addresses.all())
                if a.message
                else ""
            ),
        ),
        Column(_("Summary"), summary),
        Column(_("By"), lambda a: a.actor.username if a.actor else ""),
    ]
    rows = _with_note_texts(activities)
    return _Plan(columns, rows, {"account": account.pk}, f"timeline-{account.pk}")


def _plan(actor: Actor, kind: str, params: Mapping[str, Any]) -> _Plan:
    if kind == ExportKind.ACCOUNTS:
        return _accounts_plan(actor, params)
    if kind == ExportKind.CONTACTS:
        return _contacts_plan(actor, params)
    return _timeline_plan(actor, params)


# --- The service ----------------------------------------------------------------


def export_build(
    actor: Actor,
    kind: str,
    file_format: str,
    *,
    params: Mapping[str, Any] | None = None,
    request: Any = None,
) -> ExportResult:
    """Export what ACTOR may see of KIND (accounts, contacts, timeline) as FILE_FORMAT.

    PARAMS: for accounts the accounts-list filters (q, owner, team, tag, lifecycle,
    country, after, before, awaiting, sort); for a timeline `account` (an id).
    Raise InvalidExport for an unknown kind or format, NotFound for an account
    ACTOR may not see (before anything else is checked), and NotAllowed without
    the export capability, after writing an EXPORT_REFUSED audit entry.

    Not atomic on purpose: the refusal's audit entry must stay even when the
    caller's request fails, and a 50k-row file is not built inside a write lock.
    """
    if kind not in ExportKind.values:
        raise InvalidExport(f"unknown export kind {kind!r}")
    if file_format not in FORMATS:
        raise InvalidExport(f"unknown export format {file_format!r}")
    params = params if params is not None else {}
    plan = _plan(actor, kind, params)
    export_allowed_or_refuse(
        actor, kind=kind, file_format=file_format, params=plan.params, request=request
    )
    return export_write(
        actor,
        kind=kind,
        file_format=file_format,
        params=plan.params,
        columns=plan.columns,
        rows=plan.rows,
        label=plan.label,
        request=request,
    )


def export_allowed_or_refuse(
    actor: Actor, *, kind: str, file_format: str, params: dict, request: Any = None
) -> None:
    """Raise NotAllowed, after an EXPORT_REFUSED audit entry, unless ACTOR may export."""
    if can(actor, Capability.EXPORT):
        return
    audit(
        actor,
        AuditAction.EXPORT_REFUSED,
        object_type="export",
        data={"kind": kind, "format": file_format, "params": params},
        request=request,
    )
    raise NotAllowed(str(Capability.EXPORT))


def export_write(
    actor: Actor,
    *,
    kind: str,
    file_format: str,
    params: dict,
    columns: Any,
    rows: Any,
    label: str,
    request: Any = None,
) -> ExportResult:
    """Write ROWS under COLUMNS as a watermarked FILE_FORMAT file: an `Export` row, its
    audit entry and the volume watch; return the file. The one way any export leaves."""
    export = Export.objects.create(
        user=None if actor is SYSTEM else actor,
        user_name=actor.username[:150],
        kind=kind,
        file_format=file_format,
        params=params,
        created_at=timezone.now(),
    )
    try:
        content, count = WRITERS[file_format](export, columns, rows)
    except BaseException:
        export.delete()  # nothing left the building
        raise
    export.rows = count
    export.sha256 = hashlib.sha256(content).hexdigest()
    export.save(update_fields=["rows", "sha256"])
    audit(
        actor,
        AuditAction.EXPORT,
        obj=export,
        data={
            "export_id": export.pk,
            "kind": kind,
            "format": file_format,
            "rows": count,
            "params": params,
        },
        request=request,
    )
    if actor is not SYSTEM:  # the operator's own exports alert nobody
        watch_volume(actor)
    stamp = export.created_at.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    return ExportResult(
        export=export,
        content=content,
        filename=f"keyou-{label}-{stamp}-{export.pk}.{file_format}",
        content_type=CONTENT_TYPES[file_format],
    )
