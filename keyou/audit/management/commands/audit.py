"""keyou audit [--since ...] [--until ...] [--user U] [--action A] [--object-type T] ..."""

from django.utils import timezone

from keyou.audit.models import AuditAction
from keyou.audit.selectors import audit_entries
from keyou.clikit import CommandError, JsonCommand
from keyou.clitime import parse_instant
from keyou.people.access import SYSTEM


class Command(JsonCommand):
    help = "Print the audit log, newest first."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="ISO 8601 date or time (a date: from its start)")
        parser.add_argument("--until", help="ISO 8601 date or time (a date: through its end)")
        parser.add_argument("--user", help="entries by this username (failed logins too)")
        parser.add_argument("--action", choices=AuditAction.values)
        parser.add_argument("--object-type", help="e.g. account, contact, accessgrant, user")
        parser.add_argument("--object-id")
        parser.add_argument("--limit", type=int, default=100, help="at most this many (0: all)")

    def handle(self, *args, **options):
        if options["limit"] < 0:
            raise CommandError("--limit must be 0 or more")
        qs = audit_entries(
            SYSTEM,
            user=options["user"],
            action=options["action"],
            object_type=options["object_type"],
            object_id=options["object_id"],
            since=parse_instant(options["since"]) if options["since"] else None,
            until=parse_instant(options["until"], end_of_day=True) if options["until"] else None,
        )
        if options["limit"]:
            qs = qs[: options["limit"]]
        rows = [
            {
                "id": e.pk,
                "at": e.at,
                "user": e.actor_name,
                "user_id": e.actor_id,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "ip": e.ip,
                "data": e.data,
            }
            for e in qs
        ]
        text = "\n".join(
            f"{timezone.localtime(r['at']):%Y-%m-%d %H:%M:%S}  {r['user']:<16} {r['action']:<16} "
            f"{r['object_type']} {r['object_id']}  {r['ip'] or ''}".rstrip()
            for r in rows
        )
        self.emit(options, rows, text or "no entries")
