"""Compose the plain-text and HTML bodies of one message of a thread."""

from __future__ import annotations

import random
from dataclasses import dataclass

from keyou.demo import htmlmail, text_en, text_zh

ITEM_HEADERS = {
    "en": ["Item No.", "Description", "Qty", "Unit Price", "Amount"],
    "zh": ["型号", "品名", "数量", "单价", "金额"],
    "zh-tw": ["型號", "品名", "數量", "單價", "金額"],
}
QUOTE_LABELS = {
    "en": ("From:", "Sent:", "To:", "Subject:"),
    "zh": ("发件人:", "发送时间:", "收件人:", "主题:"),
    "zh-tw": ("寄件者:", "寄件日期:", "收件者:", "主旨:"),
}


@dataclass(slots=True)
class Quoted:
    """The message being replied to, as the reply's client shows it."""

    frm: str
    date: str
    to: str
    subject: str
    text: str
    html: str  # body inner HTML, without the document head


@dataclass(slots=True)
class Body:
    """A composed message body."""

    text: str
    html_inner: str


def _steps(lang: str) -> dict[str, list[list[str]]]:
    if lang == "zh":
        return text_zh.STEPS
    if lang == "zh-tw":
        return text_zh.STEPS_TW
    return text_en.STEPS


def items_text(lang: str, rows: list[list[str]]) -> str:
    """Return ROWS as a fixed-width text table with a header line."""
    header = ITEM_HEADERS[lang]
    all_rows = [header, *rows]
    widths = [max(len(r[i]) for r in all_rows) + 3 for i in range(len(header))]
    lines = ["".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in all_rows]
    lines.insert(1, "-" * (sum(widths) - 3))
    return "\n".join(lines)


def quote_text(quoted: Quoted, lang: str, style: str) -> str:
    """Return the quoted-history section of a plain-text reply."""
    if style == "gmail":
        lines = []
        for line in quoted.text.rstrip("\n").split("\n"):
            if not line:
                lines.append(">")
            elif line.startswith(">"):
                lines.append(">" + line)
            else:
                lines.append("> " + line)
        return f"On {quoted.date}, {quoted.frm} wrote:\n" + "\n".join(lines)
    if lang == "zh":
        head = text_zh.QUOTE_HEAD
    elif lang == "zh-tw":
        head = text_zh.QUOTE_HEAD_TW
    else:
        head = "-----Original Message-----\nFrom: {frm}\nSent: {date}\nTo: {to}\nSubject: {subject}"
    head = head.format(frm=quoted.frm, date=quoted.date, to=quoted.to, subject=quoted.subject)
    return head + "\n\n" + quoted.text


def compose(
    rng: random.Random,
    *,
    lang: str,
    step: str,
    ctx: dict,
    greet: str,
    signature: list[str],
    style: str,
    quoted: Quoted | None = None,
    footer: str = "",
) -> Body:
    """Write the body for STEP in LANG from CTX, signed with SIGNATURE, quoting QUOTED."""
    variant = rng.choice(_steps(lang)[step])
    if lang == "zh":
        greetings, closings, extras = text_zh.GREETINGS, text_zh.CLOSINGS, text_zh.EXTRAS
    elif lang == "zh-tw":
        greetings, closings, extras = text_zh.GREETINGS_TW, text_zh.CLOSINGS_TW, text_zh.EXTRAS_TW
    else:
        greetings, closings, extras = text_en.GREETINGS, text_en.CLOSINGS, text_en.EXTRAS
    rows = ctx["rows"]
    text_paras: list[str] = [rng.choice(greetings).format(first=greet)]
    html_parts: list[str] = [htmlmail.paragraphs(text_paras, style)]
    paras = list(variant)
    if rng.random() < 0.6:
        paras.extend(rng.sample(extras, rng.choice((1, 1, 2))))
    for template in paras:
        if template == "{items}":
            text_paras.append(items_text(lang, rows))
            html_parts.append(htmlmail.table(ITEM_HEADERS[lang], rows))
            html_parts.append(htmlmail.paragraphs([""], style) if style == "outlook" else "")
            continue
        para = rng.choice(text_en.SPECS) if template == "{specs}" else template.format(**ctx)
        text_paras.append(para)
        html_parts.append(htmlmail.paragraphs([para], style))
    closing = rng.choice(closings)
    text_paras.append(closing)
    html_parts.append(htmlmail.paragraphs([closing], style))
    sig = "\n".join(signature)
    text_paras.append(sig if style == "outlook" else "-- \n" + sig)
    html_parts.append(htmlmail.signature(signature, style, signature[-1]))
    if footer:
        text_paras.append(footer)
        html_parts.append(f'<p style="font-size:8pt;color:#999999">{htmlmail.escape(footer)}</p>\n')
    text = "\n\n".join(text_paras) + "\n"
    html = "".join(html_parts)
    if quoted is not None:
        text += "\n" + quote_text(quoted, lang, style) + "\n"
        labels = QUOTE_LABELS[lang]
        values = (quoted.frm, quoted.date, quoted.to, quoted.subject)
        html += htmlmail.quote_block(list(zip(labels, values, strict=True)), quoted.html, style)
    return Body(text=text, html_inner=html)
