"""`keyou accounts create|import|dupes|duplicate-mode`: accounts made by hand, and 查重.

Kept beside the `accounts` command, which adds these subcommands with `add_parsers` and
hands them to `run`. Each acts as --user USERNAME (their capabilities and scope apply),
or as the system (everything visible; a new account goes to the public pool unless
--owner says otherwise).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from keyou.clikit import CommandError
from keyou.crm.customers import (
    BLOCK,
    WARN,
    DuplicateFound,
    account_create,
    duplicate_mode,
    duplicate_mode_set,
)
from keyou.crm.duplicates import DuplicateMatch, duplicates_find
from keyou.crm.imports import ImportReport, accounts_import
from keyou.crm.models import Lifecycle
from keyou.people.access import SYSTEM, Actor, NotAllowed
from keyou.people.services import user_find

ACTIONS = ("create", "import", "dupes", "duplicate-mode")


def add_parsers(sub: Any) -> list[Any]:
    """Add the create, import and dupes subcommands to SUB; return their parsers."""
    create = sub.add_parser("create", help="create an account (the duplicate check runs first)")
    create.add_argument("name")
    create.add_argument("--domain", action="append", default=[], metavar="DOMAIN")
    create.add_argument("--country", default="", metavar="CC")
    create.add_argument("--source", default="")
    create.add_argument("--lifecycle", default=Lifecycle.PROSPECT, choices=Lifecycle.values)
    create.add_argument("--tier", default="", choices=["", "A", "B", "C"])
    create.add_argument("--owner", default="", metavar="USERNAME")
    create.add_argument("--contact-name", default="")
    create.add_argument("--email", default="")
    create.add_argument("--phone", default="")
    create.add_argument("--title", default="")
    create.add_argument(
        "--confirm-duplicates", action="store_true", help="create it despite matches (warn mode)"
    )
    imp = sub.add_parser("import", help="import accounts from a CSV or XLSX file")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument(
        "--dry-run", action="store_true", help="report what would happen, change nothing"
    )
    imp.add_argument(
        "--allow-duplicates", action="store_true", help="import matching rows too (warn mode only)"
    )
    dupes = sub.add_parser("dupes", help="find accounts matching a name, domain, email or phone")
    dupes.add_argument("--name", default="")
    dupes.add_argument("--domain", action="append", default=[], metavar="DOMAIN")
    dupes.add_argument("--email", action="append", default=[], metavar="EMAIL")
    dupes.add_argument("--phone", action="append", default=[], metavar="PHONE")
    dupes.add_argument("--country", default="", metavar="CC")
    mode = sub.add_parser("duplicate-mode", help="show or set what a duplicate does: warn or block")
    mode.add_argument("mode", nargs="?", choices=[WARN, BLOCK])
    parsers = [create, imp, dupes, mode]
    for parser in parsers:
        parser.add_argument("--user", default="", metavar="USERNAME", help="act as this user")
        parser.add_argument("--json", action="store_true")
    imp.set_defaults(user_required=True)
    return parsers


def _actor(options: dict[str, Any]) -> Actor:
    if options.get("user"):
        return user_find(options["user"])
    if options.get("user_required"):
        raise CommandError("name the user the import is done as: --user USERNAME")
    return SYSTEM


def _match_row(match: DuplicateMatch) -> dict[str, Any]:
    return {
        "account_id": match.account_id,
        "visible": match.visible,
        "name": match.name or None,
        "owner": match.owner_name or None,
        "team": match.team_name or None,
        "in_pool": match.in_pool,
        "reasons": list(match.reasons),
        "description": match.describe(),
    }


def run(command: Any, options: dict[str, Any]) -> None:
    """Run the subcommand options["action"] for COMMAND (which prints with `emit`)."""
    try:
        _run(command, _actor(options), options)
    except NotAllowed as exc:
        raise CommandError(f"not allowed: the user's role lacks {exc}") from None


def _run(command: Any, actor: Actor, options: dict[str, Any]) -> None:
    action = options["action"]
    if action == "create":
        _create(command, actor, options)
    elif action == "import":
        _import(command, actor, options)
    elif action == "duplicate-mode":
        mode = options["mode"]
        if mode:
            duplicate_mode_set(actor=actor, mode=mode)
        current = duplicate_mode()
        command.emit(options, {"duplicate_mode": current}, f"on a duplicate: {current}")
    else:
        _dupes(command, actor, options)


def _create(command: Any, actor: Actor, options: dict[str, Any]) -> None:
    owner = user_find(options["owner"]) if options["owner"] else None
    try:
        account = account_create(
            actor=actor,
            name=options["name"],
            domains=options["domain"],
            country=options["country"],
            source=options["source"],
            lifecycle=options["lifecycle"],
            tier=options["tier"],
            owner=owner,
            contact={
                "name": options["contact_name"],
                "email": options["email"],
                "phone": options["phone"],
                "title": options["title"],
            },
            confirm_duplicates=options["confirm_duplicates"],
            via="cli",
        )
    except DuplicateFound as exc:
        hint = "" if exc.blocking else " (--confirm-duplicates)"
        raise CommandError(f"{exc}{hint}") from None
    data = {
        "id": account.pk,
        "name": account.name,
        "domains": [d.domain for d in account.domains.all()],
        "owner": account.owner.username if account.owner else None,
    }
    owner_text = data["owner"] or "the public pool"
    command.emit(options, data, f"created {account.name} (#{account.pk}) for {owner_text}")


def _import(command: Any, actor: Actor, options: dict[str, Any]) -> None:
    path = Path(options["file"])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    report = accounts_import(
        actor=actor,
        data=data,
        filename=path.name,
        dry_run=options["dry_run"],
        allow_duplicates=options["allow_duplicates"],
    )
    command.emit(options, _report_data(report), _report_text(report))


def _report_data(report: ImportReport) -> dict[str, Any]:
    return {
        "dry_run": report.dry_run,
        "created": report.created,
        "duplicates": report.duplicates,
        "errors": report.errors,
        "ignored_columns": report.ignored_columns,
        "rows": [
            {
                "line": row.line,
                "status": row.status,
                "name": row.name,
                "account_id": row.account_id,
                "message": row.message,
            }
            for row in report.rows
        ],
    }


def _report_text(report: ImportReport) -> str:
    lines = [
        f"line {row.line}: {row.status} {row.name!r}" + (f": {row.message}" if row.message else "")
        for row in report.rows
        if row.status != "created"
    ]
    if report.ignored_columns:
        lines.append("ignored columns: " + ", ".join(report.ignored_columns))
    verb = "would create" if report.dry_run else "created"
    lines.append(
        f"{verb} {report.created}, skipped {report.duplicates} duplicates "
        f"and {report.errors} rows with errors"
        + (" (dry run: nothing was changed)" if report.dry_run else "")
    )
    return "\n".join(lines)


def _dupes(command: Any, actor: Actor, options: dict[str, Any]) -> None:
    matches = duplicates_find(
        actor,
        name=options["name"],
        domains=options["domain"],
        emails=options["email"],
        phones=options["phone"],
        country=options["country"],
    )
    rows = [_match_row(m) for m in matches]
    text = "\n".join(f"#{r['account_id']:>6}  {r['description']}" for r in rows)
    command.emit(options, rows, text or "no matching accounts")
