"""The demo mail generator: deterministic, parseable, realistic in the ways that matter.

Pure Python: run with `pytest -p no:django tests/demo`.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import json
from dataclasses import asdict
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from keyou.demo import catalog, text_zh
from keyou.demo import words as w
from keyou.demo.mailgen import Manifest, generate, mbox_entry
from keyou.demo.render import MsgSpec, render


def read_mbox(path: Path) -> list[bytes]:
    """Split an mboxrd file written by the generator back into raw messages."""
    messages: list[list[bytes]] = []
    with path.open("rb") as fh:
        for line in fh:
            if line.startswith(b"From "):
                messages.append([])
                continue
            if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
                line = line[1:]
            messages[-1].append(line)
    out = []
    for lines in messages:
        assert lines[-1] == b"\n", "every entry ends with a blank line"
        out.append(b"".join(lines[:-1]))
    return out


@pytest.fixture(scope="module")
def run500(tmp_path_factory) -> tuple[Manifest, list[tuple[str, bytes]]]:
    out = tmp_path_factory.mktemp("gen500")
    manifest = generate(out, messages=500, seed=3, salespeople=12, companies=200)
    entries = []
    for address, path in manifest.files.items():
        entries.extend((address, raw) for raw in read_mbox(Path(path)))
    return manifest, entries


def test_same_arguments_give_identical_bytes(tmp_path):
    a = generate(tmp_path / "a", messages=300, seed=11, salespeople=10, companies=150)
    b = generate(tmp_path / "b", messages=300, seed=11, salespeople=10, companies=150)
    assert (a.messages, a.copies) == (b.messages, b.copies) == (300, a.copies)
    names_a = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names_a == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names_a:
        if name.endswith(".mbox"):
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    c = generate(tmp_path / "c", messages=300, seed=12, salespeople=10, companies=150)
    path_a, path_c = (
        Path(a.files["sales@demo-trading.com"]),
        Path(c.files["sales@demo-trading.com"]),
    )
    assert path_a.read_bytes() != path_c.read_bytes()


def test_every_message_parses_with_the_stdlib(run500):
    manifest, entries = run500
    ids = set()
    for _, raw in entries:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert msg["From"] and msg["Date"] and msg["Message-ID"]
        assert parsedate_to_datetime(str(msg["Date"])).tzinfo is not None
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                part.get_payload(decode=True)
        ids.add(str(msg["Message-ID"]))
    assert len(ids) == manifest.messages == 500
    assert len(entries) == manifest.copies > manifest.messages


def test_manifest_is_consistent(run500):
    manifest, _ = run500
    assert manifest.company == "Keyou Demo Trading"
    assert manifest.own_domains == ["demo-trading.com"]
    assert manifest.timezone == "Asia/Shanghai"
    teams = {u.team for u in manifest.users}
    assert {"Europe Sales", "Americas Sales", "Asia Sales", "Support", "Finance"} <= teams
    assert sum(u.team.endswith(" Sales") for u in manifest.users) == 12
    personal = {b.address: b.owner for b in manifest.mailboxes if b.kind == "personal"}
    assert personal == {u.email: u.username for u in manifest.users}
    shared = [b for b in manifest.mailboxes if b.kind == "shared"]
    assert [(b.address, b.owner) for b in shared] == [("sales@demo-trading.com", "")]
    assert set(manifest.files) == {b.address for b in manifest.mailboxes}
    assert all(Path(p).is_file() for p in manifest.files.values())
    stored = json.loads(
        (Path(manifest.files["sales@demo-trading.com"]).parent / "manifest.json").read_text()
    )
    assert stored == asdict(manifest)


def test_replies_reference_earlier_messages(run500):
    _, entries = run500
    dates = {}
    replies = []
    for _, raw in entries:
        msg = email.message_from_bytes(raw)
        dates[msg["Message-ID"]] = parsedate_to_datetime(msg["Date"])
        if msg["References"]:
            replies.append(msg)
    assert len(replies) > 100
    prefixes = ("Re:", "RE:", "回复", "答复", "回覆", "Automatic reply", "自动回复", "自動回覆")
    for msg in replies:
        refs = msg["References"].split()
        assert msg["In-Reply-To"] == refs[-1]
        for ref in refs:
            assert ref in dates and dates[ref] <= parsedate_to_datetime(msg["Date"])
        subject = str(email.header.make_header(email.header.decode_header(msg["Subject"])))
        assert subject.startswith(prefixes)


def test_charsets_and_mislabelled_parts(run500):
    _, entries = run500
    labels: set[str] = set()
    gbk_in_gb2312 = utf8_in_gb2312 = encoded_subjects = rfc2231 = 0
    for _, raw in entries:
        msg = email.message_from_bytes(raw)
        encoded_subjects += "=?" in msg["Subject"]
        rfc2231 += b"filename*" in raw
        for part in msg.walk():
            if part.get_content_maintype() != "text":
                continue
            label = part.get_content_charset() or ""
            labels.add(label)
            data = part.get_payload(decode=True)
            if label != "gb2312" or data.isascii():
                continue
            try:
                data.decode("gb2312")
            except UnicodeDecodeError:
                try:
                    data.decode("gbk")
                    gbk_in_gb2312 += 1
                except UnicodeDecodeError:
                    data.decode("utf-8")
                    utf8_in_gb2312 += 1
    assert {"utf-8", "gb2312", "gbk", "big5"} <= labels
    assert gbk_in_gb2312 >= 1
    assert utf8_in_gb2312 >= 1
    assert encoded_subjects > 20 and rfc2231 >= 1


def test_word_pools_fit_their_charsets():
    for name in w.GBK_ONLY_NAMES:
        with pytest.raises(UnicodeEncodeError):
            name[1].encode("gb2312")
        name[1].encode("gbk")
    for pool in (w.CN_SURNAMES, w.CN_GIVEN, w.CN_BRANDS, w.CN_SECTORS):
        for _, simplified, traditional in pool:
            simplified.encode("gb2312")
            traditional.encode("big5")
    for _, simplified, traditional, *_ in catalog.PRODUCTS:
        simplified.encode("gb2312")
        traditional.encode("big5")
    for simplified, traditional in catalog.DEFECTS_ZH:
        simplified.encode("gb2312")
        traditional.encode("big5")
    for steps, codec in ((text_zh.STEPS, "gb2312"), (text_zh.STEPS_TW, "big5")):
        for variants in steps.values():
            for variant in variants:
                for para in variant:
                    para.encode(codec)


def test_mbox_escaping_round_trips(tmp_path):
    from datetime import UTC, datetime

    spec = MsgSpec(
        seq=1,
        msgid="<x@y>",
        date=datetime(2026, 1, 2, tzinfo=UTC),
        sender=("A", "a@demo-trading.com"),
        to=[("B", "b@example.com")],
        subject="hi",
        text="From the start\n>From quoted\n>>From deeper\n",
        cte="8bit",
    )
    raw = render(spec)
    path = tmp_path / "x.mbox"
    path.write_bytes(mbox_entry(raw, "a@demo-trading.com", spec.date) * 2)
    assert read_mbox(path) == [raw, raw]
