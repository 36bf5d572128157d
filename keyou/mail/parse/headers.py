"""Decode header values: encoded words, address lists, dates, Message-IDs and subjects.

Everything here takes the raw header text that ``email`` hands over under the ``compat32``
policy (8-bit bytes smuggled through as surrogate escapes) and never raises: a header we
cannot make sense of becomes the best text we can recover, or an empty value.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import Header, decode_header
from email.utils import getaddresses, parsedate_tz

from keyou.mail.parse.charsets import decode_bytes

__all__ = [
    "Address",
    "decode_header_value",
    "normalize_email",
    "normalize_message_id",
    "normalize_subject",
    "parse_address_list",
    "parse_date",
    "parse_message_id_list",
    "received_date",
]


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox from an address header."""

    name: str  # decoded display name, '' if none
    email: str  # as written but stripped, domain lowercased


# Python's own pattern is just as lax about the encoded text (it may hold '?'), which
# sloppy encoders rely on; the charset may not hold whitespace, so a stray "=?" in prose
# does not swallow the rest of the header.
_ENCODED_WORD = re.compile(r"=\?([^?\s]*)\?([qQbB])\?(.*?)\?=", re.S)
# Folding whitespace reads as one space; a tab left by "\r\n\t" is layout, not content.
_FOLD = re.compile(r"[ \t]*(?:\r?\n[ \t]+)+")
_NEWLINES = re.compile(r"[\r\n]+")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
_SURROGATE = re.compile("[\udc80-\udcff]")


def decode_header_value(value: str | bytes | Header | None) -> str:
    """Return VALUE as readable text: RFC 2047 words and raw 8-bit bytes decoded.

    Accept what ``email`` returns (a str, possibly with surrogate-escaped bytes, or a
    ``Header``) or raw bytes. Unfold the value and turn leftover line breaks into spaces.
    Never raise: undecodable parts come back with replacement characters.
    """
    try:
        return decode_header_text(value, [])
    except Exception:  # the contract is "never raises"; this is the last line of defence
        return _last_resort(value)


def decode_header_text(
    value: str | bytes | Header | None, problems: list[str], hint: str | None = None
) -> str:
    """Decode one header VALUE, appending problem codes to PROBLEMS (see decode_header_value).

    HINT is a charset seen elsewhere in the message, used for unlabelled 8-bit bytes.
    """
    if value is None:
        return ""
    if isinstance(value, Header):
        return _decode_header_object(value, problems, hint)
    if isinstance(value, bytes):
        value = value.decode("ascii", "surrogateescape")
    elif not isinstance(value, str):
        value = str(value)
    if "\n" in value:
        value = _NEWLINES.sub(" ", _FOLD.sub(" ", value))
    text = _decode_words(value, problems, hint) if "=?" in value else _plain(value, problems, hint)
    if "\r" in text or "\n" in text:
        text = _NEWLINES.sub(" ", text)
    return text.strip()


def _decode_header_object(value: Header, problems: list[str], hint: str | None) -> str:
    pieces = []
    for data, charset in decode_header(value):
        if isinstance(data, str):
            pieces.append(data)
        elif charset in (None, "us-ascii", "unknown-8bit"):
            pieces.append(decode_header_text(data, problems, hint))
        else:
            pieces.append(decode_bytes(data, charset, problems, hint=hint))
    return _NEWLINES.sub(" ", "".join(pieces)).strip()


