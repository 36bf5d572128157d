"""The search page: customers, contacts and mail the reader may see, for one query."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from keyou.mail.models import Message
from keyou.search.scoped import search_for

MAX_QUERY = 200  # characters; a longer "query" is a paste accident, not a search
RESULTS_PER_KIND = 20
SNIPPET_BEFORE = 60
SNIPPET_AFTER = 160
_SCAN_CHARS = 20_000  # look for the hit this far into a body, no further
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class MessageHit:
    """A found message and the piece of its text to show: [(text, is_hit), ...]."""

    message: Message
    snippet: list[tuple[str, bool]]


@login_required
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Search what the reader may see for the ``q`` parameter; any input renders a page."""
    raw = request.GET.get("q", "")
    q, shortened = clean_query(raw)
    results = search_for(request.user, q, limit=RESULTS_PER_KIND) if q else None
    context = {
        "q": q,
        "shortened": shortened,
        "searched": bool(q),
        "accounts": results.accounts if results else [],
        "contacts": results.contacts if results else [],
        "mail_hits": [MessageHit(m, hit_snippet(m, q)) for m in results.messages]
        if results
        else [],
    }
    context["found"] = bool(context["accounts"] or context["contacts"] or context["mail_hits"])
    return render(request, "web/search.html", context)


def clean_query(raw: str) -> tuple[str, bool]:
    """Return RAW as a query (control characters dropped, spaces collapsed, at most
    MAX_QUERY characters) and whether it had to be shortened."""
    text = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in raw)
    text = " ".join(text.split())
    if len(text) > MAX_QUERY:
        return text[:MAX_QUERY].rstrip(), True
    return text, False


def hit_snippet(message: Message, q: str) -> list[tuple[str, bool]]:
    """Return the part of MESSAGE's text around the first word of Q found in it, split
    into plain and matching pieces; the stored snippet when no word is found."""
    terms = sorted({t for t in q.split() if t}, key=len, reverse=True)
    text = message.visible_text or message.text_body or ""
    match = None
    if terms:
        pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
        match = pattern.search(text, 0, _SCAN_CHARS)
    if match is None:
        return [(message.snippet or " ".join(text[:200].split()), False)]
    start = max(0, match.start() - SNIPPET_BEFORE)
    end = min(len(text), match.end() + SNIPPET_AFTER)
    window = text[start:end]
    pieces: list[tuple[str, bool]] = []
    if start:
        pieces.append(("… ", False))
    position = 0
    for found in pattern.finditer(window):
        if found.start() > position:
            pieces.append((window[position : found.start()], False))
        pieces.append((found.group(0), True))
        position = found.end()
    if position < len(window):
        pieces.append((window[position:], False))
    if end < len(text):
        pieces.append((" …", False))
    return [(_SPACES.sub(" ", piece), hit) for piece, hit in pieces]
