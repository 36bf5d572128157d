"""Server-rendered SVG charts: bars, grouped bars, lines, a funnel and sparklines.

Every function returns finished ``<svg>`` markup as a ``SafeString`` (every label, name and
link is escaped here, so the result may go straight into a template). The charts need no
JavaScript; colours, fonts and print rules come from the "Charts" section of keyou.css
(series classes ``chart-s1`` … ``chart-s8``), so a print stylesheet can restyle them.

From a view::

    from keyou.analytics.charts import Bar, Series, bar_chart, line_chart

    chart = bar_chart(
        [Bar("Germany", 42, "/customers/?country=DE"), ("中国", 17)],
        title=_("New accounts by country"),
        horizontal=True,
    )
    chart = line_chart(days, [Series(_("Inbound"), inbound), Series(_("Outbound"), outbound)],
                       title=_("Email volume"), value_format=compact_number)

From a template (the tags take the same arguments; ``value_format`` there is a name from
``FORMATS``: "compact", "number", "percent" or "minutes")::

    {% load chart_tags %}
    {% bar_chart rows title=_("Won by month") y_label=_("Deals") %}
    {% grouped_bars days series title=_("Email volume") %}
    {% line_chart days series title=_("Response time") value_format="minutes" %}
    {% funnel_chart stages title=_("Funnel") %}
    <td>{% sparkline values label=account.name %}</td>

VALUE_FORMAT is any callable float -> str (money: ``lambda v: f"${compact_number(v)}"``);
one with a ``unit`` attribute gets ticks on round multiples of it (``format_minutes.unit``
is 60, so a response-time axis reads 0, 2 h, 4 h rather than 0, 3.3 h, 6.7 h).

Rows are ``Bar``/``Stage`` objects, ``(label, value[, href])`` tuples, or any object with
``label`` and ``value`` (and optionally ``href``) attributes; a row with an href becomes a
link (drill-down). Empty or all-zero data draws a "No data" message; negative values are
drawn as zero with a note saying so. Tooltips (``<title>``) hold the full label and exact
value; the chart's ``<title>`` and ``<desc>`` give screen readers the title and the data.
Compact numbers follow the language: 12.3k and 1.2M in English, 1.2万 and 3.4亿 in Chinese.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format, get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext

Format = Callable[[float], str]

WIDTH = 640  # viewBox width; the CSS scales the chart to its container
FONT = 12  # font size in viewBox units, set on the <svg> so the width estimates hold
PAD = 12
PLOT_HEIGHT = 220.0  # height of the plot area of bar and line charts
SERIES_CLASSES = 8  # chart-s1 … chart-s8 in keyou.css
DESC_ITEMS = 31  # values listed in a chart's description before "and N more"


@dataclass(frozen=True)
class Bar:
    """One bar: a label, a value and, for drill-down, the link behind it."""

    label: str
    value: float | int | Decimal | None
    href: str = ""


@dataclass(frozen=True)
class Series:
    """One named series of values (one per category or x value), with optional links."""

    name: str
    values: Sequence[float | int | Decimal | None]
    hrefs: Sequence[str] = ()


@dataclass(frozen=True)
class Stage:
    """One funnel stage: its name, how many reached it and the link to them."""

    name: str
    count: float | int | Decimal | None
    href: str = ""


# --- Numbers -------------------------------------------------------------------------


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _is_chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def compact_number(value: float | int | Decimal) -> str:
    """Return VALUE shortened for an axis or a label: 950, 12.3k, 1.2M (万 and 亿 in Chinese)."""
    value = float(value)
    if not math.isfinite(value):
        return "–"
    sign, size = ("-" if value < 0 else ""), abs(value)
    if _is_chinese():
        units = [(1e4, "万"), (1e8, "亿"), (1e12, "万亿")]
    else:
        units = [(1e3, "k"), (1e6, "M"), (1e9, "B"), (1e12, "T")]
    chosen = max((i for i, (base, _) in enumerate(units) if size >= base), default=None)
    if chosen is None:
        if size >= 100:
            return f"{sign}{size:,.0f}"
        if size < 1:
            return sign + f"{size:.2g}"
        return sign + _trim(f"{size:.1f}" if size >= 10 else f"{size:.2f}")

    def scaled(base: float) -> str:
        return _trim(f"{size / base:.1f}") if size / base < 100 else f"{size / base:.0f}"

    text = scaled(units[chosen][0])
    if chosen + 1 < len(units) and float(text) * units[chosen][0] >= units[chosen + 1][0]:
        chosen += 1  # 999,960 would read "1000k": say "1M"
        text = scaled(units[chosen][0])
    return f"{sign}{text}{units[chosen][1]}"


def full_number(value: float | int | Decimal) -> str:
    """Return VALUE exactly, with thousands separators: 1,234,567 or 12.5."""
    value = float(value)
    if not math.isfinite(value):
        return "–"
    if value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 else _trim(f"{value:,.2f}")


def format_percent(value: float | int | Decimal) -> str:
    """Return VALUE (a percentage, 0–100) as 45% or, below ten, 4.5%."""
    value = float(value)
    return _trim(f"{value:.1f}") + "%" if abs(value) < 10 else f"{value:.0f}%"


def format_minutes(value: float | int | Decimal) -> str:
    """Return VALUE minutes as "45 min", or in hours past one hour ("2.5 h")."""
    value = float(value)
    if value == 0:
        return "0"
    if abs(value) < 60:
        return gettext("%(n)s min") % {"n": _trim(f"{value:.0f}")}
    hours = value / 60
    text = _trim(f"{hours:.1f}") if abs(hours) < 100 else compact_number(hours)
    return gettext("%(n)s h") % {"n": text}


format_minutes.unit = 60  # axis ticks fall on round hours (see _ticks_for)


FORMATS: dict[str, Format] = {
    "compact": compact_number,
    "number": full_number,
    "percent": format_percent,
    "minutes": format_minutes,
}


def nice_step(raw: float) -> float:
    """Return the smallest 1, 2 or 5 × 10ⁿ at least RAW (RAW > 0)."""
    magnitude = 10.0 ** math.floor(math.log10(raw))
    mantissa = next(m for m in (1, 2, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    return float(f"{mantissa * magnitude:.12g}")


def nice_ticks(maximum: float, *, count: int = 5, integer: bool = False) -> list[float]:
    """Return round axis ticks from 0 to at least MAXIMUM, about COUNT steps of 1/2/5×10ⁿ.

    With INTEGER (counts) the step is at least 1.
    """
    if maximum <= 0:
        return [0.0, 1.0]
    step = nice_step(maximum / count)
    if integer:
        step = max(step, 1.0)
    steps = math.ceil(maximum / step - 1e-9)
    return [float(f"{i * step:.12g}") for i in range(steps + 1)]


def _number(value: Any) -> float:
    """Return VALUE as a float; None, NaN and infinity count as 0."""
    if value is None:
        return 0.0
    value = float(value)
    return value if math.isfinite(value) else 0.0


# --- Text and markup -------------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: Any) -> str:
    """Return TEXT as a one-line str holding only characters XML allows."""
    return _XML_INVALID.sub("", " ".join(str(text if text is not None else "").split()))


def _esc(text: Any) -> str:
    return escape(_clean(text), {'"': "&quot;", "'": "&#x27;"})


def _n(x: float) -> str:
    return _trim(f"{x:.1f}")


def _el(name: str, *children: str, cls: str = "", **attrs: Any) -> str:
    """Return the element NAME with escaped ATTRS (text_anchor= writes text-anchor=).

    CHILDREN must be markup already; text goes through _esc first.
    """
    pairs = [("class", cls)] + [(key.replace("_", "-"), val) for key, val in attrs.items()]
    text = "".join(
        f' {key}="{_n(val) if isinstance(val, float) else _esc(val)}"'
        for key, val in pairs
        if val is not None and val != ""
    )
    return f"<{name}{text}>{''.join(children)}</{name}>" if children else f"<{name}{text}/>"


def _title(text: str) -> str:
    return f"<title>{_esc(text)}</title>"


def _safe_href(href: Any) -> str:
    """Return HREF if it is a relative or http(s) link, else "" (no javascript: links)."""
    href = _clean(href)
    try:
        scheme = urlsplit(href).scheme.lower()
    except ValueError:
        return ""
    return href if href and scheme in ("", "http", "https") else ""


def _link(href: str, inner: str) -> str:
    href = _safe_href(href)
    return _el("a", inner, href=href) if href else inner


def _char_width(char: str) -> float:
    if unicodedata.combining(char):
        return 0.0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    if char in "iljtfr.,:;'|!() ":
        return 0.32
    if char in "mwMW@%":
        return 0.86
    return 0.64 if char.isupper() or char.isdigit() else 0.55


def text_width(text: str, size: float = FONT) -> float:
    """Return an estimate of TEXT's width at SIZE (CJK characters are a full em wide)."""
    return sum(_char_width(char) for char in _clean(text)) * size


