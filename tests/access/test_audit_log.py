"""The audit log viewer (/audit/), its selector and `keyou audit`."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from keyou.audit.models import AuditAction, AuditEntry
from keyou.audit.selectors import audit_entries
from keyou.audit.services import audit
from keyou.people.access import NotAllowed
from keyou.people.grants import grant_add


def rows_of(body: str) -> list[str]:
    """The table rows of the audit page (one per entry)."""
    tbody = re.search(r"<tbody>(.*?)</tbody>", body, re.S).group(1)
    return [r for r in re.findall(r"<tr>(.*?)</tr>", tbody, re.S) if "<time" in r]


@pytest.fixture
def log(people, crm, staff):
    """A few entries on known days: alice's grant, carol viewing acme, bob changing initech."""
    march = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    audit(people.alice, AuditAction.VIEW, obj=crm.acme, at=march)
    audit(people.carol, AuditAction.VIEW, obj=crm.globex, at=march + timedelta(days=1))
    audit(people.bob, AuditAction.CHANGE, obj=crm.initech, data={"name": "Initech AG"},
          at=march + timedelta(days=2))  # fmt: skip
    grant_add(actor=people.admin, user=people.carol, accounts=[crm.acme],
              until=timezone.now() + timedelta(hours=1), reason="fair")  # fmt: skip
    return march


def test_the_audit_log_is_for_those_who_may_view_it(log, people, staff, login):
    assert login(people.carol).get("/audit/").status_code == 403
    assert login(people.alice).get("/audit/").status_code == 403  # team lead: no view_audit
    assert login(staff.dora).get("/audit/").status_code == 200  # director
    assert login(people.admin).get("/audit/").status_code == 200
    with pytest.raises(NotAllowed):
        audit_entries(people.carol)


def test_the_filters_narrow_the_log(log, people, crm, staff, login):
    dora = login(staff.dora)
    everything = rows_of(dora.get("/audit/").content.decode())
    assert len(everything) == AuditEntry.objects.count()

    by_bob = rows_of(dora.get("/audit/?user=bob").content.decode())
    assert len(by_bob) == 1 and "Change" in by_bob[0] and "name=Initech AG" in by_bob[0]

    grants = rows_of(dora.get("/audit/?action=grant_create").content.decode())
    assert len(grants) == 1 and "Grant given" in grants[0] and "admin" in grants[0]

    acme = rows_of(
        dora.get(f"/audit/?object_type=account&object_id={crm.acme.pk}").content.decode()
    )
    assert len(acme) == 1 and f'href="/accounts/{crm.acme.pk}/"' in acme[0]

    # Dates are whole days in the viewer's zone (dora: the company's, Asia/Shanghai).
    one_day = rows_of(dora.get("/audit/?since=2026-03-03&until=2026-03-03").content.decode())
    assert len(one_day) == 1 and "carol" in one_day[0]
    since = rows_of(dora.get("/audit/?since=2026-03-03").content.decode())
    assert any("carol" in r for r in since) and any("bob" in r for r in since)
    assert not any("alice" in r for r in since)  # her view was on 2 March

    # A bad filter is reported and ignored, not a crash.
    bad = dora.get("/audit/?since=yesterday&action=nonsense")
    assert bad.status_code == 200 and "not understood" in bad.content.decode()


def test_times_are_shown_in_the_viewers_zone_newest_first(log, people, staff, login):
    staff.dora.time_zone = "Europe/Berlin"
    staff.dora.save()
    body = login(staff.dora).get("/audit/?user=alice").content.decode()
    assert "2026-03-02 09:30:00" in body  # 08:30 UTC in Berlin (winter time)
    entries = rows_of(login(staff.dora).get("/audit/").content.decode())
    times = [re.search(r'datetime="([^"]+)"', r).group(1) for r in entries]
    assert times == sorted(times, reverse=True)


def test_an_account_the_viewer_cannot_see_is_not_linked(log, people, crm, login):
    # admin sees everything: linked. A role with view_audit but a narrow scope is not.
    from keyou.people.models import Role
    from keyou.people.services import user_add

    Role.objects.create(slug="auditor", name="Auditor", scope="own",
                        capabilities=["view_customers", "view_audit"])  # fmt: skip
    auditor = user_add(username="vera", email="vera@demo-trading.com", role="auditor")
    body = login(auditor).get(f"/audit/?object_id={crm.acme.pk}&object_type=account").content
    assert b"account #" in body and f'href="/accounts/{crm.acme.pk}/"'.encode() not in body
    assert b"Acme Trading" not in body


def test_the_log_pages_by_fifty(people, staff, login):
    for n in range(55):
        audit(people.alice, AuditAction.EXPORT, object_type="export", object_id=n)
    dora = login(staff.dora)
    first = dora.get("/audit/?action=export").content.decode()
    second = dora.get("/audit/?action=export&page=2").content.decode()
    assert len(rows_of(first)) == 50 and len(rows_of(second)) == 5
    assert 'rel="next"' in first and 'rel="next"' not in second


def test_failed_logins_appear_in_the_audit_log(people, staff, login):
    people.alice.set_password("right-password-123")
    people.alice.save()
    response = Client().post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200  # the form again, with its error
    failed = AuditEntry.objects.get(action=AuditAction.LOGIN_FAILED)
    assert failed.actor_name == "alice" and failed.ip == "127.0.0.1"
    body = login(staff.dora).get("/audit/?user=alice&action=login_failed").content.decode()
    found = rows_of(body)
    assert len(found) == 1 and "Failed login" in found[0] and "127.0.0.1" in found[0]


def test_cli_audit_json(log, people, crm):
    out = io.StringIO()
    call_command("audit", "--json", "--action", "view", "--since", "2026-03-01",
                 "--until", "2026-03-02", stdout=out)  # fmt: skip
    rows = json.loads(out.getvalue())
    assert [(r["user"], r["object_id"]) for r in rows] == [("alice", str(crm.acme.pk))]

    out = io.StringIO()
    call_command("audit", "--json", "--user", "admin", "--limit", "5", stdout=out)
    rows = json.loads(out.getvalue())
    assert [r["action"] for r in rows] == ["grant_create"]
    assert rows[0]["data"]["accounts"] == [crm.acme.pk] and rows[0]["object_type"] == "accessgrant"

    out = io.StringIO()
    call_command("audit", "--object-type", "account", "--object-id", str(crm.initech.pk),
                 stdout=out)  # fmt: skip
    assert "bob" in out.getvalue() and "change" in out.getvalue()


def test_mailbox_credential_changes_and_deletes_are_audited(acme_mail, people):
    from keyou.mail.models import Message
    from keyou.mail.services import message_delete
    from keyou.mail.sync import mailbox_connect

    mailbox_connect("alice@demo-trading.com", imap_host="127.0.0.1", imap_port=993,
                    password="s3cret-pw", actor=people.alice)  # fmt: skip
    entry = AuditEntry.objects.get(action=AuditAction.MAILBOX_CREDENTIALS)
    assert entry.actor == people.alice and entry.data["password_changed"] is True
    assert "s3cret-pw" not in str(entry.data)

    message = Message.objects.get(message_id="samples-1@acme.co.uk")
    message_delete(actor=people.admin, message_id=message.pk, reason="spam")
    deleted = AuditEntry.objects.get(action=AuditAction.DELETE)
    assert deleted.object_id == str(message.pk) and deleted.data["reason"] == "spam"
