"""Bearer tokens: who may call the API, and what a refusal looks like."""

import pytest

from keyou.api.models import ApiToken
from keyou.api.services import token_authenticate, token_create, token_revoke
from tests.api.helpers import ApiClient, assert_error

PATHS = ["/accounts", "/accounts/1", "/accounts/1/timeline", "/contacts?email=a@b.c"]
PATHS += ["/threads/1", "/messages/1", "/messages/1/raw", "/search?q=price"]


@pytest.mark.parametrize("path", PATHS)
def test_every_endpoint_needs_a_token(db, anon_api, path):
    response = anon_api.get(path)

    error = assert_error(response, 401, "unauthorized")
    assert "Bearer" in error["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_posting_a_note_needs_a_token(crm, anon_api):
    response = anon_api.post(f"/accounts/{crm['acme'].pk}/notes", {"body": "hello"})
    assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ky_00000000_not-a-real-token",
        "Bearer nonsense",
        "Bearer ",
        "Token ky_00000000_x",
        "Basic YWxpY2U6c2VjcmV0",
    ],
)
def test_bad_tokens_are_refused(org, tokens, header):
    response = ApiClient(None).get("/accounts", headers={"Authorization": header})

    error = assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "token" in error["message"]


def test_a_token_with_a_wrong_secret_but_a_real_prefix_is_refused(org, tokens):
    forged = tokens["alice"][:12] + "x" * 43
    assert_error(ApiClient(forged).get("/accounts"), 401, "unauthorized")


def test_revoked_token_is_refused_at_once(org, alice_api, tokens):
    assert alice_api.get("/accounts").status_code == 200

    token_revoke(prefix=tokens["alice"][:11])

    assert_error(alice_api.get("/accounts"), 401, "unauthorized")


def test_deactivated_user_token_is_refused(org, alice_api):
    org["alice"].is_active = False
    org["alice"].save(update_fields=["is_active"])

    assert_error(alice_api.get("/accounts"), 401, "unauthorized")


def test_tokens_are_stored_hashed_with_a_visible_prefix(org):
    token, secret = token_create(user=org["alice"], name="crm-sync")

    stored = ApiToken.objects.get(pk=token.pk)
    assert secret.startswith(stored.prefix + "_")
    assert stored.prefix.startswith("ky_") and len(stored.prefix) == 11
    assert secret not in {stored.key_hash, stored.prefix, stored.name}
    assert len(stored.key_hash) == 64
    assert len(secret) > 40


def test_use_is_recorded_on_the_token(org, alice_api, tokens):
    prefix = tokens["alice"][:11]
    assert ApiToken.objects.get(prefix=prefix).last_used_at is None

    alice_api.get("/accounts")

    assert ApiToken.objects.get(prefix=prefix).last_used_at is not None


def test_authenticate_returns_the_token_of_the_user(org, tokens):
    token = token_authenticate(tokens["carol"])
    assert token is not None and token.user == org["carol"]
    assert token_authenticate(tokens["carol"] + "x") is None
    assert token_authenticate("") is None