def fit_text(text: str, width: float, size: float = FONT) -> str:
    """Return TEXT, cut with an ellipsis so that it fits WIDTH at SIZE."""
    text = _clean(text)
    if text_width(text, size) <= width:
        return text
    budget, used, kept = width - text_width("…", size), 0.0, []
    for char in text:
        used += _char_width(char) * size
        if used > budget:
            break
        kept.append(char)
    return "".join(kept).rstrip() + "…"


def _label(x: float, y: float, text: str, width: float, cls: str, anchor: str = "middle") -> str:
    """Return a <text> of TEXT fitted to WIDTH, with the full text as its tooltip if cut."""
    shown = fit_text(text, width)
    tooltip = _title(text) if shown != _clean(text) else ""
    return _el("text", tooltip, _esc(shown), cls=cls, x=x, y=y, text_anchor=anchor)


def _svg(kind: str, title: str, desc: str, height: float, body: str, *, key: Any) -> SafeString:
    """Return the <svg> root around BODY, labelled by TITLE and DESC for screen readers."""
    title = _clean(title)
    digest = hashlib.sha1(repr((kind, title, desc, key)).encode(), usedforsecurity=False)
    cid = f"chart-{digest.hexdigest()[:10]}"
    head = _el("title", _esc(title), id=f"{cid}-t") if title else ""
    head += _el("desc", _esc(desc), id=f"{cid}-d")
    return mark_safe(  # every piece is escaped above
        _el(
            "svg",
            head,
            body,
            cls=f"chart chart-{kind}",
            xmlns="http://www.w3.org/2000/svg",
            viewBox=f"0 0 {WIDTH} {_n(height)}",
            width=str(WIDTH),
            height=_n(height),
            role="img",
            aria_labelledby=f"{cid}-t {cid}-d" if title else f"{cid}-d",
            font_size=str(FONT),
        )
    )


