"""A real Chromium (Debian's, driven by Playwright) against Django's live server.

The browser tests skip when Playwright or /usr/bin/chromium is missing, and fail
instead under KEYOU_TEST_STRICT=1 so CI cannot pass without running them.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from keyou.mail.ingest import mail_ingest
from keyou.mail.services import mailbox_add
from keyou.mail.sources import RawItem
from keyou.people.services import organization_set, user_add
from tests.mail.mailfactory import raw_message

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to
# run "inside" one unless told that this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "browser-pass-1"
TIMEOUT_MS = 10_000  # for every action, wait and assertion


def _unavailable(reason: str) -> None:
    if os.environ.get("KEYOU_TEST_STRICT") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail a browser test whose pages raised JavaScript errors, as part of the test."""
    result = yield
    page = item.funcargs.get("page")
    if page is not None:
        errors = js_errors(page, item.funcargs["live_server"].url)
        if errors:
            pytest.fail("our pages raised JavaScript errors:\n" + "\n".join(errors))
    return result


# Console errors that are not our pages' fault: the favicon Chromium asks for on its own,
# and what the message frame logs when a hostile message's own resources fail.
EXPECTED_CONSOLE = [
    re.compile(r"\(\S*/favicon\.ico\)$"),
    re.compile(r"\(\S*/messages/\d+/body/"),
]


def js_errors(page, base_url: str) -> list[str]:
    """Return the uncaught exceptions and unexpected console errors of BASE_URL's pages."""
    return [f"{exc.name}: {exc.message}" for exc in page.keyou_exceptions] + [
        f"console: {line}"
        for line in page.keyou_console
        if f"({base_url}" in line
        and not any(pattern.search(line) for pattern in page.expected_console)
    ]


@pytest.fixture
def page(browser, live_server, request, tmp_path):
    """A fresh browser page, every action and assertion limited to 10 s.

    The test fails if one of our own pages raises a JavaScript error: an uncaught
    exception, or an error logged to the console by a live-server page (a CSP that blocks
    our CSS, a missing static file) unless it matches ``page.expected_console`` (patterns
    over "text (url)"), which a test may extend. On failure a screenshot is saved under
    the test's tmp dir and its path printed.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.keyou_exceptions = []
    page.keyou_console = []
    page.expected_console = list(EXPECTED_CONSOLE)
    page.on("pageerror", lambda exc: page.keyou_exceptions.append(exc))
    page.on(
        "console",
        lambda msg: (
            page.keyou_console.append(f"{msg.text} ({msg.location.get('url', '')})")
            if msg.type == "error"
            else None
        ),
    )
    yield page
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.failed:
        shot = tmp_path / "failure.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")
        except Exception as exc:  # a dead page must not hide the test's own failure
            print(f"no screenshot of the failure: {exc}")
    context.close()


@pytest.fixture
def shop(transactional_db):
    """A company, a salesperson with a password, and customer mail in Chinese and English.

    huaxin-lighting.cn asked for a quote (报价) in Chinese and alice answered;
    northwind-imports.com asked for a price list in English and awaits our reply.
    """
    organization_set(name="Demo Trading", domains=["demo-trading.com"], time_zone="Asia/Shanghai")
    alice = user_add(
        username="alice",
        email="alice@demo-trading.com",
        team="Europe",
        first_name="Alice",
        password=PASSWORD,
    )
    box = mailbox_add(address="alice@demo-trading.com", owner="alice")
    raws = [
        raw_message(
            sender="王经理 <wang@huaxin-lighting.cn>",
            subject="关于LED面板的报价",
            body="您好，请提供500片LED面板的报价，谢谢。",
            message_id="<cn-1@huaxin-lighting.cn>",
            date=datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
        ),
        raw_message(
            sender="Alice <alice@demo-trading.com>",
            to="wang@huaxin-lighting.cn",
            subject="Re: 关于LED面板的报价",
            body="王经理您好，报价单见附件。",
            message_id="<cn-2@demo-trading.com>",
            in_reply_to="<cn-1@huaxin-lighting.cn>",
            references="<cn-1@huaxin-lighting.cn>",
            date=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        ),
        raw_message(
            sender="Tom Baker <tom@northwind-imports.com>",
            subject="Price list for 2026",
            body="Could you send your 2026 price list for the panel lights?",
            message_id="<en-1@northwind-imports.com>",
            date=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        ),
    ]
    mail_ingest(mailbox=box, items=[RawItem(source=f"b#{i}", raw=r) for i, r in enumerate(raws)])
    return SimpleNamespace(alice=alice, box=box)


def log_in(page, base_url: str, username: str = "alice", password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
