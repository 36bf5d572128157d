"""Keep the mail-volume rollup (`MailDay`, `MailShared`) equal to the messages it counts.

Every change recomputes whole account-days from the source rows (the email
timeline entries and their messages) instead of adding or subtracting, so a
redelivered event, a handler run twice or a refresh after a failed attempt all
leave the same rows. The unit of work is an account-day: an account and a day of
the rollup's zone.

- `analytics_on_event`: the outbox handler for `message.received` / `message.sent`
  (live or history), refreshing the account-days of the event's message.
- `mail_rollup_pairs` + `mail_rollup_refresh`: what services that move or delete
  filed mail call around their change (`crm.services.message_refile`,
  `mail.services.message_delete`); those write no event.
- `mail_rollup_rebuild`: recompute everything (or the days from SINCE on) with
  set-based INSERT ... SELECT per chunk of days (`keyou analytics rebuild`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from keyou.analytics.filters import company_zone
from keyou.analytics.models import MailDay, MailShared, RollupState
from keyou.crm.models import Activity, ActivityKind
from keyou.mail.models import Direction

if TYPE_CHECKING:
    from keyou.automation.models import Event

MAIL = "mail"
CHUNK_DAYS = 92  # a quarter: each chunk scans the email entries once for shared messages
COUNTED = (Direction.INBOUND, Direction.OUTBOUND)

Pair = tuple[int, date]  # (account id, day)


def mail_rollup_zone() -> ZoneInfo | None:
    """Return the zone of the mail rollup's days, or None while it has never been built."""
    state = RollupState.objects.filter(name=MAIL).values_list("zone", flat=True).first()
    return ZoneInfo(state) if state else None


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _counted(zone: ZoneInfo) -> QuerySet:
    """Return the email timeline entries the rollup counts, annotated with their DAY and
    whether their message is filed on another account too (SHARED)."""
    others = Activity.objects.filter(
        message_id=OuterRef("message_id"), kind=ActivityKind.EMAIL
    ).exclude(account_id=OuterRef("account_id"))
    return (
        Activity.objects.filter(
            kind=ActivityKind.EMAIL,
            message__is_automated=False,
            message__direction__in=COUNTED,
        )
        .annotate(day=TruncDate("occurred_at", tzinfo=zone), shared=Exists(others))
        .order_by()
    )


def _insert_select(table: str, columns: list[str], qs: QuerySet) -> int:
    """Insert the rows of QS (its columns named COLUMNS) into TABLE in one statement."""
    sql, params = qs.query.sql_with_params()
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(table)} ({names}) "  # noqa: S608 - names are ours
            f"SELECT {names} FROM ({sql}) AS rollup_source",
            params,
        )
        return max(cursor.rowcount, 0)


def _fill(where: Q, zone: ZoneInfo) -> tuple[int, int]:
    """Insert the MailDay and MailShared rows of the entries WHERE selects; return how many."""
    counted = _counted(zone).filter(where)
    sole = (
        counted.filter(shared=False)
        .values("account_id", "day")
        .annotate(
            inbound=Count("pk", filter=Q(message__direction=Direction.INBOUND)),
            outbound=Count("pk", filter=Q(message__direction=Direction.OUTBOUND)),
        )
    )
    shared = (
        counted.filter(shared=True)
        .values("message_id", "account_id", "day")
        .annotate(direction=Min("message__direction"))
    )
    days = _insert_select(
        MailDay._meta.db_table, ["account_id", "day", "inbound", "outbound"], sole
    )
    pairs = _insert_select(
        MailShared._meta.db_table, ["message_id", "account_id", "day", "direction"], shared
    )
    return days, pairs


# --- Refresh ----------------------------------------------------------------------------------


def mail_rollup_pairs(message_ids: Iterable[int]) -> set[Pair]:
    """Return the account-days MESSAGE_IDS count on now, or would count on when refreshed:
    those of their email timeline entries and those of their MailShared rows."""
    zone = mail_rollup_zone()
    ids = list(message_ids)
    if zone is None or not ids:
        return set()
    filed = (
        Activity.objects.filter(message_id__in=ids, kind=ActivityKind.EMAIL)
        .annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .values_list("account_id", "day")
    )
    shared = MailShared.objects.filter(message_id__in=ids).values_list("account_id", "day")
    return set(filed) | set(shared)


