"""/threads: a conversation's messages, in order."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from keyou.api.routers.common import COMMON_ERRORS
from keyou.api.schemas.mail import ThreadOut, thread_out
from keyou.audit.services import record_view
from keyou.mail import selectors

router = Router(tags=["mail"])


@router.get(
    "/{int:thread_id}",
    response={200: ThreadOut, **COMMON_ERRORS},
    by_alias=True,
    summary="Get a thread",
)
def get_thread(request: HttpRequest, thread_id: int):
    """Return the thread with the messages of it you may see, oldest first."""
    thread = selectors.thread_get_for(request.auth, thread_id)
    record_view(request.auth, thread, request=request)
    return thread_out(thread, list(selectors.thread_messages(request.auth, thread)))
