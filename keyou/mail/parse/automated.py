"""Tell mail written by a person from mail written by a machine.

Auto-replies, bounces, newsletters and notifications must not start SLA clocks, become
leads or count as a customer's answer. The evidence is mostly in the headers (RFC 3834
Auto-Submitted, Precedence, List-*); senders and subjects catch what the headers miss.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = ["automated_reason"]

_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk", "auto_reply", "auto-reply"})
_AUTOREPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponse", "x-autoresponder")
_MACHINE_LOCAL_PART = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|mailer[-_.]?daemon|post[-_.]?master|"
    r"bounces?|auto[-_.]?reply|autoresponder)(?:[-+_.].*)?$",
    re.IGNORECASE,
)
# Bounces often come from "MAILER-DAEMON <>", a name with no address behind it.
_MACHINE_NAME = re.compile(
    r"^(?:mailer[-_ ]?daemon|mail delivery (?:system|subsystem|service)|post[-_ ]?master)$",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"^\W*(?:undeliverable|undelivered mail|returned mail|mail delivery (?:failed|failure|"
    r"warning|notification)|delivery (?:status notification|failure|has failed|notification)|"
    r"failure notice|mail system error|non[- ]?deliver|message not delivered|"
    r"系统退信|退信|邮件投递失败|邮件未送达|未送达)",
    re.IGNORECASE,
)
_OUT_OF_OFFICE = re.compile(
    r"out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?reply|autoreply|auto[- ]response|"
    r"abwesenheitsnotiz|automatische antwort|réponse automatique|respuesta automática|"
    r"risposta automatica|automatisch antwoord|autosvar|automaattinen vastaus|"
    r"自动回复|自動回覆|自動回复|自动答复|自動応答|^\W*auto\s*[:：]|^\W*休假",
    re.IGNORECASE,
)


def automated_reason(
    headers: Mapping[str, str],
    *,
    subject: str = "",
    senders: Iterable[str] = (),
    sender_names: Iterable[str] = (),
    content_type: str = "",
) -> str:
    """Return a short code saying why a message looks machine-sent, or '' if it does not.

    HEADERS maps lower-cased header names to their (first) raw value; SENDERS and
    SENDER_NAMES are the From addresses and display names; CONTENT_TYPE is the top-level
    ``maintype/subtype``. Codes: ``auto_submitted``, ``autoreply_header``, ``report``,
    ``precedence``, ``list_id``, ``list_unsubscribe``, ``null_sender``, ``noreply_sender``,
    ``bounce_subject``, ``out_of_office``.
    """
    auto_submitted = headers.get("auto-submitted", "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return "auto_submitted"
    if any(name in headers for name in _AUTOREPLY_HEADERS):
        return "autoreply_header"
    if content_type == "multipart/report":
        return "report"  # delivery status notifications, read receipts, abuse reports
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return "precedence"
    if headers.get("list-id", "").strip():
        return "list_id"
    if precedence and headers.get("list-unsubscribe", "").strip():
        return "list_unsubscribe"
    if headers.get("return-path", "").strip() == "<>":
        return "null_sender"  # RFC 3834: automatic responses go out with an empty envelope sender
    for address in senders:
        if _MACHINE_LOCAL_PART.match(address.rpartition("@")[0]):
            return "noreply_sender"
    if any(_MACHINE_NAME.match(name.strip()) for name in sender_names):
        return "noreply_sender"
    if subject and _BOUNCE_SUBJECT.search(subject):
        return "bounce_subject"
    if subject and _OUT_OF_OFFICE.search(subject):
        return "out_of_office"
    return ""