def _last_resort(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip()
    return str(value).encode("utf-8", "replace").decode("utf-8").strip()


def _plain(text: str, problems: list[str], hint: str | None) -> str:
    """Decode unencoded header text; non-ASCII arrives as surrogate escapes of raw bytes."""
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    # Real characters (RFC 6532 UTF-8 already decoded) stay as they are; the escaped raw
    # bytes around them go through the same charset fallbacks as a body would.
    return decode_bytes(text.encode("utf-8", "surrogateescape"), None, problems, hint=hint)


def _decode_words(value: str, problems: list[str], hint: str | None) -> str:
    out: list[str] = []
    pending_charset: str | None = None
    pending = bytearray()
    pos = 0

    def flush() -> None:
        nonlocal pending_charset
        if pending_charset is not None:
            out.append(decode_bytes(bytes(pending), pending_charset or None, problems, hint=hint))
            pending.clear()
            pending_charset = None

    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        # Whitespace between two encoded words is folding, not content (RFC 2047 §6.2).
        if between and not (pending_charset is not None and between.isspace()):
            flush()
            out.append(_plain(between, problems, hint))
        charset, encoding, encoded = match.groups()
        charset = charset.split("*", 1)[0].lower()
        data = _decode_word_payload(encoding, encoded, problems)
        # Consecutive words in one charset are joined before decoding: encoders split
        # multi-byte characters across words all the time.
        if pending_charset is not None and charset != pending_charset:
            flush()
        pending_charset = charset
        pending.extend(data)
        pos = match.end()
    flush()
    if pos < len(value):
        out.append(_plain(value[pos:], problems, hint))
    return "".join(out)


def _decode_word_payload(encoding: str, encoded: str, problems: list[str]) -> bytes:
    raw = encoded.encode("utf-8", "surrogateescape")
    if encoding in "qQ":
        return binascii.a2b_qp(raw, header=True)
    return decode_base64_lenient(raw, problems, "bad_encoded_word")


def decode_base64_lenient(
    data: bytes, problems: list[str], code: str = "base64_malformed"
) -> bytes:
    """Return DATA base64-decoded, dropping garbage characters and repairing the padding.

    Append CODE to PROBLEMS when repairs were needed.
    """
    try:
        return binascii.a2b_base64(data, strict_mode=False)
    except (binascii.Error, ValueError):
        pass
    problems.append(code)
    data = _NOT_BASE64.sub(b"", data.split(b"=", 1)[0])
    if len(data) % 4 == 1:
        data = data[:-1]  # a lone trailing sextet carries no whole byte
    try:
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return b""


# -- addresses -------------------------------------------------------------------------

_NOT_SIMPLE = re.compile(r"[();:\\\[\]]")
# 'Name <local@domain>', '"Name" <local@domain>' or a bare 'local@domain', nothing else.
_SIMPLE_ITEM = re.compile(
    r'(?:(?:"([^"\\@]*)"|([^<>@"]*?))\s*<([^<>\s@"]+@[^<>\s@"]+)>|([^<>\s@"]+@[^<>\s@"]+))$'
)
_ADDRESS_TOKEN = re.compile(r"[^\s<>,;:\"()\[\]@]+@[^\s<>,;:\"()\[\]@]+")
_WHITESPACE = re.compile(r"\s+")


def parse_address_list(
    value: str | bytes | Header | None, problems: list[str] | None = None, hint: str | None = None
) -> list[Address]:
    """Return the mailboxes in an address header VALUE (From, To, Cc, ...), in order.

    Decode display names (RFC 2047 or raw 8-bit), lowercase domains, flatten groups and
    drop anything that is not an address. Never raise.
    """
    if problems is None:
        problems = []
    if value is None:
        return []
    try:
        if isinstance(value, Header):
            value = str(value)
        elif isinstance(value, bytes):
            value = value.decode("ascii", "surrogateescape")
        return _parse_addresses(value, problems, hint)
    except Exception:  # a header must never cost the message
        problems.append("bad_address_header")
        return []


def _parse_addresses(value: str, problems: list[str], hint: str | None) -> list[Address]:
    if "\n" in value:
        value = _NEWLINES.sub(" ", _FOLD.sub(" ", value))
    if "@" not in value:
        return []
    pairs = _simple_addresses(value) or getaddresses([value])
    result: list[Address] = []
    broken = False
    for raw_name, raw_email in pairs:
        email = _clean_email(raw_email)
        if not email:
            broken = broken or "@" in raw_email
            continue
        result.append(Address(_clean_name(raw_name, email, problems, hint), email))
    if broken or (not result and "@" in value):
        # Lists like "a@x.com b@y.com" (no commas) defeat the RFC 5322 grammar; salvage
        # every address-shaped token and keep the ones already parsed with their names.
        known = {a.email.lower() for a in result}
        for token in _ADDRESS_TOKEN.findall(value):
            email = _clean_email(token)
            if email and email.lower() not in known:
                known.add(email.lower())
                result.append(Address("", email))
        problems.append("bad_address_header")
    return result


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    """Return (name, address) pairs for the common plain lists, or None for the RFC parser.

    getaddresses walks the header a character at a time in Python; most headers are just
    "Name <a@b>, c@d" and a regex per item reads them exactly the same way.
    """
    if _NOT_SIMPLE.search(value):
        return None
    pairs = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        match = _SIMPLE_ITEM.match(item)
        if match is None:
            return None
        quoted, name, bracketed, bare = match.groups()
        pairs.append(((quoted if quoted is not None else name or "").strip(), bracketed or bare))
    return pairs


def _clean_email(raw: str) -> str:
    email = raw.strip().strip("<>").strip()
    if email.lower().startswith("mailto:"):
        email = email[7:]
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or "@" in domain:
        return ""
    if any(ch.isspace() for ch in email) or any(ch in '<>,;"()[]\\' for ch in domain):
        return ""
    if _SURROGATE.search(email):
        # EAI (RFC 6531) addresses carry raw UTF-8; anything else cannot be an address.
        try:
            email = email.encode("utf-8", "surrogateescape").decode("utf-8")
        except UnicodeDecodeError:
            return ""
        local, _, domain = email.rpartition("@")
    return f"{local}@{domain.rstrip('.').lower()}"


def _clean_name(raw: str, email: str, problems: list[str], hint: str | None) -> str:
    if not raw:
        return ""
    name = decode_header_text(raw, problems, hint)
    name = _WHITESPACE.sub(" ", name).strip()
    # Outlook and friends wrap names in single quotes, and some quote the name twice.
    while len(name) >= 2 and name[0] == name[-1] and name[0] in "'\"":
        name = name[1:-1].strip()
    if name.strip("<>").lower() == email.lower():
        return name.strip("<>")
    return name


def normalize_email(addr: str) -> str:
    """Return ADDR case-folded and stripped, for matching and uniqueness; '' if not an address.

    Accept a bare address, optionally in angle brackets or with a ``mailto:`` prefix.
    """
    if not isinstance(addr, str):
        return ""
    email = _clean_email(addr)
    return email.casefold() if email else ""


# -- Message-IDs -----------------------------------------------------------------------

_BRACKETED = re.compile(r"<([^<>]*)>")
_NOT_ID_CHAR = re.compile(r"[\x00-\x20\x7f]|[\udc80-\udcff]")


def normalize_message_id(value: str) -> str:
    """Return the Message-ID in VALUE without angle brackets or whitespace; '' if none.

    Keep its case: ids are compared exactly. Take the first ``<...>`` when there is one
    (ignoring comments around it), drop any whitespace a sender folded into it, and
    refuse values with control characters or raw 8-bit bytes.
    """
    if not isinstance(value, str) or not value:
        return ""
    match = _BRACKETED.search(value)
    candidate = match.group(1) if match is not None else value.strip().strip("<>")
    candidate = "".join(candidate.split())
    if not candidate or len(candidate) > 998 or _NOT_ID_CHAR.search(candidate):
        return ""
    return candidate


def parse_message_id_list(value: str) -> list[str]:
    """Return every Message-ID in a References or In-Reply-To VALUE, in order, deduplicated.

    Fall back to whitespace- or comma-separated tokens holding an '@' when the sender
    left out the angle brackets.
    """
    if not isinstance(value, str) or not value:
        return []
    candidates = _BRACKETED.findall(value)
    if not candidates:
        candidates = [t for t in re.split(r"[\s,]+", value) if "@" in t]
    ids: list[str] = []
    seen: set[str] = set()
    for candidate in candidates:
        mid = normalize_message_id(f"<{candidate}>")
        if mid and mid not in seen:
            seen.add(mid)
            ids.append(mid)
    return ids


# -- dates -----------------------------------------------------------------------------

_EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)
_COMMENT = re.compile(r"\([^()]*\)")
_SPACED_COLON = re.compile(r"\s*:\s*")
_FUTURE_SLACK = timedelta(days=2)