def _no_data(kind: str, title: str) -> SafeString:
    text = gettext("No data")
    body = _el("rect", cls="chart-frame", x=0.5, y=0.5, width=WIDTH - 1.0, height=119.0, rx=6.0)
    body += _el("text", _esc(text), cls="chart-empty", x=WIDTH / 2, y=65.0, text_anchor="middle")
    return _svg(kind, title, text, 120, body, key="empty")


def _describe(parts: Iterable[str], total: int, sep: str = "; ") -> str:
    """Return PARTS joined by SEP, followed by "and N more" when TOTAL is larger."""
    parts = list(parts)
    text = sep.join(parts)
    if total > len(parts):
        more = total - len(parts)
        text += sep + ngettext("and %(count)d more", "and %(count)d more", more) % {"count": more}
    return text


def _negative_note() -> str:
    return gettext("Negative values are shown as zero.")


def _series_class(index: int) -> str:
    return f"chart-s{index % SERIES_CLASSES + 1}"


# --- Axes, grid and legend ----------------------------------------------------------------


@dataclass
class _Frame:
    """The plot area in viewBox units and the value at its top."""

    left: float
    top: float
    right: float
    bottom: float
    top_value: float

    def y(self, value: float) -> float:
        return self.bottom - value / self.top_value * (self.bottom - self.top)


def _ticks_for(values: list[float], fmt: Format) -> list[float]:
    """Return the ticks for VALUES, round in FMT's unit (hours for minutes) if it has one."""
    unit = float(getattr(fmt, "unit", 1))
    if max(values) < unit:
        unit = 1.0
    integer = unit == 1 and all(v == int(v) for v in values)
    ticks = nice_ticks(max(values) / unit, integer=integer)
    return [tick * unit for tick in ticks]


