"""Read MIME structure: split messages into parts; read part headers, parameters, payloads.

``email``'s own accessors turn raw 8-bit parameter values into replacement characters and
give up on transfer encodings they do not know. These helpers work from the raw header
text instead and decode what senders actually send. ``split_message`` builds the same
``compat32`` tree as the stdlib feed parser, several times faster, for well-formed mail.
"""

from __future__ import annotations

import binascii
import re
from email.message import Message
from email.policy import compat32
from email.utils import decode_params

from keyou.mail.parse.charsets import decode_bytes
from keyou.mail.parse.headers import decode_base64_lenient, decode_header_text

_FOLD = re.compile(r"\r?\n(?=[ \t])")
_PARAM_DELIMITERS = re.compile(r'[;"\\]')
_BASE64_BODY = re.compile(rb"^[A-Za-z0-9+/=\s]+$")
_QP_ESCAPE = re.compile(rb"=(?:[0-9A-Fa-f]{2}|\r?\n)")
_UU_BEGIN = re.compile(rb"^begin(?:-base64)? [0-7]{3,4} (.*)$", re.M)
_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f]+")
_IDENTITY_ENCODINGS = frozenset({"", "7bit", "8bit", "binary", "7-bit", "8-bit", "none"})
_UU_ENCODINGS = frozenset({"x-uuencode", "uuencode", "uue", "x-uue"})


class PartHeaders:
    """The raw headers of one part, looked up by lower-cased name (first occurrence wins)."""

    __slots__ = ("_parsed", "_values")

    def __init__(self, part: Message) -> None:
        values: dict[str, str] = {}
        for name, value in part.raw_items():
            key = name.strip().lower()
            if key not in values:
                values[key] = value if isinstance(value, str) else str(value)
        self._values = values
        self._parsed: dict[str, tuple[str, dict]] = {}

    @classmethod
    def of(cls, part: Message) -> PartHeaders:
        """Return the headers of PART, read once per part however often they are asked for."""
        # The walk asks for the same part's Content-Type several times; keep the result on
        # the part itself (Message objects take attributes) rather than in a side table.
        cached = getattr(part, "_keyou_headers", None)
        if cached is None:
            cached = cls(part)
            part._keyou_headers = cached
        return cached

    def get(self, name: str) -> str:
        """Return the unfolded raw value of header NAME, or ''."""
        value = self._values.get(name, "")
        return _FOLD.sub("", value).replace("\r", "").replace("\n", " ") if "\n" in value else value

    def value_and_params(self, name: str) -> tuple[str, dict[str, str | tuple[str, str, str]]]:
        """Return the main value (lower-cased) and the parameters of a structured header NAME.

        RFC 2231 parameters come back as (charset, language, value) with the value's bytes
        as Latin-1 characters; other values are unquoted strings.
        """
        cached = self._parsed.get(name)
        if cached is None:
            cached = self._parsed[name] = self._value_and_params(name)
        return cached

    def _value_and_params(self, name: str) -> tuple[str, dict[str, str | tuple[str, str, str]]]:
        raw = self.get(name)
        if not raw:
            return "", {}
        pieces = _split_params(raw) if '"' in raw else raw.split(";")
        main = pieces[0].strip().strip('"').lower()
        pairs: list[tuple[str, str]] = [("", "")]
        for piece in pieces[1:]:
            key, eq, val = piece.partition("=")
            key = key.strip().lower()
            if eq and key:
                pairs.append((key, val.strip()))
        params: dict[str, str | tuple[str, str, str]] = {}
        try:
            decoded = decode_params(pairs)[1:]
        except Exception:  # malformed RFC 2231 continuations; fall back to plain values
            decoded = [(k, v) for k, v in pairs[1:]]
        for key, val in decoded:
            if key in params:
                continue  # the first of duplicated parameters wins, as most clients do
            if isinstance(val, tuple):
                charset, language, text = val
                params[key] = (charset or "", language or "", _unquote(text))
            else:
                params[key] = _unquote(val)
        return main, params


def _split_params(raw: str) -> list[str]:
    # Split on semicolons outside quoted strings, in one pass (headers can be huge).
    pieces: list[str] = []
    start = 0
    quoted = False
    skip = -1
    for match in _PARAM_DELIMITERS.finditer(raw):
        position = match.start()
        if position == skip:
            continue
        char = match.group()
        if char == "\\":
            skip = position + 1
        elif char == '"':
            quoted = not quoted
        elif not quoted:
            pieces.append(raw[start:position])
            start = position + 1
    pieces.append(raw[start:])
    return pieces


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def content_type(headers: PartHeaders, default: str = "text/plain") -> tuple[str, dict]:
    """Return the part's lower-cased ``maintype/subtype`` (DEFAULT if unusable) and parameters."""
    main, params = headers.value_and_params("content-type")
    if main.count("/") != 1 or " " in main:
        first = main.split()[0] if main.split() else ""
        main = first if first.count("/") == 1 else default
    maintype, _, subtype = main.partition("/")
    if not maintype or not subtype:
        main = default
    return main, params


