"""A realistic company written straight into the database, for the analytics benchmark.

    .venv/bin/python bench/analytics_data.py \\
        --database-url postgres://postgres@127.0.0.1:5432/keyou_bench \\
        --messages 1000000 --accounts 50000 --users 50 [--seed 7]

Creates the database (dropping it first if it exists; only names starting with
``keyou_bench`` are touched), migrates it with ``keyou migrate`` and generates a
Chinese exporter's last twelve months: a team tree (company → 3 regional departments →
2-3 teams, a director, department heads and team leads), accounts with domains,
countries, sources, lifecycles, tiers, tags and owners (some in the public pool),
contacts, threads of 1-12 messages in and out with a working-hours rhythm, their
timeline entries, mailbox copies, addresses and first-response times, deals moving
through the default pipeline, tasks and pool moves. Prints counts and seconds as JSON.

On PostgreSQL the big tables are loaded with COPY in chunks (foreign-key triggers off
for the load: the generator writes consistent ids) and ANALYZEd; on SQLite (small
sizes, and the tests) rows go through ``bulk_create``. The same seed gives the same
data for the same --now. No mail is parsed: every message points at one shared small
raw blob.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import hashlib
import json
import math
import os
import queue
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

OWN_DOMAIN = "keyou-trading.cn"
DAY = 86400.0
WINDOW_DAYS = 365
CHUNK = 50_000

# Departments → teams → (country, weight, UTC offset in hours) of the customers they serve.
REGIONS: dict[str, dict[str, list[tuple[str, float, int]]]] = {
    "Europe": {
        "Western Europe": [("DE", 7, 1), ("GB", 6, 0), ("FR", 4, 1), ("NL", 3, 1), ("BE", 1, 1)],
        "Southern & Eastern Europe": [
            ("IT", 3, 1),
            ("ES", 3, 1),
            ("PL", 2, 1),
            ("RU", 4, 3),
            ("TR", 2, 3),
        ],
    },
    "Americas": {
        "North America": [("US", 14, -5), ("CA", 4, -5)],
        "Latin America": [("BR", 4, -3), ("MX", 3, -6), ("CL", 1.5, -4), ("CO", 1, -5)],
    },
    "Asia, Middle East & Africa": {
        "Middle East & Africa": [
            ("AE", 4, 4),
            ("SA", 3, 3),
            ("EG", 1, 2),
            ("NG", 2, 1),
            ("ZA", 2, 2),
        ],
        "South & Southeast Asia": [
            ("IN", 5, 5),
            ("VN", 3, 7),
            ("TH", 2, 7),
            ("ID", 3, 7),
            ("MY", 2, 8),
            ("PH", 2, 8),
        ],
        "East Asia & Oceania": [("AU", 4, 10), ("JP", 2, 9), ("KR", 2, 9)],
    },
}
TLD = {"GB": "co.uk", "US": "com", "AU": "com.au", "BR": "com.br", "MX": "com.mx", "JP": "co.jp"}
LEGAL = {
    "DE": "GmbH",
    "FR": "SARL",
    "IT": "S.r.l.",
    "ES": "S.L.",
    "NL": "B.V.",
    "BE": "BV",
    "PL": "Sp. z o.o.",
    "GB": "Ltd",
    "US": "Inc.",
    "CA": "Inc.",
    "BR": "Ltda.",
    "MX": "S.A. de C.V.",
    "IN": "Pvt Ltd",
    "JP": "Co., Ltd.",
    "AE": "LLC",
    "SA": "Co.",
    "AU": "Pty Ltd",
}
SOURCES = [
    ("Alibaba.com", 25),
    ("Made-in-China.com", 9),
    ("Website inquiry", 15),
    ("Google Ads", 8),
    ("Canton Fair", 12),
    ("Referral", 8),
    ("LinkedIn", 5),
    ("Cold email", 7),
    ("Global Sources", 5),
    ("Customer list import", 6),
]
LIFECYCLES = [("prospect", 35), ("new", 15), ("active", 25), ("dormant", 18), ("lost", 7)]
TIERS = [("A", 5), ("B", 20), ("C", 45), ("", 30)]
TAGS = [
    "distributor",
    "wholesaler",
    "retailer",
    "OEM",
    "brand owner",
    "importer",
    "e-commerce",
    "VIP",
    "price-sensitive",
    "Canton Fair 2026",
]
PRODUCTS = [
    "LED panel lights",
    "solar street lights",
    "PET bottles",
    "stainless steel hinges",
    "cable ties",
    "cotton T-shirts",
    "ceramic mugs",
    "hydraulic fittings",
    "PV inverters",
    "bamboo cutting boards",
    "power banks",
    "aluminium profiles",
    "folding boxes",
    "garden furniture",
    "USB-C cables",
]
# (template, weight, inquiry): threads a customer starts, then threads we start.
INBOUND_SUBJECTS = [
    ("Inquiry about {p}", 14, True),
    ("RFQ: {p}, {q} pcs", 10, True),
    ("Request for quotation - {p}", 8, True),
    ("询价：{p}", 6, True),
    ("Price list for {p}", 6, True),
    ("Samples of {p}", 5, True),
    ("PO {n} - {p}", 6, False),
    ("Shipment status PO{n}", 5, False),
    ("Quality issue with {p}", 2, False),
    ("Payment for invoice {n}", 4, False),
]
OUTBOUND_SUBJECTS = [
    ("Quotation for {p}", 12, False),
    ("Follow-up: our quotation for {p}", 10, False),
    ("New {p} catalogue 2026", 5, False),
    ("Production update - PO{n}", 5, False),
    ("Shipping documents for PO{n}", 4, False),
    ("Price adjustment notice", 2, False),
    ("Season's greetings from Keyou Trading", 2, False),
]
AUTOMATED = [
    ("Delivery Status Notification (Failure)", "report"),
    ("Your order {n} has been confirmed", "noreply_sender"),
    ("Newsletter: {p} market news", "list_unsubscribe"),
]
FIRST = "Anna Ben Carla David Elena Felix Grace Hugo Irene Jonas Karim Laura Marco Nina Omar Paula Rafael Sara Tom Yuki Ahmed Priya Minh Kenji Lucas Mia Noah Olga Pedro Zara".split()  # noqa: SIM905
LAST = "Schmidt Smith Martin Rossi Garcia Nowak Ivanov Yilmaz Johnson Brown Silva Lopez Rojas Gomez Haddad Okafor Naidoo Sharma Nguyen Wong Tanaka Kim Taylor Dubois Jansen Peeters Kowalski Santos Perez Ali".split()  # noqa: SIM905
NAME_A = "Nord Sun Blue Green Prime Alpha Euro Atlas Delta Star Pacific Royal Metro Apex Golden Silver Ocean Eagle Crown Summit Vista Zenith Orbit Nova Terra Polar Coral Falcon Maple Cedar".split()  # noqa: SIM905
NAME_B = "light home tech trade line source way point field stone bridge gate port hub mark craft works pack tool wave".split()  # noqa: SIM905
NAME_C = "Trading Imports Supplies Distribution Group Solutions Retail Wholesale Industries Sourcing Commerce Partners".split()  # noqa: SIM905
FREE_MAIL = ["gmail.com", "outlook.com", "yahoo.com", "hotmail.com"]
LOST_NOTES = ["", "", "chose a supplier in Vietnam", "price 8% too high", "project cancelled"]
TASK_TITLES = [
    ("follow_up", "Follow up on the quotation"),
    ("follow_up", "Send samples and tracking number"),
    ("reply", "Answer the inquiry"),
    ("service", "Check the shipment documents"),
    ("other", "Prepare the proforma invoice"),
    ("follow_up", "Call about the order"),
    ("greeting", "Send holiday greetings"),
]
# China's public holidays and make-up working days (调休) around the window (approximate).
HOLIDAYS = {
    "2025": {
        "off": ["2025-01-01", *[f"2025-01-{d}" for d in range(28, 32)]]
        + [f"2025-02-0{d}" for d in range(1, 5)]
        + ["2025-04-04", "2025-04-05", "2025-04-06"]
        + [f"2025-05-0{d}" for d in range(1, 6)]
        + ["2025-05-31", "2025-06-01", "2025-06-02"]
        + [f"2025-10-0{d}" for d in range(1, 9)],
        "work": ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
    },
    "2026": {
        "off": ["2026-01-01", "2026-01-02", "2026-01-03"]
        + [f"2026-02-{d}" for d in range(15, 24)]
        + ["2026-04-04", "2026-04-05", "2026-04-06"]
        + [f"2026-05-0{d}" for d in range(1, 6)]
        + ["2026-06-19", "2026-06-20", "2026-06-21"]
        + ["2026-09-25", "2026-09-26", "2026-09-27"]
        + [f"2026-10-0{d}" for d in range(1, 8)],
        "work": ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20"],
    },
    "2027": {"off": ["2027-01-01"], "work": []},
}
SHANGHAI = 8  # UTC offset of the company's working day (no DST in China)


# --- Writing rows ------------------------------------------------------------------------


def _copy_text(value: Any) -> str:
    """Return VALUE in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is str:
        return value.translate(_ESCAPES) if _needs_escape(value) else value
    if kind is bool:
        return "t" if value else "f"
    if kind is int or kind is Decimal or kind is float:
        return str(value)
    if kind is datetime:
        if value is not _LAST_DT[0]:  # a row often holds the same moment twice
            _LAST_DT[:] = [value, value.isoformat()]
        return _LAST_DT[1]
    if kind is date:
        return value.isoformat()
    if kind is list or kind is dict:
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
    raise TypeError(f"no COPY format for {kind.__name__}")


