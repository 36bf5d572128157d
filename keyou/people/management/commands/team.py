"""keyou team add|list|set: the department tree (company → department → team).

keyou team add NAME [--parent NAME] [--manager USERNAME]
keyou team set NAME [--name NEW] [--parent NAME] [--manager USERNAME]
keyou team list
"""

from keyou.clikit import CommandError, JsonCommand
from keyou.people.access import SYSTEM
from keyou.people.directory import TeamNode, team_tree
from keyou.people.models import Team
from keyou.people.roles import role_of
from keyou.people.services import InvalidInput, team_add, team_find, team_update


def team_row(team: Team) -> dict:
    return {
        "id": team.pk,
        "name": team.name,
        "parent": team.parent.name if team.parent_id else None,
        "manager": team.manager.username if team.manager_id else None,
    }


def _node_row(node: TeamNode) -> dict:
    return {
        **team_row(node.team),
        "members": [
            {
                "username": u.username,
                "name": u.get_full_name(),
                "role": role_of(u).slug,
                "regions": list(u.regions or []),
                "active": u.is_active,
            }
            for u in node.members
        ],
        "children": [_node_row(child) for child in node.children],
    }


def _node_lines(node: TeamNode) -> list[str]:
    indent = "  " * node.depth
    manager = f"  (manager: {node.team.manager.username})" if node.team.manager_id else ""
    lines = [f"{indent}{node.team.name}{manager}"]
    for user in node.members:
        role = role_of(user).slug
        state = "" if user.is_active else "  [inactive]"
        lines.append(f"{indent}  · {user.username} ({role}){state}")
    for child in node.children:
        lines += _node_lines(child)
    return lines


class Command(JsonCommand):
    help = "Add, change or list teams (the department tree)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a team")
        add.add_argument("name")
        add.add_argument("--parent", help="the team it belongs to")
        add.add_argument("--manager", help="the manager's username")
        sett = sub.add_parser("set", help="rename a team, move it or change its manager")
        sett.add_argument("name")
        sett.add_argument("--name", dest="new_name", help="a new name")
        sett.add_argument("--parent", help='the team it belongs to ("" for the top)')
        sett.add_argument("--manager", help='the manager\'s username ("" for none)')
        lst = sub.add_parser("list", help="the team tree with its members")
        for p in (add, sett, lst):
            p.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        try:
            if options["action"] == "add":
                team = team_add(
                    actor=SYSTEM,
                    name=options["name"],
                    parent=options["parent"],
                    manager=options["manager"],
                )
                self.emit(options, team_row(team), f"team {team.name} added")
            elif options["action"] == "set":
                self._set(options)
            else:
                roots, without_team = team_tree()
                data = {
                    "teams": [_node_row(n) for n in roots],
                    "without_team": [u.username for u in without_team],
                }
                lines = [line for root in roots for line in _node_lines(root)]
                if without_team:
                    lines.append("no team: " + ", ".join(u.username for u in without_team))
                self.emit(options, data, "\n".join(lines) or "no teams")
        except InvalidInput as exc:
            raise CommandError(str(exc)) from None

    def _set(self, options):
        team = team_find(options["name"])
        changes = {}
        if options["new_name"] is not None:
            changes["name"] = options["new_name"]
        if options["parent"] is not None:
            changes["parent"] = options["parent"] or None
        if options["manager"] is not None:
            changes["manager"] = options["manager"] or None
        if not changes:
            raise CommandError("nothing to change: give --name, --parent or --manager")
        team = team_update(actor=SYSTEM, team=team, **changes)
        self.emit(options, team_row(team), f"team {team.name} changed")
