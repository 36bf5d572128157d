"""Scale-out: two `keyou worker` processes on Redis and PostgreSQL share five mailboxes.

The mailboxes share cc'd messages. Every message must be stored exactly once, every
mailbox copy once, and no mailbox may be synced by two workers at the same time.
The test uses its own PostgreSQL database and Redis database, whatever database the
rest of the suite runs on.
"""

from __future__ import annotations

import imaplib
import os
import random
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from tests.mail.mailfactory import raw_message

PG_SERVER = os.environ.get("KEYOU_TEST_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("KEYOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DB_NAME = "keyou_scaleout_test"
KEYOU = Path(sys.executable).parent / "keyou"
BOXES = [f"rep{i}@demo-trading.com" for i in range(5)]
PASSWORD = "scale-pass"


def _unavailable(reason: str) -> None:
    if os.environ.get("KEYOU_TEST_STRICT") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def services():
    import psycopg
    import redis as _redis  # noqa: F401  (huey's Redis storage needs it)

    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as pg:
            pg.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            pg.execute(f"CREATE DATABASE {DB_NAME}")
    except psycopg.OperationalError as exc:
        _unavailable(f"PostgreSQL is not reachable at {PG_SERVER}: {exc}")
    client = _redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except _redis.ConnectionError as exc:
        _unavailable(f"Redis is not reachable at {REDIS_URL}: {exc}")
    yield f"{PG_SERVER}/{DB_NAME}"
    client.flushdb()
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as pg:
        pg.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def _keyou(env, *args, stdin: str | None = None) -> str:
    proc = subprocess.run(
        [str(KEYOU), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, f"keyou {' '.join(args)} failed:\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_two_workers_five_mailboxes_every_message_once(services, dovecot, tmp_path):
    import psycopg

    env = {
        **os.environ,
        "DATABASE_URL": services,
        "KEYOU_REDIS_URL": REDIS_URL,
        "KEYOU_DATA_DIR": str(tmp_path / "var"),
        "KEYOU_IMPORT_WORKERS": "0",
        "DJANGO_SETTINGS_MODULE": "keyou.settings",
    }
    env.pop("KEYOU_TEST_DATABASE_URL", None)
    _keyou(env, "migrate", "--noinput")
    _keyou(env, "org", "set", "--name", "Demo Trading", "--domains", "demo-trading.com")
    for address in BOXES:
        dovecot.add_user(address, PASSWORD)
        _keyou(env, "mailbox", "add", address, "--kind", "personal")
        _keyou(
            env, "mailbox", "connect", address, "--imap-host", "127.0.0.1",
            "--imap-port", str(dovecot.port), "--imap-security", "none",
            "--password-stdin", stdin=PASSWORD + "\n",
        )  # fmt: skip
    # 300 customer messages, each in one to three of the five mailboxes (cc'd colleagues).
    rng = random.Random(7)
    copies = 0
    for address in BOXES:
        conn = imaplib.IMAP4("127.0.0.1", dovecot.port)
        conn.login(address, PASSWORD)
        conn.logout()
    per_box: dict[str, list[bytes]] = {a: [] for a in BOXES}
    for i in range(300):
        raw = (
            raw_message(
                sender=f"Buyer <buyer{i % 40}@customer{i % 25}.com>",
                to=BOXES[i % 5],
                subject=f"Order {i}",
                body=f"Order {i}, please confirm.",
                message_id=f"<scale-{i}@customer{i % 25}.com>",
                date=datetime(2026, 11, 1, 8, i % 60),
            )
            .replace(b"\r\n", b"\n")
            .replace(b"\n", b"\r\n")
        )
        for address in rng.sample(BOXES, rng.randint(1, 3)):
            per_box[address].append(raw)
            copies += 1
    for address, raws in per_box.items():
        conn = imaplib.IMAP4("127.0.0.1", dovecot.port)
        conn.login(address, PASSWORD)
        for raw in raws:
            conn.append("INBOX", None, None, raw)
        conn.logout()

    workers = [
        subprocess.Popen(
            [str(KEYOU), "worker", "--no-idle", "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / f"worker{n}.log", "wb"),  # noqa: SIM115
        )
        for n in range(2)
    ]
    try:
        # Both consumers are up before any work is queued, or the first one to start
        # can take every sync while the other is still importing.
        ready_by = time.monotonic() + 60
        for n in range(2):
            log = tmp_path / f"worker{n}.log"
            while "worker started" not in log.read_text(errors="replace"):
                assert workers[n].poll() is None, log.read_text(errors="replace")[-2000:]
                assert time.monotonic() < ready_by, f"worker {n} did not start"
                time.sleep(0.2)
        time.sleep(1)  # from "started" to its threads waiting on the queue
        for _ in range(3):  # the same syncs asked for again and again
            _keyou(env, "sync", "--queue")
        deadline = time.monotonic() + 90
        with psycopg.connect(services, autocommit=True) as pg:
            while True:
                messages = pg.execute("SELECT count(*) FROM mail_message").fetchone()[0]
                held = pg.execute("SELECT count(*) FROM mail_mailboxcopy").fetchone()[0]
                busy = pg.execute(
                    "SELECT count(*) FROM mail_mailbox WHERE lease_owner <> ''"
                ).fetchone()[0]
                if messages == 300 and held == copies and not busy:
                    break
                assert time.monotonic() < deadline, (
                    f"after 90 s: {messages}/300 messages, {held}/{copies} copies; "
                    + (tmp_path / "worker0.log").read_text(errors="replace")[-2000:]
                )
                time.sleep(0.5)
            dupes = pg.execute(
                "SELECT count(*) FROM (SELECT message_id FROM mail_message"
                " GROUP BY message_id HAVING count(*) > 1) d"
            ).fetchone()[0]
            assert dupes == 0
            passes = pg.execute(
                "SELECT mailbox_id, data->>'worker', data->>'started_at', data->>'finished_at'"
                " FROM mail_synclog WHERE data ? 'worker' ORDER BY mailbox_id, 3"
            ).fetchall()
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=20)
    # Both workers took part, and no two passes over one mailbox overlapped.
    assert len({p[1].split(":")[1] for p in passes}) == 2, passes
    # No pass failed: two workers filing the same message from two mailboxes at once wait
    # for each other instead of one failing on the unique key.
    for n in range(2):
        log = (tmp_path / f"worker{n}.log").read_text(errors="replace")
        assert "Unhandled exception" not in log, log[-3000:]
    by_box: dict[int, list[tuple[str, str]]] = {}
    for mailbox_id, _worker, started, finished in passes:
        by_box.setdefault(mailbox_id, []).append((started, finished))
    assert len(by_box) == 5
    for runs in by_box.values():
        for (_s1, f1), (s2, _f2) in zip(runs, runs[1:], strict=False):
            assert f1 <= s2, f"two passes over one mailbox overlapped: {runs}"
