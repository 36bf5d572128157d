"""Who a rule means by "owner", "manager", "director", "user:x", "team:x" and "lead:x"."""

from __future__ import annotations

from keyou.automation.snapshot import Subjects
from keyou.people.models import Team, User


def _active(user: User | None) -> User | None:
    if user is None or not user.is_active or user.departed_at is not None:
        return None
    return user


def _team(name: str) -> Team | None:
    return Team.objects.filter(name__iexact=name.strip()).select_related("manager").first()


def _home_team(found: Subjects) -> Team | None:
    account = found.account
    if account is not None and account.owner_id and account.owner.team_id:
        return account.owner.team
    if account is not None and account.team_id:
        return account.team
    return None


def manager_of(team: Team | None, *, besides: User | None = None) -> User | None:
    """Return the nearest active manager of TEAM or a team above it who is not BESIDES."""
    seen: set[int] = set()
    while team is not None and team.pk not in seen:
        seen.add(team.pk)
        manager = _active(team.manager)
        if manager is not None and (besides is None or manager.pk != besides.pk):
            return manager
        team = team.parent
    return None


def director_of(team: Team | None) -> User | None:
    """Return the head of TEAM's department: the manager of its top team, else a director."""
    top = team
    seen: set[int] = set()
    while top is not None and top.parent_id and top.pk not in seen:
        seen.add(top.pk)
        top = top.parent
    head = _active(top.manager) if top is not None else None
    if head is not None:
        return head
    return (
        User.objects.filter(role__slug="director", is_active=True, departed_at__isnull=True)
        .order_by("pk")
        .first()
    )


def person_resolve(spec: str, found: Subjects, *, preview: bool = False) -> User | None:
    """Return the active user SPEC names for the event's subjects, or None.

    With PREVIEW, "team:x" names who would be next without taking the turn.
    """
    spec = spec.strip()
    owner = _active(found.account.owner) if found.account and found.account.owner_id else None
    if spec == "owner":
        return owner
    if spec == "manager":
        return manager_of(_home_team(found), besides=owner)
    if spec == "director":
        return director_of(_home_team(found))
    if spec == "assignee":
        return _active(found.task.assignee) if found.task and found.task.assignee_id else None
    kind, _sep, name = spec.partition(":")
    if kind == "user":
        return _active(User.objects.filter(username=name.strip()).first())
    if kind == "lead":
        team = _team(name)
        return manager_of(team) if team else None
    if kind == "team":
        from keyou.automation.routing import assignee_pick, assignee_preview

        team = _team(name)
        if team is None:
            return None
        if preview:
            return assignee_preview(team=team)
        return assignee_pick(team=team, strategy="round_robin")
    return None
