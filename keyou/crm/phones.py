"""Phone numbers in E.164, as typed by people and copied from signatures."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

__all__ = ["normalize_phone", "phone_country"]

# Chinese signatures write extensions as "0755-12345678转801" or "分机 801", which
# phonenumbers does not read; it does read "ext.".
_CJK_EXTENSION = re.compile(r"\s*(?:转|轉|分机|分機)\s*")
# A number this long is not a phone number; phonenumbers refuses past 250 characters too.
_MAX_INPUT = 250


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None


def normalize_phone(raw: str, default_region: str | None = None) -> str:
    """Return RAW as an E.164 number ('+8675512345678'), or '' if it is not a valid number.

    Read numbers without a country code in DEFAULT_REGION (an ISO 3166 code such as 'CN').
    Drop any extension. Keep the raw text beside the result: a number that phonenumbers'
    metadata does not know to be valid comes back as ''.
    """
    text = _CJK_EXTENSION.sub(" ext. ", raw.strip()) if raw else ""
    if not text or len(text) > _MAX_INPUT:
        return ""
    region = default_region.strip().upper() if default_region else None
    number = _parse(text, region)
    if number is None and region is None and text.startswith("00"):
        # "0086 755 ..." in a signature: 00 is the international prefix in China and most
        # of Europe, so read it as "+" when we know nothing better.
        number = _parse("+" + text[2:], None)
    if number is None or not phonenumbers.is_valid_number(number):
        return ""
    # E.164 has no room for an extension, so formatting drops it.
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def phone_country(e164: str) -> str:
    """Return the ISO 3166 region code ('CN') of the number E164, or '' if there is none.

    Non-geographic numbers (+800 freephone, +882 networks) and invalid numbers have none.
    """
    number = _parse(e164, None) if e164 and len(e164) <= _MAX_INPUT else None
    if number is None or not phonenumbers.is_valid_number(number):
        return ""
    region = phonenumbers.region_code_for_number(number) or ""
    # "001" is phonenumbers' code for non-geographic entities, not an ISO region.
    return region if region.isalpha() and region != "ZZ" else ""
