"""Benchmark `keyou import-mail` on generated mail histories, with notmuch as a yardstick.

    .venv/bin/python bench/ingest.py --messages 20000 [--messages 100000 ...] [--keep DIR]

For each size: generate the corpus (keyou.demo.mailgen), set up a fresh SQLite Keyou data
dir through the `keyou` console script, import every mailbox's mbox in turn, then index
the distinct messages with `notmuch new` when notmuch is installed. Prints a table and
writes bench/results/ingest-<N>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from keyou.demo.mailgen import Manifest, generate  # noqa: E402

RESULTS = REPO / "bench" / "results"
KEYOU = Path(sys.executable).parent / "keyou"
SUMMED = ("read", "new", "duplicates", "flagged", "failed")
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(.*?)[ \t]*$", re.IGNORECASE | re.MULTILINE)


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and why."""


def run_keyou(
    args: list[str], env: dict[str, str], *, parse: bool = True
) -> tuple[object, float, int]:
    """Run `keyou ARGS`; return its JSON output (if PARSE), wall seconds and peak RSS in KB."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen([str(KEYOU), *args], stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    command = "keyou " + " ".join(args)
    if proc.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise BenchError(f"`{command}` exited with {proc.returncode}:\n{tail}")
    if not parse:
        return None, seconds, usage.ru_maxrss
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        raise BenchError(f"`{command}` did not print JSON:\n{stdout[-2000:]}") from None
    return data, seconds, usage.ru_maxrss


def dir_bytes(path: Path) -> int:
    """Return the size of the file PATH, or of all files under the directory PATH (0 if absent)."""
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def setup_keyou(manifest: Manifest, env: dict[str, str]) -> float:
    """Create the schema, organisation, users and mailboxes; return the seconds taken.

    Each `keyou` call pays Django's start-up, so users and mailboxes are added a few at a
    time; the first user of each team goes alone so that teams are not created twice.
    """
    started = time.perf_counter()
    run_keyou(["migrate", "--noinput"], env, parse=False)
    domains = ",".join(manifest.own_domains)
    org = ["org", "set", "--name", manifest.company, "--domains", domains]
    run_keyou([*org, "--timezone", manifest.timezone, "--json"], env)
    firsts, rest, teams = [], [], set()
    for user in manifest.users:
        args = ["user", "add", user.username, "--email", user.email, "--team", user.team, "--json"]
        (rest if user.team in teams else firsts).append(args)
        teams.add(user.team)
    boxes = []
    for box in manifest.mailboxes:
        args = ["mailbox", "add", box.address, "--kind", box.kind, "--json"]
        boxes.append(args + (["--owner", box.owner] if box.owner else []))
    for args in firsts:
        run_keyou(args, env)
    workers = min(4, os.cpu_count() or 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda a: run_keyou(a, env), rest))
        list(pool.map(lambda a: run_keyou(a, env), boxes))
    return time.perf_counter() - started


def import_all(manifest: Manifest, env: dict[str, str]) -> dict:
    """Import every mailbox's mbox in turn; return summed counts, wall time and peak RSS."""
    totals = dict.fromkeys(SUMMED, 0)
    peak_kb = 0
    reported = 0.0
    started = time.perf_counter()
    for address, path in sorted(manifest.files.items()):
        data, _, rss = run_keyou(["import-mail", path, "--mailbox", address, "--json"], env)
        if not isinstance(data, dict):
            raise BenchError(f"import-mail printed {type(data).__name__}, expected an object")
        for key in SUMMED:
            totals[key] += int(data.get(key, 0))
        reported += float(data.get("seconds", 0))
        peak_kb = max(peak_kb, rss)
        if data.get("errors"):
            print(f"  {address}: {len(data['errors'])} errors, first: {data['errors'][0]}")
    totals["seconds"] = round(time.perf_counter() - started, 3)
    totals["seconds_reported"] = round(reported, 3)
    totals["peak_rss_mb"] = round(peak_kb / 1024, 1)
    return totals


