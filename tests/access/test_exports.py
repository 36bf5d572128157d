"""Exports: scoped rows, field limits, watermarks, the export capability, audit and alerts."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from keyou.api.services import token_create
from keyou.audit.models import AuditAction, AuditEntry, Export
from keyou.crm.models import Account
from keyou.people.access import forget_reach
from keyou.people.models import Notification, Role
from tests.api.helpers import ApiClient, assert_error


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def read_xlsx(content: bytes):
    return load_workbook(io.BytesIO(content))


def exporting_salesperson(user) -> None:
    """Give USER a salesperson's scope (own customers) plus the export capability."""
    role = Role.objects.create(
        slug="seller-exports",
        name="Seller who exports",
        scope="own",
        capabilities=["view_customers", "export"],
    )
    user.role = role
    user.save()
    forget_reach(user)


def test_a_csv_export_starts_with_its_watermark_and_is_recorded(people, crm, login):
    response = login(people.alice).get("/exports/accounts.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    export = Export.objects.get()
    rows = read_csv(response.content)
    watermark = rows[0][0]
    assert watermark.startswith(f"# Keyou export {export.pk} · alice · ")
    assert watermark.endswith(" · 2 rows")
    assert export.created_at.strftime("%Y-%m-%dT%H:%M:%S") in watermark
    assert rows[1][:3] == ["ID", "Name", "Domains"]
    assert {r[1] for r in rows[2:]} == {"Acme Trading Ltd", "Initech GmbH"}  # a team lead's scope
    acme = next(r for r in rows[2:] if r[1] == "Acme Trading Ltd")
    assert acme[2:6] == ["acme.co.uk", "GB", "active", "alice"]
    assert acme[7] == "VIP"
    assert acme[9] == "2026-03-02T08:30:00Z"
    assert (export.user, export.kind, export.file_format, export.rows) == (
        people.alice,
        "accounts",
        "csv",
        2,
    )
    assert export.sha256 == hashlib.sha256(response.content).hexdigest()
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == people.alice
    assert entry.data == {
        "export_id": export.pk,
        "kind": "accounts",
        "format": "csv",
        "rows": 2,
        "params": {},
    }


def test_an_xlsx_export_carries_the_watermark_in_its_properties_and_first_row(people, crm, login):
    response = login(people.alice).get("/exports/contacts.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    export = Export.objects.get()
    book = read_xlsx(response.content)
    props = book.properties
    assert props.creator == "alice"
    assert f"Keyou export {export.pk}" in props.title
    assert f"keyou-export:{export.pk}" in props.keywords and "user:alice" in props.keywords
    assert props.description.startswith(f"Keyou export {export.pk} · alice · ")
    assert props.description.endswith(" · 2 rows")
    sheet = book["contacts"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0].startswith(f"Keyou export {export.pk} · alice · ")
    assert values[1][:4] == ("ID", "Account ID", "Account", "Name")
    assert {r[3] for r in values[2:]} == {"Anna Buyer", "Ben Stock"}  # acme's; li is Asia's
    assert book["watermark"].sheet_state == "hidden"
    assert export.rows == 2


def test_rows_come_only_from_the_actors_scope(people, crm, login):
    exporting_salesperson(people.carol)
    carol = login(people.carol)
    accounts = read_csv(carol.get("/exports/accounts.csv").content)
    assert [r[1] for r in accounts[2:]] == ["Globex Shanghai"]
    contacts = read_csv(carol.get("/exports/contacts.csv").content)
    assert [r[3] for r in contacts[2:]] == ["Li Wei"]
    # Asking for someone else's customers by filter finds nothing more.
    by_owner = read_csv(carol.get(f"/exports/accounts.csv?owner={people.alice.pk}").content)
    assert by_owner[2:] == []
    assert by_owner[0][0].endswith(" · 0 rows")


def test_an_accounts_export_takes_the_list_pages_filters(people, crm, login):
    alice = login(people.alice)
    rows = read_csv(alice.get("/exports/accounts.csv?country=de&sort=name&lifecycle=nope").content)
    assert [r[1] for r in rows[2:]] == ["Initech GmbH"]
    # What narrowed the rows is recorded; the invalid lifecycle is ignored, as on the page.
    assert Export.objects.get().params == {"country": "de", "sort": "name"}
    book = read_xlsx(alice.get("/exports/accounts.xlsx?tag=VIP").content)
    names = [r[1] for r in book["accounts"].iter_rows(min_row=3, values_only=True)]
    assert names == ["Acme Trading Ltd"]


def test_a_timeline_export_has_email_text_only_for_roles_that_read_bodies(
    people, crm, acme_mail, staff, login
):
    url = f"/accounts/{crm.acme.pk}/export.csv"
    alice_rows = read_csv(login(people.alice).get(url).content)
    fiona_rows = read_csv(login(staff.fiona).get(url).content)
    header = alice_rows[1]
    assert header == ["Date (UTC)", "Kind", "Direction", "Subject", "From", "To", "Summary", "By"]

    def by_subject(rows):
        return {r[3]: r for r in rows[2:]}

    alice_quote = by_subject(alice_rows)["Quotation request: LED panels"]
    fiona_quote = by_subject(fiona_rows)["Quotation request: LED panels"]
    assert alice_quote[0] == "2026-03-02T08:30:00Z"
    assert alice_quote[1:3] == ["email", "inbound"]
    assert alice_quote[4] == "Anna Buyer <anna@acme.co.uk>"
    assert "alice@demo-trading.com" in alice_quote[5]
    assert "Please quote 500 LED panels" in alice_quote[6]
    # Finance: date, direction, subject, from and to, but no email text at all.
    assert fiona_quote[:6] == alice_quote[:6]
    assert fiona_quote[6] == ""
    assert not any("Please quote" in cell for row in fiona_rows for cell in row)
    assert len(fiona_rows) == len(alice_rows) == 2 + 3
    assert Export.objects.filter(kind="timeline", params={"account": crm.acme.pk}).count() == 2


def test_notes_keep_their_text_in_a_timeline_export(people, crm, staff, login):
    from keyou.crm.services import note_add

    note_add(actor=people.alice, account=crm.acme, body="Prefers sea freight. " * 30)
    rows = read_csv(login(staff.fiona).get(f"/accounts/{crm.acme.pk}/export.csv").content)
    note = next(r for r in rows[2:] if r[1] == "note")
    # The whole note, not the timeline's 300-character summary.
    assert note[6] == ("Prefers sea freight. " * 30).strip()
    assert note[7] == "alice"


def test_without_the_capability_the_web_and_the_api_refuse_and_audit(people, crm, login):
    carol = login(people.carol)  # a salesperson: no export capability
    response = carol.get("/exports/accounts.csv?country=CN")
    assert response.status_code == 403
    assert "does not allow exports" in response.content.decode()
    assert carol.get(f"/accounts/{crm.globex.pk}/export.xlsx").status_code == 403
    api = ApiClient(token_create(user=people.carol, name="t")[1])
    assert_error(api.get("/exports/contacts", {"format": "xlsx"}), 403, "forbidden")
    assert_error(api.get("/exports/timeline", {"account": crm.globex.pk}), 403, "forbidden")
    refused = AuditEntry.objects.filter(action=AuditAction.EXPORT_REFUSED, actor=people.carol)
    assert [(e.data["kind"], e.data["format"]) for e in refused.order_by("id")] == [
        ("accounts", "csv"),
        ("timeline", "xlsx"),
        ("contacts", "xlsx"),
        ("timeline", "csv"),
    ]
    assert refused.order_by("id").first().data["params"] == {"country": "CN"}
    assert not Export.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_an_account_out_of_scope_is_404_before_the_capability(people, crm, staff, login):
    # rita (regional manager, EU) may export, and sees initech (DE) but not acme (GB).
    rita, carol = login(staff.rita), login(people.carol)
    assert rita.get(f"/accounts/{crm.initech.pk}/export.csv").status_code == 200
    missing = Account.objects.order_by("-pk").first().pk + 100
    for client in (rita, carol):
        for pk in (crm.acme.pk, missing):
            assert client.get(f"/accounts/{pk}/export.csv").status_code == 404
            assert client.get(f"/accounts/{pk}/export.xlsx").status_code == 404
    for user in (staff.rita, people.carol):
        api = ApiClient(token_create(user=user, name="t")[1])
        for pk in (crm.acme.pk, missing):
            error = assert_error(api.get("/exports/timeline", {"account": pk}), 404, "not_found")
            assert "Acme" not in error["message"]
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT_REFUSED).exists()
    assert Export.objects.count() == 1


def test_the_api_returns_the_file(people, crm, acme_mail):
    api = ApiClient(token_create(user=people.alice, name="t")[1])
    response = api.get("/exports/accounts", {"format": "csv", "country": "GB"})
    assert response.status_code == 200
    rows = read_csv(response.content)
    assert [r[1] for r in rows[2:]] == ["Acme Trading Ltd"]
    book = read_xlsx(
        api.get("/exports/timeline", {"account": crm.acme.pk, "format": "xlsx"}).content
    )
    assert book.properties.creator == "alice"
    assert len(list(book["timeline"].iter_rows(min_row=3))) == 3
    assert_error(api.get("/exports/contacts", {"format": "pdf"}), 422)


def test_the_volume_alert_tells_the_manager_and_the_admins_once(people, crm, login, settings):
    settings.KEYOU_ACCESS_ALERT_RECORDS = 3
    europe = people.alice.team
    europe.manager = people.bob
    europe.save()
    alice = login(people.alice)
    alice.get("/exports/accounts.csv")  # 2 rows: under the limit
    assert not Notification.objects.exists()
    alice.get("/exports/accounts.csv")  # 4 rows within the window: alert
    alice.get("/exports/contacts.csv")  # still the same window: no second alert
    notified = Notification.objects.filter(kind="access_alert")
    assert sorted(n.recipient.username for n in notified) == ["admin", "bob"]
    assert "alice" in notified.first().text
    assert AuditEntry.objects.filter(action=AuditAction.ALERT).count() == 1


def test_the_cli_exports_as_system_or_as_a_user(people, crm, acme_mail, tmp_path):
    out = tmp_path / "all.csv"
    buf = io.StringIO()
    call_command("export", "accounts", "--out", str(out), "--json", stdout=buf)
    data = json.loads(buf.getvalue())
    assert data["user"] == "system" and data["rows"] == 3 and data["format"] == "csv"
    rows = read_csv(out.read_bytes())
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    assert re.fullmatch(
        rf"# Keyou export {data['export_id']} · system · {stamp} · 3 rows", rows[0][0]
    )
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor is None and entry.actor_name == "system"

    xlsx = tmp_path / "acme.xlsx"
    buf = io.StringIO()
    call_command(
        "export", "timeline", "--account", str(crm.acme.pk), "--as", "alice", "--out", str(xlsx),
        "--json", stdout=buf,
    )  # fmt: skip
    data = json.loads(buf.getvalue())
    assert (data["user"], data["format"], data["rows"]) == ("alice", "xlsx", 3)
    assert read_xlsx(xlsx.read_bytes()).properties.creator == "alice"

    with pytest.raises(CommandError, match="may not export"):
        call_command("export", "contacts", "--as", "carol", "--out", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="not found"):
        call_command(
            "export", "timeline", "--as", "carol", "--account", str(crm.acme.pk),
            "--out", str(tmp_path / "y.csv"),
        )  # fmt: skip
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT_REFUSED).count() == 1


def test_cells_that_look_like_formulas_stay_text(people, crm, login):
    crm.acme.name = '=HYPERLINK("http://evil.example","Click")'
    crm.acme.save()
    alice = login(people.alice)
    rows = read_csv(alice.get("/exports/accounts.csv?sort=name").content)
    assert rows[2][1] == "'" + crm.acme.name
    book = read_xlsx(alice.get("/exports/accounts.xlsx?sort=name").content)
    cell = next(book["accounts"].iter_rows(min_row=3, max_row=3))[1]
    assert cell.value == crm.acme.name and cell.data_type == "s"


def test_the_exports_page_lists_own_exports_and_everyones_for_auditors(people, crm, staff, login):
    login(people.alice).get("/exports/contacts.csv")
    login(people.bob).get("/exports/accounts.csv")
    alice_page = login(people.alice).get("/exports/").content.decode()
    assert "<td>alice</td>" in alice_page and ">bob<" not in alice_page
    dora_page = login(staff.dora).get("/exports/").content.decode()  # director: view_audit
    assert ">alice<" in dora_page and ">bob<" in dora_page
    assert login(people.carol).get("/exports/").status_code == 200
