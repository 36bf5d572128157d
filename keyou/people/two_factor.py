"""Two-factor login with an authenticator app (TOTP, django-otp).

KEYOU_2FA says who uses it: "off" (nobody; existing devices are ignored), "optional"
(anyone may turn it on) or "admins" (optional, and required for admins). A user with a
confirmed device enters a code after the password before the session counts as verified.
"""

from __future__ import annotations

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.people.access import Actor
from keyou.people.models import User

DEVICE_NAME = "authenticator"


def two_factor_mode() -> str:
    """Return KEYOU_2FA: "off", "optional" or "admins"."""
    return settings.KEYOU_2FA


def two_factor_enabled(user: User) -> bool:
    """Return True when USER has a confirmed authenticator and two-factor login is on."""
    if two_factor_mode() == "off" or not user.is_authenticated:
        return False
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def two_factor_required(user: User) -> bool:
    """Return True when USER must have an authenticator (admins, with KEYOU_2FA=admins)."""
    return two_factor_mode() == "admins" and user.is_authenticated and user.is_superuser


def totp_device_pending(user: User) -> TOTPDevice:
    """Return USER's unconfirmed authenticator, made now if there is none.

    The secret stays the same until it is confirmed, so reloading the setup page does
    not invalidate a QR code already scanned.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """Return DEVICE's secret as the base32 text authenticator apps accept, in groups of 4."""
    text = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """Return an inline SVG QR code of DEVICE's otpauth:// URL."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=16)
    return image.to_string(encoding="unicode")


def totp_confirm(*, user: User, token: str, request=None) -> TOTPDevice | None:
    """Confirm USER's pending authenticator with TOKEN; return it, or None if TOKEN is wrong.

    Any other device USER had is replaced: one authenticator per user.
    """
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None or not device.verify_token(_digits(token)):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    audit(user, AuditAction.USER_CHANGE, obj=user, data={"two_factor": "on"}, request=request)
    return device


def totp_disable(*, user: User, actor: Actor | None = None, request=None) -> int:
    """Remove all of USER's authenticators (ACTOR doing it, USER by default); return how many."""
    count, _ = TOTPDevice.objects.filter(user=user).delete()
    audit(
        actor or user,
        AuditAction.USER_CHANGE,
        obj=user,
        data={"two_factor": "off", "removed": count},
        request=request,
    )
    return count


def totp_verify(*, user: User, token: str) -> TOTPDevice | None:
    """Return USER's confirmed device that accepts TOKEN, or None.

    django-otp throttles each device: after a wrong code the next try waits longer.
    """
    token = _digits(token)
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(token):
                return device
    return None


def totp_wait_seconds(user: User, *, confirmed: bool = True) -> int:
    """Return how many seconds USER must wait before a code can be checked again (0: none).

    CONFIRMED False: the authenticator being set up rather than the one in use.
    """
    waits = []
    for device in TOTPDevice.objects.filter(user=user, confirmed=confirmed):
        allowed, info = device.verify_is_allowed()
        if not allowed and info and info.get("locked_until"):
            waits.append((info["locked_until"] - timezone.now()).total_seconds())
    return max(0, int(max(waits, default=0)) + (1 if waits else 0))


def _digits(token: str) -> str:
    """Return TOKEN without the spaces and dashes people type between digit groups."""
    return "".join(ch for ch in str(token) if ch.isdigit())[:8]