_LAST_DT: list = [None, ""]
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _needs_escape(text: str) -> bool:
    return "\\" in text or "\t" in text or "\n" in text or "\r" in text


class Sink:
    """Rows of one model, given as tuples in COLS order, written in chunks.

    Model fields not in COLS get their default (auto_now ones: NOW), so a field added
    to a model later does not break the generator.
    """

    def __init__(self, writer: Writer, model: Any, cols: Sequence[str]) -> None:
        self.writer, self.model, self.cols = writer, model, list(cols)
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(self.cols) - set(fields)
        if unknown:
            raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
        self.extra: list[tuple[str, Any]] = []
        for name, f in fields.items():
            if name in self.cols:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.extra.append((name, writer.now))
            elif f.has_default() or (f.blank and f.empty_strings_allowed and not f.null):
                self.extra.append((name, f.get_default()))
            elif f.null:
                self.extra.append((name, None))
            else:
                raise ValueError(f"{model.__name__}.{name} needs a value")
        self.rows: list = []
        self.count = 0
        if writer.copy:
            tail = "".join("\t" + _copy_text(v) for _n, v in self.extra)
            self._tail = tail + "\n"

    def add(self, row: tuple) -> None:
        """Queue ROW (values in COLS order); write a chunk when it is full."""
        if self.writer.copy:
            self.rows.append("\t".join([_copy_text(v) for v in row]) + self._tail)
        else:
            self.rows.append(row)
        if len(self.rows) >= self.writer.chunk:
            self.flush()

    def flush(self) -> None:
        """Write the queued rows."""
        if self.rows:
            self.writer.write(self)
            self.count += len(self.rows)
            self.rows = []


