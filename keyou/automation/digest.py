"""The optional email digest of a user's unread notifications, hourly or daily.

A digest lists notification texts and links only, never customer mail. Its rows
are claimed (emailed_at set) before sending and released if the send fails, so two
sweeps never email the same notification twice. When the last digest went out is
read from the newest emailed_at of the user's notifications.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Exists, Max, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from keyou.automation.channels import absolute_url
from keyou.crm.todo_selectors import user_zone
from keyou.people.models import Notification, User
from keyou.people.services import language_of

log = logging.getLogger(__name__)

HOURLY = "hourly"
DAILY = "daily"
DAILY_AT = time(8, 0)  # local time of the user
MAX_ITEMS = 50
# The sweep runs every 15 minutes and takes a moment: a digest sent at 10:00:05 is
# due again at the 11:00 sweep, not at 11:15.
_SLACK = timedelta(minutes=2)


def digest_due(
    *, frequency: str, last_sent: datetime | None, now: datetime, zone: ZoneInfo
) -> bool:
    """Return True when a FREQUENCY digest last sent at LAST_SENT is due again at NOW.

    Hourly: an hour after the last one. Daily: once a day, from DAILY_AT in ZONE on.
    """
    if frequency == HOURLY:
        return last_sent is None or now - last_sent >= timedelta(hours=1) - _SLACK
    if frequency == DAILY:
        local = now.astimezone(zone)
        if local.time() < DAILY_AT:
            return False
        today_at = datetime.combine(local.date(), DAILY_AT, tzinfo=zone)
        return last_sent is None or last_sent < today_at
    return False


def digest_render(
    user: User, rows: list[Notification], *, total: int, zone: ZoneInfo
) -> tuple[str, str]:
    """Return the subject and plain-text body of USER's digest of ROWS (of TOTAL unread)."""
    with translation.override(language_of(user)):
        count = len(rows)
        subject = ngettext(
            "Keyou: %(count)d new notification", "Keyou: %(count)d new notifications", total
        ) % {"count": total}
        lines = [
            gettext("Hello %(name)s,") % {"name": user.first_name or user.get_username()},
            "",
            ngettext(
                "You have %(count)d unread notification in Keyou:",
                "You have %(count)d unread notifications in Keyou:",
                total,
            )
            % {"count": total},
            "",
        ]
        for row in rows:
            at = timezone.localtime(row.created_at, zone).strftime("%Y-%m-%d %H:%M")
            text = " ".join(row.text.split())
            lines.append(f"- {at}  {text}")
            if row.url:
                lines.append(f"  {absolute_url(row.url)}")
        if total > count:
            lines.append(gettext("… and %(count)d more.") % {"count": total - count})
        lines += [
            "",
            gettext("All notifications: %(url)s")
            % {"url": absolute_url(reverse("notification_list"))},
            (
                gettext("You receive this digest hourly. Change it in your preferences: %(url)s")
                if user.digest == HOURLY
                else gettext(
                    "You receive this digest daily. Change it in your preferences: %(url)s"
                )
            )
            % {"url": absolute_url(reverse("preferences"))},
        ]
    return subject, "\n".join(lines) + "\n"


def _pending(user: User):
    return Notification.objects.filter(
        recipient=user, read_at__isnull=True, emailed_at__isnull=True
    ).order_by("-created_at", "-id")


def digest_send(user: User, *, zone: ZoneInfo, now: datetime | None = None) -> int:
    """Email USER their unread, not yet emailed notifications; return how many were listed."""
    now = now or timezone.now()
    pending = _pending(user)
    total = pending.count()
    ids = list(pending.values_list("pk", flat=True)[:MAX_ITEMS])
    if not ids:
        return 0
    # Claim before sending: a concurrent sweep finds nothing left to list.
    Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(emailed_at=now)
    rows = list(
        Notification.objects.filter(pk__in=ids, emailed_at=now).order_by("-created_at", "-id")
    )
    if not rows:
        return 0
    subject, body = digest_render(user, rows, total=max(total, len(rows)), zone=zone)
    try:
        EmailMessage(subject, body, to=[user.email]).send()
    except (smtplib.SMTPException, OSError) as exc:
        Notification.objects.filter(pk__in=[r.pk for r in rows], emailed_at=now).update(
            emailed_at=None
        )
        log.warning("digest for user %s not sent: %s", user.pk, type(exc).__name__)
        return 0
    return len(rows)


def digests_send(now: datetime | None = None) -> int:
    """Send every digest that is due now; return how many emails went out.

    Nothing is sent without an SMTP server (KEYOU_SMTP_HOST) or without unread,
    not yet emailed notifications.
    """
    if not settings.EMAIL_HOST:
        return 0
    now = now or timezone.now()
    unsent = Notification.objects.filter(
        recipient=OuterRef("pk"), read_at__isnull=True, emailed_at__isnull=True
    )
    users = (
        User.objects.filter(digest__in=[HOURLY, DAILY], is_active=True, departed_at__isnull=True)
        .exclude(email="")
        .filter(Exists(unsent))
        .annotate(last_digest=Max("notifications__emailed_at"))
        .order_by("pk")
    )
    sent = 0
    for user in users:
        zone = user_zone(user)
        if digest_due(frequency=user.digest, last_sent=user.last_digest, now=now, zone=zone):
            sent += 1 if digest_send(user, zone=zone, now=now) else 0
    return sent
