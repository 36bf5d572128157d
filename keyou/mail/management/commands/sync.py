"""keyou sync [ADDRESS] [--json]: one sync pass in the foreground, with per-folder counts."""

from keyou.clikit import CommandError, JsonCommand
from keyou.mail.models import Mailbox
from keyou.mail.services import mailbox_get
from keyou.people.services import InvalidInput


class Command(JsonCommand):
    help = "Sync one connected mailbox (or all of them) now and print what each folder holds."

    def add_arguments(self, parser):
        parser.add_argument("address", nargs="?", help="default: every connected mailbox")
        parser.add_argument("--folder", action="append", help="only this folder or role")
        parser.add_argument(
            "--queue", action="store_true", help="queue the sync for the workers instead"
        )

    def handle(self, *args, **options):
        from keyou.mail.sync import mailbox_sync

        if options["address"]:
            try:
                mailboxes = [mailbox_get(options["address"])]
            except InvalidInput as exc:
                raise CommandError(str(exc)) from None
            if not mailboxes[0].imap_host:
                raise CommandError(
                    f"{mailboxes[0].address} has no IMAP server; use `keyou mailbox connect`"
                )
        else:
            mailboxes = list(Mailbox.objects.filter(sync_enabled=True))
        if options["queue"]:
            from keyou.mail.tasks import mailbox_sync_task

            for mailbox in mailboxes:
                mailbox_sync_task(mailbox.pk)
            queued = [m.address for m in mailboxes]
            self.emit(options, {"queued": queued}, f"queued {len(queued)} mailbox syncs")
            return
        reports = [mailbox_sync(m, folders=options["folder"]).as_dict() for m in mailboxes]
        lines = []
        for r in reports:
            state = r["error"] or r["skipped"] or f"ok in {r['seconds']} s"
            lines.append(f"{r['mailbox']}: {state}")
            for f in r["folders"]:
                lines.append(
                    f"  {f['folder']:30} server {f['server']:>7}  held {f['held']:>7}  "
                    f"new {f['new']:>6}  dup {f['duplicates']:>6}  flagged {f['flagged']:>4}"
                    + ("" if f["reconciled"] else "  (not all held yet)")
                )
        self.emit(
            options,
            reports[0] if options["address"] else reports,
            "\n".join(lines) or "no connected mailboxes",
        )
        if any(r["error"] for r in reports):
            raise CommandError(
                "sync failed: " + "; ".join(r["error"] for r in reports if r["error"])
            )
