"""keyou role list: the roles, their data scope and capabilities, and who has them."""

from keyou.clikit import JsonCommand
from keyou.people.directory import roles_with_counts


class Command(JsonCommand):
    help = "List the roles with their data scope, capabilities and number of users."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        lst = sub.add_parser("list", help="every role")
        lst.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        rows = [
            {
                "id": role.pk,
                "slug": role.slug,
                "name": role.name,
                "builtin": role.builtin,
                "scope": role.scope,
                "by_region": role.by_region,
                "capabilities": sorted(role.capabilities or []),
                "users": role.n_users,
            }
            for role in roles_with_counts()
        ]
        text = "\n".join(
            f"{r['slug']:18} {r['scope']:8} {'by region' if r['by_region'] else '':9} "
            f"{r['users']:>4} users  {', '.join(r['capabilities'])}"
            for r in rows
        )
        self.emit(options, rows, text)
