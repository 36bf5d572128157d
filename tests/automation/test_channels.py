"""Chat channels: WeCom, DingTalk and Feishu robots get copies of notifications.

A real HTTP server on 127.0.0.1 plays the robot: it records every request and
answers what the test tells it to. Signatures are recomputed here from the secret.
"""

# ruff: noqa: F811 (the web fixtures are imported; test arguments of the same name use them)

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from keyou.automation import channels, robots
from keyou.automation.channel_tasks import channel_deliver, channel_retry_due
from keyou.automation.models import Channel, ChannelDelivery, ChannelKind, RunStatus
from keyou.mail.crypto import secret_decrypt
from keyou.people.access import SYSTEM, NotAllowed
from keyou.people.models import Team
from keyou.people.services import InvalidInput, notify, team_add, user_add
from tests.web.conftest import login, people  # noqa: F401

TOKEN = "tok3n-9f8e7d6c5b4a"  # in every robot URL; must never show on a page or in an error
SECRET = "SECa1b2c3d4e5f6"


class RobotServer:
    """A loopback HTTP server that records POSTs and replies from a list (the last repeats)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.replies: list[tuple[int, object]] = [(200, {"errcode": 0, "errmsg": "ok"})]
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with server._lock:
                    server.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": json.loads(raw.decode("utf-8")),
                        }
                    )
                    status, reply = (
                        server.replies.pop(0) if len(server.replies) > 1 else server.replies[0]
                    )
                data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, kind: str) -> str:
        return robot_url(self.port, kind)


def robot_url(port: int, kind: str) -> str:
    """Return the webhook URL of a robot of KIND on PORT, shaped like the real one."""
    paths = {
        ChannelKind.WECOM: f"/cgi-bin/webhook/send?key={TOKEN}",
        ChannelKind.DINGTALK: f"/robot/send?access_token={TOKEN}",
        ChannelKind.FEISHU: f"/open-apis/bot/v2/hook/{TOKEN}",
    }
    return f"http://127.0.0.1:{port}{paths[kind]}"


@pytest.fixture
def robot():
    server = RobotServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.KEYOU_BASE_URL = "https://keyou.example.com"


def _channel(robot, kind=ChannelKind.WECOM, *, secret="", **fields) -> Channel:
    return channels.channel_save(
        actor=SYSTEM,
        name=fields.pop("name", f"{kind} robot"),
        kind=kind,
        url=robot.url(kind),
        secret=secret,
        **fields,
    )


def _notify(capture, user, text="New inquiry from Acme", *, kind="inquiry", url="/threads/5/"):
    with capture(execute=True):
        return notify(user, text, kind=kind, url=url)


def _b64_hmac(key: bytes, msg: bytes) -> str:
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


# --- Pure pieces -------------------------------------------------------------------------


def test_signatures_match_the_published_algorithms():
    assert channels.dingtalk_sign("abc", 1700000000000) == _b64_hmac(b"abc", b"1700000000000\nabc")
    assert channels.feishu_sign("abc", 1700000000) == _b64_hmac(b"1700000000\nabc", b"")


@pytest.mark.parametrize(
    ("kind", "reply", "error"),
    [
        (ChannelKind.WECOM, {"errcode": 0, "errmsg": "ok"}, ""),
        (ChannelKind.WECOM, {"errcode": 93000, "errmsg": "invalid webhook url"}, "93000"),
        (ChannelKind.DINGTALK, {"errcode": 0, "errmsg": "ok"}, ""),
        (ChannelKind.DINGTALK, {"errcode": 310000, "errmsg": "sign not match"}, "310000"),
        (ChannelKind.FEISHU, {"code": 0, "msg": "success", "data": {}}, ""),
        (ChannelKind.FEISHU, {"StatusCode": 0, "StatusMessage": "success"}, ""),
        (ChannelKind.FEISHU, {"code": 19021, "msg": "sign match fail"}, "19021"),
        (ChannelKind.FEISHU, {"unexpected": True}, "unexpected"),
        (ChannelKind.WECOM, ["not", "a", "dict"], "unexpected"),
    ],
)
def test_robot_replies(kind, reply, error):
    found = channels.robot_reply_error(kind, reply)
    assert (error in found and found) if error else found == ""


@pytest.mark.parametrize("kind", list(ChannelKind))
def test_errors_never_quote_the_robot_token(kind):
    url = robot_url(1, kind)
    text = f"failed: {url} (token {TOKEN})"
    assert TOKEN not in robots._redact(text, url) and "failed" in robots._redact(text, url)


def test_absolute_links(settings):
    assert channels.absolute_url("/threads/5/") == "https://keyou.example.com/threads/5/"
    assert channels.absolute_url("https://elsewhere.example/x") == "https://elsewhere.example/x"
    assert channels.absolute_url("") == ""


# --- Posting each kind -----------------------------------------------------------------


def test_wecom_markdown(people, robot, django_capture_on_commit_callbacks):
    _channel(robot, ChannelKind.WECOM)
    _notify(django_capture_on_commit_callbacks, people.alice)

    [request] = robot.requests
    assert request["path"] == f"/cgi-bin/webhook/send?key={TOKEN}"
    assert request["headers"]["Content-Type"].startswith("application/json")
    body = request["body"]
    assert body["msgtype"] == "markdown" and set(body) == {"msgtype", "markdown"}
    content = body["markdown"]["content"]
    assert "New inquiry from Acme" in content and "Alice" in content
    assert "https://keyou.example.com/threads/5/" in content
    assert ChannelDelivery.objects.get().status == RunStatus.DONE


def test_dingtalk_markdown_signed(people, robot, django_capture_on_commit_callbacks):
    _channel(robot, ChannelKind.DINGTALK, secret=SECRET)
    before = int(time.time() * 1000)
    _notify(django_capture_on_commit_callbacks, people.alice)
    after = int(time.time() * 1000)

    [request] = robot.requests
    parts = urlsplit(request["path"])
    query = parse_qs(parts.query)
    assert parts.path == "/robot/send" and query["access_token"] == [TOKEN]
    timestamp = int(query["timestamp"][0])
    assert before <= timestamp <= after
    # parse_qs undid the URL encoding; the signature verifies against the secret.
    assert query["sign"][0] == _b64_hmac(SECRET.encode(), f"{timestamp}\n{SECRET}".encode())
    body = request["body"]
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] and "New inquiry from Acme" in body["markdown"]["text"]
    assert "https://keyou.example.com/threads/5/" in body["markdown"]["text"]
    assert ChannelDelivery.objects.get().status == RunStatus.DONE


def test_dingtalk_without_secret_is_not_signed(people, robot, django_capture_on_commit_callbacks):
    _channel(robot, ChannelKind.DINGTALK)
    _notify(django_capture_on_commit_callbacks, people.alice)
    assert robot.requests[0]["path"] == f"/robot/send?access_token={TOKEN}"


def test_feishu_text_signed(people, robot, django_capture_on_commit_callbacks):
    robot.replies = [(200, {"code": 0, "msg": "success", "data": {}})]
    _channel(robot, ChannelKind.FEISHU, secret=SECRET)
    before = int(time.time())
    _notify(django_capture_on_commit_callbacks, people.alice)
    after = int(time.time())

    [request] = robot.requests
    assert request["path"] == f"/open-apis/bot/v2/hook/{TOKEN}"
    body = request["body"]
    assert body["msg_type"] == "text"
    assert "New inquiry from Acme" in body["content"]["text"]
    assert "https://keyou.example.com/threads/5/" in body["content"]["text"]
    assert isinstance(body["timestamp"], str) and before <= int(body["timestamp"]) <= after
    assert body["sign"] == _b64_hmac(f"{body['timestamp']}\n{SECRET}".encode(), b"")
    assert ChannelDelivery.objects.get().status == RunStatus.DONE


def test_feishu_older_reply_counts(people, robot, django_capture_on_commit_callbacks):
    robot.replies = [(200, {"StatusCode": 0, "StatusMessage": "success"})]
    _channel(robot, ChannelKind.FEISHU)
    _notify(django_capture_on_commit_callbacks, people.alice)
    body = robot.requests[0]["body"]
    assert "sign" not in body and "timestamp" not in body
    assert ChannelDelivery.objects.get().status == RunStatus.DONE


# --- Retries, failure and idempotence ---------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
        (500, {"error": "boom"}),
        (200, b"<html>not json</html>"),
    ],
    ids=["errcode", "http-500", "not-json"],
)
def test_retried_with_backoff_then_failed(people, robot, django_capture_on_commit_callbacks, reply):
    robot.replies = [reply]
    _channel(robot)
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        _notify(django_capture_on_commit_callbacks, people.alice)
        delivery = ChannelDelivery.objects.get()
        assert delivery.status == RunStatus.RETRYING and delivery.attempts == 1
        assert delivery.next_attempt_at == start + timedelta(minutes=1)
        assert TOKEN not in delivery.error and delivery.error

        # Not due yet: the sweep sends nothing.
        channel_retry_due()
        assert len(robot.requests) == 1

        waits = [1, 5, 30, 120]
        now = start
        for attempt, wait in enumerate(waits, start=2):
            now += timedelta(minutes=wait)
            traveller.move_to(now)
            channel_retry_due()
            delivery.refresh_from_db()
            assert delivery.attempts == attempt
            assert len(robot.requests) == attempt

        assert delivery.status == RunStatus.FAILED and delivery.next_attempt_at is None
        traveller.move_to(now + timedelta(days=1))
        channel_retry_due()
        assert len(robot.requests) == 5


def test_retry_succeeds_after_a_failure(people, robot, django_capture_on_commit_callbacks):
    robot.replies = [(500, {}), (200, {"errcode": 0, "errmsg": "ok"})]
    _channel(robot)
    with time_machine.travel(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), tick=False) as traveller:
        _notify(django_capture_on_commit_callbacks, people.alice)
        traveller.shift(timedelta(minutes=1))
        channel_retry_due()
    delivery = ChannelDelivery.objects.get()
    assert delivery.status == RunStatus.DONE and delivery.attempts == 2 and delivery.error == ""
    assert len(robot.requests) == 2


def test_a_delivery_is_never_sent_twice(people, robot, django_capture_on_commit_callbacks):
    _channel(robot)
    _notify(django_capture_on_commit_callbacks, people.alice)
    delivery = ChannelDelivery.objects.get()
    assert delivery.status == RunStatus.DONE

    channel_deliver(delivery.pk)  # the task redelivered
    channel_retry_due()
    assert channels.delivery_send(delivery.pk) is None
    assert len(robot.requests) == 1


def test_a_claimed_delivery_is_not_claimed_again(people, robot):
    channel = _channel(robot)
    notification = notify(people.alice, "x")  # no commit: nothing queued yet
    delivery = ChannelDelivery.objects.get(channel=channel, notification=notification)
    now = delivery.next_attempt_at
    assert channels._claim(delivery.pk, now) is True
    # A second worker at the same moment (or before the lease ends) gets nothing.
    assert channels._claim(delivery.pk, now) is False
    assert channels._claim(delivery.pk, now + channels.LEASE - timedelta(seconds=1)) is False
    assert robot.requests == []


def test_unreachable_robot_error_hides_the_url(people, django_capture_on_commit_callbacks):
    channels.channel_save(
        actor=SYSTEM,
        name="gone",
        kind=ChannelKind.WECOM,
        url=f"http://127.0.0.1:9/cgi-bin/webhook/send?key={TOKEN}",  # discard port: refused
    )
    _notify(django_capture_on_commit_callbacks, people.alice)
    delivery = ChannelDelivery.objects.get()
    assert delivery.status == RunStatus.RETRYING and delivery.error
    assert TOKEN not in delivery.error and "127.0.0.1:9/" not in delivery.error


# --- Which channels get what --------------------------------------------------------------


def test_kinds_and_team_filter(people, robot, django_capture_on_commit_callbacks):
    europe = Team.objects.get(name="Europe")
    asia = Team.objects.get(name="Asia")
    sub = team_add(actor=SYSTEM, name="Nordics", parent=europe)
    dave = user_add(username="dave", email="dave@demo-trading.com", team=sub.name)
    inquiries = _channel(robot, name="inquiries", kinds=["inquiry"])
    europe_room = _channel(robot, name="europe", team=europe)
    asia_room = _channel(robot, name="asia", team=asia, kinds=["sla", "inquiry"])
    off = _channel(robot, name="off", enabled=False)

    def receivers(user, kind):
        notification = _notify(django_capture_on_commit_callbacks, user, kind=kind)
        return {
            d.channel.name
            for d in ChannelDelivery.objects.filter(notification=notification).select_related(
                "channel"
            )
        }

    assert receivers(people.alice, "inquiry") == {inquiries.name, europe_room.name}
    assert receivers(people.alice, "mention") == {europe_room.name}
    assert receivers(people.carol, "sla") == {asia_room.name}
    assert receivers(people.carol, "mention") == set()
    assert receivers(dave, "task") == {europe_room.name}  # sub-team of Europe
    assert receivers(people.admin, "inquiry") == {inquiries.name}  # no team
    assert not ChannelDelivery.objects.filter(channel=off).exists()
    assert len(robot.requests) == ChannelDelivery.objects.count() == 6


def test_no_channels_no_deliveries(people, robot, django_capture_on_commit_callbacks):
    _notify(django_capture_on_commit_callbacks, people.alice)
    assert ChannelDelivery.objects.count() == 0 and robot.requests == []


# --- Services ---------------------------------------------------------------------------


def test_save_needs_manage_rules_and_a_web_url(people, robot):
    with pytest.raises(NotAllowed):
        channels.channel_save(
            actor=people.carol, name="x", kind=ChannelKind.WECOM, url=robot.url("wecom")
        )
    for bad in ("ftp://robot.example/x", "javascript:alert(1)", "qyapi.weixin.qq.com/x"):
        with pytest.raises(InvalidInput):
            channels.channel_save(actor=people.alice, name="x", kind=ChannelKind.WECOM, url=bad)
    assert not Channel.objects.exists()


def test_url_and_secret_stored_encrypted_and_kept_when_blank(people, robot):
    channel = _channel(robot, ChannelKind.DINGTALK, secret=SECRET)
    assert TOKEN not in channel.url_encrypted and SECRET not in channel.secret_encrypted
    channels.channel_save(
        actor=people.alice, channel=channel, name="renamed", kind=ChannelKind.DINGTALK, url=""
    )
    channel.refresh_from_db()
    assert channel.name == "renamed"
    assert secret_decrypt(channel.url_encrypted) == robot.url(ChannelKind.DINGTALK)
    assert secret_decrypt(channel.secret_encrypted) == SECRET
    channels.channel_save(
        actor=people.alice,
        channel=channel,
        name="renamed",
        kind=ChannelKind.DINGTALK,
        url="",
        clear_secret=True,
    )
    channel.refresh_from_db()
    assert channel.secret_encrypted == ""


def test_channel_test_reports_the_robot_answer(people, robot):
    channel = _channel(robot, ChannelKind.FEISHU, secret=SECRET)
    robot.replies = [(200, {"code": 0})]
    assert channels.channel_test(channel).ok
    robot.replies = [(200, {"code": 19021, "msg": "sign match fail"})]
    result = channels.channel_test(channel)
    assert not result.ok and "19021" in result.error
    assert len(robot.requests) == 2 and "sign" in robot.requests[0]["body"]


# --- Web pages ----------------------------------------------------------------------------


def test_pages_need_manage_rules(people, login, robot):
    channel = _channel(robot)
    client = login(people.carol)  # salesperson
    assert client.get(reverse("channel_list")).status_code == 403
    assert client.get(reverse("channel_create")).status_code == 403
    assert client.post(reverse("channel_create"), {"name": "x"}).status_code == 403
    # A page naming a channel says "not found", as for one that does not exist.
    assert client.get(reverse("channel_edit", args=[channel.pk])).status_code == 404
    assert client.post(reverse("channel_edit", args=[channel.pk])).status_code == 404
    assert client.post(reverse("channel_test", args=[channel.pk])).status_code == 404
    assert client.post(reverse("channel_delete", args=[channel.pk])).status_code == 404
    assert Channel.objects.filter(pk=channel.pk).exists() and robot.requests == []
    assert login(people.alice).get(reverse("channel_edit", args=[999999])).status_code == 404


def test_create_edit_test_delete_through_the_pages(people, login, robot):
    client = login(people.alice)
    europe = Team.objects.get(name="Europe")
    response = client.post(
        reverse("channel_create"),
        {
            "name": "Sales room",
            "kind": ChannelKind.DINGTALK,
            "url": robot.url(ChannelKind.DINGTALK),
            "secret": SECRET,
            "team": europe.pk,
            "kinds": "inquiry, sla，mention",
            "enabled": "on",
        },
    )
    channel = Channel.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "channel_edit", args=[channel.pk]
    )
    assert channel.kinds == ["inquiry", "mention", "sla"] and channel.team == europe

    # After saving, neither the URL, its token nor the secret is ever shown again.
    for page in (reverse("channel_list"), reverse("channel_edit", args=[channel.pk])):
        html = client.get(page).content.decode()
        assert "127.0.0.1" in html  # the host is
        assert TOKEN not in html and SECRET not in html and "access_token" not in html

    # Edit with the URL left blank keeps it.
    response = client.post(
        reverse("channel_edit", args=[channel.pk]),
        {"name": "Sales room 2", "kind": ChannelKind.DINGTALK, "url": "", "kinds": ""},
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.name == "Sales room 2" and not channel.enabled and channel.team is None
    assert secret_decrypt(channel.url_encrypted) == robot.url(ChannelKind.DINGTALK)
    assert secret_decrypt(channel.secret_encrypted) == SECRET

    response = client.post(reverse("channel_test", args=[channel.pk]), follow=True)
    assert "The robot took the test message." in response.content.decode()
    assert "sign=" in robot.requests[-1]["path"]
    robot.replies = [(200, {"errcode": 310000, "errmsg": "sign not match"})]
    html = client.post(reverse("channel_test", args=[channel.pk]), follow=True).content.decode()
    assert "310000" in html and TOKEN not in html

    assert client.get(reverse("channel_delete", args=[channel.pk])).status_code == 405
    assert client.post(reverse("channel_delete", args=[channel.pk])).status_code == 302
    assert not Channel.objects.exists()


def test_new_channel_form_errors(people, login):
    client = login(people.alice)
    response = client.post(
        reverse("channel_create"), {"name": "x", "kind": ChannelKind.WECOM, "url": ""}
    )
    assert response.status_code == 200 and "Enter the robot" in response.content.decode()
    response = client.post(
        reverse("channel_create"),
        {"name": "x", "kind": ChannelKind.WECOM, "url": "ftp://robot.example/"},
    )
    assert response.status_code == 200 and "https://" in response.content.decode()
    assert not Channel.objects.exists()


@override_settings(LANGUAGE_CODE="en")
def test_list_shows_delivery_counts(people, login, robot, django_capture_on_commit_callbacks):
    room = _channel(robot, name="Room A")
    _notify(django_capture_on_commit_callbacks, people.alice)
    counts = channels.delivery_counts()[room.pk]
    assert (counts["done"], counts["waiting"], counts["failed"]) == (1, 0, 0)
    html = login(people.alice).get(reverse("channel_list")).content.decode()
    assert "Room A" in html and "WeCom group robot" in html
    # Sent 1, waiting 0, failed 0.
    assert '<td class="num">1</td>\n<td class="num">0</td>\n<td class="num">0</td>' in html
