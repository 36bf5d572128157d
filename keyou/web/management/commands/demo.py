"""keyou demo: build the demo organisation and import its generated mail history."""

from pathlib import Path

from django.conf import settings

from keyou.clikit import CommandError, JsonCommand
from keyou.demo.setup import DEMO_PASSWORD, demo_build


class Command(JsonCommand):
    help = "Create the demo company (teams, users, mailboxes) and import a generated mail history."

    def add_arguments(self, parser):
        parser.add_argument("--messages", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--once", action="store_true", help="do nothing if the demo was already loaded"
        )

    def handle(self, *args, **options):
        if options["messages"] < 1:
            raise CommandError("--messages must be at least 1")
        result = demo_build(
            work_dir=Path(settings.DATA_DIR) / "demo-mail",
            messages=options["messages"],
            seed=options["seed"],
            once=options["once"],
        )
        if result is None:
            self.emit(options, {"loaded": False}, "The demo is already loaded.")
            return
        lines = [
            f"Demo loaded: {result['messages']} messages, {result['accounts']} accounts.",
            f"Demo users (password {DEMO_PASSWORD}): " + ", ".join(result["logins"][:6]) + ", ...",
        ]
        self.emit(options, result, "\n".join(lines))
