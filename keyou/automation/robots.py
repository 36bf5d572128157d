"""WeCom, DingTalk and Feishu group robots: message shapes, signing and one POST.

Pure builders (`robot_request`, the signatures, `robot_reply_error`) and `robot_post`,
which sends one message and returns why it failed, never quoting the webhook URL:
the URL carries the robot's token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from keyou.automation.models import ChannelKind

TIMEOUT = 10  # seconds for one POST to a robot


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """Return DingTalk's signature: base64(HMAC-SHA256(secret, "<ms>\\n<secret>"))."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Return Feishu's signature: base64(HMAC-SHA256(key="<s>\\n<secret>", msg=b""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class RobotRequest:
    """What to POST: the (possibly signed) URL and the JSON body."""

    url: str
    body: dict


def robot_request(
    kind: str,
    *,
    url: str,
    secret: str,
    title: str,
    text: str,
    link: str,
    now: float,
    link_label: str = "",
) -> RobotRequest:
    """Return the request posting TEXT (with LINK) to a robot of KIND at URL, signed at NOW."""
    label = link_label or link
    if kind == ChannelKind.WECOM:
        content = f"**{title}**\n{text}" + (f"\n[{label}]({link})" if link else "")
        return RobotRequest(url, {"msgtype": "markdown", "markdown": {"content": content}})
    if kind == ChannelKind.DINGTALK:
        # DingTalk markdown wants two spaces or a blank line for a line break.
        lines = text.replace("\n", "  \n")
        body = f"#### {title}\n\n{lines}" + (f"\n\n[{label}]({link})" if link else "")
        payload = {"msgtype": "markdown", "markdown": {"title": title, "text": body}}
        if secret:
            timestamp = int(now * 1000)
            query = urlencode({"timestamp": timestamp, "sign": dingtalk_sign(secret, timestamp)})
            url = f"{url}{'&' if '?' in url else '?'}{query}"
        return RobotRequest(url, payload)
    if kind == ChannelKind.FEISHU:
        payload: dict = {
            "msg_type": "text",
            "content": {"text": f"{title}\n{text}" + (f"\n{link}" if link else "")},
        }
        if secret:
            timestamp = int(now)
            payload = {
                "timestamp": str(timestamp),
                "sign": feishu_sign(secret, timestamp),
                **payload,
            }
        return RobotRequest(url, payload)
    raise ValueError(f"unknown channel kind {kind!r}")


def robot_reply_error(kind: str, reply: object) -> str:
    """Return why a robot's JSON REPLY is a refusal, or "" when it accepted the message."""
    if not isinstance(reply, dict):
        return "unexpected reply"
    if kind == ChannelKind.FEISHU:
        # Current replies carry "code"; older ones "StatusCode".
        code = reply.get("code", reply.get("StatusCode"))
        message = reply.get("msg") or reply.get("StatusMessage") or ""
    else:
        code, message = reply.get("errcode"), reply.get("errmsg") or ""
    if code is None:
        return "unexpected reply"
    if code != 0:
        return f"error {code}: {message}".strip().rstrip(":")
    return ""


def url_host(url: str) -> str:
    """Return the host of URL, the only part of a webhook URL ever shown or logged."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _redact(text: str, url: str) -> str:
    """Return TEXT without URL or its query (the robot's token), should an error quote them."""
    parts = urlsplit(url)
    values = [value for _key, value in parse_qsl(parts.query, keep_blank_values=True)]
    last_segment = parts.path.rstrip("/").rsplit("/", 1)[-1]  # Feishu's token
    for secret in (url, parts.query, parts.path, last_segment, *values):
        if secret and len(secret) >= 6:
            text = text.replace(secret, "…")
    return text


# --- Posting -------------------------------------------------------------------------


def robot_post(kind: str, url: str, secret: str, *, title: str, text: str, link: str) -> str:
    """POST one message; return "" when the robot took it, else why not (URL-free)."""
    with translation.override(settings.LANGUAGE_CODE):
        label = gettext("Open in Keyou")
    request = robot_request(
        kind,
        url=url,
        secret=secret,
        title=title,
        text=text,
        link=link,
        now=time.time(),
        link_label=label,
    )
    data = json.dumps(request.body, ensure_ascii=False).encode("utf-8")
    http = urllib.request.Request(
        request.url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "Keyou"},
    )
    try:
        with urllib.request.urlopen(http, timeout=TIMEOUT) as response:
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        error = f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        error = f"{type(exc).__name__}: {reason}"
    else:
        try:
            reply = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            error = "reply is not JSON"
        else:
            error = robot_reply_error(kind, reply)
    return _redact(error, request.url)[:500]
