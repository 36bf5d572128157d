"""Reads of the organisation for the people who manage it: the team tree, roles, users."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from keyou.people.models import Role, Team, User
from keyou.people.roles import BUILTIN_ROLES, roles_install


@dataclass
class TeamNode:
    """One team in the tree, with its members and sub-teams."""

    team: Team
    depth: int
    members: list[User] = field(default_factory=list)
    children: list[TeamNode] = field(default_factory=list)


def users_list() -> QuerySet[User]:
    """Return every user with their team and role, by username."""
    return User.objects.select_related("team", "role").order_by("username")


def users_active() -> QuerySet[User]:
    """Return the users who may still be chosen (active, not departed), by username."""
    return User.objects.filter(is_active=True, departed_at__isnull=True).order_by("username")


def team_tree() -> tuple[list[TeamNode], list[User]]:
    """Return the root teams (sub-teams nested, members filled in) and the users in no team."""
    teams = list(Team.objects.select_related("manager", "parent").order_by("name"))
    nodes = {t.pk: TeamNode(team=t, depth=0) for t in teams}
    without_team = []
    for user in users_list():
        if user.team_id in nodes:
            nodes[user.team_id].members.append(user)
        else:
            without_team.append(user)
    roots = []
    for team in teams:
        parent = nodes.get(team.parent_id)
        (parent.children if parent else roots).append(nodes[team.pk])

    def place(node: TeamNode, depth: int) -> None:
        node.depth = depth
        for child in node.children:
            place(child, depth + 1)

    for root in roots:
        place(root, 0)
    return roots, without_team


def team_tree_flat() -> tuple[list[TeamNode], list[User]]:
    """Return team_tree()'s nodes in display order (each parent before its sub-teams)."""
    roots, without_team = team_tree()
    out: list[TeamNode] = []
    todo = list(reversed(roots))
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(reversed(node.children))
    return out, without_team


def roles_with_counts() -> list[Role]:
    """Return every role (built-ins installed first), each with `n_users` set."""
    roles_install()
    order = list(BUILTIN_ROLES)
    roles = Role.objects.annotate(n_users=Count("users"))
    return sorted(
        roles, key=lambda r: (order.index(r.slug) if r.slug in order else len(order), r.name)
    )