def param_text(
    value: str | tuple[str, str, str] | None, problems: list[str], hint: str | None
) -> str:
    """Return a parameter VALUE decoded to text (RFC 2231, RFC 2047 words or raw 8-bit)."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        charset, _, text = value
        raw = text.encode("latin-1", "surrogateescape")
        text = decode_bytes(raw, charset or None, problems, hint=hint)
        # Some clients put encoded words inside RFC 2231 values too.
        return decode_header_text(text, problems, hint) if "=?" in text else text
    return decode_header_text(value, problems, hint)


def filename(
    headers: PartHeaders, ctype_params: dict, problems: list[str], hint: str | None
) -> str:
    """Return the part's decoded file name (Content-Disposition filename, else name), or ''."""
    _, disposition_params = headers.value_and_params("content-disposition")
    for value in (disposition_params.get("filename"), ctype_params.get("name")):
        name = param_text(value, problems, hint)
        name = _UNSAFE_FILENAME.sub("", name).strip()
        # Keep the last path component only: "C:\\Users\\x\\file.pdf" is a file name.
        name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
        if name and name not in (".", ".."):
            return name
    return ""


def raw_payload(part: Message) -> str | bytes | list | None:
    """Return PART's payload as the parser stored it: a list of parts, or undecoded text.

    get_payload() would hand back 8-bit text already decoded with the declared charset
    (errors replaced, and raising on a charset name with a NUL in it); the charset
    fallbacks need the raw bytes, which compat32 keeps surrogate-escaped in _payload.
    """
    payload = getattr(part, "_payload", None)
    return part.get_payload() if payload is None else payload


def payload_bytes(part: Message, headers: PartHeaders, problems: list[str]) -> bytes:
    """Return the part's body with its Content-Transfer-Encoding undone, as well as can be.

    Repair broken base64, decode uuencode, and guess at unknown encodings, appending a
    problem code each time.
    """
    payload = raw_payload(part)
    if isinstance(payload, bytes):
        data = payload
    elif isinstance(payload, str):
        data = payload.encode("utf-8", "surrogateescape")
    else:
        return b""
    encoding = headers.get("content-transfer-encoding").split(";", 1)[0]
    encoding = encoding.strip().strip("\"'").strip().lower()
    if encoding in _IDENTITY_ENCODINGS:
        return data
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    if encoding == "base64":
        return decode_base64_lenient(data, problems)
    if encoding in _UU_ENCODINGS:
        return uudecode(data, problems)
    problems.append(f"cte_unknown:{encoding[:30]}")
    compact = b"".join(data.split())
    # Only call it base64 when it looks like what an encoder writes: whole quanta, no spaces
    # inside lines; "MyPlain" is plain text that happens to use the alphabet.
    looks_encoded = len(compact) >= 8 and len(compact) % 4 == 0 and _BASE64_BODY.match(data.strip())
    if looks_encoded and not any(b" " in line.strip() for line in data.splitlines()):
        return decode_base64_lenient(compact, problems)
    if _QP_ESCAPE.search(data):
        return binascii.a2b_qp(data)
    return data


def uudecode(data: bytes, problems: list[str]) -> bytes:
    """Return uuencoded DATA decoded, skipping lines that do not decode."""
    lines = data.splitlines()
    match = _UU_BEGIN.search(data)
    if match is not None:
        start = data[: match.start()].count(b"\n") + 1
        lines = lines[start:]
    out = bytearray()
    bad = False
    for line in lines:
        stripped = line.strip()
        if stripped in (b"end", b"`", b""):
            if stripped == b"end":
                break
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            # Broken encoders pad lines wrongly; the length byte says how much is real.
            try:
                count = ((line[0] - 32) & 63) * 4 // 3
                out += binascii.a2b_uu(line[: count + 1])
            except (binascii.Error, IndexError):
                bad = True
    if bad:
        problems.append("uuencode_malformed")
    return bytes(out)


# -- fast structure ----------------------------------------------------------------------

_HEAD_END = re.compile(rb"\r?\n\r?\n")
_FIELD_NAME = re.compile(r"([\x21-\x39\x3b-\x7e]+):")
_PLAIN_TRANSFER = frozenset({"", "7bit", "8bit", "binary"})
_MAX_FAST_DEPTH = 20


