"""Import accounts (and a first contact each) from a CSV or XLSX file, behind the duplicate check.

Reading is pure (`import_table_read`: bytes → header and numbered rows); importing
(`accounts_import`) creates one account per row through `account_create`, each row in
its own savepoint, so a bad row is reported with its line number and the good rows go
in. A dry run does the same work in a transaction it rolls back: the preview says
exactly what the import will do, duplicates within the file included.

Columns are named in English or Chinese (see HEADERS); unknown columns are ignored and
reported. CSV may be UTF-8 (with or without BOM), UTF-16 with a BOM (Excel's "Unicode
text") or GB18030 (what Excel on a Chinese Windows writes); the delimiter is sniffed.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from keyou.crm.customers import DuplicateFound, account_create
from keyou.crm.duplicates import DuplicateMatch
from keyou.crm.models import Lifecycle
from keyou.crm.services import InvalidChange
from keyou.errors import UserFixableError
from keyou.people.access import Actor, NotAllowed, require
from keyou.people.models import Capability, User

__all__ = ["HEADERS", "ImportReport", "ImportRow", "ImportTable", "accounts_import"]

MAX_ROWS = 5000
MAX_BYTES = 10 * 1024 * 1024

# Column → the header names that mean it, folded (casefold, no spaces or punctuation).
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("name", "company", "companyname", "account", "accountname", "customer",
             "customername", "名称", "公司名称", "公司", "客户名称", "客户", "企业名称"),
    "domains": ("domain", "domains", "website", "web", "url", "域名", "网站", "官网", "网址"),
    "country": ("country", "countrycode", "国家", "国家地区", "国家代码"),
    "source": ("source", "来源", "客户来源"),
    "lifecycle": ("lifecycle", "lifecyclestage", "生命周期", "客户状态"),
    "tier": ("tier", "valuetier", "level", "客户分层", "等级", "客户等级", "级别"),
    "owner": ("owner", "username", "负责人", "归属人", "所有人", "业务员"),
    "contact_name": ("contact", "contactname", "联系人", "联系人姓名", "姓名"),
    "email": ("email", "emailaddress", "mail", "邮箱", "电子邮件", "邮件", "电子邮箱"),
    "phone": ("phone", "tel", "telephone", "mobile", "phonenumber", "电话", "手机",
              "联系电话", "手机号"),
    "title": ("title", "jobtitle", "position", "职位", "职务"),
}  # fmt: skip
_BY_HEADER = {alias: column for column, aliases in HEADERS.items() for alias in aliases}
_LIFECYCLES = {
    **{v: v for v in Lifecycle.values},
    **{str(label).casefold(): value for value, label in Lifecycle.choices},
    "潜在": "prospect", "潜在客户": "prospect", "新": "new", "新客户": "new",
    "活跃": "active", "活跃客户": "active", "沉睡": "dormant", "沉睡客户": "dormant",
    "流失": "lost", "流失客户": "lost",
}  # fmt: skip
_FOLD_HEADER = re.compile(r"[\W_]+")
_SPLIT_DOMAINS = re.compile(r"[\s,;，；、]+")


class ImportFileError(InvalidChange):
    """The file as a whole cannot be imported (unreadable, no name column, too long)."""


@dataclass
class ImportTable:
    """A file read into a header and numbered rows (the line or row number a user sees)."""

    header: list[str]
    rows: list[tuple[int, list[str]]]

    def as_data(self) -> dict[str, Any]:
        """Return the table as plain JSON data (to carry it from a preview to the import)."""
        return {"header": self.header, "rows": [[n, cells] for n, cells in self.rows]}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ImportTable:
        return cls(
            header=[str(h) for h in data["header"]],
            rows=[(int(n), [str(c) for c in cells]) for n, cells in data["rows"]],
        )


@dataclass
class ImportRow:
    """What became of one row: "created", "duplicate" (skipped) or "error" (skipped)."""

    line: int
    status: str
    name: str = ""
    account_id: int | None = None
    error: UserFixableError | None = None
    # A duplicate: the earlier lines of the file it repeats, and the other matches.
    duplicate_of_lines: list[int] = field(default_factory=list)
    matches: list[DuplicateMatch] = field(default_factory=list)

    @property
    def message(self) -> str:
        """Say what is wrong with the row, in English (the command line, logs)."""
        with translation.override("en"):
            return self.localized()

    def localized(self) -> str:
        """Say what is wrong with the row, in the active language ("" when created)."""
        if self.error is not None:
            return self.error.localized()
        parts = [
            gettext("duplicate of line %(line)d") % {"line": n} for n in self.duplicate_of_lines
        ]
        return "; ".join(parts + [m.describe() for m in self.matches])


@dataclass
class ImportReport:
    dry_run: bool
    rows: list[ImportRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def duplicates(self) -> int:
        return self.count("duplicate")

    @property
    def errors(self) -> int:
        return self.count("error")


# --- Reading ------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number Excel stored as a number
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _read_xlsx(data: bytes, max_rows: int) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFileError(gettext_noop("this is not a readable XLSX file")) from exc
    try:
        sheet = book.worksheets[0]
        out = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            out.append((number, [_cell(v) for v in values]))
            if len(out) > max_rows + 1:  # the header, and one too many
                break
        return out
    finally:
        book.close()


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            gettext_noop("cannot read the file's characters; save it as CSV UTF-8 or XLSX")
        ) from exc


def _read_csv(data: bytes, max_rows: int) -> list[tuple[int, list[str]]]:
    text = _decode(data)
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out = []
    start = 1
    try:
        for cells in reader:
            out.append((start, [c.strip() for c in cells]))
            start = reader.line_num + 1
            if len(out) > max_rows + 1:  # the header, and one too many
                break
    except csv.Error as exc:
        raise ImportFileError(
            gettext_noop("the CSV file is broken near line %(line)d"), line=reader.line_num
        ) from exc
    return out


def import_table_read(data: bytes, filename: str = "", *, max_rows: int = MAX_ROWS) -> ImportTable:
    """Read DATA (a CSV or XLSX file named FILENAME) into a header and its numbered rows.

    Skip blank rows. Raise ImportFileError for an empty or unreadable file, or one with
    more than MAX_ROWS rows.
    """
    if len(data) > MAX_BYTES:
        raise ImportFileError(gettext_noop("the file is larger than 10 MB"))
    lower = filename.casefold()
    if lower.endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(gettext_noop("old Excel files (.xls) cannot be read; save as XLSX"))
    is_xlsx = data.startswith(b"PK\x03\x04") or lower.endswith(".xlsx")
    rows = _read_xlsx(data, max_rows) if is_xlsx else _read_csv(data, max_rows)
    rows = [(n, cells) for n, cells in rows if any(cells)]
    if not rows:
        raise ImportFileError(gettext_noop("the file is empty"))
    (_, header), body = rows[0], rows[1:]
    if len(body) > max_rows:
        raise ImportFileError(
            gettext_noop("a file can hold at most %(rows)d rows here; split it"), rows=max_rows
        )
    return ImportTable(header=header, rows=body)


# --- Importing ----------------------------------------------------------------------------


def _columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Map our column names to positions in HEADER; return them and the ignored headers."""
    positions: dict[str, int] = {}
    ignored = []
    for index, title in enumerate(header):
        column = _BY_HEADER.get(_FOLD_HEADER.sub("", title.casefold()))
        if column and column not in positions:
            positions[column] = index
        elif title.strip():
            ignored.append(title)
    if "name" not in positions:
        raise ImportFileError(
            gettext_noop("the file needs a name column (name, company, 名称 or 公司名称)")
        )
    return positions, ignored