class Writer:
    """Write sinks with COPY (PostgreSQL) or bulk_create (anything else)."""

    def __init__(self, *, chunk: int, now: datetime) -> None:
        from django.db import connection

        self.connection = connection
        self.copy = connection.vendor == "postgresql"
        self.chunk = chunk if self.copy else min(chunk, 5000)
        self.now = now
        self.sinks: list[Sink] = []
        self.thread: threading.Thread | None = None
        if self.copy and not connection.in_atomic_block:
            # COPY from a second connection in a thread: PostgreSQL loads one chunk
            # while Python formats the next. Inside a transaction (tests) the rows
            # must go through Django's own connection instead.
            import psycopg

            connection.ensure_connection()
            self.own = psycopg.connect(**connection.get_connection_params())
            self.own.execute("SET session_replication_role = replica")
            self.own.execute("SET synchronous_commit = off")
            self.queue: queue.Queue = queue.Queue(maxsize=4)
            self.failed: BaseException | None = None
            self.thread = threading.Thread(target=self._copier, daemon=True)
            self.thread.start()

    def _copier(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.failed is None:
                try:
                    with self.own.cursor() as cursor, cursor.copy(item[0]) as copy:
                        copy.write(item[1])
                except BaseException as exc:  # re-raised in the generating thread
                    self.failed = exc

    def sink(self, model: Any, cols: Sequence[str]) -> Sink:
        s = Sink(self, model, cols)
        self.sinks.append(s)
        return s

    def write(self, sink: Sink) -> None:
        if self.copy:
            meta = sink.model._meta
            columns = [meta.get_field(n).column for n in sink.cols] + [
                meta.get_field(n).column for n, _v in sink.extra
            ]
            quoted = ", ".join(f'"{c}"' for c in columns)
            sql = f'COPY "{meta.db_table}" ({quoted}) FROM STDIN'
            if self.thread is not None:
                if self.failed is not None:
                    raise self.failed
                self.queue.put((sql, "".join(sink.rows)))
                return
            with self.connection.cursor() as cursor:
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(sql) as copy:
                    copy.write("".join(sink.rows))
            return
        objs = []
        for row in sink.rows:
            values = dict(zip(sink.cols, row, strict=True))
            values.update(sink.extra)
            objs.append(sink.model(**values))
        with _auto_now_off(sink.model):
            sink.model.objects.bulk_create(objs, batch_size=500)

    def close(self) -> dict[str, int]:
        """Write what is left (and commit the COPY connection); return rows per table."""
        for s in self.sinks:
            s.flush()
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            if self.failed is not None:
                self.own.rollback()
                raise self.failed
            self.own.commit()
            self.own.close()
        return {s.model._meta.db_table: s.count for s in self.sinks}


@contextlib.contextmanager
def _auto_now_off(model: Any) -> Iterator[None]:
    """Let bulk_create keep the generated created_at/updated_at values."""
    saved = []
    for f in model._meta.concrete_fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            saved.append((f, f.auto_now, f.auto_now_add))
            f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, add in saved:
            f.auto_now, f.auto_now_add = now, add


# --- Time -----------------------------------------------------------------------------------


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(round(ts), UTC)


class Rhythm:
    """Working-hour moments: a day's activity by local hour, fewer at weekends and holidays."""

    # Weight of each local hour 0..23 for office mail.
    HOURS = [
        0.2,
        0.1,
        0.05,
        0.05,
        0.05,
        0.1,
        0.3,
        1,
        3,
        8,
        10,
        9,
        5,
        6,
        9,
        9,
        8,
        6,
        3,
        2,
        1.5,
        1.2,
        1,
        0.5,
    ]

    def __init__(self, rng: random.Random, off: set[date]) -> None:
        self.rng = rng
        self.off_days = {(d - date(1970, 1, 1)).days for d in off}
        total, acc = sum(self.HOURS), 0.0
        self.cum = []
        for w in self.HOURS:
            acc += w / total
            self.cum.append(acc)

    def _minute(self) -> float:
        r = self.rng.random()
        hour = min(23, bisect.bisect_left(self.cum, r))
        return hour * 3600 + self.rng.random() * 3600

    def place(self, ts: float, offset: int, *, china: bool = False, forward: bool = False) -> float:
        """Return a working-hours moment on TS's local day (or, with FORWARD, at or after TS)."""
        local = ts + offset * 3600
        day = int(local // DAY)
        for _ in range(30):
            weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
            skip = weekday >= 5 and self.rng.random() < 0.85
            if china and day in self.off_days and self.rng.random() < 0.9:
                skip = True
            if not skip:
                moment = day * DAY + self._minute()
                if not forward or moment >= local:
                    return moment - offset * 3600
                if local - day * DAY < 17 * 3600 and self.rng.random() < 0.7:
                    return local - offset * 3600 + self.rng.random() * 1800
            day += 1
        return ts


# --- The company ----------------------------------------------------------------------------


@dataclass
class Person:
    pk: int
    email: str
    team_id: int
    mailbox_id: int = 0
    lead_pk: int = 0  # the team lead (cc'd now and then)


@dataclass
class Acc:
    pk: int
    team_id: int
    owner: Person | None  # the owner during the window (None: claimed from the pool)
    prev: Person | None = None  # the owner before TRANSFER
    transfer: float = 0.0
    offset: int = 0
    created: float = 0.0
    pooled: float = 0.0  # in the pool since (0: owned)
    name: str = ""
    source: str = ""
    emails: list[str] = field(default_factory=list)
    contacts: list[int] = field(default_factory=list)
    first_contact: float = 0.0
    last_in: float = 0.0
    last_out: float = 0.0
    inquiries: list[tuple[int, float]] = field(default_factory=list)  # (thread id, first_at)

    def owner_at(self, ts: float) -> Person:
        if self.prev is not None and ts < self.transfer:
            return self.prev
        return self.owner or self.prev  # type: ignore[return-value]


def _pick(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _next_ids(*models: Any) -> dict[Any, int]:
    from django.db.models import Max

    return {m: (m.objects.aggregate(m=Max("pk"))["m"] or 0) + 1 for m in models}


def _people(users: int) -> dict[str, Any]:
    """Create the team tree, users, mailboxes, calendar, pipeline, rates and policies."""
    from keyou.automation.models import BusinessCalendar
    from keyou.deals.money import rate_set
    from keyou.deals.pipelines import pipeline_default_install
    from keyou.mail.models import Mailbox, MailboxKind
    from keyou.people.access import SYSTEM
    from keyou.people.models import Organization, Team
    from keyou.people.services import organization_set, team_ensure, user_add
    from keyou.pool.models import PoolPolicy, ReclaimTrigger

    if users < 8:
        raise SystemExit("--users must be at least 8")
    organization_set(name="Keyou Trading", domains=[OWN_DOMAIN], time_zone="Asia/Shanghai")
    Organization.objects.filter(pk=1).update(currency="CNY")
    root = team_ensure(name="Keyou Trading")
    big = users >= 24
    admin = user_add(username="admin", email=f"admin@{OWN_DOMAIN}", role="admin")
    director = user_add(
        username="director", email=f"director@{OWN_DOMAIN}", team=root.name, role="director"
    )
    root.manager = director
    root.save(update_fields=["manager"])
    teams: list[tuple[Team, list[tuple[str, float, int]]]] = []
    for dept_i, (dept, subteams) in enumerate(REGIONS.items()):
        dept_team = team_ensure(name=dept, parent=root.name)
        items = list(subteams.items())
        if not big:  # a small company: one team per department, its lead heads both
            merged = [c for _name, cs in items for c in cs]
            items = [(f"{dept} sales", merged)]
        else:
            head = user_add(
                username=f"head{dept_i + 1}",
                email=f"head{dept_i + 1}@{OWN_DOMAIN}",
                team=dept,
                role="team_lead",
                first_name=FIRST[dept_i],
                last_name="Head",
            )
            dept_team.manager = head
            dept_team.save(update_fields=["manager"])
        for name, countries in items:
            teams.append((team_ensure(name=name, parent=dept), countries))
    leads = len(teams)
    sellers_left = users - 2 - (3 if big else 0) - leads
    if sellers_left < len(teams):
        raise SystemExit(f"--users {users} is too few for {len(teams)} teams")
    people: dict[int, list[Person]] = {}
    everyone: list[Person] = []
    n = 0
    for i, (team, _c) in enumerate(teams):
        count = 1 + sellers_left // len(teams) + (1 if i < sellers_left % len(teams) else 0)
        members = []
        for j in range(count):
            n += 1
            username = f"lead{i + 1}" if j == 0 else f"sales{n}"
            user = user_add(
                username=username,
                email=f"{username}@{OWN_DOMAIN}",
                team=team.name,
                role="team_lead" if j == 0 else "salesperson",
                first_name=FIRST[n % len(FIRST)],
                last_name=LAST[(n * 7) % len(LAST)],
            )
            members.append(Person(pk=user.pk, email=user.email, team_id=team.pk))
        lead = members[0]
        team.manager_id = lead.pk
        team.save(update_fields=["manager"])
        if not big:
            Team.objects.filter(pk=team.parent_id).update(manager_id=lead.pk)
        for p in members:
            p.lead_pk = lead.pk
        people[team.pk] = members
        everyone += members
    for p in everyone:
        box = Mailbox.objects.create(
            address=p.email, name=p.email, kind=MailboxKind.PERSONAL, team_id=p.team_id
        )
        box.owners.add(p.pk)
        p.mailbox_id = box.pk
    shared = Mailbox.objects.create(
        address=f"sales@{OWN_DOMAIN}", name="Sales", kind=MailboxKind.SHARED, team=root
    )
    shared.owners.add(*[p.pk for p in everyone if p.pk == p.lead_pk])
    BusinessCalendar.objects.update_or_create(
        team=None,
        defaults={"name": "China office", "time_zone": "Asia/Shanghai", "holidays": HOLIDAYS},
    )
    pipeline = pipeline_default_install()
    policy = PoolPolicy.objects.create(
        name="No follow-up in 15 days", trigger=ReclaimTrigger.NO_FOLLOW_UP, after_hours=360
    )
    return {
        "admin": admin,
        "director": director,
        "teams": teams,
        "people": people,
        "everyone": everyone,
        "shared_mailbox": shared.pk,
        "pipeline": pipeline,
        "policy": policy,
        "rate_set": lambda cur, rate, day: rate_set(
            actor=SYSTEM, currency=cur, rate=rate, valid_from=day
        ),
    }


# --- The generator --------------------------------------------------------------------------


def generate(
    *,
    messages: int,
    accounts: int,
    users: int,
    seed: int = 7,
    now: datetime | None = None,
    deals: int | None = None,
    chunk: int = CHUNK,
    log: Callable[[str], None] = lambda _s: None,
) -> dict[str, Any]:
    """Write the benchmark company into the default database; return counts and seconds.

    The database must be migrated and hold no customer data. NOW (default: today 00:00
    UTC) ends the twelve-month window; DEALS defaults to 16% of ACCOUNTS.
    """
    from django.db import connection, transaction

    started = time.perf_counter()
    now = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    deals = round(accounts * 0.16) if deals is None else deals
    rng = random.Random(seed)
    with transaction.atomic():
        setup = _people(users)
    writer = Writer(chunk=chunk, now=now)
    gen = _Generator(writer, setup, rng, now)
    gen.log = log
    if writer.copy:
        with connection.cursor() as cursor:
            # The generator writes consistent ids; skip per-row foreign-key triggers.
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("SET synchronous_commit = off")
    timings = {}
    try:
        with transaction.atomic():
            t = time.perf_counter()
            gen.accounts_plan(accounts)
            timings["plan"] = time.perf_counter() - t
            t = time.perf_counter()
            gen.mail(messages)
            timings["mail"] = time.perf_counter() - t
            log(f"mail written in {timings['mail']:.1f}s")
            t = time.perf_counter()
            gen.accounts_write()
            gen.deals(deals)
            gen.tasks(round(accounts * 0.6))
            gen.pool_moves()
            counts = writer.close()
            timings["rest"] = time.perf_counter() - t
    finally:
        if writer.copy:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
    t = time.perf_counter()
    _finish(writer)
    timings["finish"] = time.perf_counter() - t
    return {
        "database": connection.vendor,
        "rows": counts,
        "seconds": round(time.perf_counter() - started, 1),
        "phases": {k: round(v, 1) for k, v in timings.items()},
        "seed": seed,
        "now": now.isoformat(),
    }


def _finish(writer: Writer) -> None:
    """Move the id sequences past the written ids; ANALYZE (PostgreSQL)."""
    from django.core.management.color import no_style
    from django.db import connection

    if not writer.copy:
        return
    models = sorted({s.model for s in writer.sinks}, key=lambda m: m._meta.db_table)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
        cursor.execute("ANALYZE")


class _Generator:
    def __init__(self, writer: Writer, setup: dict, rng: random.Random, now: datetime) -> None:
        from keyou.automation.sla import working_time_for_team

        self.w, self.s, self.rng = writer, setup, rng
        self.now_dt = now
        self.now = now.timestamp()
        self.start = self.now - WINDOW_DAYS * DAY
        self.hours = working_time_for_team(None)
        self.rhythm = Rhythm(rng, set(self.hours.off))
        self.accs: list[Acc] = []
        self.blob = _shared_blob()

    # --- accounts -----------------------------------------------------------------------

    def accounts_plan(self, n: int) -> None:
        """Decide each account: team, owner, dates; contacts are written here."""
        from keyou.crm.models import Account, Contact, ContactEmail

        rng = self.rng
        self.ids = _next_ids(Account, Contact, ContactEmail)
        regions = []  # (team id, country, offset, weight)
        for team, countries in self.s["teams"]:
            regions += [(team.pk, c, off, w) for c, w, off in countries]
        weights = [r[3] for r in regions]
        lifecycles = rng.choices([v for v, _w in LIFECYCLES], [w for _v, w in LIFECYCLES], k=n)
        tiers = rng.choices([v for v, _w in TIERS], [w for _v, w in TIERS], k=n)
        picks = rng.choices(regions, weights=weights, k=n)
        sources = rng.choices([s for s, _w in SOURCES], [w for _s, w in SOURCES], k=n)
        contact_sink = self.w.sink(
            Contact, ["id", "account_id", "owner_id", "team_id", "name", "title", "created_at"]
        )
        email_sink = self.w.sink(ContactEmail, ["id", "contact_id", "email", "is_primary"])
        self.names: list[tuple] = []
        domains: set[str] = set()
        act_weights = []
        cid, eid = self.ids[Contact], self.ids[ContactEmail]
        for i in range(n):
            team_id, country, offset, _w = picks[i]
            members = self.s["people"][team_id]
            # Leads hold fewer accounts than their salespeople.
            owner = members[0] if rng.random() < 0.4 / len(members) else rng.choice(members)
            pk = self.ids[Account] + i
            acc = Acc(pk=pk, team_id=team_id, owner=owner, offset=offset)
            if rng.random() < 0.35:
                acc.created = self.start - rng.uniform(10, 3 * 365) * DAY
            else:
                acc.created = rng.uniform(self.start, self.now - DAY)
            acc.created = min(self.rhythm.place(acc.created, SHANGHAI, china=True), self.now - 7200)
            if rng.random() < 0.15:  # changed hands in the window (pool or reassignment)
                acc.transfer = rng.uniform(max(acc.created, self.start), self.now - 2 * DAY)
                others = [p for p in members if p is not owner] or members
                acc.prev = rng.choice(others) if rng.random() < 0.7 else None
                if acc.prev is None:  # a lead from the pool, claimed soon after it came in
                    acc.transfer = max(acc.created, self.start) + rng.uniform(0.1, 5) * DAY
            lifecycle, tier = lifecycles[i], tiers[i]
            if rng.random() < 0.08 and lifecycle in ("prospect", "dormant", "lost", "new"):
                earliest = max(acc.created, self.start) + 40 * DAY
                if earliest < self.now - 2 * DAY:
                    acc.pooled = rng.uniform(earliest, self.now - DAY)
                    acc.prev, acc.owner, acc.transfer = owner, None, 0.0
            is_person = rng.random() < 0.07
            a, b, c = rng.choice(NAME_A), rng.choice(NAME_B), rng.choice(NAME_C)
            if is_person:
                first, last = rng.choice(FIRST), rng.choice(LAST)
                name, domain = f"{first} {last}", ""
            else:
                name = f"{a}{b} {c} {LEGAL.get(country, 'Ltd')}"
                base = f"{a}{b}{'' if rng.random() < 0.6 else '-' + c}".lower()
                domain = f"{base}.{TLD.get(country, country.lower())}"
                k = 2
                while domain in domains:
                    domain = f"{base}{k}.{TLD.get(country, country.lower())}"
                    k += 1
                domains.add(domain)
            acc.name, acc.source = name, sources[i]
            self.names.append((name, country, lifecycle, tier, is_person, domain))
            n_contacts = 1 if is_person else 1 + min(5, int(rng.expovariate(1.25)))
            owner_now = acc.owner
            for j in range(n_contacts):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                if is_person:
                    email = f"{first}.{last}{pk}@{rng.choice(FREE_MAIL)}".lower()
                    first, last = name.split(" ", 1)
                else:
                    email = f"{first}.{last}{j or ''}@{domain}".lower()
                contact_sink.add(
                    (
                        cid,
                        pk,
                        owner_now.pk if owner_now else None,
                        team_id,
                        f"{first} {last}",
                        rng.choice(["", "Purchasing Manager", "Buyer", "CEO", "Sourcing Lead"]),
                        _dt(acc.created),
                    )
                )
                email_sink.add((eid, cid, email, True))
                acc.emails.append(email)
                acc.contacts.append(cid)
                cid += 1
                eid += 1
            weight = {"active": 5, "new": 3, "dormant": 1.2, "prospect": 0.8, "lost": 0.6}
            tier_w = {"A": 4, "B": 2, "C": 1, "": 0.7}
            act_weights.append(weight[lifecycle] * tier_w[tier] * math.exp(rng.gauss(0, 0.8)))
            self.accs.append(acc)
        total = 0.0
        self.cum = []
        for w in act_weights:
            total += w
            self.cum.append(total)

    def accounts_write(self) -> None:
        """Write the accounts (with their mail dates), domains and tags."""
        from keyou.crm.company_names import company_key
        from keyou.crm.models import Account, AccountDomain, Tag

        rng = self.rng
        sink = self.w.sink(
            Account,
            [
                "id",
                "owner_id",
                "team_id",
                "name",
                "country",
                "source",
                "lifecycle",
                "is_person",
                "tier",
                "pooled_at",
                "assigned_at",
                "protected_until",
                "name_key",
                "first_contact_at",
                "last_inbound_at",
                "last_outbound_at",
                "created_at",
                "updated_at",
            ],
        )
        domain_sink = self.w.sink(AccountDomain, ["id", "account_id", "domain"])
        tags = [Tag.objects.get_or_create(name=t)[0].pk for t in TAGS]
        through = Account.tags.through
        tag_sink = self.w.sink(through, ["id", "account_id", "tag_id"])
        ids = _next_ids(AccountDomain, through)
        did, tid = ids[AccountDomain], ids[through]
        for acc, (name, country, lifecycle, tier, is_person, domain) in zip(
            self.accs, self.names, strict=True
        ):
            owner = acc.owner
            assigned = acc.transfer if acc.transfer else acc.created
            last = max(acc.last_in, acc.last_out, acc.created)
            sink.add(
                (
                    acc.pk,
                    owner.pk if owner else None,
                    acc.team_id,
                    name,
                    country,
                    acc.source,
                    lifecycle,
                    is_person,
                    tier,
                    _dt(acc.pooled) if acc.pooled else None,
                    _dt(assigned) if owner else None,
                    None,
                    company_key(name),
                    _dt(acc.first_contact) if acc.first_contact else None,
                    _dt(acc.last_in) if acc.last_in else None,
                    _dt(acc.last_out) if acc.last_out else None,
                    _dt(acc.created),
                    _dt(max(last, acc.pooled)),
                )
            )
            if domain:
                domain_sink.add((did, acc.pk, domain))
                did += 1
            for tag in rng.sample(tags, min(len(tags), int(rng.expovariate(1.2)))):
                tag_sink.add((tid, acc.pk, tag))
                tid += 1

    # --- mail -------------------------------------------------------------------------------

    def mail(self, total: int) -> None:
        """Write TOTAL messages in threads with their timeline, copies and reply times."""
        from keyou.automation.models import ResponseTime
        from keyou.crm.models import Activity
        from keyou.mail.models import MailboxCopy, Message, MessageAddress, Thread

        w = self.w
        first = _next_ids(Thread, Message, Activity, MailboxCopy, MessageAddress, ResponseTime)
        self.next = {
            "thread": first[Thread],
            "message": first[Message],
            "activity": first[Activity],
            "copy": first[MailboxCopy],
            "address": first[MessageAddress],
            "response": first[ResponseTime],
        }
        self.thread_sink = w.sink(
            Thread,
            [
                "id",
                "subject",
                "normalized_subject",
                "participants",
                "first_at",
                "last_at",
                "message_count",
                "last_inbound_at",
                "last_outbound_at",
                "awaiting_since",
                "reply_due_at",
                "is_inquiry",
                "account_id",
                "is_private",
            ],
        )
        self.message_sink = w.sink(
            Message,
            [
                "id",
                "dedupe_key",
                "message_id",
                "content_hash",
                "raw_sha256",
                "size",
                "subject",
                "sent_at",
                "date_source",
                "from_email",
                "from_name",
                "direction",
                "in_reply_to",
                "references",
                "text_body",
                "visible_text",
                "snippet",
                "is_automated",
                "automated_reason",
                "thread_id",
                "created_at",
            ],
        )
        self.activity_sink = w.sink(
            Activity,
            [
                "id",
                "owner_id",
                "team_id",
                "kind",
                "account_id",
                "occurred_at",
                "message_id",
                "thread_id",
                "data",
                "created_at",
            ],
        )
        self.copy_sink = w.sink(
            MailboxCopy,
            [
                "id",
                "mailbox_id",
                "message_id",
                "folder",
                "uidvalidity",
                "uid",
                "flags",
                "created_at",
            ],
        )
        self.address_sink = w.sink(
            MessageAddress, ["id", "message_id", "role", "name", "email", "is_internal", "position"]
        )
        self.response_sink = w.sink(
            ResponseTime,
            [
                "id",
                "message_id",
                "thread_id",
                "account_id",
                "reply_id",
                "responder_id",
                "received_at",
                "responded_at",
                "minutes",
                "working_minutes",
            ],
        )
        self.uids: dict[tuple[int, str], int] = {}
        self.subject_keys: dict[str, str] = {}
        self.written = 0
        rng = self.rng
        lengths = list(range(1, 13))
        length_w = [30, 22, 14, 10, 7, 5, 4, 3, 2, 1.5, 1, 0.5]
        n_acc = len(self.accs)
        logged = 0
        while self.written < total:
            batch = rng.choices(range(n_acc), cum_weights=self.cum, k=2000)
            sizes = rng.choices(lengths, length_w, k=2000)
            for idx, size in zip(batch, sizes, strict=True):
                if self.written >= total:
                    break
                self._thread(self.accs[idx], size, total - self.written)
                if self.written >= logged + 100_000:
                    logged = self.written
                    self.log(f"{self.written:,} messages")

    def _subject(self, templates: Sequence[tuple[str, float, bool]]) -> tuple[str, bool]:
        rng = self.rng
        template, _w, inquiry = rng.choices(templates, [t[1] for t in templates])[0]
        text = template.format(
            p=rng.choice(PRODUCTS), q=rng.choice([500, 1000, 2000, 5000]), n=rng.randint(1000, 9999)
        )
        return text, inquiry

    def _thread(self, acc: Acc, size: int, room: int) -> None:
        """Write one thread of about SIZE messages (never more than ROOM) on ACC."""
        rng = self.rng
        # Mail stops 15 days before a reclaim: that silence is why it was reclaimed.
        now = (acc.pooled - 15 * DAY) if acc.pooled else self.now
        lo = max(self.start, acc.created)
        hi = now - 600
        if hi <= lo:  # no room before the reclaim: mail from before the window
            lo, hi = acc.created - 30 * DAY, acc.created
        t0 = rng.uniform(lo, hi)
        # (time, inbound, automated, reason)
        msgs: list[tuple[float, bool, bool, str]] = []
        if rng.random() < 0.03:  # a notification: one automated message
            subject, reason = rng.choice(AUTOMATED)
            subject = subject.format(p=rng.choice(PRODUCTS), n=rng.randint(10000, 99999))
            t = self.rhythm.place(t0, acc.offset)
            msgs.append((t if t < now else t0, True, True, reason))
            inquiry = False
        else:
            inbound = rng.random() < 0.6
            subject, inquiry = self._subject(INBOUND_SUBJECTS if inbound else OUTBOUND_SUBJECTS)
            t = self.rhythm.place(t0, acc.offset if inbound else SHANGHAI, china=not inbound)
            msgs.append((t if t < now else t0, inbound, False, ""))
            size = min(size, room)
            for _ in range(size - 1):
                prev_t, prev_in = msgs[-1][0], msgs[-1][1]
                inbound = (not prev_in) if rng.random() < 0.85 else prev_in
                if inbound and not prev_in and rng.random() < 0.05:  # out-of-office
                    msgs.append((prev_t + rng.uniform(1, 90) * 60, True, True, "auto_submitted"))
                    continue
                t = self._after(acc, prev_t, prev_in, inbound)
                if t >= now:
                    break
                msgs.append((t, inbound, False, ""))
            last_real = next((m for m in reversed(msgs) if not m[2]), None)
            if (
                last_real is not None
                and last_real[1]
                and rng.random() < (0.96 if last_real[0] < now - 3 * DAY else 0.75)
                and len(msgs) < room
            ):
                t = self._after(acc, last_real[0], True, False)
                if t < now:
                    msgs.append((t, False, False, ""))
        self._write_thread(acc, subject, inquiry, [m for m in msgs if m[0] < now])

    def _after(self, acc: Acc, prev_t: float, prev_in: bool, inbound: bool) -> float:
        """Return when the next message goes: our reply, their reply, or a follow-up."""
        rng = self.rng
        if prev_in and not inbound:  # we answer, in working minutes
            if rng.random() < 0.1:  # from the phone, evenings included
                return prev_t + rng.lognormvariate(math.log(45), 1.2) * 60
            minutes = max(1, min(6000, int(rng.lognormvariate(math.log(75), 1.3))))
            return self.hours.add(_dt(prev_t), minutes).timestamp() + rng.uniform(0, 59)
        if not prev_in and inbound:  # the customer answers
            t = prev_t + rng.lognormvariate(math.log(18 * 3600), 1.0)
            return self.rhythm.place(t, acc.offset, forward=True)
        gap = rng.uniform(2, 9) * DAY if not inbound else rng.uniform(1, 4) * DAY
        offset = acc.offset if inbound else SHANGHAI
        return self.rhythm.place(prev_t + gap, offset, china=not inbound)

    def _write_thread(
        self, acc: Acc, subject: str, inquiry: bool, msgs: list[tuple[float, bool, bool, str]]
    ) -> None:
        from keyou.mail.parse.headers import normalize_subject

        rng = self.rng
        msgs.sort(key=lambda m: m[0])
        thread_id = self._id("thread")
        key = self.subject_keys.get(subject)
        if key is None:
            key = self.subject_keys[subject] = normalize_subject(subject)[:255]
        chinese = subject.startswith("询价")
        contact = rng.randrange(len(acc.emails))
        customer = acc.emails[contact]
        team_id = acc.team_id
        owner_id = acc.owner.pk if acc.owner else None
        first_in = msgs[0][1] and not msgs[0][2]
        shared = self.s["shared_mailbox"]
        mids: list[str] = []
        last_in = last_out = 0.0
        pending: list[tuple[int, float]] = []
        awaiting = 0.0
        for pos, (t, inbound, automated, reason) in enumerate(msgs):
            mpk = self._id("message")
            self.written += 1
            sender = acc.owner_at(t)
            if automated and pos == 0:
                from_email = f"noreply@{customer.split('@')[1]}"
            else:
                from_email = customer if inbound else sender.email
            if pos == 0:
                subj = subject
            elif automated:
                subj = f"Automatic reply: {subject}"
            else:
                subj = ("回复：" if chinese else rng.choice(["Re: ", "Re: ", "RE: "])) + subject
            mid = f"{mpk:x}.{rng.getrandbits(40):x}@{from_email.split('@')[1]}"
            sent = _dt(t)
            body = _body(rng, inbound, subj)
            digest = hashlib.sha256(f"{from_email}\n{sent}\n{key}\n{body}".encode()).hexdigest()
            self.message_sink.add(
                (
                    mpk,
                    f"mid:{mid}",
                    mid,
                    digest,
                    self.blob[0],
                    self.blob[1],
                    subj,
                    sent,
                    "header",
                    from_email,
                    "",
                    "inbound" if inbound else "outbound",
                    mids[-1:],
                    mids[-3:],
                    body,
                    body,
                    body[:120],
                    automated,
                    reason,
                    thread_id,
                    sent,
                )
            )
            mids.append(mid)
            self.activity_sink.add(
                (
                    self._id("activity"),
                    owner_id,
                    team_id,
                    "email",
                    acc.pk,
                    sent,
                    mpk,
                    thread_id,
                    {
                        "direction": "inbound" if inbound else "outbound",
                        "subject": subj[:300],
                        "automated": automated,
                    },
                    sent,
                )
            )
            ours = sender.email
            self._address(mpk, "from", from_email, not inbound)
            self._address(mpk, "to", ours if inbound else customer, inbound)
            if inbound:
                if pos == 0 and first_in and inquiry:
                    self._copy(shared, mpk, "INBOX", sent)
                    if rng.random() < 0.5:
                        self._copy(sender.mailbox_id, mpk, "INBOX", sent)
                else:
                    self._copy(sender.mailbox_id, mpk, "INBOX", sent)
            else:
                self._copy(sender.mailbox_id, mpk, "Sent", sent)
                if rng.random() < 0.08 and sender.lead_pk != sender.pk:
                    lead = self.s["people"][sender.team_id][0]
                    self._copy(lead.mailbox_id, mpk, "INBOX", sent)
            if automated:
                continue
            if inbound:
                last_in = t
                pending.append((mpk, t))
                if not awaiting:
                    awaiting = t
                acc.last_in = max(acc.last_in, t)
            else:
                last_out = t
                awaiting = 0.0
                acc.last_out = max(acc.last_out, t)
                for in_pk, in_t in pending:
                    self._response(in_pk, in_t, mpk, t, thread_id, acc.pk, sender.pk)
                pending = []
            if not acc.first_contact or t < acc.first_contact:
                acc.first_contact = t
        due = None
        if awaiting:
            cal = 30 if inquiry else 240
            due = self.hours.add(_dt(awaiting), cal)
        if first_in and inquiry:
            acc.inquiries.append((thread_id, msgs[0][0]))
        self.thread_sink.add(
            (
                thread_id,
                subject,
                key,
                [customer] if not msgs[0][2] else [f"noreply@{customer.split('@')[1]}"],
                _dt(msgs[0][0]),
                _dt(msgs[-1][0]),
                len(msgs),
                _dt(last_in) if last_in else None,
                _dt(last_out) if last_out else None,
                _dt(awaiting) if awaiting else None,
                due,
                bool(first_in and inquiry),
                acc.pk,
                False,
            )
        )

    def _id(self, kind: str) -> int:
        pk = self.next[kind]
        self.next[kind] = pk + 1
        return pk

    def _address(self, mpk: int, role: str, email: str, internal: bool) -> None:
        self.address_sink.add((self._id("address"), mpk, role, "", email, internal, 0))

    def _copy(self, mailbox_id: int, mpk: int, folder: str, at: datetime) -> None:
        key = (mailbox_id, folder)
        uid = self.uids[key] = self.uids.get(key, 0) + 1
        self.copy_sink.add((self._id("copy"), mailbox_id, mpk, folder, 1, uid, ["\\Seen"], at))

    def _response(
        self, in_pk: int, in_t: float, out_pk: int, out_t: float, thread: int, acc: int, who: int
    ) -> None:
        received, responded = _dt(in_t), _dt(out_t)
        self.response_sink.add(
            (
                self._id("response"),
                in_pk,
                thread,
                acc,
                out_pk,
                who,
                received,
                responded,
                int((responded - received).total_seconds() // 60),
                self.hours.minutes_between(received, responded),
            )
        )

    # --- deals, tasks, the pool ---------------------------------------------------------

    def deals(self, n: int) -> None:
        """Write N deals from inquiry threads, with their stage history."""
        from keyou.deals.models import Deal, LostReason, StageChange, StageKind

        rng, now = self.rng, self.now
        stages = list(self.s["pipeline"].stages.order_by("position", "id"))
        open_stages = [s for s in stages if s.kind == StageKind.OPEN]
        won = next(s for s in stages if s.kind == StageKind.WON)
        lost = next(s for s in stages if s.kind == StageKind.LOST)
        reasons = list(LostReason.objects.values_list("pk", flat=True))
        reason_w = [35, 15, 10, 20, 8, 25][: len(reasons)] + [5] * max(0, len(reasons) - 6)
        day0 = _dt(self.start).date() - timedelta(days=31)
        for month in range(15):
            day = day0 + timedelta(days=31 * month)
            self.s["rate_set"]("USD", Decimal("7.10") + Decimal(rng.randint(-15, 15)) / 100, day)
            self.s["rate_set"]("EUR", Decimal("7.75") + Decimal(rng.randint(-25, 25)) / 100, day)
        candidates = [(acc, th, t) for acc in self.accs for th, t in acc.inquiries if t < now - DAY]
        rng.shuffle(candidates)
        if len(candidates) < n:  # fewer inquiries than deals: some deals start without one
            extra = [
                (acc, None, rng.uniform(max(self.start, acc.created), now - DAY))
                for acc in rng.choices(self.accs, k=n - len(candidates))
            ]
            candidates += extra
        deal_sink = self.w.sink(
            Deal,
            [
                "id",
                "owner_id",
                "team_id",
                "title",
                "account_id",
                "pipeline_id",
                "stage_id",
                "status",
                "amount",
                "currency",
                "expected_close",
                "source",
                "lost_reason_id",
                "lost_note",
                "stage_entered_at",
                "closed_at",
                "thread_id",
                "created_by_id",
                "created_at",
                "updated_at",
            ],
        )
        change_sink = self.w.sink(
            StageChange, ["id", "deal_id", "from_stage_id", "to_stage_id", "actor_id", "at"]
        )
        ids = _next_ids(Deal, StageChange)
        deal_id, change_id = ids[Deal], ids[StageChange]
        advance = [0.8, 0.8, 0.75, 0.7, 0.8, 0.9, 0.95]
        self.deal_rows: list[tuple[int, int, float]] = []
        for acc, thread_id, t in candidates[:n]:
            created = t + rng.uniform(0.02, 4) * DAY
            if created >= now:
                created = now - rng.uniform(0.1, 0.9) * DAY
            owner = acc.owner_at(created)
            i = 0 if rng.random() < 0.8 else rng.choice([1, 2, 3])
            path = [(open_stages[i], created)]
            at = created
            status = "open"
            while True:
                stay = rng.lognormvariate(math.log(6 + 2 * i), 0.8) * DAY
                if at + stay >= now:
                    break
                at += stay
                r = rng.random()
                if r > advance[min(i, len(advance) - 1)]:
                    if rng.random() < 0.6:
                        path.append((lost, at))
                        status = "lost"
                    break
                step = 2 if rng.random() < 0.12 else 1
                i = min(i + step, len(open_stages))
                if i >= len(open_stages):
                    path.append((won, at))
                    status = "won"
                    break
                path.append((open_stages[i], at))
            stage, entered = path[-1]
            currency = _pick(rng, [("USD", 65), ("EUR", 20), ("CNY", 15)])
            usd = rng.lognormvariate(math.log(18000), 1.0)
            amount = usd * {"USD": 1, "EUR": 0.92, "CNY": 7.1}[currency]
            has_money = stage.position >= 3 or rng.random() < 0.5
            deal_sink.add(
                (
                    deal_id,
                    owner.pk,
                    acc.team_id,
                    f"{rng.choice(PRODUCTS).capitalize()} for {acc.name}"[:300],
                    acc.pk,
                    self.s["pipeline"].pk,
                    stage.pk,
                    status,
                    Decimal(f"{amount:.2f}") if has_money else None,
                    currency if has_money else "",
                    (_dt(created).date() + timedelta(days=rng.randint(20, 150)))
                    if has_money or stage.position >= 4
                    else None,
                    acc.source,
                    rng.choices(reasons, reason_w)[0] if status == "lost" else None,
                    rng.choice(LOST_NOTES) if status == "lost" else "",
                    _dt(entered),
                    _dt(entered) if status != "open" else None,
                    thread_id,
                    owner.pk,
                    _dt(created),
                    _dt(entered),
                )
            )
            previous = None
            for stage_obj, when in path:
                change_sink.add(
                    (change_id, deal_id, previous, stage_obj.pk, acc.owner_at(when).pk, _dt(when))
                )
                previous = stage_obj.pk
                change_id += 1
            self.deal_rows.append((deal_id, acc.pk, created))
            deal_id += 1

    def tasks(self, n: int) -> None:
        """Write N tasks: done, cancelled, open and overdue."""
        from keyou.crm.models import Task

        rng, now = self.rng, self.now
        sink = self.w.sink(
            Task,
            [
                "id",
                "owner_id",
                "team_id",
                "title",
                "kind",
                "status",
                "due_at",
                "assignee_id",
                "account_id",
                "deal_id",
                "created_by_id",
                "completed_at",
                "created_at",
            ],
        )
        pk = _next_ids(Task)[Task]
        deals_by_acc = {a: d for d, a, _c in self.deal_rows}
        picks = rng.choices(self.accs, cum_weights=self.cum, k=n)
        for acc in picks:
            created = rng.uniform(max(self.start, acc.created), now - 3600)
            due = created + rng.uniform(0.2, 14) * DAY
            holder = acc.owner_at(created)
            if acc.owner is None:
                status = "done" if rng.random() < 0.8 else "cancelled"
            elif due < now:
                r = rng.random()
                status = "done" if r < 0.85 else "cancelled" if r < 0.9 else "open"
            else:
                status = "open" if rng.random() < 0.9 else "done"
            done_at = None
            if status == "done":
                done_at = min(now - 60, due + rng.uniform(-3, 1) * DAY)
                done_at = max(done_at, created + 60)
            kind, title = rng.choice(TASK_TITLES)
            sink.add(
                (
                    pk,
                    acc.owner.pk if acc.owner else None,
                    acc.team_id,
                    title,
                    kind,
                    status,
                    _dt(self.rhythm.place(due, SHANGHAI)),
                    holder.pk,
                    acc.pk,
                    deals_by_acc.get(acc.pk) if rng.random() < 0.3 else None,
                    holder.pk,
                    _dt(done_at) if done_at else None,
                    _dt(created),
                )
            )
            pk += 1

    def pool_moves(self) -> None:
        """Write the pool ledger: reclaims of the accounts in the pool, claims, redistribution."""
        from keyou.pool.models import PoolMove

        rng = self.rng
        sink = self.w.sink(
            PoolMove,
            [
                "id",
                "account_id",
                "kind",
                "user_id",
                "actor_id",
                "policy_id",
                "at",
                "due_at",
                "data",
            ],
        )  # noqa: E501
        pk = _next_ids(PoolMove)[PoolMove]
        policy = self.s["policy"].pk
        director = self.s["director"].pk

        def move(acc, kind, user, actor, at, *, with_policy=False, due=None, data=None):
            nonlocal pk
            sink.add(
                (
                    pk,
                    acc.pk,
                    kind,
                    user,
                    actor,
                    policy if with_policy else None,
                    _dt(at),
                    _dt(due) if due else None,
                    data or {},
                )
            )
            pk += 1

        for acc in self.accs:
            if acc.pooled:
                prev = acc.prev.pk if acc.prev else None
                if rng.random() < 0.8:
                    move(
                        acc,
                        "warned",
                        prev,
                        None,
                        acc.pooled - DAY,
                        with_policy=True,
                        due=acc.pooled,
                    )
                    move(acc, "reclaimed", prev, None, acc.pooled, with_policy=True)
                else:
                    move(acc, "released", prev, prev, acc.pooled, data={"reason": "not a fit"})
            elif acc.transfer:
                cur = acc.owner.pk
                if acc.prev is None:
                    move(acc, "claimed", cur, cur, acc.transfer)
                elif rng.random() < 0.35:
                    move(acc, "reclaimed", acc.prev.pk, None, acc.transfer - 3600, with_policy=True)
                    move(acc, "redistributed", cur, director, acc.transfer, with_policy=True)
                else:
                    gap = rng.uniform(0.5, 20) * DAY
                    kind = "reclaimed" if rng.random() < 0.6 else "released"
                    move(
                        acc,
                        kind,
                        acc.prev.pk,
                        None if kind == "reclaimed" else acc.prev.pk,
                        acc.transfer - gap,
                        with_policy=kind == "reclaimed",
                    )
                    move(acc, "claimed", cur, cur, acc.transfer)
            elif acc.owner and rng.random() < 0.02 and acc.last_out:
                due = acc.last_out + 15 * DAY
                if due < self.now:
                    move(acc, "warned", acc.owner.pk, None, due - DAY, with_policy=True, due=due)


def _body(rng: random.Random, inbound: bool, subject: str) -> str:
    if inbound:
        lines = rng.choice(
            [
                "Dear sales team,\nplease send your best price and lead time for {s}.",
                "Hi,\nthanks for the quick answer. Can you do FOB Ningbo?",
                "Hello,\nthe samples arrived; we will test them this week.",
                "您好，\n请报最低价格和交货期。",
            ]
        )
    else:
        lines = rng.choice(
            [
                "Dear customer,\nattached is our quotation; prices valid for 30 days.",
                "Hi,\nthe goods will be ready for shipment in 25 days.",
                "Hello,\njust following up on our offer. Any questions?",
                "您好，\n附件是我们的报价单，请查收。",
            ]
        )
    return lines.replace("{s}", subject[:60])


def _shared_blob() -> tuple[str, int]:
    """Store one small raw message all generated messages point at; return (sha256, size)."""
    from keyou.mail.blobs import blob_put

    raw = (
        b"From: bench@keyou-trading.cn\r\nTo: customer@example.com\r\n"
        b"Subject: Benchmark message\r\nMessage-ID: <bench@keyou-trading.cn>\r\n"
        b"Date: Mon, 02 Mar 2026 09:00:00 +0800\r\n\r\n"
        b"Generated by bench/analytics_data.py: the real text is in the database.\r\n"
    )
    return blob_put(raw), len(raw)


# --- The command line -------------------------------------------------------------------


def _database_create(url: str) -> None:
    """Drop and create the database URL names (only keyou_bench*; SQLite: the file)."""
    import dj_database_url

    config = dj_database_url.parse(url)
    name = str(config["NAME"])
    if "sqlite" in config["ENGINE"]:
        path = Path(name)
        if not path.name.startswith("keyou_bench"):
            raise SystemExit(f"refusing to replace {path}: its name must start with keyou_bench")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    if not name.startswith("keyou_bench"):
        raise SystemExit(
            f"refusing to drop database {name!r}: its name must start with keyou_bench"
        )
    import psycopg

    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "dbname": "postgres",
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def environment(database_url: str, data_dir: Path) -> None:
    """Point this process (and `keyou` subprocesses) at DATABASE_URL and DATA_DIR."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = database_url
    os.environ["KEYOU_DATA_DIR"] = str(data_dir.resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyou.settings")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--deals", type=int, help="default: 16%% of --accounts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--now", help="end of the window, ISO date (default: today, UTC)")
    parser.add_argument("--data-dir", type=Path, default=REPO / "var" / "bench" / "analytics")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    _database_create(args.database_url)
    environment(args.database_url, args.data_dir)
    keyou = Path(sys.executable).with_name("keyou")
    subprocess.run([str(keyou), "migrate", "--verbosity", "0"], check=True)
    migrated = time.perf_counter() - started
    import django

    django.setup()
    now = datetime.fromisoformat(args.now).replace(tzinfo=UTC) if args.now else None
    result = generate(
        messages=args.messages,
        accounts=args.accounts,
        users=args.users,
        deals=args.deals,
        seed=args.seed,
        now=now,
        log=lambda s: print(s, file=sys.stderr),
    )
    # A running install keeps the analytics rollups from events; rows written straight
    # into the tables bypass the outbox, so build the rollups as the rebuild command does.
    from keyou.analytics.rollups import mail_rollup_rebuild

    rolled = time.perf_counter()
    mail_rollup_rebuild()
    result["rollup_seconds"] = round(time.perf_counter() - rolled, 1)
    result["migrate_seconds"] = round(migrated, 1)
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
