"""keyou user add|list|set: the people who log in, their team, role and regions.

keyou user add USERNAME --email E [--team T] [--role R] [--region CN,DE] [--admin]
               [--password-stdin]
keyou user list
keyou user set USERNAME [--role R] [--team T] [--region CN,EU] [--email E]
               [--active | --inactive]
"""

import sys

from keyou.clikit import CommandError, JsonCommand
from keyou.people.access import SYSTEM
from keyou.people.directory import users_list
from keyou.people.models import User
from keyou.people.roles import role_of
from keyou.people.services import InvalidInput, user_add, user_find, user_update


def _regions(text: str | None) -> list[str] | None:
    return None if text is None else [r for r in text.split(",") if r.strip()]


def user_row(user: User) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "name": user.get_full_name(),
        "team": user.team.name if user.team_id else None,
        "role": role_of(user).slug,  # without a role of their own: the default
        "regions": list(user.regions or []),
        "admin": user.is_superuser,
        "active": user.is_active,
        "departed_at": user.departed_at,
    }


class Command(JsonCommand):
    help = "Add, list or change users."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add or update a user")
        add.add_argument("username")
        add.add_argument("--email", required=True)
        add.add_argument("--team", help="the team (created when missing)")
        add.add_argument("--role", help="a role code, see `keyou role list`")
        add.add_argument("--region", help="comma-separated country codes or region groups")
        add.add_argument("--admin", action="store_true")
        add.add_argument("--password-stdin", action="store_true", help="read a password from stdin")
        lst = sub.add_parser("list", help="every user with team, role and regions")
        sett = sub.add_parser("set", help="change a user's role, team, regions or active flag")
        sett.add_argument("username")
        sett.add_argument("--role", help="a role code, see `keyou role list`")
        sett.add_argument("--team", help='an existing team ("" for none)')
        sett.add_argument(
            "--region", help='comma-separated country codes or region groups ("" for none)'
        )
        sett.add_argument("--email")
        active = sett.add_mutually_exclusive_group()
        active.add_argument("--active", dest="active", action="store_const", const=True)
        active.add_argument("--inactive", dest="active", action="store_const", const=False)
        for p in (add, lst, sett):
            p.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        try:
            if options["action"] == "add":
                self._add(options)
            elif options["action"] == "list":
                self._list(options)
            else:
                self._set(options)
        except InvalidInput as exc:
            raise CommandError(str(exc)) from None

    def _add(self, options):
        password = sys.stdin.readline().rstrip("\n") if options["password_stdin"] else None
        user = user_add(
            username=options["username"],
            email=options["email"],
            team=options["team"],
            admin=options["admin"],
            role=options["role"],
            regions=_regions(options["region"]),
            password=password,
            actor=SYSTEM,
        )
        self.emit(options, user_row(user), f"user {user.username} ({user.email}) saved")

    def _list(self, options):
        rows = [user_row(u) for u in users_list()]
        text = "\n".join(
            f"{r['username']:20} {r['email']:32} {r['team'] or '-':20} {r['role'] or '-':18} "
            f"{','.join(r['regions']) or '-':10} {'active' if r['active'] else 'inactive'}"
            for r in rows
        )
        self.emit(options, rows, text or "no users")

    def _set(self, options):
        user = user_find(options["username"])
        changes = {}
        if options["role"] is not None:
            changes["role"] = options["role"]
        if options["team"] is not None:
            changes["team"] = options["team"] or None
        if options["region"] is not None:
            changes["regions"] = _regions(options["region"])
        if options["email"] is not None:
            changes["email"] = options["email"]
        if options["active"] is not None:
            changes["is_active"] = options["active"]
        if not changes:
            raise CommandError(
                "nothing to change: give --role, --team, --region, --email, --active or --inactive"
            )
        user = user_update(actor=SYSTEM, user=user, **changes)
        self.emit(options, user_row(user), f"user {user.username} changed")
