"""Writing the audit log, and the alerts that watch it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_noop

from keyou.audit.models import AuditAction, AuditEntry, Export
from keyou.people.access import SYSTEM, Actor, reached_by_grant

log = logging.getLogger("keyou.audit")


def client_ip(request: Any) -> str | None:
    """Return the address REQUEST came from (the direct peer; proxies are not trusted)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit(
    actor: Actor,
    action: str,
    *,
    obj: Any = None,
    object_type: str = "",
    object_id: Any = "",
    data: dict | None = None,
    request: Any = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry to the audit log: ACTOR did ACTION to OBJ (or OBJECT_TYPE/OBJECT_ID)."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or obj.pk
    user = None if actor is SYSTEM or not getattr(actor, "pk", None) else actor
    name = getattr(actor, "username", "") or "anonymous"
    return AuditEntry.objects.create(
        at=at or timezone.now(),
        actor=user,
        actor_name=name[:150],
        action=action,
        object_type=object_type[:40],
        object_id=str(object_id if object_id is not None else "")[:64],
        ip=client_ip(request),
        data=data or {},
    )


def record_view(actor: Actor, obj: Any, *, request: Any = None) -> None:
    """Audit that ACTOR viewed customer record OBJ (and that a grant was used, if it was)."""
    if actor is SYSTEM or not getattr(actor, "pk", None):
        return
    audit(actor, AuditAction.VIEW, obj=obj, request=request)
    account = _account_of(obj)
    if account is not None and reached_by_grant(actor, account):
        audit(
            actor,
            AuditAction.GRANT_USE,
            obj=account,
            data={"via": obj._meta.model_name},
            request=request,
        )
    watch_volume(actor)


def _account_of(obj: Any) -> Any:
    from keyou.crm.models import Account

    if isinstance(obj, Account):
        return obj
    return getattr(obj, "account", None)


def records_touched(actor: Actor, *, since: datetime) -> int:
    """How many customer records ACTOR viewed (distinct) or exported since SINCE."""
    viewed = (
        AuditEntry.objects.filter(
            actor=actor, action=AuditAction.VIEW, at__gte=since, object_type__in=_RECORD_TYPES
        )
        .values("object_type", "object_id")
        .distinct()
        .count()
    )
    exported = (
        Export.objects.filter(user=actor, created_at__gte=since).aggregate(n=Sum("rows"))["n"] or 0
    )
    return viewed + exported


_RECORD_TYPES = ("account", "contact")


def watch_volume(actor: Actor, *, now: datetime | None = None) -> bool:
    """Alert ACTOR's manager and the admins once per window when ACTOR touches too much.

    "Too much" is KEYOU_ACCESS_ALERT_RECORDS customer records (viewed or exported)
    within KEYOU_ACCESS_ALERT_WINDOW seconds. Return True when an alert went out.
    """
    from keyou.people.models import User
    from keyou.people.services import notify_translated

    now = now or timezone.now()
    window = timedelta(seconds=settings.KEYOU_ACCESS_ALERT_WINDOW)
    limit = settings.KEYOU_ACCESS_ALERT_RECORDS
    since = now - window
    if AuditEntry.objects.filter(
        action=AuditAction.ALERT, object_type="user", object_id=str(actor.pk), at__gte=since
    ).exists():
        return False
    touched = records_touched(actor, since=since)
    if touched < limit:
        return False
    audit(
        SYSTEM,
        AuditAction.ALERT,
        object_type="user",
        object_id=actor.pk,
        data={"records": touched, "window_seconds": int(window.total_seconds()), "limit": limit},
        at=now,
    )
    recipients = set(User.objects.filter(is_superuser=True, is_active=True))
    team = getattr(actor, "team", None)
    if team is not None and team.manager_id and team.manager_id != actor.pk:
        recipients.add(team.manager)
    for user in recipients:
        if user.pk != actor.pk:
            notify_translated(
                user,
                gettext_noop("%(user)s viewed or exported %(n)d customer records within an hour."),
                {"user": actor.username, "n": touched},
                kind="access_alert",
                url=f"{reverse('audit_log')}?{urlencode({'user': actor.username})}",
            )
    log.warning("access alert: user %s touched %d records", actor.pk, touched)
    return True
