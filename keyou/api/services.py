"""Create, check and revoke API tokens.

A token is `ky_<8 hex>_<43 url-safe chars>`: the first part is a visible prefix
that identifies the token in lists and logs, the rest is 256 bits of randomness.
Only the sha256 of the whole token is stored, so a database leak gives no
usable credential; a plain hash is enough because the input is random, not a
password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from keyou.api.models import ApiToken
from keyou.people.models import User

TOKEN_TAG = "ky_"
PREFIX_LENGTH = len(TOKEN_TAG) + 8
# last_used_at is a hint for humans; writing it at most once a minute keeps a
# busy script from turning every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """A token command the operator can fix; the message says how."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_prefix() -> str:
    while True:
        prefix = TOKEN_TAG + secrets.token_hex(4)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            return prefix


def token_prefix(text: str) -> str:
    """Return the visible prefix of TEXT: a prefix, its 8 hex digits, or a whole token."""
    text = text.strip()
    if not text.startswith(TOKEN_TAG):
        text = TOKEN_TAG + text
    return text[:PREFIX_LENGTH]


def token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for USER labelled NAME; return it and the secret (shown only now)."""
    if not user.is_active:
        raise TokenError(f"user {user.username!r} is deactivated")
    name = " ".join(name.split())
    if len(name) > 100:
        raise TokenError("a token label can hold at most 100 characters")
    prefix = _new_prefix()
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, key_hash=_hash(secret))
    return token, secret


def token_revoke(*, prefix: str) -> tuple[ApiToken, bool]:
    """Revoke the token with PREFIX; return it and whether it was live until now."""
    token = ApiToken.objects.select_related("user").filter(prefix=token_prefix(prefix)).first()
    if token is None:
        raise TokenError(f"no token with prefix {prefix!r}; see `keyou token list --user NAME`")
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db(fields=["revoked_at"])
    return token, bool(changed)


def token_authenticate(secret: str) -> ApiToken | None:
    """Return the live token SECRET of an active user (noting its use), else None."""
    if not secret.startswith(TOKEN_TAG) or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__team")
        .filter(prefix=secret[:PREFIX_LENGTH], revoked_at=None, user__is_active=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.key_hash, _hash(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at=None) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token
