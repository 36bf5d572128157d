"""Customer conversation threads: who writes to whom, when, in what words and bytes."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from keyou.demo import clients, context, special
from keyou.demo.attach import has_attachment_for, make_attachment
from keyou.demo.compose import Quoted, compose
from keyou.demo.render import MsgSpec
from keyou.demo.world import DOMAIN, SHARED, Contact, Customer, Staff, World

SEQUENCES = {
    "deal": ["inquiry", "quote", "negotiate", "counter", "sample_req", "sample_sent", "order",
             "order_confirm"],
    "followup": ["followup", "interest", "quote", "negotiate", "counter", "sample_req",
                 "sample_sent", "order"],
    "complaint": ["complaint", "apology", "evidence", "investigation", "refund_ask",
                  "refund_offer", "accept", "closing"],
    "repeat": ["order", "order_confirm"],
}  # fmt: skip
KINDS = (("deal", 50), ("followup", 20), ("complaint", 15), ("repeat", 15))
LENGTH_WEIGHTS = (18, 18, 16, 14, 11, 9, 7, 7)
SHARED_ADDR = ("Keyou Sales", SHARED)
GBK_NOTE = "（如需开票请联系财务 {name}，分机 {ext}）"


def reply_prefix(style: str, lang: str, seq: int = 0) -> str:
    """Return the reply prefix STYLE's client puts before a subject in LANG."""
    if lang == "zh":
        if style == "foxmail":
            return "回复：" if seq % 3 == 0 else "回复: "
        return "答复: " if style == "outlook" else "Re: "
    if lang == "zh-tw":
        return "回覆: " if style != "outlook" else "RE: "
    return "RE: " if style == "outlook" else "Re: "


