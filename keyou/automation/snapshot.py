"""What an event is about, read once from the database into a flat snapshot for the engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keyou.automation.clock import thread_first_account_id, thread_waiting_minutes
from keyou.automation.models import Event
from keyou.crm.models import Account, Activity, Contact, ContactEmail, Task
from keyou.deals.models import Deal
from keyou.mail.models import AddressRole, Direction, Mailbox, Message, MessageAddress, Thread


@dataclass
class Subjects:
    """The rows an event speaks of (each may be missing)."""

    account: Account | None = None
    thread: Thread | None = None
    message: Message | None = None
    mailbox: Mailbox | None = None
    contact: Contact | None = None
    task: Task | None = None
    deal: Deal | None = None


def _first_account_id(message_id: int | None, thread: Thread | None) -> int | None:
    if message_id:
        first = (
            Activity.objects.filter(message_id=message_id)
            .order_by("id")
            .values_list("account_id", flat=True)
            .first()
        )
        if first:
            return first
    return thread_first_account_id(thread) if thread is not None else None


def subjects_load(event: Event) -> Subjects:
    """Load the rows EVENT speaks of: message, thread, account, contact, task, deal, mailbox."""
    found = Subjects()
    if event.task_id:
        found.task = Task.objects.select_related("assignee").filter(pk=event.task_id).first()
    deal_id = event.deal_id or (found.task.deal_id if found.task is not None else None)
    if deal_id:
        found.deal = (
            Deal.objects.select_related("stage", "pipeline", "owner").filter(pk=deal_id).first()
        )
    if event.message_id:
        found.message = Message.objects.filter(pk=event.message_id).first()
    thread_id = event.thread_id or (found.message.thread_id if found.message else None)
    if thread_id is None and found.task is not None:
        thread_id = found.task.thread_id
    if thread_id is None and found.deal is not None:
        thread_id = found.deal.thread_id
    if thread_id:
        found.thread = Thread.objects.filter(pk=thread_id).first()
    if event.mailbox_id:
        found.mailbox = Mailbox.objects.filter(pk=event.mailbox_id).first()
    if event.contact_id:
        found.contact = Contact.objects.filter(pk=event.contact_id).first()
    account_id = event.account_id
    if account_id is None and found.contact is not None:
        account_id = found.contact.account_id
    if account_id is None and found.task is not None:
        account_id = found.task.account_id
    if account_id is None and found.deal is not None:
        account_id = found.deal.account_id
    if account_id is None:
        account_id = _first_account_id(event.message_id, found.thread)
    if account_id:
        found.account = (
            Account.objects.select_related("owner", "team").filter(pk=account_id).first()
        )
    if found.contact is None and found.message is not None and found.message.from_email:
        email = ContactEmail.objects.filter(email=found.message.from_email).first()
        if email is not None:
            found.contact = email.contact
    return found


def _first_from_sender(message: Message) -> bool:
    if message.direction != Direction.INBOUND or not message.from_email:
        return False
    return not (
        MessageAddress.objects.filter(
            email=message.from_email,
            role=AddressRole.FROM,
            message__sent_at__lt=message.sent_at,
        )
        .exclude(message_id=message.pk)
        .exists()
    )


def snapshot_build(found: Subjects, now: datetime, data: dict | None = None) -> dict[str, Any]:
    """Return the flat catalogue snapshot of FOUND at NOW (see keyou.automation.catalog)."""
    from keyou.automation.origin import origin_detect

    snap: dict[str, Any] = {"event.after": (data or {}).get("after")}
    message = found.message
    if message is not None:
        text = message.visible_text or message.text_body
        origin = origin_detect(sender=message.from_email, text=text)
        snap |= {
            "message.subject": message.subject,
            "message.text": text,
            "message.sender": message.from_email,
            "message.domain": message.from_email.rpartition("@")[2],
            "message.country": origin.country,
            "message.language": origin.language,
            "message.direction": message.direction,
            "message.first_from_sender": _first_from_sender(message),
            "message.automated": message.is_automated,
        }
    if found.mailbox is not None:
        snap["message.mailbox"] = found.mailbox.address
        snap["message.mailbox_kind"] = found.mailbox.kind
    account = found.account
    if account is not None:
        snap |= {
            "account.name": account.name,
            "account.owner": account.owner.username if account.owner_id else None,
            "account.has_owner": account.owner_id is not None,
            "account.team": account.team.name if account.team_id else None,
            "account.tags": list(account.tags.values_list("name", flat=True)),
            "account.lifecycle": account.lifecycle,
            "account.tier": account.tier,
            "account.country": account.country,
            "account.last_follow_up": account.last_outbound_at,
            "account.last_inbound": account.last_inbound_at,
            "owner.name": (account.owner.get_full_name() or account.owner.username)
            if account.owner_id
            else None,
        }
    thread = found.thread
    if thread is not None:
        snap |= {
            "thread.subject": thread.subject,
            "thread.awaiting_reply": thread.awaiting_since is not None,
            "thread.is_inquiry": thread.is_inquiry,
            "thread.messages": thread.message_count,
            "thread.waiting_minutes": thread_waiting_minutes(thread, now),
        }
    if found.contact is not None:
        snap |= {"contact.name": found.contact.name, "contact.email": found.contact.primary_email}
    if found.task is not None:
        task = found.task
        snap |= {
            "task.title": task.title,
            "task.kind": task.kind,
            "task.assignee": task.assignee.username if task.assignee_id else None,
            "task.due": task.due_at,
        }
    if found.deal is not None:
        snap |= _deal_fields(found.deal, now, data or {})
    return snap


def _deal_fields(deal: Deal, now: datetime, data: dict) -> dict[str, Any]:
    from keyou.deals.money import amount_in_company

    amount = (
        amount_in_company(deal.amount, deal.currency, now.date())
        if deal.amount is not None
        else None
    )
    return {
        "deal.title": deal.title,
        "deal.pipeline": deal.pipeline.name,
        "deal.stage": data.get("to_stage_name") or deal.stage.name,
        "deal.previous_stage": data.get("from_stage_name"),
        "deal.status": deal.status,
        "deal.owner": deal.owner.username if deal.owner_id else None,
        "deal.amount": float(amount) if amount is not None else None,
        "deal.currency": deal.currency,
        "deal.probability": deal.stage.probability,
        "deal.age_days": (now - deal.created_at).days,
        "deal.days_in_stage": (now - deal.stage_entered_at).days,
        "deal.source": deal.source,
    }
