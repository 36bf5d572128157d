"""keyou mailbox add ADDRESS --kind personal|shared [--owner USERNAME]"""

from keyou.clikit import CommandError, JsonCommand
from keyou.mail.models import Mailbox, MailboxKind
from keyou.mail.services import mailbox_add
from keyou.people.services import InvalidInput


def _row(mailbox: Mailbox) -> dict:
    return {
        "id": mailbox.pk,
        "address": mailbox.address,
        "kind": mailbox.kind,
        "owners": [u.username for u in mailbox.owners.all()],
        "messages": mailbox.copies.count(),
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
        rows = [_row(m) for m in Mailbox.objects.prefetch_related("owners")]
        text = "\n".join(f"{r['address']:40} {r['kind']:9} {r['messages']:>8}" for r in rows)
        self.emit(options, rows, text or "no mailboxes")