def split_message(raw: bytes) -> Message | None:
    """Return the MIME tree of RAW, built by splitting on boundaries, or None.

    The stdlib feed parser reads a message line by line in Python; cutting it at its
    boundaries with bytes searches does the same work several times faster. Anything
    unusual (a header defect, a missing or unclosed boundary, an encoded multipart,
    message/* parts other than rfc822) returns None, and the caller falls back to the
    feed parser, which knows every recovery rule.
    """
    try:
        return _split(raw, 0, "text/plain")
    except (LookupError, ValueError, UnicodeError):
        return None


def _split(raw: bytes, depth: int, default_type: str) -> Message | None:
    if depth > _MAX_FAST_DEPTH:
        return None
    if raw[:1] in (b"\n", b"\r"):
        # No headers at all: the blank line comes first.
        head, body = b"", raw[2:] if raw[:2] == b"\r\n" else raw[1:]
    else:
        end = _HEAD_END.search(raw)
        if end is None:
            return None
        head, body = raw[: end.start()] + b"\n", raw[end.end() :]
    msg = _read_header_block(head)
    if msg is None:
        return None
    msg.set_default_type(default_type)
    headers = PartHeaders.of(msg)
    ctype, params = content_type(headers, default_type)
    if ctype.startswith("multipart/"):
        encoding = headers.get("content-transfer-encoding").strip().lower()
        boundary = params.get("boundary")
        if encoding not in _PLAIN_TRANSFER or not isinstance(boundary, str) or not boundary:
            return None
        if ctype == "multipart/digest":
            return None  # children default to message/rfc822; leave that to the feed parser
        children = _split_multipart(body, boundary.encode("utf-8", "surrogateescape"), depth)
        if children is None:
            return None
        msg.set_payload(children)
    elif ctype == "message/rfc822":
        inner = _split(body, depth + 1, "text/plain")
        if inner is None:
            return None
        msg.set_payload([inner])
    elif ctype.startswith("message/"):
        return None
    else:
        msg.set_payload(body.decode("ascii", "surrogateescape"))
    return msg


def _read_header_block(head: bytes) -> Message | None:
    """Return a Message holding the header fields in HEAD, or None if any line is odd.

    Values are stored the way the feed parser stores them under compat32 (folds kept,
    trailing line break dropped), so the rest of the package cannot tell the difference.
    """
    msg = Message(policy=compat32)
    name = ""
    value: list[str] = []
    for index, line in enumerate(head.decode("ascii", "surrogateescape").split("\n")):
        if not line.rstrip("\r"):
            continue
        if line[0] in " \t":
            if not name:
                return None  # a continuation with nothing to continue
            value.append("\n" + line)
            continue
        match = _FIELD_NAME.match(line)
        if match is None:
            if index == 0 and line.startswith("From "):
                msg.set_unixfrom(line.rstrip("\r"))
                continue
            return None
        if name:
            msg[name] = "".join(value).rstrip("\r\n")
        name = match.group(1)
        value = [line[match.end() :].lstrip(" \t")]
    if name:
        msg[name] = "".join(value).rstrip("\r\n")
    return msg


def _delimiters(body: bytes, boundary: bytes) -> list[tuple[int, int, bool]]:
    """Return (start, end, closing) for each delimiter line "--boundary[--]" in BODY."""
    found = []
    marker = b"--" + boundary
    position = body.find(marker)
    while position >= 0:
        after = position + len(marker)
        closing = body[after : after + 2] == b"--"
        line_end = body.find(b"\n", after)
        line_end = len(body) if line_end < 0 else line_end
        tail = body[after + 2 * closing : line_end].rstrip(b"\r")
        # A delimiter starts a line and has nothing after it but optional whitespace.
        if (position == 0 or body[position - 1] == 10) and not tail.strip(b" \t"):
            found.append((position, line_end, closing))
        position = body.find(marker, after)
    return found


def _split_multipart(body: bytes, boundary: bytes, depth: int) -> list[Message] | None:
    matches = _delimiters(body, boundary)
    if len(matches) < 2 or not matches[-1][2] or any(closing for _, _, closing in matches[:-1]):
        return None  # no parts, no closing delimiter, or parts after it
    children = []
    for opening, closing in zip(matches, matches[1:], strict=False):
        start = opening[1] + 1
        end = closing[0]
        # The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
        if body[end - 2 : end] == b"\r\n":
            end -= 2
        elif body[end - 1 : end] == b"\n":
            end -= 1
        child = _split(body[start:end] if start <= end else b"", depth + 1, "text/plain")
        if child is None:
            return None
        children.append(child)
    return children