def iter_mbox(path: Path) -> Iterator[bytes]:
    """Yield the raw messages of the mboxrd file PATH."""
    lines: list[bytes] = []
    with path.open("rb") as fh:
        for line in chain(fh, [b"From end"]):
            if line.startswith(b"From "):
                if lines:
                    yield b"".join(lines[:-1] if lines[-1] == b"\n" else lines)
                lines = []
            elif line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
                lines.append(line[1:])
            else:
                lines.append(line)


def write_maildir(manifest: Manifest, maildir: Path | None) -> dict:
    """Scan the corpus, deduplicating by Message-ID; write each message to MAILDIR/cur."""
    if maildir is not None:
        for sub in ("cur", "new", "tmp"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
    seen: set[bytes] = set()
    copies = distinct_bytes = 0
    for path in sorted(manifest.files.values()):
        for raw in iter_mbox(Path(path)):
            copies += 1
            match = _MESSAGE_ID.search(raw, 0, raw.find(b"\n\n"))
            key = match.group(1) if match else raw
            if key in seen:
                continue
            seen.add(key)
            distinct_bytes += len(raw)
            if maildir is not None:
                (maildir / "cur" / f"{len(seen):08d}.bench:2,S").write_bytes(raw)
    return {"distinct": len(seen), "copies": copies, "distinct_bytes": distinct_bytes}


def run_notmuch(maildir: Path, work: Path, distinct: int) -> dict:
    """Index MAILDIR with `notmuch new` under a private config; return time and rate."""
    config = work / "notmuch-config"
    config.write_text(
        f"[database]\npath={maildir}\n\n[user]\nname=Bench\nprimary_email=bench@example.com\n\n"
        "[new]\ntags=unread\n\n[maildir]\nsynchronize_flags=false\n"
    )
    env = {**os.environ, "NOTMUCH_CONFIG": str(config)}
    started = time.perf_counter()
    result = subprocess.run(["notmuch", "new"], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise BenchError(f"notmuch new failed:\n{result.stderr[-2000:]}")
    return {
        "seconds": round(seconds, 3),
        "messages_per_s": round(distinct / seconds, 1),
        "output": result.stdout.strip().splitlines()[-1:],
    }


def bench_one(n: int, seed: int, keep: Path | None, *, notmuch: bool = True) -> dict:
    """Run the whole benchmark for N messages (notmuch too if NOTMUCH); return the record."""
    work = keep / f"ingest-{n}" if keep else Path(tempfile.mkdtemp(prefix=f"keyou-bench-{n}-"))
    if work.exists() and keep:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    result: dict = {"messages_requested": n, "seed": seed, "work_dir": str(work)}
    try:
        print(f"[{n}] generating corpus ...", flush=True)
        started = time.perf_counter()
        manifest = generate(work / "corpus", messages=n, seed=seed)
        gen_s = time.perf_counter() - started
        mbox_bytes = sum(Path(p).stat().st_size for p in manifest.files.values())
        result["generate"] = {
            "seconds": round(gen_s, 3), "messages_per_s": round(n / gen_s, 1),
            "messages": manifest.messages, "copies": manifest.copies,
            "mailboxes": len(manifest.mailboxes), "mbox_mb": round(mbox_bytes / 2**20, 1),
        }  # fmt: skip
        has_notmuch = notmuch and shutil.which("notmuch") is not None
        scan = write_maildir(manifest, work / "maildir" if has_notmuch else None)
        result["corpus"] = {
            **scan,
            "avg_kb": round(scan["distinct_bytes"] / scan["distinct"] / 1024, 1),
        }
        result["keyou"] = bench_keyou(manifest, work, scan["distinct"])
        if has_notmuch:
            print(f"[{n}] notmuch new ...", flush=True)
            result["notmuch"] = run_notmuch(work / "maildir", work, scan["distinct"])
            rate = result["keyou"].get("messages_per_s")
            if rate:
                result["keyou_vs_notmuch"] = round(rate / result["notmuch"]["messages_per_s"], 3)
        else:
            if notmuch:
                print("notmuch not installed (apt-get install notmuch)")
            result["notmuch"] = None
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return result


def bench_keyou(manifest: Manifest, work: Path, distinct: int) -> dict:
    """Set up a fresh data dir and import the corpus; a failure is recorded, not raised."""
    data_dir = work / "var"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["KEYOU_DATA_DIR"] = str(data_dir)
    if not KEYOU.exists():
        return {"error": f"{KEYOU} not found; run `make install` first"}
    try:
        print(f"[{manifest.messages}] keyou setup ...", flush=True)
        setup_s = setup_keyou(manifest, env)
        print(f"[{manifest.messages}] keyou import-mail x{len(manifest.files)} ...", flush=True)
        totals = import_all(manifest, env)
    except BenchError as exc:
        print(f"KEYOU CLI FAILED (is the CLI finished?): {exc}", file=sys.stderr)
        return {"error": str(exc)}
    db = sum(dir_bytes(data_dir / f"keyou.sqlite3{s}") for s in ("", "-wal"))
    blobs = dir_bytes(data_dir / "blobs")
    seconds = totals["seconds"]
    return {
        **totals,
        "setup_seconds": round(setup_s, 3),
        "copies_per_s": round(manifest.copies / seconds, 1),
        "messages_per_s": round(distinct / seconds, 1),
        "db_mb": round(db / 2**20, 1),
        "db_kb_per_message": round(db / distinct / 1024, 2),
        "blobs_mb": round(blobs / 2**20, 1),
        "blobs_kb_per_message": round(blobs / distinct / 1024, 2),
    }


def print_table(r: dict) -> None:
    """Print one result record as a readable table."""
    g, c, k, nm = r["generate"], r["corpus"], r["keyou"], r.get("notmuch")
    rows = [
        ("distinct messages", f"{c['distinct']:,}"),
        ("copies (mbox entries)", f"{c['copies']:,}  ({c['copies'] / c['distinct']:.2f} per message)"),
        ("avg message size", f"{c['avg_kb']} KB  (mbox total {g['mbox_mb']} MB)"),
        ("generation", f"{g['seconds']} s  ({g['messages_per_s']:,.0f} msg/s)"),
    ]  # fmt: skip
    if "error" in k:
        rows.append(("keyou", "FAILED: " + k["error"].splitlines()[0]))
    else:
        rows += [
            ("keyou setup (CLI)", f"{k['setup_seconds']} s"),
            ("keyou import wall time", f"{k['seconds']} s  (in-process {k['seconds_reported']} s)"),
            ("keyou copies/s", f"{k['copies_per_s']:,}"),
            ("keyou distinct msg/s", f"{k['messages_per_s']:,}"),
            ("read/new/dup/flag/fail", "/".join(str(k[x]) for x in SUMMED)),
            ("peak RSS (import)", f"{k['peak_rss_mb']} MB"),
            ("database", f"{k['db_mb']} MB  ({k['db_kb_per_message']} KB/message)"),
            ("blob store", f"{k['blobs_mb']} MB  ({k['blobs_kb_per_message']} KB/message)"),
        ]  # fmt: skip
    if nm:
        rows.append(("notmuch new", f"{nm['seconds']} s  ({nm['messages_per_s']:,} msg/s)"))
        if "keyou_vs_notmuch" in r:
            rows.append(("keyou / notmuch", f"{r['keyou_vs_notmuch']}x"))
    else:
        rows.append(("notmuch", "not installed (apt-get install notmuch)"))
    width = max(len(a) for a, _ in rows)
    print(f"\n== ingest benchmark: {r['messages_requested']:,} messages ==")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    print()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for every --messages size; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, action="append", help="corpus size (repeatable)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep corpora and data dirs under this dir")
    args = parser.parse_args(argv)
    failed = False
    for n in args.messages or [20_000]:
        result = bench_one(n, args.seed, args.keep.resolve() if args.keep else None)
        print_table(result)
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / f"ingest-{n}.json"
        out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {out.relative_to(REPO)}")
        failed = failed or "error" in result["keyou"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
