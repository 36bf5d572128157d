"""keyou analytics rebuild [--since DATE]"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from keyou.analytics.rollups import mail_rollup_rebuild
from keyou.clikit import CommandError, JsonCommand


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"--since wants a date YYYY-MM-DD, not {text!r}") from error


class Command(JsonCommand):
    help = "Analytics rollups: rebuild them from the messages."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild", help="recompute the rollups from scratch")
        rebuild.add_argument(
            "--since",
            default="",
            metavar="YYYY-MM-DD",
            help="only the days from this company day on (default: every day)",
        )

    def handle(self, *args, **options):
        since = _date(options["since"]) if options["since"] else None
        result = mail_rollup_rebuild(since=since)
        span = f"{result.first_day} .. {result.last_day}" if result.first_day else "no mail"
        self.emit(
            options,
            {"mail": asdict(result)},
            f"mail volume: {result.mail_days} account-days, {result.shared_rows} rows of "
            f"messages on several accounts, {span} ({result.zone}), {result.chunks} chunks "
            f"in {result.seconds:.2f} s\n",
        )
