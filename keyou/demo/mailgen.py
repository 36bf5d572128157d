"""Generate a deterministic mail history for the demo company as one mbox per mailbox.

    manifest = generate(Path("out"), messages=20_000, seed=0)

Every message lands in the mbox of each internal mailbox that holds it (the sender's as
sent mail, every internal To/Cc, sales@ when addressed). The same arguments always give
byte-identical files; nothing depends on the clock.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from keyou.demo import special
from keyou.demo.render import DAYS, MONTHS, MsgSpec, render
from keyou.demo.threads import ThreadMaker
from keyou.demo.world import COMPANY, DOMAIN, SHARED, TIMEZONE, build_world

_ESCAPE = re.compile(rb"^(>*From )", re.MULTILINE)
_BUFFER = 1 << 20


@dataclass
class GenUser:
    """A staff member to create as a Keyou user."""

    username: str
    name: str
    email: str
    team: str


@dataclass
class GenMailbox:
    """A mailbox to create; kind is 'personal' or 'shared', owner a username or ''."""

    address: str
    kind: str
    owner: str


@dataclass
class Manifest:
    """What generate() wrote: the company, its people and mailboxes, and the mbox files."""

    company: str
    own_domains: list[str]
    timezone: str
    users: list[GenUser]
    mailboxes: list[GenMailbox]
    messages: int
    copies: int
    files: dict[str, str]  # mailbox address -> mbox path


def from_line(envelope: str, date: datetime) -> bytes:
    """Return the mbox separator line for a message from ENVELOPE sent at DATE."""
    utc = date.astimezone(UTC)
    stamp = f"{DAYS[utc.weekday()]} {MONTHS[utc.month]} {utc.day:2d} {utc:%H:%M:%S} {utc.year}"
    return f"From {envelope} {stamp}\n".encode("ascii")


def mbox_entry(raw: bytes, envelope: str, date: datetime) -> bytes:
    """Return RAW as one mboxrd entry: separator, escaped body, blank line."""
    if b">From " in raw or raw.startswith(b"From "):
        raw = _ESCAPE.sub(rb">\1", raw)
    elif b"\nFrom " in raw:
        raw = raw.replace(b"\nFrom ", b"\n>From ")
    if not raw.endswith(b"\n"):
        raw += b"\n"
    return from_line(envelope, date) + raw + b"\n"


def iter_specs(maker: ThreadMaker, messages: int) -> Iterator[MsgSpec]:
    """Yield exactly MESSAGES message specs: customer threads plus a few special ones."""
    produced = 0
    rng = maker.rng
    while produced < messages:
        r = rng.random()
        if r < 0.012:
            batch: Iterator[MsgSpec] = iter([special.newsletter(maker)])
        elif r < 0.045:
            batch = special.internal_thread(maker)
        else:
            batch = maker.thread()
        for spec in batch:
            yield spec
            produced += 1
            if produced >= messages:
                return


def envelope_of(spec: MsgSpec) -> str:
    """Return the envelope sender written on the mbox separator line."""
    addr = spec.sender[1]
    return "MAILER-DAEMON" if addr.upper().startswith("MAILER-DAEMON@") else addr


def generate(
    out_dir: Path, *, messages: int, seed: int = 0, salespeople: int = 40, companies: int = 3000
) -> Manifest:
    """Write MESSAGES distinct messages as one mbox per mailbox under OUT_DIR."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    world = build_world(rng, salespeople=salespeople, companies=companies)
    users = [GenUser(s.username, s.name, s.email, s.team) for s in world.staff]
    mailboxes = [GenMailbox(s.email, "personal", s.username) for s in world.staff]
    mailboxes.append(GenMailbox(SHARED, "shared", ""))
    files = {box.address: str(out_dir / f"{box.address}.mbox") for box in mailboxes}
    handles = {addr: open(path, "wb", buffering=_BUFFER) for addr, path in files.items()}  # noqa: SIM115
    copies = written = 0
    try:
        for spec in iter_specs(ThreadMaker(rng, world), messages):
            entry = mbox_entry(render(spec), envelope_of(spec), spec.date)
            targets: list[str] = []
            for _, addr in [spec.sender, *spec.to, *spec.cc]:
                addr = addr.lower()
                if addr in handles and addr not in targets:
                    targets.append(addr)
            for addr in targets:
                handles[addr].write(entry)
            copies += len(targets)
            written += 1
    finally:
        for fh in handles.values():
            fh.close()
    manifest = Manifest(
        company=COMPANY,
        own_domains=[DOMAIN],
        timezone=TIMEZONE,
        users=users,
        mailboxes=mailboxes,
        messages=written,
        copies=copies,
        files=files,
    )
    text = json.dumps(asdict(manifest), indent=2, ensure_ascii=False)
    (out_dir / "manifest.json").write_text(text + "\n", encoding="utf-8")
    return manifest
