"""Login lockout: too many failed logins lock the account for a while (django-axes).

Axes counts the failures and refuses a locked account in `LockoutBackend`, first of
AUTHENTICATION_BACKENDS; the settings (KEYOU_LOGIN_FAILURE_LIMIT, KEYOU_LOGIN_LOCKOUT_MINUTES)
say how many and for how long. This module adds what Keyou needs around it: the lockout
goes to the audit log, the login page can say how long is left, and an admin can lift a
lockout (`keyou unlock USERNAME`).
"""

from __future__ import annotations

import math
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from axes.utils import reset
from django.conf import settings
from django.db.models import Max
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.people.access import SYSTEM, Actor
from keyou.people.models import User


class LockoutBackend(AxesStandaloneBackend):
    """Refuse a locked account before any other backend checks its password.

    Axes counts by request, so `authenticate()` without one (a script, the test
    client's `login()`) has nothing to throttle and passes to the next backend; every
    web login carries its request.
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


class _Named:
    """An actor known only by the username someone typed (there may be no such user)."""

    pk = None

    def __init__(self, username: str) -> None:
        self.username = username or "anonymous"


# Connected here, beside the backend: a lockout only happens inside authenticate(),
# which has imported this module (as a backend) by then.
@receiver(user_locked_out, dispatch_uid="keyou.people.lockout.audit")
def _locked_out(sender: Any, request: HttpRequest, username: str | None, **kwargs: Any) -> None:
    # Axes signals again for every attempt on an account already locked; only the
    # failure that locked it sets the count, so each lockout is audited once.
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    name = str(username or "")[:150]
    user = User.objects.filter(username=name).first()
    audit(
        _Named(name),
        AuditAction.LOCKED_OUT,
        object_type="user",
        object_id=user.pk if user else "",
        data={"username": name, "failures": request.axes_failures_since_start},
        request=request,
    )


def lockout_minutes_left(username: str) -> int:
    """Return the whole minutes until USERNAME may try again (at least 1 when locked).

    Without a recorded attempt (it was just lifted, say), the configured cool-off.
    """
    cool_off = settings.AXES_COOLOFF_TIME
    last = AccessAttempt.objects.filter(username=username).aggregate(at=Max("attempt_time"))["at"]
    if last is None:
        return max(1, math.ceil(cool_off.total_seconds() / 60))
    left = (last + cool_off - timezone.now()).total_seconds()
    return max(1, math.ceil(left / 60))


def lockout_clear(*, actor: Actor = SYSTEM, username: str) -> int:
    """Lift USERNAME's lockout and forget its failed logins; return how many records went."""
    if not username:
        raise ValueError("a username is needed")  # axes would reset everyone's
    count = reset(username=username)
    user = User.objects.filter(username=username).first()
    audit(
        actor,
        AuditAction.USER_CHANGE,
        object_type="user",
        object_id=user.pk if user else "",
        data={"username": username, "unlocked": True, "attempts_cleared": count},
    )
    return count
