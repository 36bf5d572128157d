"""Turn one message spec into raw RFC 822 bytes, without email.message on the hot path."""

from __future__ import annotations

import base64
import binascii
import re
import string
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LONG_LINE = re.compile(rb"[^\n]{999}")
_SPECIALS = set('()<>[]:;@\\,."')
_Q_SAFE = (string.ascii_letters + string.digits + "!*+-/").encode("ascii")
_Q = [chr(b) if b in _Q_SAFE else "_" if b == 32 else f"={b:02X}" for b in range(256)]


@dataclass(slots=True)
class MsgSpec:
    """Everything needed to write one message; addresses are (display name, address)."""

    seq: int
    msgid: str
    date: datetime
    sender: tuple[str, str]
    to: list[tuple[str, str]]
    subject: str
    text: str | None = None
    html: str | None = None
    cc: list[tuple[str, str]] = field(default_factory=list)
    charset: str = "utf-8"  # the label written in Content-Type
    codec: str = "utf-8"  # the encoding really used (differs when mislabelled)
    header_charset: str = "utf-8"
    cte: str = "quoted-printable"
    html_cte: str = "quoted-printable"
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)
    rfc2231: bool = True
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)
    body_override: bytes | None = None  # Content-Type header(s), blank line and body


def format_date(dt: datetime) -> str:
    """Return DT as an RFC 5322 date in its own UTC offset."""
    off = dt.utcoffset()
    minutes = int(off.total_seconds() // 60) if off is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return (
        f"{DAYS[dt.weekday()]}, {dt.day:02d} {MONTHS[dt.month]} {dt.year} "
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} {sign}{hh:02d}{mm:02d}"
    )


