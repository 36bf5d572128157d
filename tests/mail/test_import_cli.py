"""`keyou import-mail` and `keyou accounts` end to end through the command line code."""

import json
import mailbox as stdlib_mailbox
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.mail.mailfactory import raw_message


def run(*args):
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def archive(tmp_path):
    """An mbox, a maildir and a directory of .eml holding overlapping messages."""
    msgs = [raw_message(message_id=f"<m{i}@acme.co.uk>", subject=f"Inquiry {i}") for i in range(4)]
    mbox_path = tmp_path / "alice.mbox"
    box = stdlib_mailbox.mbox(mbox_path)
    for raw in msgs[:3]:
        box.add(raw)
    box.flush()
    md = stdlib_mailbox.Maildir(tmp_path / "md", create=True)
    for raw in msgs[1:]:
        md.add(raw)
    emls = tmp_path / "eml"
    emls.mkdir()
    (emls / "one.eml").write_bytes(msgs[0])
    (emls / "broken.eml").write_bytes(b"\x00\x01\x02 not mail at all \xff\xfe")
    return {"mbox": mbox_path, "maildir": tmp_path / "md", "eml": emls}


def test_import_mail_json_and_idempotent(org, archive):
    paths = [str(archive["mbox"]), str(archive["maildir"]), str(archive["eml"])]
    first = run("import_mail", *paths, "--mailbox", "alice@demo-trading.com")
    assert first["read"] == 3 + 3 + 2
    assert first["new"] == 5  # four distinct messages and the broken file
    assert first["failed"] == 1
    assert first["flagged"] >= 1
    assert first["accounts_created"] == 1
    assert first["contacts_created"] == 1
    assert [e["source"].endswith("broken.eml") for e in first["errors"]] == [True]
    assert set(first) >= {"read", "new", "duplicates", "flagged", "failed", "threads", "errors"}

    second = run("import_mail", *paths, "--mailbox", "alice@demo-trading.com")
    assert (second["new"], second["accounts_created"]) == (0, 0)
    assert second["duplicates"] == 8


def test_accounts_show_and_timeline(org, archive):
    run("import_mail", str(archive["mbox"]), "--mailbox", "alice@demo-trading.com")
    listed = run("accounts", "list", "--q", "acme")
    assert [a["domains"] for a in listed] == [["acme.co.uk"]]
    shown = run("accounts", "show", "acme.co.uk")
    assert shown["counts"]["emails"] == 3
    assert shown["contacts"][0]["emails"] == ["buyer@acme.co.uk"]
    by_id = run("accounts", "show", str(shown["id"]))
    assert by_id["name"] == shown["name"]
    timeline = run("accounts", "timeline", "acme.co.uk")
    assert [t["subject"] for t in timeline] == ["Inquiry 0", "Inquiry 1", "Inquiry 2"] or len(
        timeline
    ) == 3
    assert all(t["mailboxes"] == ["alice@demo-trading.com"] for t in timeline)
    assert all(t["type"] == "email" for t in timeline)


def test_unknown_mailbox_and_account_are_clear_errors(org, archive):
    with pytest.raises(CommandError, match="keyou mailbox add"):
        run("import_mail", str(archive["mbox"]), "--mailbox", "nobody@demo-trading.com")
    with pytest.raises(CommandError, match="not found"):
        run("accounts", "show", "unknown.example")
    with pytest.raises(CommandError, match="no such file"):
        run("import_mail", "/nonexistent/x.mbox", "--mailbox", "alice@demo-trading.com")


def test_org_user_mailbox_commands(db):
    org = run(
        "org",
        "set",
        "--name",
        "ACME",
        "--domains",
        "acme.com,mail.acme.cn",
        "--timezone",
        "Europe/Berlin",
    )
    assert org == {"name": "ACME", "domains": ["acme.cn", "acme.com"], "timezone": "Europe/Berlin"}
    with pytest.raises(CommandError, match="time zone"):
        run("org", "set", "--timezone", "Mars/Olympus")
    user = run("user", "add", "dora", "--email", "dora@acme.com", "--team", "Europe", "--admin")
    assert (user["team"], user["admin"]) == ("Europe", True)
    box = run("mailbox", "add", "Dora@ACME.com", "--kind", "personal", "--owner", "dora")
    assert (box["address"], box["owners"]) == ("dora@acme.com", ["dora"])
    with pytest.raises(CommandError, match="no user"):
        run("mailbox", "add", "x@acme.com", "--owner", "ghost")
