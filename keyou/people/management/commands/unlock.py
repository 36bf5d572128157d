"""keyou unlock USERNAME [--two-factor] [--json]: lift a login lockout (and remove 2FA)."""

from keyou.clikit import CommandError, JsonCommand
from keyou.people.access import SYSTEM
from keyou.people.lockout import lockout_clear
from keyou.people.models import User
from keyou.people.two_factor import totp_disable


class Command(JsonCommand):
    help = (
        "Lift USERNAME's lockout after too many failed logins. With --two-factor, also "
        "remove the user's authenticator (a lost phone); they can set a new one up."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--two-factor", action="store_true", help="also remove the user's authenticator"
        )

    def handle(self, *args, **options):
        username = options["username"].strip()
        if not username:
            raise CommandError("give a username")
        user = User.objects.filter(username=username).first()
        if options["two_factor"] and user is None:
            raise CommandError(f"no user {username!r}")
        cleared = lockout_clear(username=username)
        removed = totp_disable(user=user, actor=SYSTEM) if options["two_factor"] else 0
        data = {
            "username": username,
            "attempts_cleared": cleared,
            "authenticators_removed": removed,
        }
        text = f"{username}: lockout lifted ({cleared} failed-login record(s) cleared)"
        if options["two_factor"]:
            text += f"; {removed} authenticator(s) removed"
        self.emit(options, data, text)
