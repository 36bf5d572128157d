"""Per-thread facts (products, prices, order numbers), subjects and signatures."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from keyou.demo import catalog, clients, htmlmail, text_en, text_zh
from keyou.demo import words as w
from keyou.demo.world import COMPANY, COMPANY_ZH, Contact, Customer, Staff

GBK_ONLY = tuple(name for _, name in w.GBK_ONLY_NAMES)
ADDRESS_EN = "Room 1206, Building 3, No. 88 Zhangjiang Road, Pudong, Shanghai 201203, China"
ADDRESS_ZH = "地址：上海市浦东新区张江路88号3号楼1206室"
ADDRESS_TW = "地址：上海市浦東新區張江路88號3號樓1206室"
WEB = "www.demo-trading.com"
VESSELS = ("MSC ISABELLA", "COSCO SHIPPING ARIES", "EVER GIVEN", "MAERSK ESSEN", "CMA CGM MARCO POLO",
           "ONE HARMONY", "OOCL HONG KONG")  # fmt: skip
SUBJECTS = {
    "en": {
        "deal": ("Inquiry for {product}", "RFQ - {product}", "Request for quotation: {product}",
                 "Price inquiry {product} - {company}"),
        "followup": ("New price list {year} - {product}", "Follow up: {product} offer",
                     "{product} - special offer this month"),
        "complaint": ("Quality problem with order {po}", "URGENT: defective goods PO {po}",
                      "Complaint - order {po}"),
        "repeat": ("New order {po}", "PO {po} - {product}"),
    },
    "zh": {
        "deal": ("询价：{product}", "关于{product}的询价", "{product}报价请求", "询价 - {company}"),
        "followup": ("{year}年最新价格表 - {product}", "{product}本月特价"),
        "complaint": ("订单{po}质量问题", "关于订单{po}退款的问题", "紧急：{po}货物不良"),
        "repeat": ("新订单 {po}", "采购订单{po} - {product}"),
    },
    "zh-tw": {
        "deal": ("詢價：{product}", "報價請求 - {product}"),
        "followup": ("{year}年最新價目表 - {product}",),
        "complaint": ("訂單{po}品質問題",),
        "repeat": ("新訂單 {po}",),
    },
}  # fmt: skip
DIAL = {"GB": 44, "DE": 49, "NL": 31, "FR": 33, "IT": 39, "ES": 34, "US": 1, "CA": 1, "BR": 55,
        "CN": 86, "HK": 852, "TW": 886, "JP": 81, "AU": 61, "SG": 65, "IN": 91}  # fmt: skip
TITLES = {
    "en": (
        "Purchasing Manager",
        "Buyer",
        "Sourcing Manager",
        "Managing Director",
        "Import Manager",
    ),
    "zh": ("采购经理", "采购部", "总经理", "采购主管"),
    "zh-tw": ("採購經理", "採購部", "總經理"),
}


def _money(value: float) -> str:
    return f"USD {value:,.2f}" if value >= 1 else f"USD {value:.3f}"


def thread_context(rng: random.Random, customer: Customer, lang: str, start: datetime) -> dict:
    """Return the facts one thread talks about, for the templates' format fields."""
    script = {"en": 0, "zh": 1, "zh-tw": 2}[lang]
    products = rng.sample(catalog.PRODUCTS, rng.choice((1, 1, 2, 3, 4)))
    rows, total = [], 0.0
    for prod in products:
        qty = rng.choice((200, 500, 1000, 2000, 3000, 5000, 10000))
        price = round(rng.uniform(prod[3], prod[4]), 2 if prod[4] >= 1 else 3)
        total += qty * price
        code = f"KY-{rng.randint(1000, 9999)}"
        rows.append([code, prod[script], f"{qty:,}", _money(price), _money(qty * price)])
    main = products[0]
    price = float(rows[0][3].split()[1].replace(",", ""))
    etd = start + timedelta(days=rng.randint(25, 50))
    if lang == "en":
        defect = rng.choice(catalog.DEFECTS_EN)
        company = customer.name
    else:
        defect = rng.choice(catalog.DEFECTS_ZH)[script - 1]
        company = customer.local_name or customer.name
    return {
        "start": start,
        "rows": rows,
        "product": main[script],
        "qty": rows[0][2],
        "price": rows[0][3],
        "target": _money(price * rng.uniform(0.82, 0.93)),
        "moq": rng.choice((100, 300, 500, 1000)),
        "incoterm": rng.choice(catalog.INCOTERMS),
        "port": rng.choice(customer.ports),
        "payment": rng.choice(catalog.PAYMENT_TERMS),
        "po": f"PO{start:%y}{rng.randint(100, 9999):04d}",
        "pi": f"KY{start:%y%m}{rng.randint(10, 999):03d}",
        "days": rng.randint(20, 45),
        "courier": rng.choice(("DHL", "FedEx", "UPS", "TNT") if lang == "en" else ("顺丰", "DHL")),
        "tracking": str(rng.randint(10**9, 10**10 - 1)),
        "defect": defect,
        "percent": rng.randint(3, 12),
        "amount": _money(total * (rng.uniform(0.05, 0.3) if rng.random() < 0.3 else 1)),
        "company": company,
        "vessel": f"{rng.choice(VESSELS)} V.{rng.randint(100, 999)}{rng.choice('EWNS')}",
        "etd": f"{etd:%Y-%m-%d}",
        "samples": rng.randint(2, 5),
        "account": str(rng.randint(10**8, 10**9 - 1)),
        "ref": f"Q{start:%y%m%d}-{rng.randint(1, 99):02d}",
        "year": start.year,
    }


