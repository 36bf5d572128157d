"""keyou user add USERNAME --email E [--team T] [--admin] [--password-stdin]"""

import sys

from keyou.clikit import CommandError, JsonCommand
from keyou.people.services import InvalidInput, user_add


class Command(JsonCommand):
    help = "Add or update users."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add or update a user")
        add.add_argument("username")
        add.add_argument("--email", required=True)
        add.add_argument("--team")
        add.add_argument("--admin", action="store_true")
        add.add_argument("--password-stdin", action="store_true", help="read a password from stdin")
        add.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        password = sys.stdin.readline().rstrip("\n") if options["password_stdin"] else None
        try:
            user = user_add(
                username=options["username"],
                email=options["email"],
                team=options["team"],
                admin=options["admin"],
                password=password,
            )
        except InvalidInput as exc:
            raise CommandError(str(exc)) from None
        data = {
            "id": user.pk,
            "username": user.username,
            "email": user.email,
            "team": user.team.name if user.team else None,
            "admin": user.is_superuser,
        }
        self.emit(options, data, f"user {user.username} ({user.email}) saved")
