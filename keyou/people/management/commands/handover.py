"""keyou handover --from USER --to USER [--split-country CN,HK=bob] [--split-team Asia=carol]
[--mailbox reassign|keep] [--dry-run] [--json]"""

from __future__ import annotations

import argparse

from keyou.clikit import CommandError, JsonCommand
from keyou.people.access import SYSTEM
from keyou.people.handover import (
    MailboxChoice,
    handover_execute,
    handover_preview,
    plan_build,
)
from keyou.people.services import InvalidInput


def _split(kind: str):
    """Parse "WHAT=USERNAME" into (KIND, WHAT, USERNAME); one list keeps the command's order."""

    def parse(text: str) -> tuple[str, str, str]:
        what, sep, username = text.rpartition("=")
        if not sep or not what.strip() or not username.strip():
            raise argparse.ArgumentTypeError(f"expected WHAT=USERNAME, got {text!r}")
        return kind, what.strip(), username.strip()

    return parse


def _text(data: dict, *, done: bool) -> str:
    plan = data["plan"]
    head = "handed over" if done else "would hand over (dry run: nothing changed)"
    lines = [f"{plan['from']} {head}; default successor {plan['to']}"]
    lines += [f"  rule: {r['match']} -> {r['to']}" for r in plan["rules"]]
    lines.append(f"  mailboxes: {plan['mailboxes']}")
    lines += [f"  {key}: {value}" for key, value in data["totals"].items()]
    if len(data["successors"]) > 1:
        for row in data["successors"]:
            parts = ", ".join(
                f"{k} {v}" for k, v in row.items() if k not in ("successor", "matches")
            )
            lines.append(f"  to {row['successor']} ({'; '.join(row['matches'])}): {parts}")
    return "\n".join(lines)


class Command(JsonCommand):
    help = "Hand a departing user's customers, mailboxes and duties to successors; close access."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="departing", required=True, metavar="USER")
        parser.add_argument("--to", dest="successor", required=True, metavar="USER")
        parser.add_argument(
            "--split-country",
            dest="splits",
            action="append",
            type=_split("country"),
            default=[],
            metavar="CODES=USER",
            help="accounts in these countries (or region groups) go to USER, e.g. CN,HK=bob",
        )
        parser.add_argument(
            "--split-team",
            dest="splits",
            action="append",
            type=_split("team"),
            default=[],
            metavar="TEAM=USER",
            help="accounts of this team (and its sub-teams) go to USER, e.g. Asia=carol",
        )
        parser.add_argument(
            "--mailbox",
            choices=MailboxChoice.values,
            default=MailboxChoice.REASSIGN,
            help="personal mailboxes: give them to --to (reassign) or keep them read-only",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would move; change nothing"
        )

    def handle(self, *args, **options):
        try:
            plan = plan_build(
                departing=options["departing"],
                successor=options["successor"],
                splits=options["splits"],
                mailboxes=options["mailbox"],
            )
            if options["dry_run"]:
                data = handover_preview(plan)
            else:
                data = handover_execute(plan, actor=SYSTEM)
        except InvalidInput as exc:
            raise CommandError(str(exc)) from None
        self.emit(options, data, _text(data, done=not options["dry_run"]))