def _value_frame(values: list[float], fmt: Format, top: float, y_label: str) -> _Frame:
    ticks = _ticks_for(values, fmt)
    tick_width = min(max(text_width(fmt(t)) for t in ticks), WIDTH * 0.25)
    left = PAD + (20.0 if y_label else 0.0) + tick_width + 8
    return _Frame(left, top, WIDTH - PAD - 4.0, top + PLOT_HEIGHT, ticks[-1])


def _y_title(text: str, top: float, bottom: float) -> str:
    if not text:
        return ""
    middle, x = (top + bottom) / 2, PAD + 10.0
    return _el(
        "text",
        _esc(fit_text(text, bottom - top)),
        cls="chart-axis-title",
        x=x,
        y=middle,
        text_anchor="middle",
        transform=f"rotate(-90 {_n(x)} {_n(middle)})",
    )


def _value_axis(frame: _Frame, values: list[float], fmt: Format, y_label: str) -> str:
    """Return the horizontal grid lines, their tick labels and the y-axis title."""
    out = []
    for tick in _ticks_for(values, fmt):
        y = frame.y(tick)
        cls = "chart-axis" if tick == 0 else "chart-grid"
        out.append(_el("line", cls=cls, x1=frame.left, x2=frame.right, y1=y, y2=y))
        out.append(
            _el(
                "text",
                _esc(fmt(tick)),
                cls="chart-tick",
                x=frame.left - 6,
                y=y + 4,
                text_anchor="end",
            )
        )
    out.append(_y_title(y_label, frame.top, frame.bottom))
    return "".join(out)


def _category_axis(
    labels: list[str], centers: list[float], slot: float, frame: _Frame, x_label: str
) -> tuple[str, float]:
    """Return the x-axis labels (every k-th one when they would not fit side by side) and
    title, and the height of the chart below them."""
    wanted = min(max(text_width(label) for label in labels), 110.0) + 8
    every = max(1, math.ceil(wanted / max(slot, 1e-6)))
    y = frame.bottom + 18
    out = [
        _label(centers[i], y, labels[i], slot * every - 6, "chart-label")
        for i in range(0, len(labels), every)
    ]
    if x_label:
        middle, width = (frame.left + frame.right) / 2, frame.right - frame.left
        out.append(_label(middle, y + 22, x_label, width, "chart-axis-title"))
        y += 22
    return "".join(out), y + 10


def _foot(out: list[str], height: float, negative: bool) -> float:
    """Append the note on clamped negative values to OUT if needed; return the new height."""
    if not negative:
        return height
    out.append(_el("text", _esc(_negative_note()), cls="chart-note", x=float(PAD), y=height + 10))
    return height + 16


def _legend(names: list[str]) -> tuple[str, float]:
    """Return the legend (a swatch and a name per series, in rows) and the y below it."""
    if len(names) < 2:
        return "", 0.0
    out, x, y = [], float(PAD), 16.0
    for index, name in enumerate(names):
        shown = fit_text(name, 160)
        width = 14 + text_width(shown) + 18
        if x + width > WIDTH - PAD and x > PAD:
            x, y = float(PAD), y + 18
        tooltip = _title(name) if shown != name else ""
        swatch = _el("rect", cls="chart-swatch", x=x, y=y - 9, width=10.0, height=10.0, rx=2.0)
        text = _el("text", _esc(shown), cls="chart-legend", x=x + 14, y=y)
        out.append(_el("g", tooltip, swatch, text, cls=f"chart-key {_series_class(index)}"))
        x += width
    return _el("g", *out, cls="chart-legend-row"), y + 8


# --- Charts -------------------------------------------------------------------------------


def _as_bar(row: Any) -> Bar:
    if isinstance(row, Bar):
        return row
    if isinstance(row, tuple | list):
        return Bar(*row)
    return Bar(row.label, row.value, getattr(row, "href", "") or "")


def _series_table(
    series: Iterable[Series | tuple | Any], length: int
) -> tuple[list[Series], list[str], list[list[float | None]], bool]:
    """Return SERIES as Series objects, their names, their values cut or padded to LENGTH
    (None where missing, negatives as zero) and whether a negative value was clamped."""
    groups = []
    for item in series:
        if isinstance(item, tuple | list):
            item = Series(*item)
        elif not isinstance(item, Series):
            item = Series(item.name, item.values, getattr(item, "hrefs", ()) or ())
        groups.append(item)
    rows, negative = [], False
    for group in groups:
        raw = [None if v is None else _number(v) for v in list(group.values)[:length]]
        negative = negative or any(v is not None and v < 0 for v in raw)
        rows.append([None if v is None else max(v, 0.0) for v in raw])
        rows[-1] += [None] * (length - len(raw))
    return groups, [_clean(g.name) for g in groups], rows, negative


