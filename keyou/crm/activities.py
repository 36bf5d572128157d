"""One constructor per kind of timeline entry, so every entry has the same shape."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from keyou.crm.models import Account, Activity, ActivityKind, Contact, Note


def note_activity(*, note: Note, actor_id: int | None) -> Activity:
    """Return the (unsaved) timeline entry for NOTE."""
    return Activity(
        kind=ActivityKind.NOTE,
        account_id=note.account_id,
        occurred_at=note.created_at,
        actor_id=actor_id,
        owner_id=note.owner_id,
        team_id=note.team_id,
        data={"note_id": note.pk, "summary": note.body[:300]},
    )


def interaction_activity(
    *,
    kind: ActivityKind,
    account: Account,
    occurred_at: datetime,
    actor_id: int | None,
    summary: str,
    outcome: str = "",
    next_step: str = "",
    duration_minutes: int | None = None,
) -> Activity:
    """Return the (unsaved) entry for a logged call or meeting."""
    if kind not in (ActivityKind.CALL, ActivityKind.MEETING):
        raise ValueError(f"not an interaction kind: {kind}")
    return Activity(
        kind=kind,
        account=account,
        occurred_at=occurred_at,
        actor_id=actor_id,
        owner_id=account.owner_id,
        team_id=account.team_id,
        data={
            "summary": summary,
            "outcome": outcome,
            "next_step": next_step,
            "duration_minutes": duration_minutes,
        },
    )


def link_contacts(activity: Activity, contacts: Iterable[Contact]) -> None:
    """Attach CONTACTS (already checked to belong to the account) to a saved ACTIVITY."""
    activity.contacts.add(*contacts)
