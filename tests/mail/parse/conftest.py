"""Fixtures for the mail parsing tests (pure functions: no database, no Django).

These tests also run without Django and without the conftests above this folder:
``pytest -p no:django --confcutdir=tests/mail/parse tests/mail/parse``. That is why
``corpora_dir`` is defined here too (same contract as the root one).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from keyou.mail.parse import ParsedMessage, parse_message

REPO_ROOT = Path(__file__).resolve().parents[3]
MAIL_DATA = REPO_ROOT / "tests" / "data" / "mail"


def _skip_or_fail(reason: str) -> None:
    # A CI run must not pass by silently skipping the corpus tests.
    if os.environ.get("KEYOU_TEST_STRICT") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def corpora_dir() -> Path:
    """Return the shared public test corpora (KEYOU_CORPORA_DIR or ../shared/corpora).

    Skip when absent, or fail under KEYOU_TEST_STRICT=1.
    """
    configured = os.environ.get("KEYOU_CORPORA_DIR")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "corpora"
    if not path.is_dir():
        _skip_or_fail(f"test corpora folder {path} not found; set KEYOU_CORPORA_DIR")
    return path


@pytest.fixture(scope="session")
def mail_data() -> Path:
    """Return the folder of hand-written .eml fixtures."""
    return MAIL_DATA


@pytest.fixture
def parse_fixture():
    """Return a function that parses tests/data/mail/<name>."""

    def parse(name: str) -> ParsedMessage:
        return parse_message((MAIL_DATA / name).read_bytes())

    return parse


@pytest.fixture(scope="session")
def cpython_email_data() -> Path:
    """Return CPython's own email test messages (msg_*.txt), shipped with the interpreter."""
    try:
        import test.test_email
    except ImportError:  # some distributions strip the test package
        path = None
    else:
        path = Path(os.path.dirname(test.test_email.__file__)) / "data"
    if path is None or not path.is_dir():
        _skip_or_fail("CPython's test/test_email/data is not installed")
    return path
