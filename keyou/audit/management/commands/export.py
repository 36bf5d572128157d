"""keyou export accounts|contacts|timeline --format csv|xlsx --out FILE [--as USERNAME]"""

from pathlib import Path

from django.http import QueryDict

from keyou.audit import exports
from keyou.clikit import CommandError, JsonCommand
from keyou.crm.selectors import NotFound
from keyou.people.access import SYSTEM, NotAllowed
from keyou.people.models import User


class Command(JsonCommand):
    help = (
        "Export accounts, contacts or one account's timeline to a watermarked CSV or XLSX file. "
        "Without --as the operator exports as 'system' (everything, still audited); with --as "
        "that user's scope and capabilities apply."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["accounts", "contacts", "timeline"])
        parser.add_argument(
            "--format",
            dest="file_format",
            choices=exports.FORMATS,
            help="csv or xlsx (default: from --out's extension, else csv)",
        )
        parser.add_argument("--out", required=True, metavar="FILE", help="where to write")
        parser.add_argument("--as", dest="as_user", metavar="USERNAME", help="export as this user")
        parser.add_argument("--account", metavar="ID", help="the account (timeline only)")
        parser.add_argument(
            "--filters",
            default="",
            metavar="QUERY",
            help="accounts only: the accounts list's query string, e.g. 'tag=VIP&country=DE'",
        )

    def handle(self, *args, **options):
        out = Path(options["out"])
        file_format = options["file_format"] or ("xlsx" if out.suffix.lower() == ".xlsx" else "csv")
        actor = SYSTEM
        if options["as_user"]:
            actor = User.objects.filter(username=options["as_user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user named {options['as_user']!r}")
        kind = options["kind"]
        if kind == "timeline":
            if not options["account"]:
                raise CommandError("a timeline export needs --account ID")
            params = {"account": options["account"]}
        elif kind == "accounts":
            params = QueryDict(options["filters"])
        else:
            params = {}
        try:
            result = exports.export_build(actor, kind, file_format, params=params)
        except NotFound as exc:
            raise CommandError(str(exc)) from None
        except NotAllowed:
            raise CommandError(
                f"{actor.username} may not export (their role lacks the export capability); "
                "the refusal is audited"
            ) from None
        except exports.InvalidExport as exc:
            raise CommandError(str(exc)) from None
        out.write_bytes(result.content)
        export = result.export
        data = {
            "export_id": export.pk,
            "kind": export.kind,
            "format": export.file_format,
            "user": export.user_name,
            "rows": export.rows,
            "sha256": export.sha256,
            "bytes": len(result.content),
            "file": str(out),
            "params": export.params,
            "created_at": export.created_at,
        }
        text = (
            f"export {export.pk}: {export.rows} {export.kind} rows as {export.user_name} "
            f"→ {out} ({len(result.content)} bytes, sha256 {export.sha256[:12]})"
        )
        self.emit(options, data, text)
