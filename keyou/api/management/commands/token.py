"""keyou token create --user NAME [--name LABEL] | list --user NAME | revoke PREFIX"""

from keyou.api.models import ApiToken
from keyou.api.selectors import tokens_of
from keyou.api.services import TokenError, token_create, token_revoke
from keyou.clikit import CommandError, JsonCommand
from keyou.people.models import User


def _token_row(token: ApiToken) -> dict:
    return {
        "prefix": token.prefix,
        "name": token.name,
        "user": token.user.username,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no user named {username!r}; add it with `keyou user add`")
    return user


class Command(JsonCommand):
    help = "Create, list and revoke API tokens (Authorization: Bearer <token>)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token; it is printed once, only now")
        create.add_argument("--user", required=True, help="the username the token acts as")
        create.add_argument("--name", default="", help="a label, such as the script using it")
        lst = sub.add_parser("list", help="a user's tokens (prefixes only)")
        lst.add_argument("--user", required=True)
        revoke = sub.add_parser("revoke", help="revoke a token at once")
        revoke.add_argument("prefix", metavar="PREFIX", help="as shown by `keyou token list`")
        for p in (create, lst, revoke):
            p.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        try:
            getattr(self, f"_{options['action']}")(options)
        except TokenError as exc:
            raise CommandError(str(exc)) from None

    def _create(self, options):
        token, secret = token_create(user=_user(options["user"]), name=options["name"])
        data = {**_token_row(token), "token": secret}
        text = (
            f"{secret}\n"
            f"token {token.prefix} for {token.user.username} created; store it now, "
            f"it cannot be shown again"
        )
        self.emit(options, data, text)

    def _list(self, options):
        rows = [_token_row(t) for t in tokens_of(_user(options["user"])).select_related("user")]

        def when(value) -> str:
            return f"{value:%Y-%m-%d %H:%M}" if value else "-"

        text = "\n".join(
            f"{r['prefix']}  {r['name'][:30]:30}  created {when(r['created_at'])}  "
            f"used {when(r['last_used_at'])}"
            + (f"  REVOKED {when(r['revoked_at'])}" if r["revoked_at"] else "")
            for r in rows
        )
        self.emit(options, rows, text or f"{options['user']} has no tokens")

    def _revoke(self, options):
        token, was_live = token_revoke(prefix=options["prefix"])
        state = "revoked" if was_live else "was already revoked"
        self.emit(
            options, _token_row(token), f"token {token.prefix} ({token.user.username}) {state}"
        )
