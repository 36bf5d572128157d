"""Make inbound HTML safe to show, hide its remote images, and read it as plain text.

Inbound HTML is hostile input. ``sanitize_html`` keeps what mail needs to look like mail
(tables, inline styles from a safe list, images, links) and drops everything that runs,
submits or frames. Remote images are tracking pixels until the user asks for them, so the
display layer passes the stored HTML through ``block_remote_images`` first.
"""

from __future__ import annotations

import html as html_lib
import re

import nh3

__all__ = ["block_remote_images", "html_to_text", "sanitize_html"]

# The attributes inside a tag, quoted values allowed to hold '>'; written "unrolled" (no
# group per character) because Python's regex engine is slow at per-character groups.
_ATTRS = r"[^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*"
_LAYOUT_ATTRIBUTES = {"align", "valign", "bgcolor", "width", "height", "dir", "lang", "title"}
_ATTRIBUTES = {
    "*": {"style", *_LAYOUT_ATTRIBUTES},
    "a": {"href", "name", "target"},
    "img": {"src", "alt", "border", "hspace", "vspace"},
    "font": {"color", "face", "size"},
    "table": {"border", "cellpadding", "cellspacing", "background", "summary", "frame", "rules"},
    "td": {"colspan", "rowspan", "nowrap", "background", "headers", "scope"},
    "th": {"colspan", "rowspan", "nowrap", "background", "headers", "scope"},
    "tr": {"background"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value", "type"},
    "blockquote": {"cite", "type"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "hr": {"size", "noshade"},
}
_TAGS = nh3.ALLOWED_TAGS | {"font", "big", "main", "section", "address", "tfoot"}
# Elements whose content is not text for the reader: drop it along with the tag.
_DROP_WITH_CONTENT = {"script", "style", "title", "noscript", "template", "iframe", "object"}
# Presentation only; nothing here can position content over the app, load behaviour or
# run anything. Backgrounds stay so block_remote_images can find and hide remote ones.
_PLAIN_PROPERTIES = """
    color background background-color background-image background-position
    background-repeat background-size font font-family font-size font-style font-weight
    font-variant line-height letter-spacing word-spacing text-align text-decoration
    text-indent text-transform white-space word-break word-wrap overflow-wrap direction
    vertical-align width height min-width max-width min-height max-height display
    border-radius border-collapse border-spacing list-style list-style-type table-layout
    caption-side empty-cells float clear opacity visibility
"""
_SIDES = ("", "-top", "-right", "-bottom", "-left")
_STYLE_PROPERTIES = frozenset(
    [
        *_PLAIN_PROPERTIES.split(),
        *(f"{box}{side}" for box in ("margin", "padding", "border") for side in _SIDES),
        *(f"border{side}-{what}" for side in _SIDES for what in ("color", "style", "width")),
    ]
)


def _absolute_or_nothing(url: str) -> str | None:
    # A relative URL would point into Keyou itself once the mail is displayed there;
    # protocol-relative ones ("//cdn...") are just remote URLs written short.
    return "https:" + url if url.startswith("//") else None


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=_DROP_WITH_CONTENT,
    attributes=_ATTRIBUTES,
    url_schemes={"http", "https", "mailto", "tel", "cid", "data"},
    filter_style_properties=_STYLE_PROPERTIES,
    link_rel="noopener noreferrer",
    set_tag_attribute_values={"a": {"target": "_blank"}},
    url_relative=_absolute_or_nothing,
    strip_comments=True,
)

_STYLE_ATTR = re.compile(r'(\sstyle=")([^"]*)(")')
_DATA_HREF = re.compile(r'\s(?:href|background)="data:[^"]*"', re.IGNORECASE)
_DATA_SRC = re.compile(r'\ssrc="(data:[^"]*)"', re.IGNORECASE)
_SAFE_DATA_IMAGE = re.compile(r"data:image/(?:png|gif|jpe?g|webp|bmp);", re.IGNORECASE)
_BACKGROUND_ATTR = re.compile(r'\sbackground="([^"]*)"', re.IGNORECASE)
_SAFE_URL = re.compile(r"\s*(?:https?:|cid:|//)", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*(?:&quot;|['\"])?\s*([^)'\"&\s]*)", re.IGNORECASE)


def sanitize_html(html: str) -> str:
    """Return HTML with everything dangerous removed, ready to store and later display.

    Drop scripts, style sheets, forms, frames, event handlers and ``javascript:`` URLs;
    keep tables, images (remote, ``cid:`` and raster ``data:``), links and inline styles
    from a presentation-only list. Remote images are not blocked here.
    """
    if not html:
        return ""
    try:
        clean = _CLEANER.clean(html)
    except Exception:  # a sanitizer crash must not let the raw HTML through
        return html_lib.escape(html_to_text(html))
    if "data:" in clean:
        clean = _DATA_HREF.sub("", clean)
        clean = _DATA_SRC.sub(_keep_raster_data, clean)
    if "background=" in clean:
        clean = _BACKGROUND_ATTR.sub(_keep_safe_background, clean)
    if "url(" in clean or "expression" in clean:
        clean = _STYLE_ATTR.sub(_safe_style, clean)
    return clean.strip()


def _keep_raster_data(match: re.Match[str]) -> str:
    return match.group(0) if _SAFE_DATA_IMAGE.match(match.group(1)) else ""


def _keep_safe_background(match: re.Match[str]) -> str:
    return match.group(0) if _SAFE_URL.match(match.group(1)) else ""


def _safe_style(match: re.Match[str]) -> str:
    declarations = []
    for declaration in match.group(2).split(";"):
        lowered = declaration.lower()
        if "expression" in lowered or "javascript:" in lowered:
            continue
        if any(
            url and not (_SAFE_URL.match(url) or _SAFE_DATA_IMAGE.match(url))
            for url in _CSS_URL.findall(declaration)
        ):
            continue
        declarations.append(declaration)
    return match.group(1) + ";".join(declarations) + match.group(3)


# -- remote images ---------------------------------------------------------------------

_IMG_TAG = re.compile(r"<img\b" + _ATTRS + ">", re.IGNORECASE)
_REMOTE_SRC = re.compile(r"""\ssrc\s*=\s*(["'])\s*((?:https?:)?//[^"']*)\1""", re.IGNORECASE)
_REMOTE_BACKGROUND = re.compile(
    r"""\sbackground\s*=\s*(["'])\s*((?:https?:)?//[^"']*)\1""", re.IGNORECASE
)
_STYLE_ANY_QUOTE = re.compile(r"""\sstyle\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.S)
_REMOTE_CSS_URL = re.compile(
    r"""url\(\s*(?:&quot;|&#39;|["'])?\s*(?:https?:)?//[^)]*\)""", re.IGNORECASE
)


def block_remote_images(html: str) -> tuple[str, int]:
    """Return HTML with remote images disabled, and how many were blocked.

    Move every http(s) (or protocol-relative) ``<img src>`` into ``data-keyou-src`` and
    every remote ``background`` attribute into ``data-keyou-background``; replace remote
    ``url(...)`` in inline styles with ``none``, keeping the original style in
    ``data-keyou-style``. Leave ``cid:`` and ``data:`` images alone.
    """
    if not html:
        return "", 0
    blocked = 0

    def src(match: re.Match[str]) -> str:
        nonlocal blocked
        blocked += 1
        return f' data-keyou-src="{_attr(match.group(2))}"'

    def background(match: re.Match[str]) -> str:
        nonlocal blocked
        blocked += 1
        return f' data-keyou-background="{_attr(match.group(2))}"'

    def style(match: re.Match[str]) -> str:
        nonlocal blocked
        value = match.group(2)
        new_value, count = _REMOTE_CSS_URL.subn("none", value)
        if not count:
            return match.group(0)
        blocked += count
        quote = match.group(1)
        return f' style={quote}{new_value}{quote} data-keyou-style="{_attr(value)}"'

    def img(match: re.Match[str]) -> str:
        return _REMOTE_SRC.sub(src, match.group(0))

    lowered = html.lower()
    if "<img" in lowered:
        html = _IMG_TAG.sub(img, html)
    if "background" in lowered:
        html = _REMOTE_BACKGROUND.sub(background, html)
    if "url(" in lowered:
        html = _STYLE_ANY_QUOTE.sub(style, html)
    return html, blocked


def _attr(value: str) -> str:
    # Values come out of an attribute already entity-encoded; only the quote is unsafe.
    return value.replace('"', "&quot;")


# -- HTML to text ----------------------------------------------------------------------

# Regex passes, not a DOM: html_to_text runs on every HTML-only message and must stay
# well under a millisecond on 20 KB. Every pattern starts with a literal '<', so the
# engine skips through text at C speed, and attribute values may hold '>' safely.
_DROPPED = ("script", "style", "head", "title", "noscript", "template", "xml", "svg")
_DROP = re.compile(
    r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)"
    r"|<(script|style|head|title|noscript|template|xml|svg)\b" + _ATTRS + r">.*?</\1\s*>",
    re.S | re.I,
)
_SECTION = re.compile(r"<(/?)(blockquote|pre)\b" + _ATTRS + ">", re.I)
# What each tag leaves in the text: \x02 a paragraph break, \x01 a line break (runs of
# them merge), "\n" a hard break (<br>), " " a cell gap; anything else vanishes.
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)" + _ATTRS + r">|<[!?][^>]*>")
_TAG_BREAKS = dict.fromkeys(
    ("p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table"), "\x02"
)
_TAG_BREAKS.update(
    dict.fromkeys(
        (
            "div",
            "tr",
            "dt",
            "dd",
            "address",
            "article",
            "aside",
            "center",
            "figure",
            "figcaption",
            "footer",
            "form",
            "header",
            "main",
            "nav",
            "section",
            "fieldset",
            "caption",
            "thead",
            "tbody",
            "tfoot",
            "hr",
            "html",
            "body",
        ),  # fmt: skip
        "\x01",
    )
)
_BLANK_RUNS = re.compile(r"\n{3,}")


def _merge_breaks(text: str) -> str:
    # Runs of breaks merge into the strongest one; str.replace beats a regex here because
    # a pattern that may start with any of three characters cannot be searched for fast.
    for marker in ("\x01", "\x02"):
        text = text.replace(" " + marker, marker).replace(marker + " ", marker)
    for pair, single in (("\x01\x01", "\x01"), ("\x02\x02", "\x02"), ("\x01\x02", "\x02"),
                         ("\x02\x01", "\x02"), ("\x02\x02", "\x02")):  # fmt: skip
        while pair in text:
            text = text.replace(pair, single)
    return text.replace("\x02", "\n\n").replace("\x01", "\n")


def _tag_text(match: re.Match[str]) -> str:
    name = match.group(2)
    if name is None:
        return ""  # comment, doctype, processing instruction
    name = name.lower()
    if name == "br":
        return "\n"
    if name == "li":
        return "\x01" if match.group(1) else "\x01- "
    if name in ("td", "th"):
        return " " if match.group(1) else ""
    return _TAG_BREAKS.get(name, "")


def html_to_text(html: str) -> str:
    """Return the text a reader sees in HTML, as plain lines.

    Drop scripts, styles, comments and the head; turn block elements and ``<br>`` into
    line breaks, list items into ``- `` lines and blockquotes into ``> `` quoted lines;
    keep ``<pre>`` text as it is; decode entities and collapse runs of blank lines.
    """
    if not html:
        return ""
    lowered = html.lower()
    if "<!" in html or any(f"<{name}" in lowered for name in _DROPPED):
        html = _DROP.sub("", html)
    if "<blockquote" not in lowered and "<pre" not in lowered:
        return _section_text(html, False)
    sections: list[tuple[str, int]] = []
    depth = pre = 0
    position = 0
    for match in _SECTION.finditer(html):
        sections.append((_section_text(html[position : match.start()], pre > 0), depth))
        position = match.end()
        step = -1 if match.group(1) else 1
        if match.group(2).lower() == "pre":
            pre = max(pre + step, 0)
        else:
            depth = max(depth + step, 0)
    sections.append((_section_text(html[position:], pre > 0), depth))
    out: list[str] = []
    previous = 0
    for text, level in sections:
        if text:
            if out:
                # The blank line between two sections belongs to the shallower quote.
                out.append(("\n" + "> " * min(previous, level)).rstrip(" ") + "\n")
            out.append(_quote(text, level))
            previous = level
    return "".join(out)


def _section_text(html: str, preformatted: bool) -> str:
    if "\x01" in html or "\x02" in html:
        html = html.replace("\x01", "").replace("\x02", "")
    if not preformatted:
        # str.split() collapses whitespace at C speed (a regex here costs 5x more).
        html = " ".join(html.split())
    text = _merge_breaks(_TAG.sub(_tag_text, html))
    if "&" in text:
        text = html_lib.unescape(text)
    text = text.replace("\xa0", " ")
    if preformatted:
        return text.replace("\r\n", "\n").strip("\n")
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip()


def _quote(text: str, depth: int) -> str:
    if not depth or not text:
        return text
    prefix = "> " * depth
    return "\n".join((prefix + line).rstrip() for line in text.split("\n"))
