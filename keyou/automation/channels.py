"""Chat channels: copies of notifications posted to WeCom, DingTalk and Feishu group robots.

The webhook URL carries the robot's token, so it is stored encrypted and shown
back only as its host; errors are scrubbed of it before they are kept or logged.
Message shapes and signing are in keyou.automation.robots; here are the channel
services, the fan-out from `notify()`, and `delivery_send`, which makes one
attempt at a delivery claimed with a conditional UPDATE, so it is never sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.automation.models import Channel, ChannelDelivery, ChannelKind, RunStatus

# The pure robot pieces, importable from here as well.
from keyou.automation.robots import (  # noqa: F401
    dingtalk_sign,
    feishu_sign,
    robot_post,
    robot_reply_error,
    robot_request,
    url_host,
)
from keyou.mail.crypto import SecretUnreadable, secret_decrypt, secret_encrypt
from keyou.people.access import Actor, require, team_subtree
from keyou.people.models import Capability, Notification, Team
from keyou.people.services import InvalidInput

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Wait after the 1st, 2nd, ... failed attempt (robots limit bursts to ~20 a minute).
BACKOFF_MINUTES = (1, 5, 30, 120)
# A claimed delivery is not claimed again before this, even if its worker died.
LEASE = timedelta(minutes=2)
MAX_TEXT = 2000  # characters of notification text; WeCom caps a message at 4096 bytes


def absolute_url(url: str) -> str:
    """Return URL (a path in Keyou, or already absolute) as an absolute link."""
    if not url or url.startswith(("https://", "http://")):
        return url
    return settings.KEYOU_BASE_URL.rstrip("/") + "/" + url.lstrip("/")


def _channel_secrets(channel: Channel) -> tuple[str, str]:
    return secret_decrypt(channel.url_encrypted), secret_decrypt(channel.secret_encrypted)


def notification_message(notification: Notification) -> tuple[str, str, str]:
    """Return (title, text, absolute link) of NOTIFICATION as a robot posts it."""
    recipient = notification.recipient
    name = str(recipient)
    with translation.override(settings.LANGUAGE_CODE):
        title = gettext("Keyou: for %(name)s") % {"name": name}
    text = notification.text
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return title, text, absolute_url(notification.url)


# --- Channels: selectors and services -------------------------------------------------


def channels_for(actor: Actor) -> list[Channel]:
    """Return every channel, for ACTOR who may manage rules."""
    require(actor, Capability.MANAGE_RULES)
    return list(Channel.objects.select_related("team"))


def channel_get_for(actor: Actor, channel_id: int) -> Channel:
    """Return the channel CHANNEL_ID for ACTOR who may manage rules (DoesNotExist if none)."""
    require(actor, Capability.MANAGE_RULES)
    return Channel.objects.select_related("team").get(pk=channel_id)


def delivery_counts() -> dict[int, dict[str, int]]:
    """Return, per channel id, how many of its deliveries are done, failed and waiting."""
    rows = ChannelDelivery.objects.values("channel").annotate(
        done=Count("pk", filter=Q(status=RunStatus.DONE)),
        failed=Count("pk", filter=Q(status=RunStatus.FAILED)),
        waiting=Count("pk", filter=Q(status=RunStatus.RETRYING)),
    )
    return {row["channel"]: row for row in rows}


def deliveries_recent(channel: Channel, limit: int = 20) -> list[ChannelDelivery]:
    """Return CHANNEL's latest deliveries, newest first (for their status, not the texts)."""
    rows = ChannelDelivery.objects.filter(channel=channel).select_related("notification")
    return list(rows.order_by("-created_at", "-pk")[:limit])


def channel_host(channel: Channel) -> str:
    """Return the host the channel posts to ("" when the stored URL cannot be read)."""
    try:
        return url_host(secret_decrypt(channel.url_encrypted))
    except SecretUnreadable:
        return ""


def _clean_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url) if url else None
    if parts is None or parts.scheme not in {"https", "http"} or not parts.hostname:
        raise InvalidInput(gettext_noop("The webhook URL must start with https:// or http://."))
    return url


def channel_save(
    *,
    actor: Actor,
    channel: Channel | None = None,
    name: str,
    kind: str,
    url: str,
    secret: str = "",
    team: Team | None = None,
    kinds: Iterable[str] = (),
    enabled: bool = True,
    clear_secret: bool = False,
) -> Channel:
    """Create a channel, or change CHANNEL; an empty URL or SECRET keeps the saved one.

    CLEAR_SECRET drops the signing secret. The audit log records the host, never the URL.
    """
    require(actor, Capability.MANAGE_RULES)
    name = name.strip()
    if not name:
        raise InvalidInput(gettext_noop("Give the channel a name."))
    if kind not in ChannelKind.values:
        raise InvalidInput(gettext_noop("Choose the kind of robot."))
    creating = channel is None
    if creating and not url.strip():
        raise InvalidInput(gettext_noop("Enter the robot's webhook URL."))
    row = channel or Channel()
    row.name = name[:120]
    row.kind = kind
    row.team = team
    row.kinds = sorted({k.strip() for k in kinds if k.strip()})
    row.enabled = enabled
    if url.strip():
        row.url_encrypted = secret_encrypt(_clean_url(url))
    if clear_secret:
        row.secret_encrypted = ""
    elif secret.strip():
        row.secret_encrypted = secret_encrypt(secret.strip())
    with transaction.atomic():
        row.save()
        audit(
            actor,
            AuditAction.CREATE if creating else AuditAction.CHANGE,
            obj=row,
            data={
                "name": row.name,
                "kind": row.kind,
                "host": channel_host(row),
                "team": row.team_id,
                "kinds": row.kinds,
                "enabled": row.enabled,
                "signed": bool(row.secret_encrypted),
            },
        )
    return row


