"""Importing accounts from CSV and XLSX: per-line errors, duplicates, dry runs, encodings."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from keyou.crm.duplicates import duplicate_keys_backfill
from keyou.crm.imports import ImportFileError, accounts_import, import_table_read
from keyou.crm.models import Account, Contact
from keyou.people.access import SYSTEM, NotAllowed
from keyou.people.models import Organization
from keyou.people.services import user_add

CSV_ZH = (
    "公司名称,域名,国家,来源,负责人,联系人,邮箱,电话,职位,备注\n"
    "深圳市蓝海电子有限公司,lanhai-sz.com,CN,展会,alice,王小明,wang@lanhai-sz.com,0755-2345 6789,采购经理,x\n"
    "Hamburg Lights GmbH,hamburg-lights.de,DEU,,alice,,,,,\n"
    '"Shenzhen Lanhai Electronics Co., Ltd.",www.lanhai-sz.com,CN,,alice,,,,,\n'
    "Acme UK,acme.co.uk,GB,,alice,,,,,\n"
    ",,,,,,,,,\n"
    "Roma Casa S.r.l.,romacasa.it,IT,web,bob,Giulia,giulia@romacasa.it,+39 06 1234 5678,Buyer,\n"
)


@pytest.fixture
def customers(crm):
    """The web fixtures' accounts, made without the services: give them their keys."""
    duplicate_keys_backfill()
    return crm


def _lines(report) -> dict[int, tuple[str, str]]:
    return {row.line: (row.status, row.message) for row in report.rows}


def test_a_chinese_csv_imports_good_rows_and_reports_bad_ones_by_line(people, customers):
    report = accounts_import(actor=people.alice, data=CSV_ZH.encode(), filename="客户.csv")

    lines = _lines(report)
    assert lines[2] == ("created", "")
    assert lines[3] == ("error", "country is a two-letter code such as CN or DE")
    assert lines[4] == ("duplicate", "duplicate of line 2")
    status, message = lines[5]
    assert status == "duplicate" and message.startswith("“Acme Trading Ltd” (#")
    assert lines[7] == ("created", "")
    assert 6 not in lines  # blank rows are skipped silently
    assert (report.created, report.duplicates, report.errors) == (2, 2, 1)
    assert report.ignored_columns == ["备注"]

    lanhai = Account.objects.get(name="深圳市蓝海电子有限公司")
    assert (lanhai.owner, lanhai.source, lanhai.country) == (people.alice, "展会", "CN")
    assert [d.domain for d in lanhai.domains.all()] == ["lanhai-sz.com"]
    contact = Contact.objects.get(account=lanhai)
    assert (contact.name, contact.title, contact.phones) == (
        "王小明",
        "采购经理",
        ["+8675523456789"],
    )
    assert Account.objects.get(name="Roma Casa S.r.l.").owner == people.bob


def test_a_dry_run_reports_the_same_and_writes_nothing(people, customers):
    before = Account.objects.count()

    report = accounts_import(actor=people.alice, data=CSV_ZH.encode(), dry_run=True)

    assert (report.created, report.duplicates, report.errors) == (2, 2, 1)
    assert all(row.account_id is None for row in report.rows)
    assert Account.objects.count() == before


def test_gb18030_and_semicolons_are_read(people):
    text = "名称;国家;联系人;电话\n宁波海天贸易有限公司;CN;李四;0574-8765 4321\n"

    report = accounts_import(actor=people.alice, data=text.encode("gb18030"))

    assert report.created == 1
    assert Contact.objects.get(name="李四").phones == ["+8657487654321"]


def test_xlsx_rows_are_numbered_as_in_the_sheet(people):
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Domain", "Country", "Contact", "Email", "Phone", "Tier"])
    sheet.append(["Oslo Fisk AS", "oslofisk.no", "NO", "Kari", "kari@oslofisk.no", 4722334455, "A"])
    sheet.append([None, "nameless.com", "FR", None, None, None, None])
    buffer = io.BytesIO()
    book.save(buffer)

    report = accounts_import(actor=people.alice, data=buffer.getvalue(), filename="list.xlsx")

    assert _lines(report) == {2: ("created", ""), 3: ("error", "an account needs a name")}
    account = Account.objects.get(name="Oslo Fisk AS")
    assert account.tier == "A"
    assert Contact.objects.get(account=account).phones == ["+4722334455"]


def test_a_quoted_field_over_two_lines_keeps_line_numbers_true(people):
    text = 'name,country\n"Two\nLines Ltd",GB\nBad Country Ltd,XX1\n'

    report = accounts_import(actor=people.alice, data=text.encode())

    assert _lines(report)[4][0] == "error"


