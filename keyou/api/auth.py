"""Bearer-token authentication: `Authorization: Bearer ky_...` names the acting user."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from keyou.api.services import token_authenticate
from keyou.people.models import User


class BearerToken(HttpBearer):
    """Authenticate by API token; `request.auth` becomes the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        api_token = token_authenticate(token.strip())
        if api_token is None:
            return None
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user