@transaction.atomic
def mail_rollup_refresh(pairs: Iterable[Pair]) -> int:
    """Recompute the rollup rows of the account-days PAIRS from the source rows.

    Idempotent. Does nothing while the rollup has never been built (metrics count
    the live tables then). Return how many rows were written.
    """
    zone = mail_rollup_zone()
    pairs = sorted(set(pairs))
    if zone is None or not pairs:
        return 0
    keys, where = Q(), Q()
    for account_id, day in pairs:
        keys |= Q(account_id=account_id, day=day)
        begin = _day_start(day, zone)
        where |= Q(
            account_id=account_id,
            occurred_at__gte=begin,
            occurred_at__lt=_day_start(day + timedelta(days=1), zone),
        )
    MailDay.objects.filter(keys).delete()
    MailShared.objects.filter(keys).delete()
    days, shared = _fill(where, zone)
    return days + shared


def mail_rollup_refresh_messages(message_ids: Iterable[int]) -> int:
    """Recompute the account-days MESSAGE_IDS count on; return how many rows were written."""
    return mail_rollup_refresh(mail_rollup_pairs(message_ids))


# --- The outbox handler -------------------------------------------------------------------


def analytics_on_event(event: Event, now: datetime) -> bool:
    """Keep the rollups current after EVENT (live or history); return True (done).

    A message event refreshes the account-days of its message. With no rollup yet,
    or a company time zone other than the rollup's, build it from scratch instead
    (that covers this event too).
    """
    from keyou.automation import events as kinds

    if event.kind not in (kinds.MESSAGE_RECEIVED, kinds.MESSAGE_SENT) or not event.message_id:
        return True
    zone = mail_rollup_zone()
    if zone is None or zone.key != company_zone().key:
        mail_rollup_rebuild()
        return True
    mail_rollup_refresh_messages([event.message_id])
    return True


# --- Rebuild ------------------------------------------------------------------------------


@dataclass
class RebuildResult:
    """What a rebuild did: the zone and days it covered, the rows it wrote, how long it took."""

    zone: str
    since: date | None
    first_day: date | None
    last_day: date | None
    chunks: int
    mail_days: int
    shared_rows: int
    seconds: float


def _first_day(zone: ZoneInfo) -> date | None:
    first = Activity.objects.filter(kind=ActivityKind.EMAIL).aggregate(at=Min("occurred_at"))["at"]
    return timezone.localdate(first, zone) if first else None


@transaction.atomic
def mail_rollup_rebuild(
    *, since: date | None = None, chunk_days: int = CHUNK_DAYS
) -> RebuildResult:
    """Recompute the mail rollup from scratch in the company time zone, CHUNK_DAYS at a time.

    With SINCE (and the rollup already in the company zone), only the days from
    SINCE on are rebuilt; otherwise every day. One transaction: readers see the
    old rows or the new ones, never a half-built rollup.
    """
    started = timezone.now()
    zone = company_zone()
    state = RollupState.objects.select_for_update().filter(name=MAIL).first()
    if state is None or state.zone != zone.key:
        since = None
    first = _first_day(zone)
    if since is not None and first is not None:
        first = max(first, since)
    if since is None:
        MailDay.objects.all().delete()
        MailShared.objects.all().delete()
    else:
        MailDay.objects.filter(day__gte=since).delete()
        MailShared.objects.filter(day__gte=since).delete()
    last = max(timezone.localdate(timezone.now(), zone), first) if first else None
    last_entry = Activity.objects.filter(kind=ActivityKind.EMAIL).aggregate(at=Max("occurred_at"))
    if last_entry["at"] and first:
        last = max(last, timezone.localdate(last_entry["at"], zone))
    chunks = days = shared = 0
    day = first
    while day is not None and last is not None and day <= last:
        upto = min(day + timedelta(days=chunk_days), last + timedelta(days=1))
        where = Q(occurred_at__gte=_day_start(day, zone), occurred_at__lt=_day_start(upto, zone))
        d, s = _fill(where, zone)
        days, shared, chunks = days + d, shared + s, chunks + 1
        day = upto
    rebuilt_at = timezone.now()
    RollupState.objects.update_or_create(
        name=MAIL, defaults={"zone": zone.key, "rebuilt_at": rebuilt_at}
    )
    return RebuildResult(
        zone=zone.key,
        since=since,
        first_day=first,
        last_day=last,
        chunks=chunks,
        mail_days=days,
        shared_rows=shared,
        seconds=round((rebuilt_at - started).total_seconds(), 3),
    )
