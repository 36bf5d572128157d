"""Logins, failed logins and logouts go to the audit log."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from keyou.audit.models import AuditAction
from keyou.audit.services import audit


@receiver(user_logged_in, dispatch_uid="keyou.audit.login")
def _logged_in(sender, request, user, **kwargs) -> None:
    audit(user, AuditAction.LOGIN, obj=user, request=request)


@receiver(user_login_failed, dispatch_uid="keyou.audit.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    from keyou.people.models import User

    username = str((credentials or {}).get("username", ""))[:150]
    user = User.objects.filter(username=username).first()

    class _Named:
        pk = None

        def __init__(self, name: str) -> None:
            self.username = name or "anonymous"

    audit(
        _Named(username),
        AuditAction.LOGIN_FAILED,
        object_type="user",
        object_id=user.pk if user else "",
        data={"username": username},
        request=request,
    )


@receiver(user_logged_out, dispatch_uid="keyou.audit.logout")
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit(user, AuditAction.LOGOUT, obj=user, request=request)