def _row_values(cells: list[str], positions: dict[str, int]) -> dict[str, str]:
    return {c: (cells[i].strip() if i < len(cells) else "") for c, i in positions.items()}


class _Owners:
    """Usernames → users, looked up once per import."""

    def __init__(self) -> None:
        self._cache: dict[str, User | None] = {}

    def get(self, username: str) -> User | None:
        if username not in self._cache:
            self._cache[username] = User.objects.filter(username=username).first()
        user = self._cache[username]
        if user is None:
            raise InvalidChange(gettext_noop("no user %(name)s"), name=repr(username))
        return user


def _import_row(
    actor: Actor,
    values: dict[str, str],
    owners: _Owners,
    allow_duplicates: bool,
) -> int:
    lifecycle = values.get("lifecycle", "")
    if lifecycle:
        lifecycle = _LIFECYCLES.get(lifecycle.casefold(), lifecycle)
    owner = owners.get(values["owner"]) if values.get("owner") else None
    contact = {
        "name": values.get("contact_name", ""),
        "email": values.get("email", ""),
        "phone": values.get("phone", ""),
        "title": values.get("title", ""),
    }
    account = account_create(
        actor=actor,
        name=values.get("name", ""),
        domains=_SPLIT_DOMAINS.split(values.get("domains", "")),
        country=values.get("country", ""),
        source=values.get("source", ""),
        lifecycle=lifecycle or Lifecycle.PROSPECT,
        tier=values.get("tier", ""),
        owner=owner,
        contact=contact,
        confirm_duplicates=allow_duplicates,
        via="import",
    )
    return account.pk