def _series_desc(
    names: list[str],
    labels: list[str],
    rows: list[list[float | None]],
    exact: Format,
    negative: bool,
) -> str:
    parts = []
    for name, row in zip(names, rows, strict=True):
        points = [(label, v) for label, v in zip(labels, row, strict=True) if v is not None]
        listed = (f"{label} {exact(v)}" for label, v in points[:DESC_ITEMS])
        parts.append(f"{name}: " + _describe(listed, len(points), ", "))
    return "; ".join(parts) + (". " + _negative_note() if negative else "")


def _exact(value_format: Format) -> Format:
    """Return the format of tooltips: exact numbers unless the caller chose a format."""
    return full_number if value_format is compact_number else value_format


def bar_chart(
    rows: Iterable[Bar | tuple | Any],
    *,
    title: str,
    x_label: str = "",
    y_label: str = "",
    value_format: Format = compact_number,
    horizontal: bool = False,
) -> SafeString:
    """Return a bar chart of ROWS ((label, value[, href]) each), vertical unless HORIZONTAL.

    VALUE_FORMAT writes ticks and value labels; tooltips and the description show exact
    numbers unless a VALUE_FORMAT is given (money, minutes), which is then used throughout.
    """
    bars = [_as_bar(row) for row in rows]
    raw = [_number(bar.value) for bar in bars]
    values, negative = [max(v, 0.0) for v in raw], any(v < 0 for v in raw)
    if not any(values):
        return _no_data("bars", title)
    exact = _exact(value_format)
    labels = [_clean(bar.label) for bar in bars]
    listed = list(zip(labels, values, strict=True))[:DESC_ITEMS]
    desc = _describe((f"{label}: {exact(v)}" for label, v in listed), len(bars))
    desc += ". " + _negative_note() if negative else ""
    draw = _horizontal_bars if horizontal else _vertical_bars
    out, height = draw(bars, labels, values, value_format, exact, x_label, y_label)
    height = _foot(out, height, negative)
    return _svg("bars", title, desc, height, "".join(out), key=(labels, values, horizontal))


def _vertical_bars(
    bars: list[Bar],
    labels: list[str],
    values: list[float],
    fmt: Format,
    exact: Format,
    x_label: str,
    y_label: str,
) -> tuple[list[str], float]:
    frame = _value_frame(values, fmt, 20.0, y_label)
    slot = (frame.right - frame.left) / len(bars)
    width = min(slot * 0.7, 56.0)
    show_values = all(text_width(fmt(v), 11) + 4 <= slot for v in values)
    out, centers = [_value_axis(frame, values, fmt, y_label)], []
    for index, (bar, label, value) in enumerate(zip(bars, labels, values, strict=True)):
        center = frame.left + slot * (index + 0.5)
        centers.append(center)
        y = frame.y(value)
        mark = _el(
            "rect",
            cls="chart-mark chart-s1",
            x=center - width / 2,
            y=y,
            width=width,
            height=frame.bottom - y,
        )
        text = ""
        if show_values:
            text = _el(
                "text",
                _esc(fmt(value)),
                cls="chart-value",
                x=center,
                y=y - 4,
                text_anchor="middle",
                font_size="11",
            )
        tooltip = _title(f"{label}: {exact(value)}")
        out.append(_link(bar.href, _el("g", tooltip, mark, text, cls="chart-bar")))
    axis, height = _category_axis(labels, centers, slot, frame, x_label)
    return [*out, axis], height


