"""keyou rules: templates, install, list, enable/disable, export/import, dry-run, runs, process."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command

from keyou.automation.models import Rule
from keyou.mail.ingest import mail_ingest
from keyou.mail.services import mailbox_add
from keyou.mail.sources import RawItem
from keyou.people.services import organization_set
from tests.mail.mailfactory import raw_message

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def rules(*args: str):
    out = io.StringIO()
    call_command("rules", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_install_list_switch_export_import(db, tmp_path):
    assert {t["slug"] for t in rules("templates")} >= {"inquiry", "reply_sla", "birthday"}
    made = rules("install", "inquiry", "reply_sla", "--disabled")
    assert len(made) == 3 and not any(r["enabled"] for r in made)
    assert rules("install", "inquiry") == []  # already there: switched on, not doubled
    listed = rules("list")
    assert [r["name"] for r in listed][:1] == ["Inquiry detection"]
    assert [r["enabled"] for r in listed] == [True, False, False]
    assert rules("disable", "Inquiry detection")["enabled"] is False

    out = tmp_path / "rules.json"
    rules("export", "--out", str(out))
    document = json.loads(out.read_text())
    assert len(document["rules"]) == 3
    imported = rules("import", str(out))
    assert len(imported) == 3 and Rule.objects.count() == 6
    assert imported[0]["conditions"] == document["rules"][0]["conditions"]

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rules": [{"name": "x", "trigger": "nope", "actions": []}]}))
    with pytest.raises(CommandError, match="#1"):
        call_command("rules", "import", str(bad))
    assert Rule.objects.count() == 6


def test_dry_run_process_and_runs(db):
    organization_set(name="Demo", domains=["demo-trading.com"], time_zone="Asia/Shanghai")
    box = mailbox_add(address="sales@demo-trading.com", kind="shared")
    rules("install", "inquiry")
    raw = raw_message(
        sender="Hans <hans@mueller-gmbh.de>",
        to="sales@demo-trading.com",
        subject="RFQ: LED panels",
        message_id="<rfq-1@mueller-gmbh.de>",
        date=NOW,
    )
    with time_machine.travel(NOW, tick=False):
        mail_ingest(mailbox=box, items=[RawItem(source="x", raw=raw)], workers=0)
        dry = rules("dry-run", "Inquiry detection")
        assert len(dry["matches"]) == 1 and not Rule.objects.get().runs.exists()
        done = rules("process")
        assert done["handled"] >= 2
    runs = rules("runs")
    assert [r["status"] for r in runs] == ["done"]
    assert any("lead" in line for line in runs[0]["results"])
