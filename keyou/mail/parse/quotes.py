"""Find what the sender actually wrote: strip quoted replies and signatures from a body.

Two kinds of evidence end the new text. A *strong* marker (``-----Original Message-----``,
an Outlook ``From: / Sent: / To:`` block, QQ Mail's ``原始邮件`` line, "Sent from my iPhone")
means everything below it is old mail, quoted or not. A *weak* one (``On <date>, <name>
wrote:``, ``在 2024年1月2日，张三 写道：``) introduces a quote; if the sender answered inline
below it, the quote stays, because the answers make no sense without it.

Every step looks at each line a bounded number of times, so the work is linear in the
size of the text: a 1 MB quoted thread costs milliseconds, not minutes.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["visible_text"]

# A line longer than this is prose, never a quote header; skipping it keeps the regexes cheap.
_MAX_HEADER_LINE = 400
# A weak header may be wrapped over this many lines ("On ..., John Smith\n<j@x.com>\nwrote:").
_MAX_HEADER_LINES = 4
# A signature delimiter this far from the end starts a signature; further up it is content.
_MAX_SIGNATURE_LINES = 15
# Quoted lines at least this long were probably wrapped by the replying client.
_WRAP_WIDTH = 60

_SEPARATOR_MARKER = re.compile(
    r"^[-=_*\s]{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|"
    r"mensaje original|messaggio originale|mensagem original|oorspronkelijk bericht|"
    r"originalmeddelande|oprindelig besked|opprinnelig melding|alkuperäinen viesti|"
    r"wiadomość oryginalna|původní zpráva|исходное сообщение|исходное письмо|"
    r"原始邮件|原始郵件|邮件原文|原始信息|原始信件|原邮件|"
    r"forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|"
    r"messaggio inoltrato|mensagem encaminhada|doorgestuurd bericht|转发邮件|轉寄郵件|"
    r"转发的邮件|転送されたメッセージ)\s*[-=_*\s]{2,}$",
    re.IGNORECASE,
)
# Android and Zoho write the quote header between dashes: "---- John wrote ----".
_DASHED_HEADER = re.compile(r"^-{2,}.{0,300}\b(?:wrote|schrieb|a écrit|写道)\s*:?\s*-{2,}$", re.I)
_FORWARD_INTRO = re.compile(
    r"^(?:begin forwarded message|anfang der weitergeleiteten nachricht|"
    r"début du message (?:réexpédié|transféré)|inicio del mensaje reenviado|"
    r"以下为转发的邮件|下面是被转发的邮件)\s*[:：]?$",
    re.IGNORECASE,
)
# Mobile clients put their signature right above the quoted original, with no header.
_MOBILE_SIGNATURE = re.compile(
    r"^(?:sent from my [\w-]+(?: [\w-]+){0,4}"
    r"|sent from (?:mail|outlook|yahoo mail|samsung|huawei|xiaomi|android|iphone|ipad|"
    r"blackberry|windows|aol|gmail|proton|acompli)\b[\w .-]{0,40}"
    r"|get outlook for (?:ios|android)"
    r"|(?:envoyé de mon|envoyé à partir de|envoyé depuis mon|von meinem|gesendet von|"
    r"enviado desde mi|enviado do meu|inviato da(?:l mio)?|verzonden (?:vanaf|met) mijn|"
    r"verstuurd vanaf mijn|skickat från min|sendt fra min|wysłane z|отправлено с)\b[\w .-]{0,40}"
    r"|(?:发自|来自|發自|寄自)我的[\w .-]{0,20}|发自\s?(?:网易邮箱|qq邮箱|outlook|手机)[\w .-]{0,20}"
    r"|(?:iphone|ipad|android)から送信"
    r"|sent from [\w -]{1,30}(?=<https?:))"
    r"\s*(?:<[^<>\s]{0,200}>)?$",
    re.IGNORECASE,
)

_HEADER_KEYS = {
    "from": "from von de van från fra da od от lähettäjä feladó afzender remitente "
    "发件人 寄件者 寄件人 發件人 发信人 差出人 보낸사람 보낸 사람",
    "date": "sent date gesendet datum envoyé envoyé le enviado enviada fecha data inviato "
    "verzonden skickat sendt dato wysłano отправлено дата lähetetty päivämäärä elküldve "
    "message du 发送时间 發送時間 时间 時間 日期 送信日時 日時 보낸 날짜",
    "to": "to an à a para aan till til do кому vastaanottaja címzett 收件人 收件者 宛先 받는 사람",
    "cc": "cc kopie copie à copia kopia копия 抄送 副本 抄送人",
    "subject": "subject betreff objet asunto oggetto onderwerp ämne emne temat тема aihe "
    "tárgy assunto sujet 主题 主旨 主題 件名 제목",
}


def _split_keys(keys: str) -> list[str]:
    # Multi-word keys ("envoyé le", "보낸 사람") are listed whole; split on known words only.
    words = keys.split()
    multi = {"envoyé le", "message du", "copie à", "보낸 사람", "보낸 날짜", "받는 사람"}
    out, skip = [], False
    for index, word in enumerate(words):
        if skip:
            skip = False
            continue
        pair = f"{word} {words[index + 1]}" if index + 1 < len(words) else ""
        if pair in multi:
            out.append(pair)
            skip = True
        else:
            out.append(word)
    return out


_KEY_CATEGORY = {key: cat for cat, keys in _HEADER_KEYS.items() for key in _split_keys(keys)}
_HEADER_KEY = re.compile(
    r"^[*>\s]*\*?("
    + "|".join(re.escape(k) for k in sorted(_KEY_CATEGORY, key=len, reverse=True))
    + r")\*?\s*[:：]",
    re.IGNORECASE,
)
_SEPARATOR_LINE = re.compile(r"^[-_=*~─—]{3,}$")

_ON_START = re.compile(
    r"^(?:on|le|am|el|il|op|den|em|w dniu|dnia|dne|på|in data|il giorno|vào)\b", re.IGNORECASE
)
_VERB = re.compile(
    r"(?:\b(?:wrote|writes|sent|a écrit|schrieb|escribió|escribio|ha scritto|scrisse|schreef|"
    r"geschreven|skrev|escreveu|napisał\(a\)|napisała|napisał|napisal|kirjoitti|"
    r"написал\(а\)|написала|написал|írta|yazdı|napsal\(a\)|napsala|napsal|đã viết|viết)"
    r"|写道|寫道|書きました|작성)",
    re.IGNORECASE,
)
_VERB_AT_END = re.compile(_VERB.pattern + r"\s*[:：]$", re.IGNORECASE)
_BARE_VERB_AT_END = re.compile(r"\b(?:wrote|sent)$", re.IGNORECASE)
_ANGLE_EMAIL_AT_END = re.compile(r"[<(]\s*[^<>()\s]+@[^<>()\s]+\s*[>)]\)?\s*[:：]?$")
_DIGIT = re.compile(r"\d")
_DATE_OR_TIME = re.compile(r"\d{1,2}[:.]\d{2}|\d{4}")
_SIGNATURE_DELIMITER = re.compile(r"^(?:--|__+)$")
_HEADER_TAIL = re.compile(r"^>\s*[:：]$")


def visible_text(text: str) -> str:
    """Return the part of a plain-text body TEXT that its sender wrote for this message.

    Remove quoted replies with their headers (in the languages our users meet),
    forwarded originals, Outlook header blocks, mobile signatures and ``-- `` signatures.
    Keep quotes that the sender answered inline. Fall back to TEXT (stripped) when
    nothing would be left.
    """
    if not text:
        return ""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    end = _strong_cut(lines)
    lines = _strip_weak_quotes(lines, end)
    end = _content_end(lines, 0, len(lines))
    result = "\n".join(lines[:end]).strip("\n").rstrip()
    if not result.strip():
        return text.strip()
    return result


def _is_quoted(stripped: str) -> bool:
    # ">:" is the tail of a wrapped header ("... <a@b.com\n>:"), not a quoted line.
    return stripped.startswith(">") and _HEADER_TAIL.match(stripped) is None


def _strong_cut(lines: list[str]) -> int:
    """Return the index of the first line that starts old mail for certain, or len(lines)."""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or len(stripped) > _MAX_HEADER_LINE or stripped[0] == ">":
            continue
        if (
            _SEPARATOR_MARKER.match(stripped)
            or _DASHED_HEADER.match(stripped)
            or _FORWARD_INTRO.match(stripped)
            or _MOBILE_SIGNATURE.match(stripped)
        ):
            return index
        if _HEADER_KEY.match(stripped) and _is_header_block(lines, index):
            return _walk_back(lines, index)
    return len(lines)


def _is_header_block(lines: list[str], start: int) -> bool:
    """Tell whether an Outlook-style "From: / Sent: / To: / Subject:" block starts at START."""
    categories: set[str] = set()
    continuation = 0
    has_address = False
    for line in lines[start : start + 8]:
        stripped = line.strip()
        if not stripped:
            break
        match = _HEADER_KEY.match(stripped)
        if match is None:
            continuation += 1
            if continuation > 2:
                break
        else:
            categories.add(_KEY_CATEGORY[match.group(1).lower()])
        has_address = has_address or "@" in stripped
    if not categories & {"from", "date"}:
        return False
    # Two keys alone ("From: Shanghai / To: Rotterdam") are a shipping route, not a header,
    # unless an address shows it is mail.
    return len(categories) >= 3 or (len(categories) == 2 and has_address)


def _walk_back(lines: list[str], index: int) -> int:
    # Include the blank lines and the ____ or ---- rule that Outlook puts above its block.
    while index > 0:
        above = lines[index - 1].strip()
        if above and not _SEPARATOR_LINE.match(above):
            break
        index -= 1
    return index


def _strip_weak_quotes(lines: list[str], end: int) -> list[str]:
    """Return LINES[:END] without quotes introduced by "On ... wrote:" that nobody answered."""
    tail = _content_end(lines, 0, end)
    index = 0
    while index < tail:
        header = _header_ending_at(lines, index, 0)
        if header < 0:
            index += 1
            continue
        following = _next_nonblank(lines, index + 1, tail)
        if following >= tail or not _is_quoted(lines[following].strip()):
            return lines[:header]  # unprefixed old mail below the header, or nothing at all
        after = _quote_block_end(lines, following, tail)
        if after >= tail:
            return lines[:header]
        if _is_sign_off(lines, after, tail):
            # "Regards, Roman" under a quote: the quote was context, not an answer.
            return lines[:header] + lines[after:tail]
        index = after  # answered inline: keep the quote, look for the next header
    return lines[:end]


def _next_nonblank(lines: list[str], index: int, end: int) -> int:
    while index < end and not lines[index].strip():
        index += 1
    return index


def _quote_block_end(lines: list[str], index: int, end: int) -> int:
    wrapped = False  # the previous line was a long quoted line a client may have wrapped
    while index < end:
        stripped = lines[index].strip()
        if _is_quoted(stripped):
            wrapped = len(stripped) >= _WRAP_WIDTH or "://" in stripped.rsplit(" ", 1)[-1]
        elif not stripped:
            wrapped = False
        elif wrapped:
            # The tail of a quoted line wrapped by a client that did not re-add the '>'.
            wrapped = False
        else:
            break
        index += 1
    return index


def _is_sign_off(lines: list[str], start: int, end: int) -> bool:
    seen = 0
    for line in lines[start : min(end, start + 50)]:
        stripped = line.strip()
        if not stripped:
            continue
        seen += 1
        if seen > 2 or len(stripped) > 40 or _is_quoted(stripped):
            return False
    return seen > 0 and end - start <= 50


def _content_end(lines: list[str], start: int, end: int) -> int:
    """Return the end of the content in LINES[START:END], without trailing quotes and signatures."""
    while end > start:
        stripped = lines[end - 1].strip()
        if not stripped or _is_quoted(stripped):
            end -= 1
            continue
        header = _header_ending_at(lines, end - 1, start, at_bottom=True)
        if header >= 0:
            end = header
            continue
        signature = _signature_start(lines, start, end)
        if signature >= 0:
            end = signature
            continue
        break
    return end


def _signature_start(lines: list[str], start: int, end: int) -> int:
    for index in range(end - 1, max(start, end - _MAX_SIGNATURE_LINES) - 1, -1):
        stripped = lines[index].rstrip()
        if _SIGNATURE_DELIMITER.match(stripped) or _MOBILE_SIGNATURE.match(stripped.strip()):
            return index
    return -1


def _header_ending_at(lines: list[str], last: int, lowest: int, *, at_bottom: bool = False) -> int:
    """Return where a weak quote header ending on line LAST starts, or -1 if there is none.

    Each line of the window is searched once, whatever the window size, so a hostile
    text costs linear time.
    """
    end_line = lines[last].strip()
    if not end_line or len(end_line) > _MAX_HEADER_LINE or _is_quoted(end_line):
        return -1
    ends_with_colon = end_line[-1] in ":："
    bare_verb = _BARE_VERB_AT_END.search(end_line[-6:]) is not None
    if not ends_with_colon and not bare_verb and end_line[-1] not in ">)":
        return -1
    quoted_below = at_bottom or _quoted_below(lines, last + 1)
    verb_at_end = ends_with_colon and _VERB_AT_END.search(end_line) is not None
    parts: list[str] = []
    has_digit = has_address = False
    shortest = opening = dated = -1
    for first in range(last, max(lowest, last - _MAX_HEADER_LINES + 1) - 1, -1):
        stripped = lines[first].strip()
        if not stripped or _is_quoted(stripped) or len(stripped) > _MAX_HEADER_LINE:
            break
        parts.insert(0, stripped)
        has_digit = has_digit or _DIGIT.search(stripped) is not None
        has_address = has_address or "@" in stripped
        if not (has_digit or has_address or quoted_below):
            continue  # every header form needs a date, an address or a quote below it
        on_start = _ON_START.match(stripped) is not None
        if on_start and has_digit and (bare_verb or (ends_with_colon and _any_verb(parts))):
            found = True
        elif verb_at_end:
            found = has_digit or has_address or quoted_below
        elif has_address and (ends_with_colon or quoted_below):
            joined = " ".join(parts)
            found = bool(_ANGLE_EMAIL_AT_END.search(joined) and _DATE_OR_TIME.search(joined))
        else:
            found = False
        if found:
            # Clients wrap long headers; the header starts on the line that opens it
            # ("On ...", or a date), not on the line above that merely ends a sentence.
            shortest = first if shortest < 0 else shortest
            if on_start:
                opening = first
            elif _DATE_OR_TIME.search(stripped):
                dated = first
    if opening >= 0:
        return opening
    return dated if dated >= 0 else shortest


def _any_verb(parts: list[str]) -> bool:
    return any(_has_verb(part) for part in parts)


@lru_cache(maxsize=1024)
def _has_verb(line: str) -> bool:
    return _VERB.search(line) is not None


def _quoted_below(lines: list[str], index: int) -> bool:
    for line in lines[index : index + 3]:
        stripped = line.strip()
        if stripped:
            return _is_quoted(stripped)
    return False