def test_duplicates_go_in_only_when_allowed_and_only_in_warn_mode(people, customers):
    rows = [{"name": "Initech"}, {"name": "Globex Co., Ltd."}]

    report = accounts_import(actor=people.alice, rows=rows)
    assert report.duplicates == 2
    assert "owned by carol (team Asia)" in report.rows[1].message
    report = accounts_import(actor=people.alice, rows=rows, allow_duplicates=True)
    assert report.created == 2

    Organization.objects.filter(pk=Organization.get().pk).update(duplicate_mode="block")
    report = accounts_import(actor=people.alice, rows=rows, allow_duplicates=True)
    assert report.duplicates == 2 and report.created == 0


def test_giving_accounts_to_others_needs_the_assign_capability(people):
    report = accounts_import(actor=people.carol, rows=[{"name": "X Ltd", "owner": "alice"}])
    assert _lines(report) == {2: ("error", "you may not give accounts to other users")}

    report = accounts_import(actor=people.alice, rows=[{"name": "Y Ltd", "owner": "nobody"}])
    assert _lines(report) == {2: ("error", "no user 'nobody'")}


def test_a_file_without_a_name_column_or_readable_content_is_refused(people):
    with pytest.raises(ImportFileError, match="name column"):
        accounts_import(actor=people.alice, data=b"domain,country\nabc.com,CN\n")
    with pytest.raises(ImportFileError, match="empty"):
        import_table_read(b"\n\n")
    with pytest.raises(ImportFileError, match="XLSX"):
        import_table_read(b"PK\x03\x04garbage", "x.xlsx")
    with pytest.raises(ImportFileError, match=r"\.xls"):
        import_table_read(b"\xd0\xcf\x11\xe0rest", "old.xls")
    with pytest.raises(ImportFileError, match="at most 2 rows"):
        import_table_read(b"name\nA\nB\nC\n", max_rows=2)
    assert len(import_table_read(b"name\nA\nB\n", max_rows=2).rows) == 2


def test_importing_needs_the_create_capability(people):
    helper = user_add(username="sam", email="sam@demo-trading.com", role="support")
    with pytest.raises(NotAllowed):
        accounts_import(actor=helper, rows=[{"name": "Z Ltd"}])
    assert accounts_import(actor=SYSTEM, rows=[{"name": "Z Ltd"}]).created == 1


# --- The command line ---------------------------------------------------------------------


def _cli(*args: str) -> str:
    out = io.StringIO()
    call_command("accounts", *args, stdout=out)
    return out.getvalue()


def test_the_cli_imports_as_a_user_and_reports_lines(people, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("名称,国家\nKöln Tools GmbH,DE\nBad Ltd,123\n", encoding="utf-8-sig")

    preview = json.loads(_cli("import", str(path), "--dry-run", "--user", "alice", "--json"))
    assert (preview["created"], preview["errors"], preview["rows"][1]["line"]) == (1, 1, 3)
    assert not Account.objects.filter(name="Köln Tools GmbH").exists()

    text = _cli("import", str(path), "--user", "alice")
    assert "line 3: error 'Bad Ltd'" in text and "created 1" in text
    assert Account.objects.get(name="Köln Tools GmbH").owner == people.alice

    with pytest.raises(CommandError, match="--user"):
        _cli("import", str(path))


def test_the_cli_creates_and_finds_duplicates(people):
    _cli("create", "Shenzhen ABC Co., Ltd.", "--domain", "abc-sz.com", "--user", "alice")
    with pytest.raises(CommandError, match="owned by Alice"):
        _cli("create", "深圳市ABC有限公司", "--user", "carol")

    found = json.loads(_cli("dupes", "--name", "ABC Ltd", "--domain", "abc-sz.com", "--json"))

    assert [m["reasons"] for m in found] == [["name", "domain"]]
    assert found[0]["owner"] == "Alice"


def test_the_cli_shows_and_sets_the_duplicate_mode(people):
    assert _cli("duplicate-mode").strip() == "on a duplicate: warn"
    assert _cli("duplicate-mode", "block").strip() == "on a duplicate: block"
    assert Organization.get().duplicate_mode == "block"
    with pytest.raises(CommandError, match="not allowed"):
        _cli("duplicate-mode", "warn", "--user", "carol")
    with pytest.raises(CommandError, match="not allowed"):
        _cli("create", "X Ltd", "--owner", "alice", "--user", "carol")
