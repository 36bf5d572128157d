"""Schemas of /threads and /messages."""

from __future__ import annotations

from ninja import Field, Schema
from pydantic import ConfigDict

from keyou.api.schemas.common import AddressOut, UtcDateTime
from keyou.mail.models import AddressRole, Direction, Message, Thread


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int = Field(description="bytes")
    inline: bool
    content_id: str


class MessageOut(Schema):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: int
    thread_id: int | None
    internet_message_id: str = Field(description="the Message-ID header, without <>")
    subject: str
    sent_at: UtcDateTime
    direction: Direction
    from_: AddressOut | None = Field(alias="from")
    to: list[AddressOut]
    cc: list[AddressOut]
    snippet: str
    visible_text: str = Field(description="the text without quoted replies and signature")
    automated: bool
    attachments: list[AttachmentOut]
    mailboxes: list[str] = Field(description="our mailboxes holding a copy")


class MessageDetailOut(MessageOut):
    reply_to: list[AddressOut]
    bcc: list[AddressOut] = Field(description="known only on our own outgoing copies")
    in_reply_to: list[str]
    references: list[str]
    text_body: str
    html_body: str = Field(description="sanitized HTML; remote images not rewritten")
    size: int = Field(description="bytes of the raw message (GET .../raw)")


class ThreadOut(Schema):
    id: int
    subject: str
    first_at: UtcDateTime | None
    last_at: UtcDateTime | None
    awaiting_since: UtcDateTime | None = Field(
        description="when the customer message we still owe a reply to arrived"
    )
    messages: list[MessageOut] = Field(description="the messages you may see, oldest first")


class MessageSummaryOut(Schema):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: int
    thread_id: int | None
    subject: str
    sent_at: UtcDateTime
    direction: Direction
    from_: AddressOut | None = Field(alias="from")
    snippet: str


def _addresses(message: Message, role: str) -> list[AddressOut]:
    rows = sorted((a for a in message.addresses.all() if a.role == role), key=lambda a: a.position)
    return [AddressOut(name=a.name, email=a.email) for a in rows]


def _sender(message: Message) -> AddressOut | None:
    if not message.from_email and not message.from_name:
        return None
    return AddressOut(name=message.from_name, email=message.from_email)


def _fields(message: Message) -> dict:
    return {
        "id": message.pk,
        "thread_id": message.thread_id,
        "internet_message_id": message.message_id,
        "subject": message.subject,
        "sent_at": message.sent_at,
        "direction": message.direction,
        "from_": _sender(message),
        "to": _addresses(message, AddressRole.TO),
        "cc": _addresses(message, AddressRole.CC),
        "snippet": message.snippet,
        "visible_text": message.visible_text,
        "automated": message.is_automated,
        "attachments": [
            AttachmentOut(
                id=a.pk,
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
                inline=a.inline,
                content_id=a.content_id,
            )
            for a in sorted(message.attachments.all(), key=lambda a: a.position)
        ],
        "mailboxes": sorted({c.mailbox.address for c in message.copies.all()}),
    }


def message_out(message: Message) -> MessageOut:
    """Render MESSAGE (addresses, attachments and copies with mailboxes prefetched)."""
    return MessageOut(**_fields(message))


def message_detail_out(message: Message) -> MessageDetailOut:
    """Render MESSAGE in full (addresses, attachments and copies with mailboxes prefetched)."""
    return MessageDetailOut(
        **_fields(message),
        reply_to=_addresses(message, AddressRole.REPLY_TO),
        bcc=_addresses(message, AddressRole.BCC),
        in_reply_to=list(message.in_reply_to or []),
        references=list(message.references or []),
        text_body=message.text_body,
        html_body=message.html_body,
        size=message.size,
    )


def thread_out(thread: Thread, messages: list[Message]) -> ThreadOut:
    """Render THREAD with the MESSAGES of it the actor may see."""
    return ThreadOut(
        id=thread.pk,
        subject=thread.subject,
        first_at=thread.first_at,
        last_at=thread.last_at,
        awaiting_since=thread.awaiting_since,
        messages=[message_out(m) for m in messages],
    )


def message_summary_out(message: Message) -> MessageSummaryOut:
    return MessageSummaryOut(
        id=message.pk,
        thread_id=message.thread_id,
        subject=message.subject,
        sent_at=message.sent_at,
        direction=message.direction,
        from_=_sender(message),
        snippet=message.snippet,
    )
