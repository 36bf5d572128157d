"""keyou token create | list | revoke."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from keyou.api.models import ApiToken
from tests.api.helpers import ApiClient, assert_error


def run(*args) -> str:
    out = StringIO()
    call_command("token", *args, stdout=out)
    return out.getvalue()


def test_create_prints_the_token_once_and_it_works(org):
    text = run("create", "--user", "alice", "--name", "nightly export")

    secret = text.splitlines()[0]
    assert secret.startswith("ky_")
    token = ApiToken.objects.get()
    assert token.name == "nightly export" and token.user == org["alice"]
    assert secret not in token.key_hash
    assert "cannot be shown again" in text
    assert ApiClient(secret).get("/accounts").status_code == 200


def test_create_json(org):
    data = json.loads(run("create", "--user", "carol", "--json"))

    assert data["token"].startswith(data["prefix"] + "_")
    assert data["user"] == "carol" and data["revoked_at"] is None
    assert data["created_at"]


def test_list_shows_prefixes_never_secrets(org):
    secret = json.loads(run("create", "--user", "alice", "--name", "one", "--json"))["token"]
    run("create", "--user", "alice", "--name", "two")
    run("create", "--user", "bob")
    ApiClient(secret).get("/accounts")

    rows = json.loads(run("list", "--user", "alice", "--json"))
    text = run("list", "--user", "alice")

    assert [r["name"] for r in rows] == ["two", "one"]
    assert rows[1]["prefix"] == secret[:11] and rows[1]["last_used_at"] is not None
    assert rows[0]["last_used_at"] is None
    assert all("token" not in r for r in rows)
    assert secret not in text and secret[:11] in text
    assert run("list", "--user", "carol").strip() == "carol has no tokens"


def test_revoke_by_prefix(org):
    data = json.loads(run("create", "--user", "alice", "--json"))
    client = ApiClient(data["token"])
    assert client.get("/accounts").status_code == 200

    text = run("revoke", data["prefix"])

    assert "revoked" in text
    assert_error(client.get("/accounts"), 401, "unauthorized")
    assert "REVOKED" in run("list", "--user", "alice")
    assert "already revoked" in run("revoke", data["prefix"][3:])  # without ky_ works too


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "--user", "nobody"), "no user named"),
        (("list", "--user", "nobody"), "no user named"),
        (("revoke", "ky_00000000"), "no token"),
        (("create", "--user", "alice", "--name", "x" * 101), "at most 100"),
    ],
)
def test_clear_errors(org, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
