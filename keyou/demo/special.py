"""Messages outside customer threads: internal notes, newsletters, auto-replies, bounces."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

from keyou.demo import catalog, clients, context, htmlmail
from keyou.demo.render import MsgSpec, render
from keyou.demo.world import DOMAIN, SHARED, Contact, Customer, Staff

if TYPE_CHECKING:
    from keyou.demo.threads import ThreadMaker

INTERNAL = {
    "en": (
        (
            "Payment from {company}",
            "Hi {first},\n\nCould you please check whether the payment "
            "from {company} for {po} ({amount}) has arrived? The customer says they sent it last "
            "Friday and the bank slip is below.\n\nThanks,\n{me}",
            "Hi {first},\n\nYes, we received {amount} today. The bank charges were deducted on "
            "their side. You can release the goods.\n\nRegards,\n{me}",
        ),
        (
            "Customer visit next week - {company}",
            "Hi {first},\n\n{company} will visit our office "
            "next Tuesday. Could you join the meeting at 10:00 and prepare the samples of "
            "{product}?\n\nThanks,\n{me}",
            "No problem, I will prepare everything.\n\n{me}",
        ),
    ),
    "zh": (
        (
            "{company}的付款确认",
            "{first}，你好\n\n麻烦帮忙查一下{company}订单{po}的货款{amount}"
            "是否到账？客户说上周五已经付了。\n\n谢谢！\n{me}",
            "已经到账了，银行扣了手续费，可以安排放货。\n\n{me}",
        ),
        (
            "{po} 出货安排",
            "{first}，\n\n{po}下周要出货，麻烦安排一下报关资料和装箱单。\n\n{me}",
            "好的，收到，今天下午发给你。\n\n{me}",
        ),
    ),
}
OOO = {
    "en": ("Automatic reply: ", "Thank you for your email. I am out of the office until "
           "{until} with limited access to email. For urgent matters please contact "
           "{other}.\n\nBest regards,\n{name}\n"),
    "zh": ("自动回复: ", "您好，我目前休假中，{until}回来后会尽快回复您的邮件。如有急事请联系{other}。\n\n{name}\n"),
    "zh-tw": ("自動回覆: ", "您好，我目前休假中，{until}回來後會盡快回覆您的郵件。\n\n{name}\n"),
}  # fmt: skip


def internal_thread(maker: ThreadMaker) -> Iterator[MsgSpec]:
    """Yield one or two messages between two colleagues about a customer."""
    rng, world = maker.rng, maker.world
    customer = rng.choice(world.customers)
    a = customer.owner
    b = rng.choice(world.finance + world.support + world.sales.get(a.team, []))
    if b is a:
        b = rng.choice(world.staff)
    lang = "zh" if a.zh and b.zh and rng.random() < 0.7 else "en"
    ctx = context.thread_context(rng, customer, "en" if lang == "en" else "zh", maker.start_time())
    subject, first_text, reply_text = rng.choice(INTERNAL[lang])
    subject = subject.format(**ctx)
    when, refs = ctx["start"], []
    pairs = [(a, b, first_text)] + ([(b, a, reply_text)] if rng.random() < 0.6 else [])
    for i, (frm, to, template) in enumerate(pairs):
        names = (frm.zh, to.zh) if lang == "zh" else (frm.name.split()[0], to.name.split()[0])
        text = template.format(first=names[1], me=names[0], **ctx)
        style = clients.staff_style(frm)
        local = clients.local_time(when, 480)
        seq = maker.next_seq()
        msgid = clients.message_id(rng, seq, style, DOMAIN, local)
        html = htmlmail.paragraphs(text.split("\n\n"), style)
        spec = MsgSpec(
            seq=seq, msgid=msgid, date=local, sender=(frm.name, frm.email), to=[(to.name, to.email)],
            subject=subject if i == 0 else "RE: " + subject, text=text,
            html=context.full_html(html, style, "utf-8"), in_reply_to=refs[-1] if refs else "",
            references=list(refs), cte="base64" if lang == "zh" else "quoted-printable",
        )  # fmt: skip
        if style in clients.MAILERS:
            spec.extra.append(clients.MAILERS[style])
        yield spec
        refs.append(msgid)
        when += maker.gap()


def newsletter(maker: ThreadMaker) -> MsgSpec:
    """Return one bulk newsletter sent to a staff member or the shared mailbox."""
    rng = maker.rng
    sender_name, sender, title = rng.choice(catalog.NEWSLETTERS)
    domain = sender.split("@")[1]
    to = (
        ("", SHARED)
        if rng.random() < 0.4
        else (lambda s: (s.name, s.email))(rng.choice(maker.world.staff))
    )
    when = maker.start_time()
    zh = not sender_name.isascii()
    items = []
    for prod in rng.sample(catalog.PRODUCTS, 8):
        name = prod[1] if zh else prod[0]
        items.append(
            '<tr><td style="padding:12px;border-bottom:1px solid #eeeeee" width="120">'
            f'<img src="https://img.{domain}/p/{rng.getrandbits(40):010x}.jpg" width="110" '
            f'alt="{name}"></td><td style="padding:12px;border-bottom:1px solid #eeeeee;'
            f'font-family:Arial,sans-serif;font-size:14px"><b>{name}</b><br>'
            f"{'热门商品，欢迎询价' if zh else 'Verified suppliers, low MOQ, fast delivery'}<br>"
            f'<a href="https://www.{domain}/item/{rng.getrandbits(32)}?utm_source=newsletter'
            f'&amp;utm_medium=email">{"立即询价" if zh else "Get latest price"}</a></td></tr>\n'
        )
    html = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>'
        f'{title}</title></head><body style="margin:0;background:#f4f4f4">\n'
        '<table width="640" align="center" cellpadding="0" cellspacing="0" '
        f'style="background:#ffffff"><tr><td style="padding:20px;font-size:22px">{title}</td></tr>'
        f'\n{"".join(items)}<tr><td style="padding:20px;font-size:11px;color:#999">'
        f'You are receiving this because you subscribed. <a href="https://www.{domain}/unsub">'
        "Unsubscribe</a></td></tr></table></body></html>\n"
    )
    seq = maker.next_seq()
    if zh:
        list_id = f"<weekly.list.{domain}>"
    else:
        list_id = f"{title} <{title.lower().replace(' ', '-')}.{domain}>"
    spec = MsgSpec(
        seq=seq, msgid=f"<{rng.getrandbits(64):016x}.{seq}@mailer.{domain}>",
        date=clients.local_time(when, -300 if not zh else 480, "US"), sender=(sender_name, sender),
        to=[to], subject=f"{title} #{when:%Y%W}", html=html, cte="base64", html_cte="base64",
        extra=[
            ("List-Id", list_id),
            ("List-Unsubscribe", f"<mailto:unsubscribe@{domain}?subject=unsub-{seq}>, "
                                 f"<https://www.{domain}/u/{seq:x}>"),
            ("Precedence", "bulk"),
        ],
    )  # fmt: skip
    if rng.random() < 0.6:
        spec.text = f"{title}\n\n" + "\n".join(
            f"* {p[1] if zh else p[0]}" for p in catalog.PRODUCTS[:8]
        ) + f"\n\nUnsubscribe: https://www.{domain}/unsub\n"  # fmt: skip
    return spec


def auto_reply(maker: ThreadMaker, spec: MsgSpec, contact: Contact, customer: Customer) -> MsgSpec:
    """Return an out-of-office reply from CONTACT to the staff message SPEC."""
    rng = maker.rng
    prefix, body = OOO[customer.lang]
    local = clients.local_time(spec.date + timedelta(seconds=rng.randint(3, 90)), customer.offset)
    until = (local + timedelta(days=rng.randint(2, 14))).strftime("%Y-%m-%d")
    seq = maker.next_seq()
    domain = contact.email.split("@")[1]
    return MsgSpec(
        seq=seq, msgid=clients.message_id(rng, seq, "outlook", domain, local), date=local,
        sender=(contact.name, contact.email), to=[spec.sender], subject=prefix + spec.subject,
        text=body.format(until=until, other=f"purchase@{domain}", name=contact.name),
        in_reply_to=spec.msgid, references=[*spec.references, spec.msgid],
        extra=[("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")],
    )  # fmt: skip


def bounce(maker: ThreadMaker, spec: MsgSpec, sp: Staff) -> MsgSpec:
    """Return a delivery-status report from our MTA for the message SPEC."""
    rng = maker.rng
    seq = maker.next_seq()
    rcpt = spec.to[0][1]
    rdomain = rcpt.split("@")[1]
    headers = render(spec).split(b"\n\n", 1)[0]
    b = f"{rng.getrandbits(40):010X}.{seq}/mx.{DOMAIN}"
    when = spec.date + timedelta(seconds=rng.randint(5, 300))
    body = (
        f'Content-Type: multipart/report; report-type=delivery-status;\n boundary="{b}"\n\n'
        f"This is a MIME-encapsulated message.\n\n--{b}\nContent-Description: Notification\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        f"This is the mail system at host mx.{DOMAIN}.\n\nI'm sorry to have to inform you "
        "that your message could not\nbe delivered to one or more recipients. It's attached "
        "below.\n\n                   The mail system\n\n"
        f"<{rcpt}>: host mx.{rdomain}[203.0.113.{seq % 250 + 1}] said: 552 5.2.2\n"
        "    Mailbox full (in reply to RCPT TO command)\n\n"
        f"--{b}\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; mx.{DOMAIN}\nArrival-Date: {spec.date:%a, %d %b %Y %H:%M:%S %z}\n\n"
        f"Final-Recipient: rfc822; {rcpt}\nOriginal-Recipient: rfc822;{rcpt}\nAction: failed\n"
        f"Status: 5.2.2\nRemote-MTA: dns; mx.{rdomain}\n"
        "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\n\n"
        f"--{b}\nContent-Description: Undelivered Message Headers\n"
        "Content-Type: text/rfc822-headers\n\n"
    ).encode("ascii")
    body += headers + f"\n\n--{b}--\n".encode("ascii")
    return MsgSpec(
        seq=seq, msgid=f"<20{seq:010d}.{rng.getrandbits(32):08X}@mx.{DOMAIN}>", date=when,
        sender=("Mail Delivery System", f"MAILER-DAEMON@mx.{DOMAIN}"), to=[(sp.name, sp.email)],
        subject="Undelivered Mail Returned to Sender", body_override=body,
        extra=[("Auto-Submitted", "auto-replied")],
    )  # fmt: skip
