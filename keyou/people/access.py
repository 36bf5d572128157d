"""Who may see which customer data: the one place scopes are decided.

Every selector that reads customer data takes an actor and calls `scope_q`.
The actor is a logged-in user, or `SYSTEM` for the command line run by the
operator and for background tasks acting on the company's behalf.
"""

from __future__ import annotations

from typing import Any, Final

from django.db.models import Q


class _System:
    """The installation itself: sees everything (CLI, background tasks)."""

    is_authenticated = True
    is_superuser = True
    pk = None
    username = "system"

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = _System()

Actor = Any  # a people.User or SYSTEM


def sees_everything(actor: Actor) -> bool:
    """Return True when ACTOR's scope is the whole company."""
    return actor is SYSTEM or bool(getattr(actor, "is_superuser", False))


def scope_q(actor: Actor, *, owner_field: str = "owner", team_field: str = "team") -> Q:
    """Return the filter that narrows owned customer rows to what ACTOR may see.

    For now: admins see all; everyone else sees their own rows and their team's.
    The access issue widens this (sub-teams, regions, grants) here, not at call sites.
    """
    if sees_everything(actor):
        return Q()
    if not getattr(actor, "is_authenticated", False):
        return Q(pk__in=[])
    q = Q(**{f"{owner_field}_id": actor.pk})
    if actor.team_id:
        q |= Q(**{f"{team_field}_id": actor.team_id})
    return q
