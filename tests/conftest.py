"""Fixtures shared by all tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _english_by_default():
    """Start every test in the default language: a page rendered in Chinese by an
    earlier test must not leave rule names or messages in Chinese for the next one."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def corpora_dir() -> Path:
    """Return the shared folder of public test corpora (KEYOU_CORPORA_DIR or ../shared/corpora).

    Skip the test when the folder is absent, or fail it under KEYOU_TEST_STRICT=1 so a CI
    run cannot pass by silently skipping the corpus tests.
    """
    configured = os.environ.get("KEYOU_CORPORA_DIR")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "corpora"
    if not path.is_dir():
        reason = f"test corpora folder {path} not found; set KEYOU_CORPORA_DIR to its location"
        if os.environ.get("KEYOU_TEST_STRICT") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def _unavailable(reason: str) -> None:
    """Skip with REASON, or fail under KEYOU_TEST_STRICT=1 (CI must run every test)."""
    if os.environ.get("KEYOU_TEST_STRICT") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def dovecot():
    """A private Dovecot IMAP server on 127.0.0.1 (plaintext auth on loopback only)."""
    import shutil
    import tempfile

    from tests.mailservers import Dovecot, dovecot_available

    if not dovecot_available():
        _unavailable("Dovecot is not installed (apt-get install dovecot-imapd) or not root")
    # Not under pytest's tmp dir: its parents are mode 0700 and Dovecot's auth process
    # (user dovecot) and mail processes (user nobody) must traverse the path.
    root = Path(tempfile.mkdtemp(prefix="keyou-dovecot-"))
    server = Dovecot(root=root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def smtp_server():
    """An aiosmtpd SMTP server on 127.0.0.1 that records what it receives."""
    from tests.mailservers import SmtpServer

    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


CHROMIUM = Path("/usr/bin/chromium")
BROWSER_TIMEOUT_MS = 10_000  # for every action, wait and assertion


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, one for the whole run (two sync Playwright
    instances cannot overlap in one thread). Skip without it; fail under KEYOU_TEST_STRICT."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        _unavailable("Chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to
    # run "inside" one unless told that this is deliberate.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()
