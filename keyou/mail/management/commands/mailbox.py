"""keyou mailbox add|list|connect|test: mailboxes and their server connections.

keyou mailbox add ADDRESS --kind personal|shared [--owner USERNAME]
keyou mailbox connect ADDRESS [--preset KEY] --imap-host H --imap-port P
    --imap-security ssl|starttls|none --smtp-host H --smtp-port P
    --smtp-security ssl|starttls|none --username U --password-stdin [--sync-months N] [--test]
keyou mailbox test ADDRESS
"""

import sys

from keyou.clikit import CommandError, JsonCommand
from keyou.mail.models import Mailbox, MailboxKind, Security
from keyou.mail.presets import PRESETS
from keyou.mail.services import mailbox_add
from keyou.people.services import InvalidInput


def _row(mailbox: Mailbox) -> dict:
    return {
        "id": mailbox.pk,
        "address": mailbox.address,
        "kind": mailbox.kind,
        "owners": [u.username for u in mailbox.owners.all()],
        "messages": mailbox.copies.count(),
        "imap": f"{mailbox.imap_host}:{mailbox.imap_port}" if mailbox.imap_host else "",
        "sync_enabled": mailbox.sync_enabled,
        "sync_status": mailbox.sync_status,
        "last_sync_at": mailbox.last_sync_at,
        "last_error": mailbox.last_error,
    }


class Command(JsonCommand):
    help = "Add and list mailboxes."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a mailbox")
        add.add_argument("address")
        add.add_argument("--kind", choices=MailboxKind.values, default=MailboxKind.PERSONAL)
        add.add_argument("--owner")
        add.add_argument("--json", action="store_true")
        lst = sub.add_parser("list", help="list mailboxes")
        lst.add_argument("--json", action="store_true")
        con = sub.add_parser("connect", help="set a mailbox's IMAP/SMTP servers and password")
        con.add_argument("address")
        con.add_argument("--preset", choices=sorted(PRESETS), default="")
        con.add_argument("--imap-host", default="")
        con.add_argument("--imap-port", type=int)
        con.add_argument("--imap-security", choices=Security.values, default=Security.SSL)
        con.add_argument("--smtp-host", default="")
        con.add_argument("--smtp-port", type=int)
        con.add_argument("--smtp-security", choices=Security.values, default=Security.SSL)
        con.add_argument("--username", default="")
        con.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin"
        )
        con.add_argument("--sync-months", type=int)
        con.add_argument("--test", action="store_true", help="try the servers after saving")
        con.add_argument("--json", action="store_true")
        test = sub.add_parser("test", help="try a mailbox's IMAP and SMTP login")
        test.add_argument("address")
        test.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        if options["action"] == "add":
            try:
                mailbox = mailbox_add(
                    address=options["address"], kind=options["kind"], owner=options["owner"]
                )
            except InvalidInput as exc:
                raise CommandError(str(exc)) from None
            self.emit(options, _row(mailbox), f"mailbox {mailbox.address} ({mailbox.kind}) saved")
            return
        if options["action"] == "connect":
            self._connect(options)
            return
        if options["action"] == "test":
            from keyou.mail.services import mailbox_get

            try:
                mailbox = mailbox_get(options["address"])
            except InvalidInput as exc:
                raise CommandError(str(exc)) from None
            self._test(options, mailbox)
            return
        rows = [_row(m) for m in Mailbox.objects.prefetch_related("owners")]
        text = "\n".join(f"{r['address']:40} {r['kind']:9} {r['messages']:>8}" for r in rows)
        self.emit(options, rows, text or "no mailboxes")

    def _connect(self, options) -> None:
        from keyou.mail.sync import mailbox_connect

        password = None
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("--password-stdin: no password on standard input")
        try:
            mailbox = mailbox_connect(
                options["address"],
                preset=options["preset"],
                imap_host=options["imap_host"],
                imap_port=options["imap_port"],
                imap_security=options["imap_security"],
                smtp_host=options["smtp_host"],
                smtp_port=options["smtp_port"],
                smtp_security=options["smtp_security"],
                username=options["username"],
                password=password,
                sync_months=options["sync_months"],
            )
        except InvalidInput as exc:
            raise CommandError(str(exc)) from None
        if options["test"]:
            self._test(options, mailbox)
            return
        self.emit(options, _row(mailbox), f"mailbox {mailbox.address} connected; sync is on")

    def _test(self, options, mailbox: Mailbox) -> None:
        from keyou.mail.sync import mailbox_test_connection

        result = mailbox_test_connection(mailbox)
        data = {
            **_row(mailbox),
            "ok": result.ok,
            "checks": [{"ok": line.ok, "text": line.text} for line in result.lines()],
        }
        text = "\n".join(("ok    " if line.ok else "FAIL  ") + line.text for line in result.lines())
        self.emit(options, data, text)
        if not result.ok:
            raise CommandError("the connection test failed")
