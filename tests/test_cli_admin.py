"""keyou createadmin and keyou bootstrap."""

import io
import json

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command


def test_createadmin_reads_password_from_stdin(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pass\n"))
    out = io.StringIO()
    call_command(
        "createadmin", "root", "--email", "root@x.com", "--password-stdin", "--json", stdout=out
    )
    assert json.loads(out.getvalue())["admin"] is True
    user = authenticate(username="root", password="s3cret-pass")
    assert user is not None and user.is_superuser


def test_createadmin_refuses_short_password(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    with pytest.raises(CommandError, match="8 characters"):
        call_command("createadmin", "root", "--password-stdin")


def test_bootstrap_prints_a_working_login_once(db):
    out = io.StringIO()
    call_command("bootstrap", "--json", stdout=out)
    first = json.loads(out.getvalue())
    assert authenticate(username="admin", password=first["password"]) is not None
    out = io.StringIO()
    call_command("bootstrap", "--json", stdout=out)
    assert json.loads(out.getvalue())["password"] == first["password"]
