"""Pure parsing of raw RFC 822 mail: bytes in, plain data out (no Django here).

``parse_message(raw)`` is the entry point; the helpers are exported for the code that
matches addresses, threads messages and displays HTML.
"""

from keyou.mail.parse.headers import (
    Address,
    decode_header_value,
    normalize_email,
    normalize_message_id,
    normalize_subject,
    parse_address_list,
    parse_date,
    parse_message_id_list,
)
from keyou.mail.parse.html import block_remote_images, html_to_text, sanitize_html
from keyou.mail.parse.message import (
    ParsedAttachment,
    ParsedMessage,
    UnparseableMessage,
    parse_message,
)
from keyou.mail.parse.quotes import visible_text

__all__ = [
    "Address",
    "ParsedAttachment",
    "ParsedMessage",
    "UnparseableMessage",
    "block_remote_images",
    "decode_header_value",
    "html_to_text",
    "normalize_email",
    "normalize_message_id",
    "normalize_subject",
    "parse_address_list",
    "parse_date",
    "parse_message",
    "parse_message_id_list",
    "sanitize_html",
    "visible_text",
]