def encode_words(text: str, charset: str, mode: str = "B") -> str:
    """Return TEXT as RFC 2047 encoded-words of at most 75 characters, folded."""
    try:
        raw = text.encode(charset)
    except UnicodeEncodeError:
        charset, raw = "utf-8", text.encode("utf-8")
    limit = 45 if mode == "B" else 20
    if len(raw) <= limit:
        chunks = [raw]
    else:
        step = max(1, len(text) * limit // len(raw))
        chunks = []
        start = 0
        while start < len(text):
            n = step
            piece = text[start : start + n].encode(charset)
            while len(piece) > limit and n > 1:
                n -= 1
                piece = text[start : start + n].encode(charset)
            chunks.append(piece)
            start += n
    words = []
    for piece in chunks:
        if mode == "B":
            enc = base64.b64encode(piece).decode("ascii")
        else:
            enc = "".join(_Q[b] for b in piece)
        words.append(f"=?{charset}?{mode}?{enc}?=")
    return "\n ".join(words)


def header_text(text: str, charset: str) -> str:
    """Return TEXT ready for an unstructured header (encoded-words when not ASCII)."""
    if text.isascii():
        return text
    if any(ord(ch) > 0x2FF for ch in text):
        return encode_words(text, charset, "B")
    latin = charset if charset in ("utf-8", "iso-8859-1", "iso-8859-15") else "utf-8"
    return encode_words(text, latin, "Q")


def format_addr(name: str, addr: str, charset: str) -> str:
    """Return NAME <ADDR> with the name quoted or encoded as needed."""
    if not name:
        return addr
    if name.isascii():
        if _SPECIALS.intersection(name):
            return f'"{name}" <{addr}>'
        return f"{name} <{addr}>"
    return f"{header_text(name, charset)} <{addr}>"


def _body(data: bytes, cte: str) -> bytes:
    if cte == "base64":
        return base64.encodebytes(data)
    if cte == "quoted-printable":
        out = binascii.b2a_qp(data, istext=True)
        return out if out.endswith(b"\n") else out + b"=\n"
    return data if data.endswith(b"\n") else data + b"\n"


def _text_part(content: str, subtype: str, spec: MsgSpec, cte: str) -> bytes:
    charset, codec = spec.charset, spec.codec
    try:
        data = content.encode(codec)
    except UnicodeEncodeError:
        charset, data = "utf-8", content.encode("utf-8")
    if cte == "8bit" and _LONG_LINE.search(data):
        cte = "quoted-printable"
    elif cte == "8bit" and data.isascii():
        cte = "7bit"
    head = (
        f'Content-Type: text/{subtype}; charset="{charset}"\nContent-Transfer-Encoding: {cte}\n\n'
    )
    return head.encode("ascii") + _body(data, cte)


def _param(key: str, value: str, charset: str, rfc2231: bool) -> str:
    if value.isascii():
        return f'{key}="{value}"'
    if not rfc2231:
        return f'{key}="{encode_words(value, charset)}"'
    try:
        raw = value.encode(charset)
    except UnicodeEncodeError:
        charset, raw = "utf-8", value.encode("utf-8")
    pct = quote(raw, safe="")
    if len(pct) <= 60:
        return f"{key}*={charset}''{pct}"
    # Split between characters so every continuation decodes on its own.
    pieces, current = [], ""
    for ch in value:
        enc = quote(ch.encode(charset), safe="")
        if len(current) + len(enc) > 60:
            pieces.append(current)
            current = ""
        current += enc
    pieces.append(current)
    first = f"{key}*0*={charset}''{pieces[0]}"
    rest = [f"{key}*{i}*={p}" for i, p in enumerate(pieces[1:], start=1)]
    return ";\n ".join([first, *rest])


def _attachment(name: str, ctype: str, data: bytes, spec: MsgSpec) -> bytes:
    cs = spec.header_charset
    head = (
        f"Content-Type: {ctype};\n {_param('name', name, cs, False)}\n"
        f"Content-Disposition: attachment;\n {_param('filename', name, cs, spec.rfc2231)}\n"
        "Content-Transfer-Encoding: base64\n\n"
    )
    return head.encode("ascii") + base64.encodebytes(data)


def _multipart(subtype: str, parts: list[bytes], boundary: str) -> bytes:
    sep = f"\n--{boundary}\n".encode("ascii")
    head = f'Content-Type: multipart/{subtype};\n boundary="{boundary}"\n\n'.encode("ascii")
    body = b"This is a multi-part message in MIME format.\n" + sep + sep.join(parts)
    return head + body + f"\n--{boundary}--\n".encode("ascii")


def render(spec: MsgSpec) -> bytes:
    """Return the raw bytes (LF line ends, ending in a newline) of the message SPEC."""
    cs = spec.header_charset
    lines = [f"From: {format_addr(*spec.sender, cs)}"]
    if spec.to:
        lines.append("To: " + ",\n ".join(format_addr(n, a, cs) for n, a in spec.to))
    if spec.cc:
        lines.append("Cc: " + ",\n ".join(format_addr(n, a, cs) for n, a in spec.cc))
    lines.append(f"Subject: {header_text(spec.subject, cs)}")
    lines.append(f"Date: {format_date(spec.date)}")
    lines.append(f"Message-ID: {spec.msgid}")
    if spec.in_reply_to:
        lines.append(f"In-Reply-To: {spec.in_reply_to}")
    if spec.references:
        lines.append("References: " + "\n ".join(spec.references))
    lines.extend(f"{k}: {v}" for k, v in spec.extra)
    lines.append("MIME-Version: 1.0")
    head = ("\n".join(lines) + "\n").encode("ascii")
    if spec.body_override is not None:
        return head + spec.body_override
    tag = f"{spec.seq:08X}"
    parts = []
    if spec.text is not None:
        parts.append(_text_part(spec.text, "plain", spec, spec.cte))
    if spec.html is not None:
        parts.append(_text_part(spec.html, "html", spec, spec.html_cte))
    body = parts[0] if len(parts) == 1 else _multipart("alternative", parts, f"_alt_{tag}_")
    if spec.attachments:
        atts = [_attachment(n, c, d, spec) for n, c, d in spec.attachments]
        body = _multipart("mixed", [body, *atts], f"----=_NextPart_{tag}")
    return head + body
