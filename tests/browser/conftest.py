"""A real Chromium (Debian's, driven by Playwright) against Django's live server.

The browser tests skip when Playwright or /usr/bin/chromium is missing, and fail
instead under KEYOU_TEST_STRICT=1 so CI cannot pass without running them.
"""

from __future__ import annotations

import os
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


def _unavailable(reason: str) -> None:
    if os.environ.get("KEYOU_TEST_STRICT") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        _unavailable("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser, request, tmp_path):
    """A fresh browser page; our own pages must raise no JavaScript error."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        shot = tmp_path / "failure.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}")
    context.close()


@pytest.fixture
def shop(transactional_db):
    """A company, a salesperson with a password, and customer mail in Chinese and English."""
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
    ]
    mail_ingest(mailbox=box, items=[RawItem(source=f"b#{i}", raw=r) for i, r in enumerate(raws)])
    return SimpleNamespace(alice=alice, box=box)


def log_in(page, base_url: str, username: str = "alice", password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
