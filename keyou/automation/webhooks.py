"""Webhook calls asked for by rules: sent after commit, retried with backoff, never twice."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from keyou.automation.models import RunStatus, WebhookDelivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_MINUTES = (1, 5, 30, 120)
TIMEOUT_SECONDS = 10


def webhooks_due(limit: int = 100) -> list[int]:
    """Return the ids of deliveries whose (re)try is due."""
    now = timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=RunStatus.RETRYING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_send(delivery_id: int) -> bool:
    """POST one delivery's JSON; return True if the endpoint took it (2xx).

    The delivery is claimed by moving its next attempt forward in one conditional
    UPDATE, so two workers never post it at the same time.
    """
    now = timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=RunStatus.RETRYING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(next_attempt_at=now + timedelta(seconds=TIMEOUT_SECONDS * 3))
    )
    if claimed != 1:
        return False
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    body = json.dumps(delivery.payload, ensure_ascii=False).encode()
    request = urllib.request.Request(
        delivery.url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "Keyou-Webhook/1"},
    )
    status, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    attempts = delivery.attempts + 1
    ok = status is not None and 200 <= status < 300
    if ok:
        fields = {"status": RunStatus.DONE, "next_attempt_at": None, "error": ""}
    elif attempts >= MAX_ATTEMPTS:
        fields = {"status": RunStatus.FAILED, "next_attempt_at": None, "error": error[:2000]}
    else:
        wait = BACKOFF_MINUTES[min(attempts - 1, len(BACKOFF_MINUTES) - 1)]
        fields = {"next_attempt_at": now + timedelta(minutes=wait), "error": error[:2000]}
        log.info("webhook %s failed (attempt %s): %s", delivery_id, attempts, error[:200])
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        attempts=attempts, response_status=status, **fields
    )
    return ok
