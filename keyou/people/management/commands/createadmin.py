"""keyou createadmin USERNAME [--email E] [--password-stdin]: an administrator login."""

import getpass
import sys

from keyou.clikit import CommandError, JsonCommand
from keyou.people.services import InvalidInput, user_add


class Command(JsonCommand):
    help = "Create an administrator (or make an existing user one) and set their password."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--team")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin"
        )

    def handle(self, *args, **options):
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords do not match")
        else:
            raise CommandError("give the password with --password-stdin")
        if len(password) < 8:
            raise CommandError("the password needs at least 8 characters")
        try:
            user = user_add(
                username=options["username"],
                email=options["email"],
                team=options["team"],
                admin=True,
                password=password,
            )
        except InvalidInput as exc:
            raise CommandError(str(exc)) from None
        data = {"id": user.pk, "username": user.username, "admin": True}
        self.emit(options, data, f"administrator {user.username} saved")