def _duplicate_row(
    line: int, name: str, exc: DuplicateFound, lines_by_account: dict[int, int]
) -> ImportRow:
    """Name the earlier lines of the file a row repeats by number, other matches safely."""
    row = ImportRow(line, "duplicate", name)
    for match in exc.matches:
        earlier = lines_by_account.get(match.account_id)
        if earlier:
            row.duplicate_of_lines.append(earlier)
        else:
            row.matches.append(match)
    return row


def accounts_import(
    *,
    actor: Actor,
    data: bytes | None = None,
    filename: str = "",
    table: ImportTable | None = None,
    rows: Iterable[Mapping[str, str]] | None = None,
    dry_run: bool = False,
    allow_duplicates: bool = False,
) -> ImportReport:
    """Create one account per row of a file (DATA named FILENAME), a read TABLE, or ROWS.

    ROWS are mappings from header names to values, numbered from line 2 as under a
    header line. Each row becomes an account through account_create, as ACTOR, in its
    own savepoint: a bad row is reported with its line number and reason, the others go
    in. A duplicate (of an earlier line, or of an existing account) is skipped and
    reported, unless ALLOW_DUPLICATES in the "warn" mode. DRY_RUN rolls everything back.
    """
    require(actor, Capability.CREATE_CUSTOMERS)
    if table is None and rows is not None:
        rows = list(rows)
        header = list(dict.fromkeys(k for row in rows for k in row))
        table = ImportTable(
            header=header,
            rows=[
                (n, [str(row.get(h, "") or "") for h in header]) for n, row in enumerate(rows, 2)
            ],
        )
    if table is None:
        table = import_table_read(data or b"", filename)
    positions, ignored = _columns(table.header)
    report = ImportReport(dry_run=dry_run, ignored_columns=ignored)
    owners = _Owners()
    lines_by_account: dict[int, int] = {}
    with transaction.atomic():
        for line, cells in table.rows:
            values = _row_values(cells, positions)
            name = values.get("name", "")
            try:
                with transaction.atomic():
                    account_id = _import_row(actor, values, owners, allow_duplicates)
            except DuplicateFound as exc:
                report.rows.append(_duplicate_row(line, name, exc, lines_by_account))
            except NotAllowed:
                refused = InvalidChange(gettext_noop("you may not give accounts to other users"))
                report.rows.append(ImportRow(line, "error", name, error=refused))
            except UserFixableError as exc:
                report.rows.append(ImportRow(line, "error", name, error=exc))
            else:
                lines_by_account[account_id] = line
                report.rows.append(ImportRow(line, "created", name, account_id=account_id))
        if dry_run:
            transaction.set_rollback(True)
    if dry_run:
        for row in report.rows:
            row.account_id = None
    return report