def _horizontal_bars(
    bars: list[Bar],
    labels: list[str],
    values: list[float],
    fmt: Format,
    exact: Format,
    x_label: str,
    y_label: str,
) -> tuple[list[str], float]:
    row, top = 26.0, 8.0
    ticks = _ticks_for(values, fmt)
    label_width = min(max(text_width(label) for label in labels), WIDTH * 0.32)
    value_width = max(text_width(fmt(v), 11) for v in values) + 10
    left = PAD + (20.0 if y_label else 0.0) + label_width + 10
    right = WIDTH - PAD - max(value_width, text_width(fmt(ticks[-1])) / 2)
    bottom = top + row * len(bars)

    def x(value: float) -> float:
        return left + value / ticks[-1] * (right - left)

    out = [_y_title(y_label, top, bottom)]
    for tick in ticks:
        cls = "chart-axis" if tick == 0 else "chart-grid"
        out.append(_el("line", cls=cls, x1=x(tick), x2=x(tick), y1=top, y2=bottom))
        out.append(
            _el(
                "text",
                _esc(fmt(tick)),
                cls="chart-tick",
                x=x(tick),
                y=bottom + 16,
                text_anchor="middle",
            )
        )
    for index, (bar, label, value) in enumerate(zip(bars, labels, values, strict=True)):
        y = top + row * index
        name = _label(left - 10, y + row / 2 + 4, label, label_width, "chart-label", "end")
        mark = _el(
            "rect",
            cls="chart-mark chart-s1",
            x=left,
            y=y + 5,
            width=x(value) - left,
            height=row - 10,
        )
        text = _el(
            "text",
            _esc(fmt(value)),
            cls="chart-value",
            x=x(value) + 5,
            y=y + row / 2 + 4,
            font_size="11",
        )
        tooltip = _title(f"{label}: {exact(value)}")
        out.append(_link(bar.href, _el("g", tooltip, name, mark, text, cls="chart-bar")))
    height = bottom + 26
    if x_label:
        out.append(
            _label((left + right) / 2, bottom + 38, x_label, right - left, "chart-axis-title")
        )
        height += 22
    return out, height


def grouped_bars(
    categories: Sequence[Any],
    series: Iterable[Series | tuple | Any],
    *,
    title: str,
    x_label: str = "",
    y_label: str = "",
    value_format: Format = compact_number,
) -> SafeString:
    """Return bars side by side per category, one colour per SERIES (name, values[, hrefs]).

    Each series holds one value per category (e.g. inbound and outbound mail per day);
    a series' HREFS, when given, link its bars one by one.
    """
    labels = [_clean(category) for category in categories]
    groups, names, rows, negative = _series_table(series, len(labels))
    flat = [v or 0.0 for row in rows for v in row]
    if not any(flat):
        return _no_data("grouped", title)
    exact = _exact(value_format)
    legend, legend_bottom = _legend(names)
    frame = _value_frame(flat, value_format, legend_bottom + 16, y_label)
    slot = (frame.right - frame.left) / len(labels)
    width = min(slot * 0.8 / len(groups), 28.0)
    out, centers = [legend, _value_axis(frame, flat, value_format, y_label)], []
    for index, label in enumerate(labels):
        center = frame.left + slot * (index + 0.5)
        centers.append(center)
        start = center - width * len(groups) / 2
        for number, (group, name, row) in enumerate(zip(groups, names, rows, strict=True)):
            value = row[index] or 0.0
            y = frame.y(value)
            mark = _el(
                "rect",
                cls=f"chart-mark {_series_class(number)}",
                x=start + width * number,
                y=y,
                width=width,
                height=frame.bottom - y,
            )
            tooltip = _title(f"{label} · {name}: {exact(value)}")
            href = group.hrefs[index] if index < len(group.hrefs) else ""
            out.append(_link(href, _el("g", tooltip, mark, cls="chart-bar")))
    axis, height = _category_axis(labels, centers, slot, frame, x_label)
    out.append(axis)
    height = _foot(out, height, negative)
    desc = _series_desc(names, labels, rows, exact, negative)
    return _svg("grouped", title, desc, height, "".join(out), key=(labels, names, rows))


