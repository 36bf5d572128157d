"""Helpers for the API tests: a JSON client with a bearer token, and error-shape checks."""

from __future__ import annotations

import json

from django.test import Client


class ApiClient:
    """Django's test client, speaking to /api/v1 with a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self, extra: dict | None) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self._headers(headers))

    def post(self, path: str, data, *, content_type="application/json", headers=None):
        body = data if isinstance(data, bytes | str) else json.dumps(data)
        return self.client.generic(
            "POST", f"/api/v1{path}", body, content_type, headers=self._headers(headers)
        )


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Check RESPONSE is STATUS in the one error shape (with CODE); return the error."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error
