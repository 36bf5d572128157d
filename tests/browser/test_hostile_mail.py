"""A hostile HTML email renders with nothing executed and nothing fetched until asked."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from keyou.mail.ingest import mail_ingest
from keyou.mail.models import Message
from keyou.mail.sources import RawItem
from tests.browser.conftest import log_in

# Requests that would mean the message ran script, submitted, framed or redirected.
NEVER = {"/refresh", "/style.css", "/script-fetch", "/onerror-fetch", "/steal", "/frame"}


@pytest.fixture
def tracker():
    """An HTTP server on 127.0.0.1 that records every path asked of it."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _record(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/gif")
            self.end_headers()
            self.wfile.write(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")

        do_GET = do_POST = _record  # noqa: N815

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def _hostile_html(base: str) -> str:
    return f"""<html><head><meta http-equiv="refresh" content="0;url={base}/refresh">
<link rel="stylesheet" href="{base}/style.css">
<style>body {{ background: url({base}/css-bg.png) }}</style>
<script>
window.pwned = true; try {{ parent.pwned = true; parent.document.title = "pwned"; }} catch (e) {{}}
console.log("pwned-script"); fetch("{base}/script-fetch");
</script>
</head><body onload="console.log('pwned-onload')">
<p>Dear buyer, see our offer.</p>
<img src="{base}/pixel.gif" width="1" height="1">
<img src="x" onerror="console.log('pwned-onerror'); fetch('{base}/onerror-fetch'); alert('pwned')">
<table background="{base}/table-bg.png"><tr><td>Best price</td></tr></table>
<div style="background-image: url({base}/inline-bg.png)">Offer valid this week</div>
<form action="{base}/steal" method="post"><input name="password" value="secret">
<button id="go">Login</button></form>
<iframe src="{base}/frame"></iframe>
<a href="javascript:alert('pwned')">click</a>
</body></html>"""


def _hostile_mail(html: str) -> bytes:
    return (
        "From: Shop <orders@shop.example.com>\r\n"
        "To: alice@demo-trading.com\r\n"
        "Subject: Your order is waiting\r\n"
        "Message-ID: <hostile-1@shop.example.com>\r\n"
        "Date: Mon, 2 Mar 2026 08:30:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n" + html
    ).encode()


@pytest.mark.parametrize("stored", ["sanitized", "unsanitized"])
def test_hostile_html_runs_nothing_and_fetches_nothing(live_server, shop, page, tracker, stored):
    """The sanitizer strips the attack at ingest; the sandboxed frame and its CSP must
    hold on their own too, so the second case stores the raw HTML as if it had not."""
    base, hits = tracker
    html = _hostile_html(base)
    mail_ingest(mailbox=shop.box, items=[RawItem(source="hostile", raw=_hostile_mail(html))])
    message = Message.objects.get(message_id="hostile-1@shop.example.com")
    if stored == "unsanitized":
        Message.objects.filter(pk=message.pk).update(html_body=html)
        # The frame's CSP reports what it blocked, under the page's origin.
        page.expected_console.append(re.compile(r"violates the following Content Security"))
    console: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/threads/{message.thread_id}/")
    title = page.title()
    details = page.locator("details.msg-html")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    frame_element = page.locator("iframe.msg-frame")
    expect(frame_element).to_have_attribute("sandbox", "")
    frame = frame_element.content_frame
    expect(frame.locator("body")).to_contain_text("Dear buyer")
    body_url = frame_element.evaluate("f => f.src")

    # Try to submit the form inside the sandbox: forms may not submit there.
    buttons = frame.locator("button")
    if buttons.count():
        buttons.first.click(timeout=2_000)
    page.wait_for_timeout(1_000)

    assert hits == [], f"the blocked message fetched {hits}"
    assert dialogs == []
    assert [c for c in console if "pwned" in c] == []
    assert page.title() == title
    assert page.evaluate("typeof window.pwned") == "undefined"
    # Neither the meta refresh nor the form navigated the frame away.
    assert _frame_url(frame_element) == body_url
    expect(page.get_by_role("link", name="Show images")).to_be_visible()

    # Asked to, the remote images load; scripts, forms and redirects still do not.
    page.get_by_role("link", name="Show images").click()
    page.wait_for_timeout(1_000)
    assert "/pixel.gif" in hits
    assert "/table-bg.png" in hits
    assert "/inline-bg.png" in hits
    assert not NEVER & set(hits), f"the message fetched {hits}"
    assert dialogs == []
    assert [c for c in console if "pwned" in c] == []
    assert page.title() == title
    assert page.evaluate("typeof window.pwned") == "undefined"
    expect(frame.locator("body")).to_contain_text("Dear buyer")
    assert _frame_url(frame_element) == body_url + "?images=1"


def _frame_url(frame_element) -> str:
    return frame_element.element_handle().content_frame().url
