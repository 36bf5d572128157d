"""Which subject lines get answers: reply rate per subject pattern of the threads we begin."""

from __future__ import annotations

import re
from collections import defaultdict

from django.db.models import Exists, OuterRef, QuerySet

from keyou.analytics.filters import AnalyticsFilters
from keyou.analytics.rows import SubjectRow
from keyou.analytics.scope import first_message, ratio, threads_begun
from keyou.mail.models import Direction, Message, Thread
from keyou.people.access import Actor

_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|wg|sv|回复|回覆|答复|转发|轉寄)\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def subject_pattern(subject: str) -> str:
    """Return SUBJECT's pattern: reply/forward prefixes dropped, digit runs as #, case-folded.

    "Re: 回复: Quote #1234 for 500 pcs" → "quote ## for # pcs".
    """
    text = _PREFIX.sub("", subject or "")
    text = _DIGITS.sub("#", text)
    return _SPACE.sub(" ", text).strip().casefold()


def _sends(actor: Actor, filters: AnalyticsFilters) -> QuerySet[Thread]:
    replied = Message.objects.filter(
        thread_id=OuterRef("pk"),
        direction=Direction.INBOUND,
        is_automated=False,
        sent_at__gt=OuterRef("first_sent"),
    )
    return (
        threads_begun(actor, filters, Direction.OUTBOUND)
        .annotate(first_subject=first_message("subject"))
        .annotate(replied=Exists(replied))
    )


def subject_effectiveness(
    actor: Actor, filters: AnalyticsFilters, *, top: int = 10, min_sends: int = 3
) -> list[SubjectRow]:
    """Return the TOP subject patterns with at least MIN_SENDS sends, best reply rate first.

    A send is a thread we began in the period (its first message outbound); it got a
    reply when a later customer message came in the thread. Patterns come from
    `subject_pattern`; grouping happens in Python over one query's narrowed rows
    (thread, first subject, replied), as the pattern is not a database expression.
    """
    groups: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for subject, replied in _sends(actor, filters).values_list("first_subject", "replied"):
        groups[subject_pattern(subject)].append((subject, replied))
    rows = []
    for pattern, sends in groups.items():
        if len(sends) < min_sends:
            continue
        replies = sum(1 for _s, r in sends if r)
        example = sorted(s for s, _r in sends)[0]
        rows.append(
            SubjectRow(pattern, example, len(sends), replies, ratio(replies, len(sends)), pattern)
        )
    rows.sort(key=lambda r: (-(r.rate or 0), -r.sends, r.pattern))
    return rows[:top]


def drill_subject_effectiveness(actor: Actor, key: str, filters: AnalyticsFilters) -> list[Thread]:
    """Return the threads we began in the period whose first subject has pattern KEY."""
    threads = _sends(actor, filters).order_by("first_at", "pk")
    return [t for t in threads if subject_pattern(t.first_subject) == key]
