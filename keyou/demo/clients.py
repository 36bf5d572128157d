"""How each sender's mail client behaves: HTML style, Message-ID shape, charsets, dates."""

from __future__ import annotations

import random
import zlib
from datetime import UTC, datetime, timedelta, timezone

from keyou.demo.world import DOMAIN, Contact, Customer, Staff

ANCHOR = datetime(2026, 6, 30, tzinfo=UTC)
_DST = {"GB", "DE", "NL", "FR", "IT", "ES", "US", "CA"}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_ZH_WEEKDAYS = "一二三四五六日"
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
MAILERS = {
    "outlook": ("X-Mailer", "Microsoft Outlook 16.0"),
    "foxmail": ("X-Mailer", "Foxmail 7.2.25.254[cn]"),
}

# Charset buckets for Simplified Chinese: (label, real codec, weight).
ZH_CHARSETS = (
    ("utf-8", "utf-8", 50),
    ("gb2312", "gb2312", 20),
    ("gbk", "gbk", 12),
    ("gb18030", "gb18030", 8),
    ("gb2312", "gbk", 5),  # mislabelled: GBK-only characters inside a GB2312 label
    ("gb2312", "utf-8", 3),  # mislabelled: UTF-8 bytes inside a GB2312 label
)
_ZH_WEIGHTS = [c[2] for c in ZH_CHARSETS]


def stable(key: str, n: int) -> int:
    """Return a number in range(N) fixed for KEY across runs (no hash randomisation)."""
    return zlib.crc32(key.encode("utf-8")) % n


def staff_style(person: Staff) -> str:
    """Return the mail client a staff member uses."""
    return "foxmail" if stable(person.username, 4) == 0 and person.zh else "outlook"


def contact_style(contact: Contact, customer: Customer) -> str:
    """Return the mail client a customer contact uses."""
    domain = contact.email.rsplit("@", 1)[1]
    if domain in ("qq.com", "163.com", "126.com"):
        return "foxmail"
    if domain == "gmail.com":
        return "gmail"
    k = stable(contact.email, 10)
    if customer.lang != "en":
        return "foxmail" if k < 6 else "outlook" if k < 8 else "gmail"
    return "outlook" if k < 6 else "gmail"


def mobile(key: str) -> str:
    """Return a stable mobile number for the person with address KEY."""
    n = zlib.crc32(key.encode("utf-8"))
    return f"+86 13{n % 10} {n // 10 % 10000:04d} {n // 100000 % 10000:04d}"


def local_time(utc: datetime, offset: int, country: str = "") -> datetime:
    """Return UTC shifted into OFFSET minutes east (plus summer time in DST countries)."""
    if country in _DST and 4 <= utc.month <= 10:
        offset += 60
    return utc.astimezone(timezone(timedelta(minutes=offset)))


def display_date(dt: datetime, style: str, lang: str) -> str:
    """Return DT the way STYLE's client writes it in a quoted-reply header."""
    hour12 = dt.hour % 12 or 12
    ampm = "AM" if dt.hour < 12 else "PM"
    if lang == "zh":
        noon = "上午" if dt.hour < 12 else "下午"
        wd = _ZH_WEEKDAYS[dt.weekday()]
        return f"{dt.year}年{dt.month}月{dt.day}日(星期{wd}) {noon}{hour12}:{dt.minute:02d}"
    if lang == "zh-tw":
        noon = "上午" if dt.hour < 12 else "下午"
        return f"{dt.year}年{dt.month}月{dt.day}日 {noon} {hour12}:{dt.minute:02d}"
    if style == "gmail":
        return (
            f"{_WEEKDAYS[dt.weekday()][:3]}, {_MONTHS[dt.month][:3]} {dt.day}, {dt.year} "
            f"at {hour12}:{dt.minute:02d} {ampm}"
        )
    return (
        f"{_WEEKDAYS[dt.weekday()]}, {_MONTHS[dt.month]} {dt.day}, {dt.year} "
        f"{hour12}:{dt.minute:02d} {ampm}"
    )


def message_id(rng: random.Random, seq: int, style: str, domain: str, dt: datetime) -> str:
    """Return a unique Message-ID shaped like the one STYLE's client would make."""
    if style == "gmail":
        tail = "".join(rng.choices(_ALNUM, k=30))
        return f"<CA+{tail}{seq:x}@mail.gmail.com>"
    if style == "foxmail":
        if domain == "qq.com":
            return f"<tencent_{rng.getrandbits(64):016X}{seq:08X}@qq.com>"
        stamp = dt.strftime("%Y%m%d%H%M%S")
        return f"<{stamp}{rng.randint(1000, 9999)}{seq}@{domain}>"
    host = "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ", k=4))
    box = rng.randint(1000, 9999)
    region = "apcprd06" if domain == DOMAIN else "eurprd04"
    return f"<{host}PR06MB{box}{seq:07X}{rng.getrandbits(32):08X}@{host}PR06MB{box}.{region}.prod.outlook.com>"


def choose_encoding(rng: random.Random, lang: str, style: str) -> tuple[str, str, str, str]:
    """Return (charset label, real codec, text CTE, HTML CTE) for a message."""
    if lang == "zh":
        label, codec, _ = rng.choices(ZH_CHARSETS, _ZH_WEIGHTS)[0]
    elif lang == "zh-tw":
        label = codec = "big5" if rng.random() < 0.6 else "utf-8"
    else:
        label = codec = "iso-8859-1" if style == "outlook" and rng.random() < 0.04 else "utf-8"
    if lang == "en":
        r = rng.random()
        cte = "base64" if r < 0.1 else "8bit" if r < 0.25 else "quoted-printable"
        return label, codec, cte, "base64" if cte == "base64" else "quoted-printable"
    r = rng.random()
    cte = "base64" if r < 0.6 else "8bit" if r < 0.85 else "quoted-printable"
    return label, codec, cte, cte