def channel_delete(*, actor: Actor, channel: Channel) -> None:
    """Remove CHANNEL and its deliveries."""
    require(actor, Capability.MANAGE_RULES)
    with transaction.atomic():
        audit(actor, AuditAction.DELETE, obj=channel, data={"name": channel.name})
        channel.delete()


@dataclass(frozen=True)
class ChannelTestResult:
    ok: bool
    error: str = ""


def channel_test(channel: Channel) -> ChannelTestResult:
    """Post a test message to CHANNEL now and say whether the robot took it."""
    try:
        url, secret = _channel_secrets(channel)
    except SecretUnreadable:
        return ChannelTestResult(False, gettext("The saved URL cannot be read; enter it again."))
    error = robot_post(
        channel.kind,
        url,
        secret,
        title=gettext("Keyou"),
        text=gettext("Test message: this channel receives Keyou notifications."),
        link=absolute_url("/"),
    )
    return ChannelTestResult(not error, error)


# --- Fan-out and delivery ------------------------------------------------------------


def _channel_wants(channel: Channel, notification: Notification, subtrees: dict) -> bool:
    if channel.kinds and notification.kind not in channel.kinds:
        return False
    if channel.team_id is None:
        return True
    if channel.team_id not in subtrees:
        subtrees[channel.team_id] = set(team_subtree(channel.team_id))
    return notification.recipient.team_id in subtrees[channel.team_id]


def channels_fan_out(notification: Notification) -> list[ChannelDelivery]:
    """Queue NOTIFICATION for each enabled channel that wants it; return the new deliveries.

    A channel wants it when its kinds are empty or hold the notification's kind, and
    its team is empty or (with its sub-teams) holds the recipient. Delivery starts
    after the commit.
    """
    channels = list(Channel.objects.filter(enabled=True))
    if not channels:
        return []
    subtrees: dict[int, set[int]] = {}
    now = timezone.now()
    created = []
    for channel in channels:
        if not _channel_wants(channel, notification, subtrees):
            continue
        row, new = ChannelDelivery.objects.get_or_create(
            channel=channel, notification=notification, defaults={"next_attempt_at": now}
        )
        if new:
            created.append(row)
    for row in created:
        transaction.on_commit(lambda pk=row.pk: _enqueue(pk))
    return created


def _enqueue(delivery_id: int) -> None:
    from keyou.automation.channel_tasks import channel_deliver

    channel_deliver(delivery_id)


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the delivery for one attempt; False when done, failed, or another has it."""
    changed = ChannelDelivery.objects.filter(
        pk=delivery_id, status=RunStatus.RETRYING, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    return changed == 1


def delivery_send(delivery_id: int) -> str | None:
    """Make one attempt at a due delivery; return its status, or None if not ours to send."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = ChannelDelivery.objects.select_related("channel", "notification__recipient").get(
        pk=delivery_id
    )
    channel = delivery.channel
    try:
        url, secret = _channel_secrets(channel)
    except SecretUnreadable:
        error = "the stored webhook URL cannot be decrypted"
    else:
        title, text, link = notification_message(delivery.notification)
        error = robot_post(channel.kind, url, secret, title=title, text=text, link=link)
    if not error:
        delivery.status, delivery.error, delivery.next_attempt_at = RunStatus.DONE, "", None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.error, delivery.next_attempt_at = RunStatus.FAILED, error, None
        log.warning("channel %s: delivery %s failed: %s", channel.pk, delivery.pk, error)
    else:
        wait = BACKOFF_MINUTES[min(delivery.attempts, len(BACKOFF_MINUTES)) - 1]
        delivery.error = error
        delivery.next_attempt_at = timezone.now() + timedelta(minutes=wait)
        log.info(
            "channel %s: delivery %s retries in %s min: %s", channel.pk, delivery.pk, wait, error
        )
    delivery.save(update_fields=["status", "error", "next_attempt_at"])
    return delivery.status


def deliveries_due(limit: int = 500) -> list[int]:
    """Return the ids of deliveries whose (next) attempt is due, oldest first."""
    return list(
        ChannelDelivery.objects.filter(
            status=RunStatus.RETRYING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
