"""The demo company, its staff, and the customer companies with their contacts."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field

from keyou.demo import words as w

COMPANY = "Keyou Demo Trading"
COMPANY_ZH = "客邮示范贸易有限公司"
DOMAIN = "demo-trading.com"
SHARED = "sales@demo-trading.com"
TIMEZONE = "Asia/Shanghai"
SALES_TEAMS = ("Europe Sales", "Americas Sales", "Asia Sales")
SECTOR_SHORT = {
    "Electronics": "elec",
    "Lighting": "light",
    "Hardware": "hw",
    "Textile": "tex",
    "Packaging": "pack",
    "Plastic Products": "plastic",
    "Machinery": "mach",
    "Trading": "trade",
    "Industrial": "ind",
    "Technology": "tech",
}
REGION_TEAM = {"Europe": "Europe Sales", "Americas": "Americas Sales", "Asia": "Asia Sales"}


@dataclass(slots=True)
class Staff:
    """One employee of the demo company."""

    username: str
    name: str
    email: str
    team: str
    zh: str  # Simplified Chinese name, '' for staff without one
    zh_tw: str
    phone: str


@dataclass(slots=True)
class Contact:
    """One person at a customer."""

    name: str
    email: str
    first: str  # how a greeting addresses them
    zh: str = ""  # Chinese display name in the customer's script, or ''


@dataclass(slots=True)
class Customer:
    """A customer company (or a private buyer on free mail) and who looks after it."""

    name: str
    local_name: str  # name in the customer's own script ('' when the same)
    domain: str
    country: str
    lang: str  # 'en', 'zh' (Simplified) or 'zh-tw' (Traditional)
    offset: int  # UTC offset in minutes
    ports: tuple[str, ...]
    owner: Staff
    individual: bool = False
    contacts: list[Contact] = field(default_factory=list)


@dataclass(slots=True)
class World:
    """Everything the thread generator needs to know about the people involved."""

    staff: list[Staff]
    sales: dict[str, list[Staff]]
    support: list[Staff]
    finance: list[Staff]
    customers: list[Customer]


def ascii_slug(text: str) -> str:
    """Return TEXT as lower-case ASCII letters and digits only (ä -> ae, ß -> ss)."""
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text if ch.isalnum())


def _staff(rng: random.Random, salespeople: int) -> tuple[list[Staff], dict[str, list[Staff]]]:
    support = max(1, round(salespeople / 13))
    finance = max(1, round(salespeople / 20))
    teams = [SALES_TEAMS[i % 3] for i in range(salespeople)]
    teams += ["Support"] * support + ["Finance"] * finance
    taken: set[str] = set()
    staff: list[Staff] = []
    for i, team in enumerate(teams):
        western = team == "Europe Sales" and rng.random() < 0.2
        if western:
            first, last = rng.choice(w.EN_FIRST), rng.choice(w.EN_LAST)
            zh = zh_tw = ""
        else:
            first = rng.choice(w.EN_FIRST)
            sur = rng.choice(w.CN_SURNAMES)
            last = sur[0]
            # Every eleventh Chinese name uses a character outside GB2312.
            if i % 11 == 3:
                given = rng.choice(w.GBK_ONLY_NAMES)
                zh, zh_tw = sur[1] + given[1], ""
            else:
                given3 = rng.choice(w.CN_GIVEN)
                zh, zh_tw = sur[1] + given3[1], sur[2] + given3[2]
        base = f"{ascii_slug(first)}.{ascii_slug(last)}"
        username, n = base, 2
        while username in taken:
            username, n = f"{base}{n}", n + 1
        taken.add(username)
        phone = f"+86 21 {rng.randint(5000, 6999)} {rng.randint(1000, 9999)}"
        staff.append(
            Staff(username, f"{first} {last}", f"{username}@{DOMAIN}", team, zh, zh_tw, phone)
        )
    sales = {team: [s for s in staff if s.team == team] for team in SALES_TEAMS}
    return staff, sales


def _company_name(
    rng: random.Random, code: str, style: str, suffixes: tuple
) -> tuple[str, str, str]:
    """Return (name, name in local script, domain stem) for a company in country CODE."""
    suffix = rng.choice(suffixes)
    if style == "de":
        sector = rng.choice(w.DE_SECTORS)
        last = rng.choice(w.DE_LAST)
        name = f"{last} {sector} {suffix}" if rng.random() < 0.7 else f"{last} & Söhne {suffix}"
        stem = (
            f"{ascii_slug(last)}-{ascii_slug(sector)}" if "Söhne" not in name else ascii_slug(last)
        )
        return name, "", stem
    if style in ("cn", "tw", "hk"):
        brand, sector = rng.choice(w.CN_BRANDS), rng.choice(w.CN_SECTORS)
        if style == "hk":
            name = f"{brand[0]} (HK) {sector[0]} Limited"
            return name, f"{brand[2]}（香港）{sector[2]}有限公司", f"{brand[0].lower()}hk"
        cities = w.CN_CITIES if style == "cn" else w.TW_CITIES
        city = rng.choice(cities)
        name = f"{city[0]} {brand[0]} {sector[0]} Co., Ltd."
        if style == "cn":
            local = f"{city[1]}{brand[1]}{sector[1]}有限公司"
        else:
            local = f"{city[1]}{brand[2]}{sector[2]}股份有限公司"
        short = SECTOR_SHORT.get(sector[0], "cn")
        stem = rng.choice((f"{brand[0].lower()}-{short}", f"{city[0].lower()}{brand[0].lower()}"))
        return name, local, stem
    if style == "jp":
        last = rng.choice(w.JP_NAMES)[1]
        sector = rng.choice(w.JP_SECTORS)
        return f"{last} {sector} {suffix}", "", f"{last.lower()}-{sector.lower()}"
    prefix, sector = rng.choice(w.EN_PREFIXES), rng.choice(w.EN_SECTORS)
    stem = ascii_slug(prefix) + rng.choice(("", "-")) + ascii_slug(sector.split()[0])
    if rng.random() < 0.3:
        stem = ascii_slug(prefix) + rng.choice(("group", "supply", "trade", "direct"))
    return f"{prefix} {sector} {suffix}", "", stem


def _person(rng: random.Random, style: str) -> tuple[str, str, str]:
    """Return (name, first name used in greetings, Chinese display name or '')."""
    if style == "de":
        first, last = rng.choice(w.DE_FIRST), rng.choice(w.DE_LAST)
        return f"{first} {last}", first, ""
    if style == "jp":
        first, last = rng.choice(w.JP_NAMES)
        return f"{first} {last}", f"{last}-san", ""
    if style in ("cn", "tw", "hk"):
        sur, given = rng.choice(w.CN_SURNAMES), rng.choice(w.CN_GIVEN)
        script = 1 if style == "cn" else 2
        zh = sur[script] + given[script]
        if rng.random() < 0.5:
            first = rng.choice(w.EN_FIRST)
            return f"{first} {sur[0]}", first, zh
        return f"{sur[0]} {given[0]}", zh, zh
    first, last = rng.choice(w.EN_FIRST), rng.choice(w.EN_LAST)
    return f"{first} {last}", first, ""


def _local_part(rng: random.Random, name: str) -> str:
    parts = [ascii_slug(p) for p in name.split()]
    first, last = parts[0], parts[-1]
    return rng.choice(
        (f"{first}.{last}", first, f"{first[0]}{last}", f"{first}_{last}", f"{first}")
    )


def _unique(stem: str, tld: str, taken: set[str]) -> str:
    domain, n = f"{stem}.{tld}", 2
    while domain in taken:
        domain, n = f"{stem}{n}.{tld}", n + 1
    taken.add(domain)
    return domain


def build_world(rng: random.Random, *, salespeople: int, companies: int) -> World:
    """Create staff and COMPANIES customers, each looked after by one salesperson."""
    staff, sales = _staff(rng, salespeople)
    codes = list(w.COUNTRY_WEIGHTS)
    weights = [w.COUNTRY_WEIGHTS[c] for c in codes]
    taken: set[str] = set()
    customers: list[Customer] = []
    for _ in range(companies):
        code = rng.choices(codes, weights)[0]
        region, tlds, offset, lang, style, ports, suffixes = w.COUNTRIES[code]
        if code == "HK" and rng.random() < 0.5:
            lang = "en"
        team = sales[REGION_TEAM[region]] or staff
        candidates = [s for s in team if s.zh] if lang != "en" else team
        owner = rng.choice(candidates or team)
        if rng.random() < 0.1:
            name, first, zh = _person(rng, style)
            free = w.FREE_MAIL_CN if code == "CN" else w.FREE_MAIL_WEST
            domain = rng.choice(free)
            local = _local_part(rng, name) + str(rng.randint(1, 999))
            if domain in ("qq.com",):
                local = str(rng.randint(10_000_000, 2_999_999_999))
            customer = Customer(name, zh, domain, code, lang, offset, ports, owner, True)
            customer.contacts.append(Contact(name, f"{local}@{domain}", first, zh))
            customers.append(customer)
            continue
        name, local_name, stem = _company_name(rng, code, style, suffixes)
        domain = _unique(stem, rng.choice(tlds), taken)
        customer = Customer(name, local_name, domain, code, lang, offset, ports, owner)
        used: set[str] = set()
        for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 3, 4))):
            pname, first, zh = _person(rng, style)
            local = _local_part(rng, pname)
            if local in used:
                continue
            used.add(local)
            host = f"mail.{domain}" if rng.random() < 0.08 else domain
            customer.contacts.append(Contact(pname, f"{local}@{host}", first, zh))
        if rng.random() < 0.15:
            greet = {"zh": "采购部", "zh-tw": "採購部"}.get(lang, "Sir or Madam")
            customer.contacts.append(Contact("Purchasing", f"purchase@{domain}", greet))
        customers.append(customer)
    support = [s for s in staff if s.team == "Support"]
    finance = [s for s in staff if s.team == "Finance"]
    return World(staff, sales, support, finance, customers)
