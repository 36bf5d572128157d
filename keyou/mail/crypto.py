"""Mailbox secrets at rest: Fernet with a key from KEYOU_ENCRYPTION_KEY or the data dir.

The key file is created on first use (mode 0600) beside the database. Losing it means
every stored mailbox password must be entered again; back it up with the data dir.
"""

from __future__ import annotations

import os
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from keyou.env import ConfigError

KEY_FILE = "encryption.key"


class SecretUnreadable(RuntimeError):
    """A stored secret cannot be decrypted (the key changed or the value was damaged)."""


@cache
def _fernet() -> Fernet:
    configured = os.environ.get("KEYOU_ENCRYPTION_KEY", "").strip()
    if configured:
        try:
            return Fernet(configured.encode())
        except ValueError as exc:
            raise ConfigError(
                "KEYOU_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes); "
                "make one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`"
            ) from exc
    path = settings.DATA_DIR / KEY_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    return Fernet(path.read_bytes().strip())


def secret_encrypt(plain: str) -> str:
    """Return PLAIN encrypted as a text token for storage ("" stays "")."""
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode("utf-8")).decode("ascii")


def secret_decrypt(token: str) -> str:
    """Return the plain text of a stored TOKEN; raise SecretUnreadable if it cannot be read."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable(
            "the stored password cannot be decrypted; was the encryption key changed? "
            "Enter the mailbox password again."
        ) from exc