class ThreadMaker:
    """Produce message specs one thread at a time from a seeded RNG."""

    def __init__(self, rng: random.Random, world: World) -> None:
        self.rng = rng
        self.world = world
        self.seq = 0

    def next_seq(self) -> int:
        """Return the next message sequence number."""
        self.seq += 1
        return self.seq

    def start_time(self) -> datetime:
        """Return a thread start time in the two years before the anchor."""
        return clients.ANCHOR - timedelta(seconds=self.rng.uniform(26 * 86400, 730 * 86400))

    def gap(self) -> timedelta:
        """Return the delay before the next message in a thread."""
        hours = min(0.2 + self.rng.expovariate(1 / 16), 60)
        return timedelta(seconds=int(hours * 3600))

    def staff_addr(self, person: Staff, lang: str) -> tuple[str, str]:
        """Return the display name and address of PERSON as written in LANG mail."""
        if lang == "zh" and person.zh and self.rng.random() < 0.5:
            return person.zh, person.email
        if lang == "zh-tw" and person.zh_tw and self.rng.random() < 0.5:
            return person.zh_tw, person.email
        return person.name, person.email

    def contact_addr(self, contact: Contact, lang: str) -> tuple[str, str]:
        """Return the display name and address of CONTACT."""
        if contact.zh and lang != "en" and self.rng.random() < 0.7:
            return contact.zh, contact.email
        return contact.name, contact.email

    def colleague(self, sp: Staff, step: str) -> Staff:
        """Return a colleague SP would copy on STEP."""
        w = self.world
        if step in ("order_confirm", "refund_offer", "closing", "order") and w.finance:
            return self.rng.choice(w.finance)
        if step in ("apology", "investigation", "evidence") and w.support:
            return self.rng.choice(w.support)
        team = [s for s in w.sales.get(sp.team, []) if s is not sp]
        return self.rng.choice(team or w.staff)

    def thread(self) -> Iterator[MsgSpec]:
        """Yield the messages of one customer thread, oldest first."""
        rng = self.rng
        customer: Customer = rng.choice(self.world.customers)
        contact = rng.choice(customer.contacts)
        sp = customer.owner
        lang = customer.lang
        kind = rng.choices([k for k, _ in KINDS], [wt for _, wt in KINDS])[0]
        steps = SEQUENCES[kind]
        length = min(len(steps), rng.choices(range(1, 9), LENGTH_WEIGHTS)[0])
        ctx = context.thread_context(rng, customer, lang, self.start_time())
        subject = context.subject(rng, kind, lang, ctx)
        customer_first = kind != "followup"
        via_shared = customer_first and rng.random() < 0.15
        cc_internal: list[Staff] = []
        cc_shared = False
        cc_external = [c for c in customer.contacts if c is not contact][:1]
        if not cc_external or rng.random() > 0.2:
            cc_external = []
        when = ctx["start"]
        quoted: Quoted | None = None
        refs: list[str] = []
        for i, step in enumerate(steps[:length]):
            from_customer = (i % 2 == 0) == customer_first
            if i:
                when += self.gap()
            if from_customer:
                style = clients.contact_style(contact, customer)
                sender = self.contact_addr(contact, lang)
                local = clients.local_time(when, customer.offset, customer.country)
                if i == 0 and via_shared:
                    to = [SHARED_ADDR]
                    cc_shared = True
                    if rng.random() < 0.3:
                        cc_internal.append(sp)
                else:
                    to = [self.staff_addr(sp, lang)]
                cc = [self.staff_addr(s, lang) for s in cc_internal if s is not sp or i == 0]
                if cc_shared and i:
                    cc.append(SHARED_ADDR)
                cc += [self.contact_addr(c, lang) for c in cc_external]
                greet = sp.zh if lang == "zh" and sp.zh else sp.name.split()[0]
                sig = context.contact_signature(customer, contact, lang)
                footer = ""
            else:
                style = clients.staff_style(sp)
                sender = self.staff_addr(sp, lang)
                local = clients.local_time(when, 480)
                if i == 1 and via_shared:
                    cc_internal = [s for s in cc_internal if s is not sp]
                    cc_shared = rng.random() < 0.5
                if rng.random() < 0.12:
                    mate = self.colleague(sp, step)
                    if mate not in cc_internal:
                        cc_internal.append(mate)
                to = [self.contact_addr(contact, lang)]
                cc = [self.contact_addr(c, lang) for c in cc_external]
                cc += [self.staff_addr(s, lang) for s in cc_internal if s is not sp]
                if cc_shared:
                    cc.append(SHARED_ADDR)
                greet = contact.first
                sig = context.staff_signature(sp, lang)
                footer = context.staff_footer(sp, lang)
            label, codec, cte, html_cte = clients.choose_encoding(rng, lang, style)
            if (label, codec) == ("gb2312", "gbk"):
                name = rng.choice(("王", "陈", "李")) + rng.choice(context.GBK_ONLY)
                footer = GBK_NOTE.format(name=name, ext=rng.randint(801, 899)) + "\n" + footer
            body = compose(
                rng, lang=lang, step=step, ctx=ctx, greet=greet, signature=sig, style=style,
                quoted=quoted, footer=footer.strip(),
            )  # fmt: skip
            if label == codec == "gb2312":
                try:
                    body.text.encode("gb2312")
                    body.html_inner.encode("gb2312")
                except UnicodeEncodeError:
                    label = codec = "gbk"
            seq = self.next_seq()
            domain = sender[1].rsplit("@", 1)[1]
            msgid = clients.message_id(rng, seq, style, domain, local)
            subj = subject if i == 0 else reply_prefix(style, lang, seq) + subject
            spec = MsgSpec(
                seq=seq, msgid=msgid, date=local, sender=sender, to=to, cc=cc, subject=subj,
                text=body.text, charset=label, codec=codec, cte=cte, html_cte=html_cte,
                header_charset="utf-8" if codec == "utf-8" else label,
                in_reply_to=refs[-1] if refs else "", references=list(refs),
                rfc2231=style != "foxmail",
            )  # fmt: skip
            if rng.random() < 0.85 or style == "outlook":
                spec.html = context.full_html(body.html_inner, style, label)
            wants = (
                kind == "complaint" and step in ("complaint", "evidence")
            ) or rng.random() < 0.12
            if wants and has_attachment_for(lang, step):
                spec.attachments.append(make_attachment(rng, lang, step, ctx))
            if style in clients.MAILERS:
                spec.extra.append(clients.MAILERS[style])
            yield spec
            refs.append(msgid)
            quoted = Quoted(
                frm=f"{sender[0]} <{sender[1]}>" if sender[0] else sender[1],
                date=clients.display_date(local, style, lang),
                to="; ".join(f"{n} <{a}>" for n, a in to),
                subject=subj,
                text=body.text,
                html=body.html_inner,
            )
            if not from_customer and sender[1].endswith("@" + DOMAIN):
                if rng.random() < 0.025:
                    yield special.auto_reply(self, spec, contact, customer)
                    break
                if i == 0 and kind == "followup" and rng.random() < 0.04:
                    yield special.bounce(self, spec, sp)
                    break
