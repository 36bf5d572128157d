"""Where an email comes from: the sender's country and the language of the text.

Pure functions on plain strings (no database), used by inquiry routing and by the
rules engine's snapshot. The country comes, in this order of trust, from the
sender's domain (a country-code top-level domain, or a Chinese free-mail
provider), from an international phone number in the signature, or, for a few
languages spoken in one country only, from the language of the text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from email.utils import parseaddr

from keyou.crm.phones import normalize_phone, phone_country
from keyou.mail.domains import email_domain

__all__ = [
    "DETECTED_LANGUAGES",
    "ISO_COUNTRIES",
    "Origin",
    "domain_country",
    "origin_detect",
    "text_language",
]

# ISO 3166-1 alpha-2: every officially assigned code.
_ISO_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL
    GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM
    JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD
    SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
ISO_COUNTRIES: frozenset[str] = frozenset(_ISO_CODES.split())

# Country-code TLDs that are not the ISO code of their country, or name none.
_CCTLD_EXCEPTIONS: dict[str, str] = {"uk": "GB", "eu": "", "su": "", "ac": ""}
# Country-code TLDs sold and used as generic ones: a .io or .co address says nothing
# about where its owner sits.
_GENERIC_CCTLDS = frozenset({"co", "io", "tv", "me", "ai", "cc", "ws", "fm", "nu"})
# Internationalized country TLDs, as typed and as punycode.
_IDN_CCTLDS: dict[str, str] = {
    "中国": "CN",
    "中國": "CN",
    "香港": "HK",
    "台湾": "TW",
    "台灣": "TW",
    "澳門": "MO",
    "рф": "RU",
    "한국": "KR",
    "ไทย": "TH",
}
_IDN_CCTLDS |= {name.encode("idna").decode("ascii"): code for name, code in _IDN_CCTLDS.items()}

# Chinese free-mail providers: a generic .com or .net, but nearly always a Chinese sender.
_CN_FREE_MAIL = frozenset(
    {
        "qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "yeah.net",
        "188.com",
        "sina.com",
        "sina.cn",
        "sohu.com",
        "aliyun.com",
        "139.com",
        "189.cn",
        "21cn.com",
        "tom.com",
        "263.net",
    }
)

# The signature sits at the end: look for a phone number in the last lines only, so a
# number quoted in the body (an order number, a price) is less likely to be taken.
SIGNATURE_LINES = 20
# Enough text to know the language; a long email is not read to its end.
_MAX_TEXT = 20_000

# A quoted earlier message starts here; a number below it is someone else's.
_QUOTE_START = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|原始邮件|原始郵件|forwarded message)\s*-{2,}"
    r"|on .{0,200} wrote:\s*$|在.{0,200}写道[:：]\s*$|发件人[:：]|寄件者[:：]|from:\s.+@)",
    re.IGNORECASE | re.MULTILINE,
)
# "+49 30 1234567", "0049-30-1234567", "+86 (0)755 8888 1234"; not "10049..." (a longer number).
_PHONE = re.compile(r"(?<![\d+])(?:\+|00)\s?[1-9][\d\s().\-/]{5,24}\d")


@dataclass(frozen=True)
class Origin:
    """Where a sender likely is: COUNTRY (ISO 3166, or ''), LANGUAGE (ISO 639-1, or '').

    HOW says what gave the country: "domain", "phone", "language", or "" for nothing.
    """

    country: str = ""
    language: str = ""
    how: str = ""


def _sender_domain(sender: str) -> str:
    return email_domain(parseaddr(sender or "")[1] or (sender or ""))


def domain_country(domain: str) -> str:
    """Return the country (ISO 3166) the email domain DOMAIN points to, or ''.

    A country-code TLD gives its country (.uk gives GB; .eu and generic-use TLDs such
    as .co and .io give nothing); Chinese free-mail domains (qq.com, 163.com, ...) give
    CN; other generic TLDs give nothing.
    """
    domain = domain.strip().rstrip(".").lower()
    if not domain:
        return ""
    if any(domain == free or domain.endswith("." + free) for free in _CN_FREE_MAIL):
        return "CN"
    tld = domain.rpartition(".")[2]
    if tld in _IDN_CCTLDS:
        return _IDN_CCTLDS[tld]
    if tld in _CCTLD_EXCEPTIONS:
        return _CCTLD_EXCEPTIONS[tld]
    if len(tld) != 2 or tld in _GENERIC_CCTLDS:
        return ""
    code = tld.upper()
    return code if code in ISO_COUNTRIES else ""


def _unquoted(text: str) -> str:
    """Return TEXT up to the first quoted earlier message, without '>' lines."""
    match = _QUOTE_START.search(text)
    if match:
        text = text[: match.start()]
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))


def signature_phone_country(text: str) -> str:
    """Return the country of the first international phone number in TEXT's signature, or ''.

    Only numbers written with an international prefix (+49, 0049) count: a national
    number says nothing without knowing the country already.
    """
    lines = _unquoted(text[:_MAX_TEXT]).rstrip().splitlines()[-SIGNATURE_LINES:]
    for match in _PHONE.finditer("\n".join(lines)):
        raw = match.group(0).replace("\n", " ")
        if raw.startswith("00"):
            raw = "+" + raw[2:]
        country = phone_country(normalize_phone(raw))
        if country:
            return country
    return ""


# --- Language -------------------------------------------------------------------------

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]{2,}")
_ARABIC_WORD = re.compile(r"[\u0600-\u06ff\u0750-\u077f]{2,}")
_THAI = re.compile(r"[\u0e00-\u0e7f]")
_LATIN_WORD = re.compile(r"[a-zà-öø-ÿāăąćčďđēėęěğīįıłńňōőœřśşšţťūůűųźżžơưạ-ỹ]{2,}")

# Short, frequent words of each language that others rarely use. Words shared by two
# languages (es/pt "para", "que") vote for both and so decide nothing between them.
_STOP_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and is are of to in for you your we our with please this that would will "
        "have be it on from can thank thanks regards dear hello kindly could us send "
        "interested looking best an any",
        "es": "el la los las de que en un una por para con es su sus gracias saludos estimado "
        "estimados hola nos del al lo como más pero está estamos somos muy usted ustedes "
        "quisiera nuestro nuestra precio cotización",
        "pt": "os as de que em um uma para com não obrigado obrigada você vocês nós do da dos "
        "das no na são olá prezado prezados atenciosamente gostaria nosso nossa cotação "
        "preço muito",
        "fr": "le la les de des du et est un une pour avec nous vous votre vos je merci "
        "bonjour cordialement sur dans pas que qui au aux ce cette madame monsieur notre "
        "prix",
        "de": "der die das und ist nicht ein eine einen mit für wir sie ihr ihre ich bitte "
        "danke vielen grüße grüßen freundlichen sehr geehrte geehrter auf von zu den dem "
        "des uns haben ihnen unser unsere",
        "it": "il lo la gli le di che è un una per con non sono siamo grazie saluti cordiali "
        "gentile buongiorno vostro vostra nostro nostra della del dei delle al prezzo "
        "vorremmo",
        "tr": "ve bir bu için ile de da mi çok teşekkür teşekkürler merhaba saygılarımla "
        "fiyat ürün olarak olan var daha gibi sayın rica ederiz lütfen firmamız",
        "vi": "và của là có không cho các những với được trong một này chúng tôi bạn xin "
        "cảm ơn chào giá anh chị quý công ty",
        "id": "dan yang di ke dari untuk dengan ini itu kami anda terima kasih tidak ada akan "
        "bisa saya harga mohon salam hormat bapak ibu dalam atau juga",
    }.items()
}
# Every language text_language can name.
DETECTED_LANGUAGES: frozenset[str] = frozenset({"zh", "ja", "ko", "ru", "ar", "th", *_STOP_WORDS})

# A Latin-script language is named only with this many stop words, and this far ahead
# of the runner-up; else the text is too short or too mixed to say.
_MIN_VOTES = 3
_LEAD_RATIO = 1.5


def _latin_language(text: str) -> str:
    votes: Counter[str] = Counter()
    for word in _LATIN_WORD.findall(text.lower()):
        for lang, words in _STOP_WORDS.items():
            if word in words:
                votes[lang] += 1
    ranked = votes.most_common(2)
    if not ranked or ranked[0][1] < _MIN_VOTES:
        return ""
    best, best_votes = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    return best if best_votes >= _LEAD_RATIO * runner_up and best_votes > runner_up else ""


def text_language(text: str) -> str:
    """Return the language (ISO 639-1) TEXT is written in, or '' when unsure.

    Scripts decide first: Han (zh, or ja with kana), Hangul (ko), Cyrillic (ru),
    Arabic (ar), Thai (th). Latin text is told apart by a vote of common words among
    en, es, pt, fr, de, it, tr, vi and id.
    """
    text = _unquoted((text or "")[:_MAX_TEXT])
    latin_words = len(_LATIN_WORD.findall(text.lower()))
    # One CJK character is about a word; a script wins when it outweighs the Latin words
    # (an English email signed 王伟 stays English).
    scripts = {
        "cjk": len(_HAN.findall(text)) + len(_KANA.findall(text)),
        "ko": len(_HANGUL.findall(text)),
        "ru": len(_CYRILLIC_WORD.findall(text)),
        "ar": len(_ARABIC_WORD.findall(text)),
        "th": len(_THAI.findall(text)) // 3,  # Thai writes no spaces: ~3 letters a word
    }
    script, count = max(scripts.items(), key=lambda item: item[1])
    if count >= 2 and count >= latin_words:
        if script == "cjk":
            return "ja" if len(_KANA.findall(text)) >= 2 else "zh"
        return script
    return _latin_language(text)


# Languages spoken (in business mail) in essentially one country.
_LANGUAGE_COUNTRY = {"zh": "CN", "ja": "JP", "ko": "KR", "th": "TH", "vi": "VN"}


def origin_detect(*, sender: str, text: str) -> Origin:
    """Return where the email from SENDER with TEXT (its body) likely comes from.

    The country comes from the sender's domain, else from an international phone
    number in the signature (the last lines of TEXT, so pass the body with its
    signature), else from the language when only one country speaks it.
    """
    language = text_language(text)
    country = domain_country(_sender_domain(sender))
    if country:
        return Origin(country=country, language=language, how="domain")
    country = signature_phone_country(text or "")
    if country:
        return Origin(country=country, language=language, how="phone")
    country = _LANGUAGE_COUNTRY.get(language, "")
    return Origin(country=country, language=language, how="language" if country else "")
