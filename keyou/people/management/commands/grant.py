"""keyou grant add|list|revoke: temporary access (临时权限) from the command line."""

from django.utils import timezone

from keyou.clikit import CommandError, JsonCommand
from keyou.clitime import parse_instant
from keyou.crm.selectors import NotFound
from keyou.people import grants
from keyou.people.access import SYSTEM, NotAllowed
from keyou.people.models import AccessGrant, Team, User
from keyou.people.services import InvalidInput


def _grant_row(grant: AccessGrant) -> dict:
    return {
        "id": grant.pk,
        "user": grant.user.username,
        "granted_by": grant.granted_by.username if grant.granted_by_id else None,
        "accounts": [{"id": a.pk, "name": a.name} for a in grant.accounts.all()],
        "team": grant.team.name if grant.team_id else None,
        "edit": grant.edit,
        "reason": grant.reason,
        "created_at": grant.created_at,
        "expires_at": grant.expires_at,
        "revoked_at": grant.revoked_at,
        "state": grants.grant_state(grant),
    }


def _line(row: dict) -> str:
    what = ", ".join(f"#{a['id']} {a['name']}" for a in row["accounts"])
    if row["team"]:
        what = f"{what}; team {row['team']}" if what else f"team {row['team']}"
    mode = "edit" if row["edit"] else "read"
    until = timezone.localtime(row["expires_at"]).strftime("%Y-%m-%d %H:%M")
    return f"{row['id']:>5}  {row['user']:<16} {mode}  until {until}  {row['state']:<8} {what}"


def _user(username: str) -> User:
    user = User.objects.filter(username=username.strip()).first()
    if user is None:
        raise CommandError(f"no user named {username!r}")
    return user


class Command(JsonCommand):
    help = "Give, list and revoke temporary access to customers."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="give a user access until a time")
        add.add_argument("--user", required=True, help="who gets access")
        what = add.add_mutually_exclusive_group(required=True)
        what.add_argument(
            "--account", action="append", metavar="ID_OR_DOMAIN", help="repeat for several"
        )
        what.add_argument("--team", help="all customers of this team")
        add.add_argument("--until", required=True, help="ISO 8601; no offset: company's zone")
        add.add_argument("--edit", action="store_true", help="may edit, not only read")
        add.add_argument("--by", help="act as this user (default: the system)")
        add.add_argument("--reason", default="")
        lst = sub.add_parser("list", help="list grants, newest first")
        lst.add_argument("--user", help="only this user's grants")
        lst.add_argument("--active", action="store_true", help="only those not ended")
        rev = sub.add_parser("revoke", help="end a grant now")
        rev.add_argument("id", type=int)
        for p in (add, lst, rev):
            p.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        try:
            getattr(self, f"_{options['action']}")(options)
        except (InvalidInput, NotAllowed, NotFound) as exc:
            raise CommandError(str(exc)) from None

    def _add(self, options):
        actor = _user(options["by"]) if options["by"] else SYSTEM
        team = None
        if options["team"]:
            team = Team.objects.filter(name=options["team"].strip()).first()
            if team is None:
                raise CommandError(f"no team named {options['team']!r}")
        grant = grants.grant_add(
            actor=actor,
            user=_user(options["user"]),
            accounts=options["account"] or [],
            team=team,
            until=parse_instant(options["until"]),
            edit=options["edit"],
            reason=options["reason"],
        )
        row = _grant_row(grant)
        self.emit(options, row, f"grant {grant.pk} given\n{_line(row)}")

    def _list(self, options):
        user = _user(options["user"]) if options["user"] else None
        qs = grants.grants_list(SYSTEM, user=user, active=options["active"])
        rows = [_grant_row(g) for g in qs]
        self.emit(options, rows, "\n".join(_line(r) for r in rows) or "no grants")

    def _revoke(self, options):
        try:
            grant = grants.grant_get_for(SYSTEM, options["id"])
        except NotFound:
            raise CommandError(f"no grant {options['id']}") from None
        grants.grant_revoke(actor=SYSTEM, grant=grant)
        row = _grant_row(grant)
        self.emit(options, row, f"grant {grant.pk} revoked")
