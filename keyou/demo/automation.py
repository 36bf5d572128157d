"""The demo's automation: business hours, routing for sales@, the built-in rules, fresh inquiries.

The generated history is old mail, so it runs no rules. A few inquiries dated
"just now" arrive in the shared sales@ mailbox at the end of the build; the worker
routes them by region, the owners find them in "My queue" with an SLA badge, and
if nobody answers, the reply-SLA rules create a task and tell the manager.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

from keyou.automation.models import BusinessCalendar, RoutingRule, Strategy
from keyou.automation.services import templates_install
from keyou.automation.templates import TEMPLATES
from keyou.mail.ingest import mail_ingest
from keyou.mail.services import mailbox_get
from keyou.mail.sources import RawItem
from keyou.people.access import SYSTEM
from keyou.people.models import Team, User

# Mainland China's 2026 public holidays and make-up working days (调休), as published
# by the State Council; each company checks and edits its own list.
HOLIDAYS_2026 = {
    "2026": {
        "off": [
            "2026-01-01", "2026-01-02", "2026-01-03",
            "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
            "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23",
            "2026-04-04", "2026-04-05", "2026-04-06",
            "2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05",
            "2026-06-19", "2026-06-20", "2026-06-21",
            "2026-09-25", "2026-09-26", "2026-09-27",
            "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05",
            "2026-10-06", "2026-10-07",
        ],
        "work": ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
    }
}  # fmt: skip

# (sender, subject, text): new customers writing to sales@ from three regions.
FRESH_INQUIRIES = [
    (
        "Jonas Weber <j.weber@lichtwerk-gmbh.de>",
        "Request for quotation: LED panel lights 600x600",
        "Hello,\n\nwe are looking for 2,000 LED panel lights 600x600 40W.\n"
        "Please send your price list, MOQ and lead time.\n\nBest regards\nJonas Weber\n"
        "Lichtwerk GmbH\nTel. +49 30 1234 5678",
    ),
    (
        "Emily Carter <emily.carter@brightpath-supply.com>",
        "Inquiry: solar garden lights, samples",
        "Hi,\n\nCould you send a catalog and pricing for your solar garden lights?\n"
        "We would like 3 samples before ordering.\n\nThanks,\nEmily Carter\n"
        "BrightPath Supply Inc.\nPhone: +1 415 555 0134",
    ),
    (
        "李明 <liming@guangyao-lighting.cn>",
        "询价：LED 投光灯 100W",
        "您好！\n\n我司需要采购 LED 投光灯 100W 共 500 台，请提供报价和样品信息。\n\n"
        "谢谢！\n李明\n广耀照明有限公司",
    ),
]


def _raw(sender: str, subject: str, text: str, at) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "sales@demo-trading.com"
    mail["Subject"] = subject
    mail["Date"] = format_datetime(at)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">"))
    mail.set_content(text)
    return mail.as_bytes()


def demo_automation(*, company: Team, director: User | None) -> dict:
    """Set up the demo's automation and deliver the fresh inquiries; return what was made."""
    if director is not None and company.manager_id is None:
        company.manager = director
        company.save(update_fields=["manager"])
    BusinessCalendar.objects.get_or_create(
        team=None,
        defaults={"name": "China office", "time_zone": "Asia/Shanghai", "holidays": HOLIDAYS_2026},
    )
    teams = {t.name: t for t in Team.objects.all()}
    routes = [
        ("Europe", ["EU", "GB", "CH", "NO", "TR", "RU"], "Europe Sales", Strategy.ROUND_ROBIN),
        ("Americas", ["NA", "LATAM"], "Americas Sales", Strategy.ROUND_ROBIN),
        ("Asia", ["CN", "HK", "TW", "JP", "KR", "SEA", "IN"], "Asia Sales", Strategy.LEAST_LOADED),
        ("Everyone else", [], "Europe Sales", Strategy.LEAST_LOADED),
    ]
    for position, (name, countries, team, strategy) in enumerate(routes, start=1):
        if team in teams:
            RoutingRule.objects.get_or_create(
                name=name,
                defaults={
                    "position": position * 10,
                    "countries": countries,
                    "team": teams[team],
                    "strategy": strategy,
                },
            )
    templates_install(
        actor=SYSTEM, choices={t.slug: True for t in TEMPLATES}, support_team="Support"
    )
    now = timezone.now()
    items = [
        RawItem(source=f"demo-fresh#{i}", raw=_raw(*row, now - timedelta(minutes=3 - i)))
        for i, row in enumerate(FRESH_INQUIRIES)
    ]
    stats = mail_ingest(mailbox=mailbox_get("sales@demo-trading.com"), items=items, workers=0)
    return {"fresh_inquiries": stats.new}