def _x_text(value: Any) -> str:
    """Return an x value as axis text: dates as "Nov 3" or "11月3日", from the locale formats."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    if isinstance(value, date):
        month_day = str(get_format("MONTH_DAY_FORMAT"))
        return date_format(value, month_day.replace("F", "M").replace("m", "n"))
    return _clean(value)


def _x_positions(x_values: list[Any], left: float, right: float) -> list[float]:
    """Return the x coordinate of each value: by time for dates, evenly spaced otherwise."""
    if len(x_values) == 1:
        return [(left + right) / 2]
    if all(isinstance(v, date) for v in x_values):
        keys = [
            v.timestamp() if isinstance(v, datetime) else v.toordinal() * 86400.0 for v in x_values
        ]
    else:
        keys = [float(i) for i in range(len(x_values))]
    low, span = min(keys), (max(keys) - min(keys)) or 1.0
    return [left + (k - low) / span * (right - left) for k in keys]


def line_chart(
    x_values: Sequence[Any],
    series: Iterable[Series | tuple | Any],
    *,
    title: str,
    x_label: str = "",
    y_label: str = "",
    value_format: Format = compact_number,
    x_format: Callable[[Any], str] = _x_text,
) -> SafeString:
    """Return one line per SERIES (name, values[, hrefs]) over X_VALUES (dates or labels).

    Dates are placed by time, so a missing day keeps its space; a None value breaks the
    line. X_FORMAT writes the x labels (dates as "Nov 3" / "11月3日" by default). Every
    point has a tooltip and, with HREFS, a link.
    """
    xs = list(x_values)
    labels = [_clean(x_format(x)) for x in xs]
    groups, names, rows, negative = _series_table(series, len(xs))
    flat = [v for row in rows for v in row if v is not None]
    if not any(flat):
        return _no_data("lines", title)
    exact = _exact(value_format)
    legend, legend_bottom = _legend(names)
    frame = _value_frame(flat, value_format, legend_bottom + 16, y_label)
    positions = _x_positions(xs, frame.left + 8, frame.right - 8)
    radius = 3.0 if len(xs) <= 31 else 1.8
    out = [legend, _value_axis(frame, flat, value_format, y_label)]
    for number, (group, name, row) in enumerate(zip(groups, names, rows, strict=True)):
        path, dots, pen_down = [], [], False
        for index, (x, value) in enumerate(zip(positions, row, strict=True)):
            pen_down = pen_down and value is not None
            if value is None:
                continue
            y = frame.y(value)
            path.append(f"{'L' if pen_down else 'M'}{_n(x)} {_n(y)}")
            pen_down = True
            dot = _el("circle", cls="chart-dot", cx=x, cy=y, r=radius)
            tooltip = _title(f"{labels[index]} · {name}: {exact(value)}")
            href = group.hrefs[index] if index < len(group.hrefs) else ""
            dots.append(_link(href, _el("g", tooltip, dot, cls="chart-point")))
        line = _el("path", cls="chart-line", d=" ".join(path), fill="none")
        out.append(_el("g", line, *dots, cls=f"chart-series {_series_class(number)}"))
    slot = (positions[-1] - positions[0]) / (len(xs) - 1) if len(xs) > 1 else frame.right
    axis, height = _category_axis(labels, positions, slot, frame, x_label)
    out.append(axis)
    height = _foot(out, height, negative)
    desc = _series_desc(names, labels, rows, exact, negative)
    return _svg("lines", title, desc, height, "".join(out), key=(labels, names, rows))


def funnel_chart(
    stages: Iterable[Stage | tuple | Any],
    *,
    title: str,
    value_format: Format = full_number,
) -> SafeString:
    """Return a funnel of STAGES ((name, count[, href]) each, in order): a centred bar per
    stage as wide as its count, the count, and the conversion from the stage before (in a
    column headed "Conversion" on the first row)."""
    steps = []
    for item in stages:
        if isinstance(item, tuple | list):
            item = Stage(*item)
        elif not isinstance(item, Stage):
            item = Stage(item.name, item.count, getattr(item, "href", "") or "")
        steps.append(item)
    raw = [_number(step.count) for step in steps]
    counts, negative = [max(v, 0.0) for v in raw], any(v < 0 for v in raw)
    if not any(counts):
        return _no_data("funnel", title)
    names = [_clean(step.name) for step in steps]
    rates = [None] + [
        count / before * 100 if before else None
        for before, count in zip(counts, counts[1:], strict=False)
    ]
    row, bar, top = 40.0, 28.0, 8.0
    name_width = min(max(text_width(name) for name in names), WIDTH * 0.3)
    count_width = max(text_width(value_format(c)) for c in counts) + 8
    header = gettext("Conversion") if len(steps) > 1 else ""
    rate_width = max(44.0, text_width(header, 11) + 12)
    left, right = PAD + name_width + 12, WIDTH - PAD - count_width - rate_width
    middle, biggest = (left + right) / 2, max(counts)
    out, parts, above = [], [], None
    for index, (step, name, count, rate) in enumerate(
        zip(steps, names, counts, rates, strict=True)
    ):
        y = top + row * index + (row - bar) / 2
        half = max(count / biggest * (right - left), 2.0 if count else 0.0) / 2
        if above:
            top_edge = y - (row - bar)
            points = (
                f"{_n(middle - above)},{_n(top_edge)} {_n(middle + above)},{_n(top_edge)} "
                f"{_n(middle + half)},{_n(y)} {_n(middle - half)},{_n(y)}"
            )
            out.append(_el("polygon", cls="chart-funnel-join", points=points))
        above = half
        rate_text = format_percent(rate) if rate is not None else ""
        tooltip = f"{name}: {value_format(count)}"
        if rate_text:
            tooltip += " · " + gettext("%(percent)s of the previous stage") % {"percent": rate_text}
        parts.append(f"{name}: {value_format(count)}" + (f" ({rate_text})" if rate_text else ""))
        text_y = y + bar / 2 + 4
        pieces = [
            _title(tooltip),
            _label(left - 12, text_y, name, name_width, "chart-label", "end"),
            _el(
                "rect",
                cls="chart-mark chart-s1",
                x=middle - half,
                y=y,
                width=half * 2,
                height=bar,
                rx=3.0,
            ),
            _el("text", _esc(value_format(count)), cls="chart-value", x=right + 10, y=text_y),
        ]
        if rate_text or (index == 0 and header):
            pieces.append(
                _el(
                    "text",
                    _esc(rate_text or header),
                    cls="chart-conv" if rate_text else "chart-conv-head",
                    x=WIDTH - float(PAD),
                    y=text_y,
                    text_anchor="end",
                    font_size="11",
                )
            )
        out.append(_link(step.href, _el("g", *pieces, cls="chart-stage")))
    desc = "; ".join(parts)
    if counts[0] and len(counts) > 1:
        overall = format_percent(counts[-1] / counts[0] * 100)
        desc += "; " + gettext("overall %(percent)s") % {"percent": overall}
    desc += ". " + _negative_note() if negative else ""
    height = _foot(out, top + row * len(steps) + 8, negative)
    return _svg("funnel", title, desc, height, "".join(out), key=(names, counts))


def sparkline(
    values: Iterable[float | int | Decimal | None],
    *,
    label: str = "",
    value_format: Format = compact_number,
    width: int = 100,
    height: int = 24,
) -> SafeString:
    """Return a small line of VALUES for a table cell, WIDTH × HEIGHT, ending in a dot.

    All zeros draw a flat line (no activity is a fact here); no values at all say "No data".
    """
    points = [max(_number(v), 0.0) for v in values]
    label = _clean(label)
    if points:
        summary = gettext("from %(first)s to %(last)s, highest %(highest)s") % {
            "first": value_format(points[0]),
            "last": value_format(points[-1]),
            "highest": value_format(max(points)),
        }
    else:
        summary = gettext("No data")
    summary = f"{label}: {summary}" if label else summary
    if not points:
        body = _el("text", _esc(gettext("No data")), cls="chart-empty", x=2.0, y=height / 2 + 3)
    else:
        pad, top_value = 2.5, max(points) or 1.0
        step = (width - 2 * pad) / max(len(points) - 1, 1)
        coords = [
            (
                pad + step * i if len(points) > 1 else width / 2,
                height - pad - v / top_value * (height - 2 * pad),
            )
            for i, v in enumerate(points)
        ]
        path = " ".join(f"{'L' if i else 'M'}{_n(x)} {_n(y)}" for i, (x, y) in enumerate(coords))
        line = _el("path", cls="chart-line", d=path, fill="none")
        dot = _el("circle", cls="chart-dot", cx=coords[-1][0], cy=coords[-1][1], r=2.0)
        body = _title(summary) + _el("g", line, dot, cls="chart-s1")
    return mark_safe(  # every piece is escaped above
        _el(
            "svg",
            body,
            cls="chart-spark",
            xmlns="http://www.w3.org/2000/svg",
            viewBox=f"0 0 {width} {height}",
            width=str(width),
            height=str(height),
            role="img",
            aria_label=summary,
            font_size="9",
        )
    )
