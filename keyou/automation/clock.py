"""Reply SLA clocks: when a thread's answer is due, how long it has waited, who answered.

The thread's own summary (``awaiting_since``) is kept by threading at ingest; this
module puts it on the owning team's business hours (``keyou.automation.sla``).
"""

from __future__ import annotations

from datetime import datetime

from keyou.automation.models import ResponseTime
from keyou.automation.sla import WorkingTime, calendar_for_team, working_time_for_team
from keyou.crm.models import Account, Activity
from keyou.mail.models import Direction, MailboxCopy, MailboxKind, Message, Thread
from keyou.people.models import User


def thread_team_id(thread: Thread) -> int | None:
    """Return the team whose business hours THREAD's clock runs on."""
    if thread.account_id:
        team = Account.objects.filter(pk=thread.account_id).values_list("team_id", flat=True)
        found = team.first()
        if found:
            return found
    copy = (
        MailboxCopy.objects.filter(message__thread_id=thread.pk, mailbox__team__isnull=False)
        .values_list("mailbox__team_id", flat=True)
        .first()
    )
    return copy


def thread_first_account_id(thread: Thread) -> int | None:
    """Return THREAD's customer: its own, else the first account its mail was filed on."""
    if thread.account_id:
        return thread.account_id
    return (
        Activity.objects.filter(thread_id=thread.pk, message__isnull=False)
        .order_by("occurred_at", "id")
        .values_list("account_id", flat=True)
        .first()
    )


def thread_account_settle(thread: Thread) -> None:
    """Give THREAD its customer (the first account its mail was filed on) if it has none."""
    if thread.account_id:
        return
    first = thread_first_account_id(thread)
    if first:
        thread.account_id = first
        Thread.objects.filter(pk=thread.pk, account__isnull=True).update(account_id=first)


def thread_sla_refresh(thread: Thread) -> datetime | None:
    """Set THREAD's reply due time from its wait and its team's hours; return it."""
    thread_account_settle(thread)
    due = None
    if thread.awaiting_since is not None:
        calendar = calendar_for_team(thread_team_id(thread))
        minutes = calendar.inquiry_reply_minutes if thread.is_inquiry else calendar.reply_minutes
        due = WorkingTime.from_calendar(calendar).add(thread.awaiting_since, minutes)
    if due != thread.reply_due_at:
        thread.reply_due_at = due
        Thread.objects.filter(pk=thread.pk).update(reply_due_at=due)
    return due


def thread_waiting_minutes(thread: Thread, now: datetime) -> int | None:
    """Return the working minutes THREAD has waited for our reply at NOW (None: it has not)."""
    if thread.awaiting_since is None:
        return None
    return working_time_for_team(thread_team_id(thread)).minutes_between(thread.awaiting_since, now)


def _responder_id(reply: Message) -> int | None:
    if reply.from_email:
        by_address = (
            User.objects.filter(email__iexact=reply.from_email).values_list("pk", flat=True).first()
        )
        if by_address:
            return by_address
    copy = (
        MailboxCopy.objects.filter(message=reply, mailbox__kind=MailboxKind.PERSONAL)
        .values_list("mailbox__owners", flat=True)
        .first()
    )
    return copy


def response_times_record(reply: Message) -> int:
    """Record the first-response time of each customer message REPLY answered; return how many.

    A reply answers the thread's unanswered inbound messages since our previous
    reply. Recording twice changes nothing (one row per inbound message).
    """
    if reply.thread_id is None or reply.direction != Direction.OUTBOUND or reply.is_automated:
        return 0
    previous = (
        Message.objects.filter(
            thread_id=reply.thread_id,
            direction=Direction.OUTBOUND,
            is_automated=False,
            sent_at__lt=reply.sent_at,
        )
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    answered = Message.objects.filter(
        thread_id=reply.thread_id,
        direction=Direction.INBOUND,
        is_automated=False,
        sent_at__lte=reply.sent_at,
        response_time__isnull=True,
    )
    if previous is not None:
        answered = answered.filter(sent_at__gt=previous)
    answered = list(answered.only("pk", "sent_at"))
    if not answered:
        return 0
    thread = Thread.objects.get(pk=reply.thread_id)
    thread_account_settle(thread)
    hours = working_time_for_team(thread_team_id(thread))
    responder = _responder_id(reply)
    rows = [
        ResponseTime(
            message_id=inbound.pk,
            thread_id=reply.thread_id,
            account_id=thread.account_id,
            reply_id=reply.pk,
            responder_id=responder,
            received_at=inbound.sent_at,
            responded_at=reply.sent_at,
            minutes=int((reply.sent_at - inbound.sent_at).total_seconds() // 60),
            working_minutes=hours.minutes_between(inbound.sent_at, reply.sent_at),
        )
        for inbound in answered
    ]
    ResponseTime.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
