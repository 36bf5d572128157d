"""Initial IMAP sync against `keyou import-mail` of the same messages, in the same run.

    .venv/bin/python bench/sync.py --messages 20000

Generates a deterministic corpus (keyou.demo.mailgen), keeps the distinct messages of
one mailbox-sized history, and then:

1. puts them into a private Dovecot (tests/mailservers.py; maildir files written
   directly, then `doveadm force-resync`), and times `keyou sync ADDRESS --json` in a
   fresh data dir connected to it with `keyou mailbox connect`;
2. times `keyou import-mail` of the same messages (one mbox) into another fresh data
   dir.

Both runs are single processes with the same parser workers. Prints both rates and
their ratio; the target is sync within 15% of the import rate (ratio >= 0.85).
Needs Dovecot (apt-get install dovecot-imapd) and root (Dovecot's mail user).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from ingest import BenchError, iter_mbox, run_keyou  # noqa: E402

from keyou.demo.mailgen import generate  # noqa: E402
from tests.mailservers import DOVEADM, Dovecot, dovecot_available  # noqa: E402

RESULTS = REPO / "bench" / "results"
ADDRESS = "bench@demo-trading.com"
PASSWORD = "bench-password"


def distinct_messages(corpus: Path, n: int, seed: int) -> list[bytes]:
    """Return N distinct raw messages (by Message-ID) from a generated corpus."""
    manifest = generate(corpus, messages=n, seed=seed)
    seen: set[bytes] = set()
    out: list[bytes] = []
    for path in sorted(manifest.files.values()):
        for raw in iter_mbox(Path(path)):
            head = raw[: raw.find(b"\n\n")].lower()
            start = head.find(b"message-id:")
            key = head[start : head.find(b"\n", start)] if start >= 0 else raw
            if key not in seen:
                seen.add(key)
                out.append(raw)
    return out


def fill_dovecot(server: Dovecot, raws: list[bytes]) -> None:
    """Write RAWS into the user's INBOX maildir and make Dovecot index them."""
    server.add_user(ADDRESS, PASSWORD)
    maildir = server.root / "mail" / ADDRESS
    nobody = pwd.getpwnam("nobody")
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
        os.chown(maildir / sub, nobody.pw_uid, nobody.pw_gid)
    base = int(time.time()) - len(raws)
    for i, raw in enumerate(raws):
        path = maildir / "cur" / f"{base + i}.M{i}P1.bench:2,S"
        path.write_bytes(raw.replace(b"\n", b"\r\n") if b"\r\n" not in raw[:200] else raw)
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    subprocess.run(
        [DOVEADM, "-c", str(server.config), "force-resync", "-u", ADDRESS, "INBOX"],
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )


def fresh_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KEYOU_REDIS_URL")}
    env["KEYOU_DATA_DIR"] = str(data_dir)
    return env


def setup(env: dict[str, str]) -> None:
    run_keyou(["migrate", "--noinput"], env, parse=False)
    run_keyou(["org", "set", "--name", "Bench", "--domains", "demo-trading.com", "--json"], env)
    run_keyou(["user", "add", "bench", "--email", ADDRESS, "--json"], env)
    run_keyou(["mailbox", "add", ADDRESS, "--kind", "personal", "--owner", "bench", "--json"], env)


def run_sync(server: Dovecot, work: Path) -> dict:
    env = fresh_env(work / "sync-var")
    setup(env)
    connect = [
        "mailbox", "connect", ADDRESS,
        "--imap-host", "127.0.0.1", "--imap-port", str(server.port), "--imap-security", "none",
        "--smtp-host", "127.0.0.1", "--smtp-port", "25", "--smtp-security", "none",
        "--username", ADDRESS, "--password-stdin", "--sync-months", "1200", "--json",
    ]  # fmt: skip
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "keyou"), *connect],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise BenchError(f"keyou mailbox connect failed:\n{proc.stderr[-2000:]}")
    data, seconds, rss = run_keyou(["sync", ADDRESS, "--json"], env)
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(rss / 1024, 1), "report": data}


def run_import(raws: list[bytes], work: Path) -> dict:
    env = fresh_env(work / "import-var")
    setup(env)
    mbox = work / "bench.mbox"
    with mbox.open("wb") as fh:
        for raw in raws:
            fh.write(b"From bench@example.com Thu Jan  1 00:00:00 2026\n")
            for line in raw.splitlines(keepends=True):
                fh.write(b">" + line if line.lstrip(b">").startswith(b"From ") else line)
            fh.write(b"\n" if raw.endswith(b"\n") else b"\n\n")
    data, seconds, rss = run_keyou(["import-mail", str(mbox), "--mailbox", ADDRESS, "--json"], env)
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(rss / 1024, 1), "report": data}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not dovecot_available():
        print("Dovecot is not installed (apt-get install dovecot-imapd) or not running as root")
        return 1
    work = Path(tempfile.mkdtemp(prefix="keyou-bench-sync-"))
    work.chmod(0o755)
    server = Dovecot(root=work / "dovecot")
    try:
        print(f"[{args.messages}] generating corpus ...", flush=True)
        raws = distinct_messages(work / "corpus", args.messages, args.seed)
        n = len(raws)
        server.root.mkdir()
        server.start()
        print(f"[{n}] filling Dovecot ...", flush=True)
        fill_dovecot(server, raws)
        print(f"[{n}] keyou sync ...", flush=True)
        sync = run_sync(server, work)
        print(f"[{n}] keyou import-mail ...", flush=True)
        imported = run_import(raws, work)
    except BenchError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    sync_rate = n / sync["seconds"]
    import_rate = n / imported["seconds"]
    result = {
        "messages": n,
        "sync": {**sync, "messages_per_s": round(sync_rate, 1)},
        "import": {**imported, "messages_per_s": round(import_rate, 1)},
        "sync_vs_import": round(sync_rate / import_rate, 3),
    }
    print(f"\n== initial sync vs import: {n:,} messages ==")
    print(f"  keyou sync         {sync['seconds']:>8} s  {sync_rate:>8.1f} msg/s")
    print(f"  keyou import-mail  {imported['seconds']:>8} s  {import_rate:>8.1f} msg/s")
    verdict = "ok" if result["sync_vs_import"] >= 0.85 else "MISSED (target >= 0.85)"
    print(f"  sync / import      {result['sync_vs_import']:>8}x  {verdict}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"sync-{args.messages}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