def subject(rng: random.Random, kind: str, lang: str, ctx: dict) -> str:
    """Return the first subject of a thread of KIND."""
    return rng.choice(SUBJECTS[lang][kind]).format(**ctx)


def staff_signature(person: Staff, lang: str) -> list[str]:
    """Return the signature lines of a staff member writing in LANG."""
    mob = clients.mobile(person.email)
    if lang == "zh" and person.zh:
        title = {"Support": "客服部", "Finance": "财务部"}.get(person.team, "销售经理")
        return [f"{person.zh} {person.name}", title, COMPANY_ZH, ADDRESS_ZH,
                f"电话：{person.phone}  手机/微信：{mob}", WEB]  # fmt: skip
    if lang == "zh-tw" and person.zh_tw:
        return [f"{person.zh_tw} {person.name}", "業務經理", "客郵示範貿易有限公司", ADDRESS_TW,
                f"電話：{person.phone}  手機/微信：{mob}", WEB]  # fmt: skip
    title = {"Support": "Customer Service", "Finance": "Accountant"}.get(person.team)
    return [person.name, title or f"Sales Manager | {person.team}", f"{COMPANY} Co., Ltd.",
            ADDRESS_EN, f"Tel: {person.phone} | Mobile/WhatsApp/WeChat: {mob}", WEB]  # fmt: skip


def staff_footer(person: Staff, lang: str) -> str:
    """Return the legal footer PERSON's client appends, or ''."""
    if clients.stable(person.email, 3) == 0:
        return ""
    if lang == "zh":
        return text_zh.DISCLAIMER + "\n" + text_en.DISCLAIMER
    if lang == "zh-tw":
        return text_zh.DISCLAIMER_TW
    return text_en.DISCLAIMER


def contact_signature(customer: Customer, contact: Contact, lang: str) -> list[str]:
    """Return the signature lines of a customer contact."""
    title = TITLES[lang][clients.stable(contact.email, len(TITLES[lang]))]
    n = clients.stable(contact.email, 10**8)
    phone = f"Tel: +{DIAL.get(customer.country, 1)} {n // 100 % 1000} {n % 10000:04d}"
    if customer.individual:
        return [contact.zh or contact.name, phone]
    company = customer.local_name if lang != "en" and customer.local_name else customer.name
    name = contact.zh or contact.name if lang != "en" else contact.name
    return [name, title, company, phone, f"www.{customer.domain}"]


def full_html(inner: str, style: str, charset: str) -> str:
    """Return a complete HTML body for INNER in the client STYLE."""
    return htmlmail.head(style, charset) + inner + htmlmail.tail(style)
