"""Turn bytes from mail into text, whatever charset label (or none) came with them.

Mail in the wild lies about its charset. Chinese clients label GBK and GB18030 text as
``gb2312``, Hong Kong clients label HKSCS text as ``big5``, Korean Outlook writes
``ks_c_5601-1987``, and plenty of software stamps ``us-ascii`` or ``iso-8859-1`` on UTF-8.
``decode_bytes`` maps each label to the codec that real senders mean, tries the sensible
alternatives in a fixed order, and records a problem code whenever it had to guess.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from functools import lru_cache

import charset_normalizer


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Labels whose bytes are, in practice, written by the superset codec on the right. The
# narrow codec is tried first only to learn whether the superset was needed (worth a
# problem code); the text itself always comes from the superset, which maps a few shared
# code points (e.g. GB2312 0xA1AA) the way Windows senders meant them.
_SUPERSET_LABELS = (
    ("gb2312 euc-cn euc_cn csgb2312 gb_2312-80 gb_2312 chinese iso-ir-58 x-euc-cn", "gb2312", "gb18030"),
    ("gbk x-gbk cp936 ms936 windows-936 936", "gbk", "gb18030"),
    ("big5 big-5 csbig5 x-x-big5 cn-big5 big5-hkscs big5hkscs cp950 ms950 windows-950 x-big5",
     "big5", "big5hkscs"),
    ("ks_c_5601-1987 ks_c_5601 ks_c_5601-1989 ksc5601 ksc_5601 ks_c_5601_1987 korean "
     "csksc56011987 euc-kr euc_kr euckr cseuckr x-euc-kr", "euc_kr", "cp949"),
    ("shift_jis shift-jis sjis x-sjis ms_kanji csshiftjis s-jis windows-31j cp932 ms932",
     "shift_jis", "cp932"),
    ("iso-2022-jp csiso2022jp iso2022-jp iso2022jp", "iso2022_jp", "iso2022_jp_ext"),
    ("tis-620 tis620 iso-8859-11 windows-874 cp874", "tis_620", "cp874"),
)  # fmt: skip
_SUPERSETS = {
    label: (narrow, wide) for labels, narrow, wide in _SUPERSET_LABELS for label in _words(labels)
}
# Labels that are routinely stamped on text that is really UTF-8 (or something else).
_ASCII_LABELS = frozenset(_words("us-ascii ascii ansi_x3.4-1968 iso646-us us csascii 646"))
_LATIN_LABELS = _ASCII_LABELS | frozenset(
    _words(
        "iso-8859-1 iso8859-1 iso_8859-1 latin1 latin-1 l1 iso-ir-100 cp819 ibm819 csisolatin1 8859-1"
    )
)
_UNICODE_ALIASES = frozenset(_words("utf8 utf-8 unicode-1-1-utf-8 x-utf8"))
_OTHER_ALIASES = {
    "windows-1252": "cp1252",
    "x-mac-roman": "mac_roman",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-6-i": "iso8859_6",
    "x-user-defined": "cp1252",
    "cp-850": "cp850",
    "hz-gb-2312": "hz",
}
# Codecs that turn 7-bit bytes into non-ASCII text (escape sequences), so the ASCII fast
# path must not be taken for them.
_STATEFUL = frozenset({"utf-7", "hz", "iso2022_jp", "iso2022_jp_ext", "iso2022_kr"})
# Codecs Python knows that are not character sets at all ("base64", "rot13", "idna", ...).
_NOT_CHARSETS = frozenset({"idna", "punycode", "raw_unicode_escape", "unicode_escape", "undefined"})

# Other codecs worth a try when the one a label names fails on the bytes: cp950 has a
# few Microsoft additions (the euro sign at 0xA3E1) that HKSCS lacks; Japanese mail uses
# every JIS extension there is, and Windows' own EUC-JP variant.
_ALTERNATIVES = {
    "big5hkscs": ("cp950",),
    "iso2022_jp_ext": ("iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_3"),
    "euc_jp": ("euc_jis_2004", "euc_jisx0213", "cp932"),
}
# Short-text detection: for each CJK codec, the most frequent characters of its script
# (GB2312 level 1, Big5 frequent hanzi, JIS level 1 with kana, KS X 1001 hangul).
_CJK_CANDIDATES = ("gb18030", "big5hkscs", "cp932", "euc_jp", "cp949")
_SINGLE_BYTE_CANDIDATES = list(
    _words(
        "cp1252 cp1251 koi8_r cp1250 iso8859_2 cp1253 cp1254 cp1255 cp1256 cp1257 cp874 iso8859_15"
    )
)
_MIN_CJK_SCORE = 0.6
# charset-normalizer needs some material to be right about single-byte encodings.
_MIN_DETECT_BYTES = 24
_HIGH_BYTES = bytes(range(0x80, 0x100))
_C1_BYTE = re.compile(rb"[\x80-\x9f]")


@lru_cache(maxsize=256)
def codec_for(label: str | None) -> str | None:
    """Return the Python codec name for a MIME charset LABEL, or None when unknown.

    Apply the superset mappings (gb2312 → gb18030, big5 → big5hkscs, ...) and refuse
    codecs that are not character sets.
    """
    key = _label_key(label)
    if not key:
        return None
    if key in _SUPERSETS:
        return _SUPERSETS[key][1]
    if key in _UNICODE_ALIASES:
        return "utf-8"
    key = _OTHER_ALIASES.get(key, key)
    try:
        info = codecs.lookup(key)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return None
    return info.name


def _label_key(label: str | None) -> str:
    # Quotes and an RFC 2231 language suffix ("utf-8*en") are not part of the name.
    return (label or "").strip().strip("\"'").strip().lower().split("*", 1)[0]


def decode_bytes(
    data: bytes,
    label: str | None,
    problems: list[str] | None = None,
    *,
    hint: str | None = None,
) -> str:
    """Return DATA decoded as text, trusting the charset LABEL only as far as it holds.

    Never raise. Append a problem code to PROBLEMS whenever the label was not enough:
    ``charset_fallback:<label>-><codec>``, ``charset_unknown:<label>``,
    ``charset_detected:<codec>``, or ``charset_replaced:<label>`` when undecodable bytes
    became U+FFFD. HINT is another charset seen in the same message, tried
    before statistical detection when the label is missing or unknown.
    """
    if problems is None:
        problems = []
    key = _label_key(label)
    codec = codec_for(key) if key else None
    if codec not in _STATEFUL and data.isascii():
        return data.decode("ascii")
    if not key or key in _LATIN_LABELS:
        return _decode_latin_or_unlabelled(data, key, problems, hint)
    if codec is None:
        problems.append(f"charset_unknown:{key[:40]}")
        return _decode_unknown(data, problems, hint)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return _decode_after_failure(data, key, codec, problems, hint)
    narrow = _SUPERSETS.get(key, (None, None))[0]
    if narrow and narrow != codec:
        try:
            data.decode(narrow)
        except UnicodeDecodeError:
            problems.append(f"charset_fallback:{key}->{codec}")
    return text


def _decode_latin_or_unlabelled(
    data: bytes, key: str, problems: list[str], hint: str | None
) -> str:
    # Non-ASCII bytes under an ASCII or Latin-1 label (or none): UTF-8 is by far the most
    # common truth, and Latin-1 text almost never happens to be valid UTF-8.
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if key:
            problems.append(f"charset_fallback:{key}->utf-8")
        return text
    if not key or key in _ASCII_LABELS:
        return _decode_unknown(data, problems, hint)
    # Latin-1 text has only a sprinkling of high bytes; dense runs point at a CJK or
    # Cyrillic encoding stamped with the wrong label.
    if (len(data) - len(data.translate(None, _HIGH_BYTES))) * 4 > len(data):
        return _detect(data, problems, hint, fallback=f"charset_fallback:{key}->cp1252")
    if _C1_BYTE.search(data) is None:
        return data.decode("latin-1")
    # C1 control bytes are never text: this is Windows-1252 (Outlook's smart quotes).
    problems.append(f"charset_fallback:{key}->cp1252")
    return _decode_cp1252(data)


def _decode_after_failure(
    data: bytes, key: str, codec: str, problems: list[str], hint: str | None
) -> str:
    for alternative in _ALTERNATIVES.get(codec, ()):
        try:
            text = data.decode(alternative)
        except UnicodeDecodeError:
            continue
        problems.append(f"charset_fallback:{key}->{alternative}")
        return text
    # Seven-bit escape-sequence text is valid UTF-8 (it is ASCII) but would read as noise.
    if not (codec in _STATEFUL and data.isascii()):
        if codec != "utf-8":
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                problems.append(f"charset_fallback:{key}->utf-8")
                return text
        guessed = _guess(data, hint, exclude=codec)
        if guessed is not None:
            text, found = guessed
            problems.append(f"charset_detected:{found}")
            return text
    problems.append(f"charset_replaced:{key}")
    return data.decode(codec, "replace")


def _decode_unknown(data: bytes, problems: list[str], hint: str | None) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return _detect(data, problems, hint, fallback="charset_replaced:unknown")


def _detect(data: bytes, problems: list[str], hint: str | None, *, fallback: str) -> str:
    guessed = _guess(data, hint)
    if guessed is not None:
        text, found = guessed
        problems.append(f"charset_detected:{found}")
        return text
    problems.append(fallback)
    return _decode_cp1252(data) if fallback.endswith("cp1252") else data.decode("utf-8", "replace")


def _decode_cp1252(data: bytes) -> str:
    # cp1252 leaves five bytes undefined; Latin-1 maps them to C1 controls instead of failing.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _guess(data: bytes, hint: str | None, *, exclude: str | None = None) -> tuple[str, str] | None:
    """Return (text, codec) for bytes whose label failed, or None when nothing is convincing."""
    hinted = codec_for(hint) if hint else None
    if hinted and hinted not in ("utf-8", exclude, "ascii"):
        try:
            return data.decode(hinted), hinted
        except UnicodeDecodeError:
            pass
    best: tuple[float, str, str] | None = None
    for codec in _CJK_CANDIDATES:
        if codec == exclude:
            continue
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        total, score = _cjk_score(text, codec)
        # One double-byte character is no evidence: any two high bytes make one somewhere.
        if total >= 2 and score >= _MIN_CJK_SCORE and (best is None or score > best[0]):
            best = (score, text, codec)
    if best is not None:
        return best[1], best[2]
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    if high * 10 < len(data) * 3:
        # Latin-script text: a few accented letters among ASCII. Statistics on so little
        # evidence pick exotic code pages; Windows-1252 is what such senders use.
        return _decode_cp1252(data), "cp1252"
    if len(data) >= _MIN_DETECT_BYTES:
        try:
            match = charset_normalizer.from_bytes(
                data, cp_isolation=_SINGLE_BYTE_CANDIDATES, preemptive_behaviour=False
            ).best()
        except Exception:  # the detector is a heuristic; its failure must not cost the mail
            match = None
        if match is not None:
            codec = codecs.lookup(match.encoding).name
            try:
                return data.decode(codec), codec
            except (UnicodeDecodeError, LookupError):
                pass
    return None


def _cjk_score(text: str, codec: str) -> tuple[int, float]:
    """Return how many non-ASCII characters TEXT has and the share of them that are common."""
    frequent = _frequent_chars(codec)
    total = hits = 0
    for ch in text:
        if ch < "\x80":
            continue
        total += 1
        hits += ch in frequent
    return total, (hits / total if total else 0.0)


@lru_cache(maxsize=8)
def _frequent_chars(codec: str) -> frozenset[str]:
    def table(encoding: str, leads: range, trails: range) -> set[str]:
        chars = set()
        for lead in leads:
            for trail in trails:
                with contextlib.suppress(UnicodeDecodeError):
                    chars.add(bytes((lead, trail)).decode(encoding))
        return chars

    if codec == "gb18030":
        # GB2312 symbols and full-width forms (rows 1-3) and level-1 hanzi (rows 16-55).
        chars = table("gb2312", range(0xA1, 0xA4), range(0xA1, 0xFF))
        chars |= table("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF))
    elif codec == "big5hkscs":
        chars = table("big5", range(0xA1, 0xA4), range(0x40, 0xFF))
        chars |= table("big5", range(0xA4, 0xC7), range(0x40, 0xFF))
    elif codec in ("cp932", "euc_jp"):
        # JIS X 0208 rows 1-5 (symbols, kana) and level-1 kanji, as EUC-JP byte pairs.
        chars = table("euc_jp", range(0xA1, 0xA6), range(0xA1, 0xFF))
        chars |= table("euc_jp", range(0xB0, 0xD0), range(0xA1, 0xFF))
    else:
        chars = table("euc_kr", range(0xA1, 0xA4), range(0xA1, 0xFF))
        chars |= table("euc_kr", range(0xB0, 0xC9), range(0xA1, 0xFF))
    return frozenset(chars)
