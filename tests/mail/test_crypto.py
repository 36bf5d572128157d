"""Mailbox secrets are encrypted at rest and unreadable without the key."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from keyou.mail import crypto


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    crypto._fernet.cache_clear()
    yield
    crypto._fernet.cache_clear()


def test_round_trip_and_key_file(monkeypatch):
    monkeypatch.delenv("KEYOU_ENCRYPTION_KEY", raising=False)
    token = crypto.secret_encrypt("pässwörd 密码")
    assert "密码" not in token and "pässwörd" not in token
    assert crypto.secret_decrypt(token) == "pässwörd 密码"
    key_file = settings.DATA_DIR / crypto.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert crypto.secret_encrypt("") == "" and crypto.secret_decrypt("") == ""


def test_key_from_environment_and_wrong_key(monkeypatch):
    monkeypatch.setenv("KEYOU_ENCRYPTION_KEY", Fernet.generate_key().decode())
    token = crypto.secret_encrypt("s3cret")
    crypto._fernet.cache_clear()
    monkeypatch.setenv("KEYOU_ENCRYPTION_KEY", Fernet.generate_key().decode())
    with pytest.raises(crypto.SecretUnreadable, match="(?i)enter the mailbox password again"):
        crypto.secret_decrypt(token)


def test_bad_configured_key(monkeypatch):
    monkeypatch.setenv("KEYOU_ENCRYPTION_KEY", "not-a-key")
    with pytest.raises(Exception, match="KEYOU_ENCRYPTION_KEY must be a Fernet key"):
        crypto.secret_encrypt("x")
