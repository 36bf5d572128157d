"""Settings for the test suite: a throwaway data dir, and PostgreSQL when asked."""

import os
import tempfile

os.environ.setdefault("KEYOU_DATA_DIR", tempfile.mkdtemp(prefix="keyou-test-"))

from keyou.settings import *  # noqa: E402,F403
from keyou.settings import _database  # noqa: E402

if os.environ.get("KEYOU_TEST_DATABASE_URL"):
    DATABASES = {"default": _database(os.environ["KEYOU_TEST_DATABASE_URL"])}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # A file, not shared-cache memory: tests with threads (IDLE, the live server)
    # need SQLite's real locking, as in production, not table locks between threads.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tasks run inline in tests unless a test starts a real consumer.
HUEY = {**HUEY, "immediate": True}  # noqa: F405

# Assertions read English; tests of the Chinese UI choose zh-hans themselves.
LANGUAGE_CODE = "en"
