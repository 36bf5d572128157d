"""Reads of the audit log, for those allowed to read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from keyou.audit.models import AuditEntry, Export
from keyou.people.access import Actor, can, require, sees_everything
from keyou.people.models import Capability


def audit_entries(
    actor: Actor,
    *,
    user: Any = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Return the audit log, newest first, narrowed by the given filters.

    USER is a username (or a user): entries by that name, failed logins under it
    included. SINCE is inclusive, UNTIL exclusive. Raise NotAllowed unless ACTOR
    may view the audit log.
    """
    require(actor, Capability.VIEW_AUDIT)
    qs = AuditEntry.objects.all()
    if user:
        name = user if isinstance(user, str) else getattr(user, "username", "")
        qs = qs.filter(actor_name=name.strip())
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type.strip())
    if object_id not in (None, ""):
        qs = qs.filter(object_id=str(object_id).strip())
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    return qs.order_by("-at", "-id")


def exports_visible_to(actor: Actor) -> QuerySet[Export]:
    """Return the exports ACTOR may list: their own, or everyone's for admins and auditors."""
    if sees_everything(actor) or can(actor, Capability.VIEW_AUDIT):
        return Export.objects.all()
    if getattr(actor, "pk", None) is None:
        return Export.objects.none()
    return Export.objects.filter(user=actor)
