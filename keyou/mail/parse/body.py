"""Gather what a MIME tree holds: body text, HTML, attachments and forwarded messages.

``collect_body`` walks the tree once, in document order. It picks the richest
alternative of each multipart/alternative, keeps the resources of a multipart/related as
inline attachments, reads only the human part of a multipart/report as text, and turns
each forwarded message/rfc822 part into an .eml attachment plus a text block.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from io import BytesIO

from keyou.mail.parse.charsets import decode_bytes
from keyou.mail.parse.headers import decode_header_text, normalize_message_id
from keyou.mail.parse.html import html_to_text, sanitize_html
from keyou.mail.parse.mime import (
    PartHeaders,
    content_type,
    filename,
    payload_bytes,
    raw_payload,
)

__all__ = ["FORWARD_MARKER", "Body", "ParsedAttachment", "clean_text", "collect_body"]

FORWARD_MARKER = "---------- Forwarded message ----------"
# Deeper nesting than this is an attack or a loop, not a conversation.
_MAX_DEPTH = 30
_PARSER = BytesParser(policy=compat32)
# Extensions for synthesized names. The default tables only, so names do not depend on
# what /etc/mime.types holds on the machine.
_MIMETYPES = mimetypes.MimeTypes()
_EXTENSIONS = {
    "application/octet-stream": ".bin",
    "application/ms-tnef": ".dat",
    "application/vnd.ms-tnef": ".dat",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/pjpeg": ".jpg",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "text/rfc822-headers": ".txt",
    "text/plain": ".txt",
    "text/calendar": ".ics",
}
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
# The same words again, in formats nobody reads any more.
_OTHER_RENDERINGS = frozenset({"text/enriched", "text/richtext", "text/x-aol", "text/watch-html"})


@dataclass(slots=True)
class ParsedAttachment:
    """One attachment or inline part, decoded."""

    filename: str  # decoded; synthesized ("attachment-1.bin") when the part had none
    content_type: str  # lower-cased maintype/subtype
    data: bytes
    content_id: str  # normalized, '' if none
    inline: bool


@dataclass(slots=True)
class Body:
    """The text, HTML and attachments found in one message."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)


def collect_body(msg: Message, raw: bytes, problems: list[str], hint: str | None) -> Body:
    """Return the body parts of MSG, parsed from RAW; append problem codes to PROBLEMS.

    HINT is a charset declared somewhere in the message, for unlabelled 8-bit text.
    """
    collector = _Collector(problems, hint, _Source(raw))
    collector.walk(msg, 0)
    return Body(collector.plain, collector.html, collector.attachments, collector.forwarded)


