"""/messages: one message, parsed or as its original bytes."""

from __future__ import annotations

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from ninja import Router

from keyou.api.errors import ApiError
from keyou.api.routers.common import COMMON_ERRORS
from keyou.api.schemas.mail import MessageDetailOut, message_detail_out
from keyou.mail import selectors
from keyou.mail.blobs import blob_get
from keyou.mail.models import MailboxCopy, Message

router = Router(tags=["mail"])


def _message(request: HttpRequest, message_id: int) -> Message:
    message = selectors.message_get_for(request.auth, message_id)
    copies = MailboxCopy.objects.select_related("mailbox")
    prefetch_related_objects(
        [message], "addresses", "attachments", Prefetch("copies", queryset=copies)
    )
    return message


@router.get(
    "/{int:message_id}",
    response={200: MessageDetailOut, **COMMON_ERRORS},
    by_alias=True,
    summary="Get a message",
)
def get_message(request: HttpRequest, message_id: int):
    """Return the message: addresses, bodies, visible text, attachments and mailboxes."""
    return message_detail_out(_message(request, message_id))


@router.get(
    "/{int:message_id}/raw",
    response={200: None, **COMMON_ERRORS},
    summary="Get a message's original bytes",
    openapi_extra={
        "responses": {
            200: {
                "description": "the message as received (RFC 5322)",
                "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def get_message_raw(request: HttpRequest, message_id: int):
    """Return the message exactly as it was received, as message/rfc822."""
    message = selectors.message_get_for(request.auth, message_id, body=True)
    try:
        raw = blob_get(message.raw_sha256)
    except (FileNotFoundError, ValueError):
        raise ApiError(
            404, "raw_missing", f"the original of message {message_id} is not stored"
        ) from None
    response = HttpResponse(raw, content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{message_id}.eml"'
    return response
