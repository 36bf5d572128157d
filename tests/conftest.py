"""Fixtures shared by all tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


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