def parse_date(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """Return the instant a Date-style VALUE names, as an aware UTC datetime, or None.

    Accept RFC 5322 dates and their common corruptions, and ISO 8601. Treat a missing
    zone as UTC. Refuse absurd values: before 1980 or more than two days after NOW.
    """
    if not value or not isinstance(value, str):
        return None
    value = " ".join(value.split())
    if "(" in value:
        value = " ".join(_COMMENT.sub(" ", value).split())  # RFC 5322 allows comments anywhere
    moment = _parse_rfc5322(value) or _parse_iso(value)
    if moment is None and (" :" in value or ": " in value):
        moment = _parse_rfc5322(_SPACED_COLON.sub(":", value))
    if moment is None:
        return None
    limit = (now or datetime.now(UTC)) + _FUTURE_SLACK
    if moment < _EARLIEST or moment > limit:
        return None
    return moment


def received_date(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """Return the timestamp after the ';' of a Received header VALUE, or None."""
    if not value or ";" not in value:
        return None
    return parse_date(value.rpartition(";")[2], now=now)


def _parse_rfc5322(value: str) -> datetime | None:
    try:
        parts = parsedate_tz(value)
    except Exception:  # parsedate_tz raises on some garbage instead of returning None
        return None
    if parts is None:
        return None
    offset = parts[9] or 0
    if abs(offset) > 24 * 3600:
        offset = 0  # a nonsense zone is likelier a typo than a 30-hour offset
    try:
        return datetime(*parts[:6], tzinfo=UTC) - timedelta(seconds=offset)
    except (ValueError, OverflowError, TypeError):
        return None


def _parse_iso(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# -- subjects --------------------------------------------------------------------------

# Reply and forward markers written by mail clients in the languages our users meet.
_PREFIX_WORDS = (
    "re|fwd|fw|aw|wg|sv|vs|antw|antwort|rif|tr|enc|res|odp|ynt|vb|"
    "回复|答复|回覆|转发|轉寄|转寄|轉發|回復|返信|転送|답장|회신|전달"
)
_SUBJECT_PREFIX = re.compile(
    rf"(?:(?:{_PREFIX_WORDS})\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)


def normalize_subject(subject: str) -> str:
    """Return SUBJECT as a comparison key: case-folded, reply/forward prefixes removed.

    Strip any run of prefixes such as ``Re:``, ``FW:``, ``AW:``, ``回复：`` or ``Re[2]:``
    and collapse whitespace. ``normalize_subject("Re: " + normalize_subject(s))`` equals
    ``normalize_subject(s)``.
    """
    if not isinstance(subject, str):
        return ""
    text = subject.casefold()
    while True:
        text = " ".join(text.split())
        match = _SUBJECT_PREFIX.match(text)
        if match is None or not match.end():
            return text
        text = text[match.end() :]
