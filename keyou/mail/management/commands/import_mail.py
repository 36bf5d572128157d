"""keyou import-mail PATH... --mailbox ADDRESS [--folder NAME] [--json]"""

import sys
import time
from pathlib import Path

from keyou.clikit import CommandError, JsonCommand
from keyou.mail.ingest import IngestStats, mail_ingest
from keyou.mail.services import mailbox_get
from keyou.mail.sources import SourceError, iter_paths
from keyou.people.services import InvalidInput


class Command(JsonCommand):
    help = "Import mbox files, maildirs, directories of .eml or single .eml files into a mailbox."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--mailbox", required=True, help="the mailbox these messages sat in")
        parser.add_argument("--folder", default="INBOX", help="folder name to record (INBOX)")
        parser.add_argument("--batch", type=int, default=None, help="messages per transaction")

    def handle(self, *args, **options):
        try:
            mailbox = mailbox_get(options["mailbox"])
        except InvalidInput as exc:
            raise CommandError(str(exc)) from None
        for path in options["paths"]:
            if not path.exists():
                raise CommandError(f"{path}: no such file or directory")
        started = time.monotonic()
        show_progress = sys.stderr.isatty() and not options["json"]

        def progress(stats: IngestStats) -> None:
            rate = stats.read / max(time.monotonic() - started, 1e-6)
            sys.stderr.write(
                f"\r{stats.read} read · {stats.new} new · {stats.duplicates} duplicates · "
                f"{stats.flagged} flagged · {rate:.0f} msg/s"
            )
            sys.stderr.flush()

        try:
            stats = mail_ingest(
                mailbox=mailbox,
                items=iter_paths(options["paths"]),
                folder=options["folder"],
                batch_size=options["batch"],
                progress=progress if show_progress else None,
            )
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        if show_progress:
            sys.stderr.write("\n")
        data = stats.as_dict()
        data["seconds"] = round(time.monotonic() - started, 3)
        text = (
            f"{stats.read} read, {stats.new} new, {stats.duplicates} duplicates, "
            f"{stats.flagged} flagged, {stats.failed} failed; "
            f"{stats.accounts_created} accounts and {stats.contacts_created} contacts created, "
            f"{stats.threads} threads"
        )
        for error in stats.errors[:20]:
            text += f"\n  {error['source']}: {error['reason']}"
        self.emit(options, data, text)