def clean_text(text: str) -> str:
    """Return TEXT without NUL characters and lone surrogates, which databases refuse."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


class _Collector:
    """Walk a MIME tree, gathering body text, HTML, attachments and forwarded messages."""

    def __init__(
        self, problems: list[str], hint: str | None, source: _Source | None = None
    ) -> None:
        self.problems = problems
        self.hint = hint
        self.source = source
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[ParsedAttachment] = []
        self.forwarded: list[str] = []
        self.text_only = False  # reading a forwarded message: its attachments stay in the .eml

    def walk(
        self,
        part: Message,
        depth: int,
        *,
        related: bool = False,
        report: bool = False,
        charset: str | None = None,
    ) -> None:
        """Collect PART and its children.

        RELATED marks resources of a multipart/related, REPORT the machine-readable parts
        of a multipart/report; CHARSET is the nearest enclosing multipart's charset, which
        some clients declare there instead of on the text parts.
        """
        for defect in part.defects:
            self.problems.append(f"defect:{type(defect).__name__}")
        if depth > _MAX_DEPTH:
            self.problems.append("too_deep")
            return
        headers = PartHeaders.of(part)
        ctype, params = content_type(headers)
        own = params.get("charset")
        charset = own if isinstance(own, str) and own.strip() else charset
        payload = raw_payload(part)
        if isinstance(payload, list):
            if self.source is not None and isinstance(params.get("boundary"), str):
                self.source.enclosed(payload, params["boundary"])
            if ctype.startswith("message/") or not ctype.startswith("multipart/"):
                self._message_part(part, headers, ctype, depth, report=report)
            elif ctype == "multipart/alternative":
                self._alternative(payload, depth, charset)
            elif ctype == "multipart/related":
                self._related(payload, params, depth, charset)
            elif ctype == "multipart/report":
                self._report(payload, depth, charset)
            else:
                for child in payload:
                    self.walk(child, depth + 1, charset=charset)
            return
        self._leaf(part, headers, ctype, charset, params, related=related, report=report)

    def _alternative(self, children: list[Message], depth: int, charset: str | None) -> None:
        # Each alternative renders the same content; keep the richest text and HTML
        # (the last ones, RFC 2046 §5.1.4) but every attachment any of them carries.
        best_plain: list[str] = []
        best_html: list[str] = []
        for child in children:
            if content_type(PartHeaders.of(child))[0] in _OTHER_RENDERINGS:
                continue
            sub = _Collector(self.problems, self.hint, self.source)
            sub.text_only = self.text_only
            sub.attachments = self.attachments
            sub.forwarded = self.forwarded
            sub.walk(child, depth + 1, charset=charset)
            if any(t.strip() for t in sub.plain):
                best_plain = sub.plain
            if any(h.strip() for h in sub.html):
                best_html = sub.html
        self.plain.extend(best_plain)
        self.html.extend(best_html)

    def _report(self, children: list[Message], depth: int, charset: str | None) -> None:
        # The first part explains the report to a person; the rest is for machines.
        found = len(self.plain) + len(self.html)
        for index, child in enumerate(children):
            self.walk(child, depth + 1, report=index > 0, charset=charset)
        if children and len(self.plain) + len(self.html) == found:
            # Some servers label the human part message/delivery-status; read it as text.
            nested = raw_payload(children[0])
            if isinstance(nested, list):
                blocks = [_serialize(p, self.problems) for p in nested if isinstance(p, Message)]
                self.plain.append(decode_bytes(b"".join(blocks), charset, self.problems))

    def _related(
        self, children: list[Message], params: dict, depth: int, charset: str | None
    ) -> None:
        start = params.get("start")
        root_index = 0
        if isinstance(start, str) and normalize_message_id(start):
            wanted = normalize_message_id(start)
            for index, child in enumerate(children):
                if normalize_message_id(PartHeaders.of(child).get("content-id")) == wanted:
                    root_index = index
                    break
        for index, child in enumerate(children):
            self.walk(child, depth + 1, related=index != root_index, charset=charset)

    def _leaf(
        self,
        part: Message,
        headers: PartHeaders,
        ctype: str,
        charset: str | None,
        params: dict,
        *,
        related: bool,
        report: bool,
    ) -> None:
        disposition = headers.value_and_params("content-disposition")[0]
        name = filename(headers, params, self.problems, self.hint)
        if ctype.startswith("multipart/"):
            ctype = "text/plain"  # a multipart without a usable boundary: show what is there
        is_body = (
            ctype in ("text/plain", "text/html")
            and disposition != "attachment"
            and not name
            and not related
            and not report
        )
        if not is_body and self.text_only:
            return
        data = payload_bytes(part, headers, self.problems)
        if is_body:
            text = self._decode_text(data, charset, params, ctype)
            (self.html if ctype == "text/html" else self.plain).append(text)
            return
        content_id = normalize_message_id(headers.get("content-id"))
        inline = disposition == "inline" or (
            disposition != "attachment" and bool(content_id or related)
        )
        self._attach(name, ctype, data, content_id, inline)

    def _decode_text(self, data: bytes, charset: str | None, params: dict, ctype: str) -> str:
        if not charset and ctype == "text/html":
            match = _META_CHARSET.search(data[:4096])
            charset = match.group(1).decode("ascii") if match else None
        text = decode_bytes(data, charset, self.problems, hint=self.hint)
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if ctype == "text/plain" and str(params.get("format", "")).lower() == "flowed":
            text = _unflow(text, str(params.get("delsp", "")).lower() == "yes")
        return text

    def _message_part(
        self, part: Message, headers: PartHeaders, ctype: str, depth: int, *, report: bool
    ) -> None:
        payload = raw_payload(part)
        inner_parts = (
            [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
        )
        if self.text_only:
            if ctype in ("message/rfc822", "message/global") and inner_parts and not report:
                self.forwarded.append(self._forwarded_text(inner_parts[0], depth))
            return
        original = None
        if self.source is not None and len(inner_parts) == 1:
            original = self.source.message_bytes(part, inner_parts[0])
        data = original or b"".join(_serialize(p, self.problems) for p in inner_parts)
        encoding = headers.get("content-transfer-encoding").strip().lower()
        if encoding in ("base64", "quoted-printable") and inner_parts:
            # Not allowed by RFC 2046, but sent: the parser read encoded text as a message.
            fake = Message()
            fake.set_payload(data.decode("ascii", "surrogateescape").lstrip("\r\n"))
            fake["Content-Transfer-Encoding"] = encoding
            data = payload_bytes(fake, PartHeaders(fake), self.problems)
            inner_parts = [_PARSER.parsebytes(data)]
        _, params = content_type(headers)
        name = filename(headers, params, self.problems, self.hint)
        inner = inner_parts[0] if inner_parts else None
        if ctype in ("message/rfc822", "message/global") and inner is not None:
            if not name:
                subject = decode_header_text(PartHeaders.of(inner).get("subject"), [], self.hint)
                safe = _UNSAFE_NAME.sub(" ", subject).strip()[:80].strip()
                name = f"{safe}.eml" if safe else ""
            if not report:
                self.forwarded.append(self._forwarded_text(inner, depth))
        disposition = headers.value_and_params("content-disposition")[0]
        self._attach(name, ctype, data, "", disposition == "inline" and ctype != "message/rfc822")

    def _forwarded_text(self, inner: Message, depth: int) -> str:
        sub = _Collector([], self.hint)
        sub.text_only = True
        sub.walk(inner, depth + 1)
        headers = PartHeaders.of(inner)
        lines = [FORWARD_MARKER]
        for label, key in (
            ("From", "from"),
            ("Date", "date"),
            ("Subject", "subject"),
            ("To", "to"),
        ):
            value = decode_header_text(headers.get(key), [], self.hint)
            if value:
                lines.append(f"{label}: {value}")
        body = "\n\n".join(t for t in sub.plain if t.strip())
        if not body.strip() and sub.html:
            body = html_to_text(sanitize_html("\n".join(sub.html)))
        parts = ["\n".join(lines), body.strip("\n"), *sub.forwarded]
        return "\n\n".join(p for p in parts if p)

    def _attach(self, name: str, ctype: str, data: bytes, content_id: str, inline: bool) -> None:
        if not name:
            extension = _EXTENSIONS.get(ctype) or _MIMETYPES.guess_extension(ctype) or ".bin"
            name = f"attachment-{len(self.attachments) + 1}{extension}"
        self.attachments.append(ParsedAttachment(clean_text(name), ctype, data, content_id, inline))


class _Source:
    """The raw bytes the tree was parsed from, to hand forwarded messages over unchanged.

    The stdlib parser keeps no offsets, so a message/rfc822 part is found again by its
    first header line right after a blank line, searching forward in document order,
    and ends where its multipart's next boundary starts. When that fails the part is
    written back out by the generator instead (same content, different bytes).
    """

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.cursor = 0
        self.boundaries: dict[int, bytes] = {}

    def enclosed(self, children: list, boundary: str) -> None:
        """Remember that CHILDREN are delimited by BOUNDARY."""
        encoded = boundary.encode("utf-8", "surrogateescape")
        for child in children:
            self.boundaries[id(child)] = encoded

    def message_bytes(self, part: Message, inner: Message) -> bytes | None:
        """Return the original bytes of INNER, the message inside PART, or None."""
        first = next(iter(inner.raw_items()), None)
        if first is None:
            return None
        name, value = first
        head = name.encode("utf-8", "surrogateescape") + b":"
        wanted = str(value).split("\n", 1)[0].strip().encode("utf-8", "surrogateescape")
        raw = self.raw
        position = raw.find(b"\n" + head, self.cursor)
        while position >= 0:
            start = position + 1
            line_end = raw.find(b"\n", start)
            line = raw[start + len(head) : line_end if line_end >= 0 else len(raw)]
            # It must open a header block (a blank line before) and carry the same value.
            blank_before = (
                raw[position - 1 : position] == b"\n" or raw[position - 2 : position] == b"\n\r"
            )
            if blank_before and line.strip() == wanted:
                break
            position = raw.find(b"\n" + head, start)
        else:
            return None
        boundary = self.boundaries.get(id(part))
        end = len(raw)
        if boundary:
            close = raw.find(b"\n--" + boundary, start)
            if close >= 0:
                end = close - 1 if raw[close - 1 : close] == b"\r" else close
        self.cursor = end
        return self.raw[start:end]


def _serialize(part: Message, problems: list[str]) -> bytes:
    buffer = BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, maxheaderlen=0).flatten(part, unixfrom=False)
    except Exception:  # a part the generator cannot write back; keep what it wrote
        problems.append("decode_error")
    return buffer.getvalue()


def _unflow(text: str, delsp: bool) -> str:
    """Join the soft-broken lines of a format=flowed body (RFC 3676)."""
    out: list[str] = []
    current: list[str] = []
    current_depth = -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        if current and depth != current_depth:
            out.append(_quote_prefix(current_depth) + "".join(current))
            current = []
        soft = content.endswith(" ") and content != "-- "
        if soft and delsp:
            content = content[:-1]
        current.append(content)
        current_depth = depth
        if not soft:
            out.append(_quote_prefix(depth) + "".join(current))
            current = []
    if current:
        out.append(_quote_prefix(current_depth) + "".join(current))
    return "\n".join(out)


def _quote_prefix(depth: int) -> str:
    return ">" * depth + " " if depth > 0 else ""
