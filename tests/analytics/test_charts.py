"""The SVG charts: well-formed, proportional, escaped, readable in English and Chinese.

Pure functions, no database; the last tests render every chart into a small page in
Chromium and save screenshots (English, Chinese, and Chinese as printed) under tmp_path.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation

from keyou.analytics.charts import (
    Bar,
    Series,
    Stage,
    bar_chart,
    compact_number,
    fit_text,
    format_minutes,
    format_percent,
    full_number,
    funnel_chart,
    grouped_bars,
    line_chart,
    nice_step,
    nice_ticks,
    sparkline,
    text_width,
)

NS = {"s": "http://www.w3.org/2000/svg"}
HOSTILE = "<script>alert('x')</script> & \"quoted\" 'single'"
CSS = Path(__file__).resolve().parents[2] / "keyou/web/static/web/keyou.css"


def parse(svg: str) -> ET.Element:
    """Return the root of SVG, failing the test if it is not well-formed XML."""
    return ET.fromstring(svg)


def all_of(root: ET.Element, tag: str, cls: str | None = None) -> list[ET.Element]:
    found = root.findall(f".//s:{tag}", NS)
    return [e for e in found if cls is None or cls in e.get("class", "").split()]


def texts(root: ET.Element, cls: str) -> list[str]:
    """Return the visible text of the <text> elements of class CLS (not their tooltips)."""
    return [(e.text or "") + "".join(c.tail or "" for c in e) for e in all_of(root, "text", cls)]


def bar_heights(root: ET.Element) -> list[float]:
    return [float(r.get("height")) for r in all_of(root, "rect", "chart-mark")]


# --- Numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (0.25, "0.25"),
        (12.5, "12.5"),
        (999, "999"),
        (1000, "1k"),
        (1234, "1.2k"),
        (12_345, "12.3k"),
        (123_456, "123k"),
        (999_960, "1M"),
        (1_234_567, "1.2M"),
        (2_500_000_000, "2.5B"),
        (3e15, "3000T"),
        (0.004, "0.004"),
        (-4321, "-4.3k"),
    ],
)
def test_compact_number_in_english(value, text):
    assert compact_number(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (9_999, "9,999"),
        (12_345, "1.2万"),
        (999_960, "100万"),
        (123_456_789, "1.2亿"),
        (2.5e12, "2.5万亿"),
    ],
)
def test_compact_number_in_chinese_counts_in_wan_and_yi(value, text):
    with translation.override("zh-hans"):
        assert compact_number(value) == text


def test_other_number_formats():
    assert full_number(1_234_567) == "1,234,567"
    assert full_number(12.5) == "12.5"
    assert full_number(0.00125) == "0.00125"
    assert format_percent(45.4) == "45%"
    assert format_percent(4.54) == "4.5%"
    assert format_minutes(45) == "45 min"
    assert format_minutes(150) == "2.5 h"


@pytest.mark.parametrize("maximum", [0.03, 0.3, 1, 3, 7, 9.5, 13, 99, 101, 1234, 55_555, 7.7e8])
def test_ticks_are_round_steps_reaching_the_maximum(maximum):
    ticks = nice_ticks(maximum)
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1, 2, 5)
    assert ticks[0] == 0 and ticks[-1] >= maximum and ticks[-2] < maximum
    assert 3 <= len(ticks) <= 11
    assert all(math.isclose(b - a, step) for a, b in zip(ticks, ticks[1:], strict=False))


def test_integer_ticks_never_split_a_count():
    assert nice_ticks(3, integer=True) == [0, 1, 2, 3]
    assert nice_step(0.7) == 1 and nice_step(1.1) == 2 and nice_step(2.1) == 5


def test_text_is_fitted_with_an_ellipsis():
    assert fit_text("Acme", 100) == "Acme"
    cut = fit_text("Shenzhen Huaxin Lighting Technology Co., Ltd.", 100)
    assert cut.endswith("…") and text_width(cut) <= 100
    assert text_width("中文") == 2 * text_width("中")  # a CJK character is a full em


# --- Bars ---------------------------------------------------------------------------------


def test_bar_heights_are_proportional_and_labels_shown():
    root = parse(bar_chart([("Jan", 10), ("Feb", 20), Bar("Mar", 5)], title="Won"))
    heights = bar_heights(root)
    assert len(heights) == 3
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.2)
    assert heights[2] == pytest.approx(heights[0] / 2, abs=0.2)
    assert texts(root, "chart-label") == ["Jan", "Feb", "Mar"]
    assert texts(root, "chart-value") == ["10", "20", "5"]
    assert root.get("role") == "img"


def test_horizontal_bar_widths_are_proportional():
    root = parse(bar_chart([("Germany", 40), ("中国", 10)], title="Countries", horizontal=True))
    widths = [float(r.get("width")) for r in all_of(root, "rect", "chart-mark")]
    assert widths[0] == pytest.approx(4 * widths[1], abs=0.2)
    assert texts(root, "chart-label") == ["Germany", "中国"]


def test_rows_may_be_any_object_with_label_and_value():
    @dataclass
    class Row:
        label: str
        value: int
        href: str = ""

    root = parse(bar_chart([Row("A", 1, "/a"), Row("B", 2)], title="t"))
    assert [a.get("href") for a in all_of(root, "a")] == ["/a"]


def test_links_wrap_the_bars_that_have_one_and_unsafe_ones_are_dropped():
    rows = [
        ("A", 1, "/customers/?country=DE&tier=a"),
        ("B", 2),
        ("C", 3, "javascript:alert(1)"),
        ("D", 4, "https://example.com/x"),
    ]
    svg = bar_chart(rows, title="t")
    root = parse(svg)
    links = all_of(root, "a")
    assert [a.get("href") for a in links] == [
        "/customers/?country=DE&tier=a",
        "https://example.com/x",
    ]
    assert all(a.find("s:g/s:rect", NS) is not None for a in links)
    assert "javascript" not in svg


def test_hostile_labels_are_escaped_and_kept_whole_in_tooltips():
    svg = bar_chart([(HOSTILE, 3), ("Tom & Jerry", 1)], title=HOSTILE)
    assert "<script" not in svg
    root = parse(svg)
    assert root.find("s:title", NS).text == HOSTILE
    tooltips = [t.text for t in all_of(root, "title")]
    assert f"{HOSTILE}: 3" in tooltips
    assert "Tom & Jerry" in texts(root, "chart-label")


def test_characters_xml_forbids_are_dropped():
    root = parse(bar_chart([("bad\x00\x1bname\ufffe", 1)], title="t\x0c"))
    assert texts(root, "chart-label") == ["badname"]


def test_chinese_labels_are_kept_and_long_ones_cut_with_the_full_text_as_tooltip():
    name = "深圳市华鑫照明科技有限公司（海外销售部）"
    root = parse(bar_chart([(name, 5), ("王经理", 3)], title="客户", horizontal=True))
    shown = texts(root, "chart-label")
    assert shown[1] == "王经理"
    assert shown[0].endswith("…") and name.startswith(shown[0][:-1])
    label = all_of(root, "text", "chart-label")[0]
    assert label.find("s:title", NS).text == name


def test_many_labels_are_thinned_and_each_bar_keeps_its_tooltip():
    rows = [(f"Salesperson {i:02d}", i + 1) for i in range(60)]
    root = parse(bar_chart(rows, title="t"))
    labels = texts(root, "chart-label")
    assert 2 <= len(labels) <= 15
    assert labels[0].startswith("Sales")
    assert len(all_of(root, "g", "chart-bar")) == 60
    assert texts(root, "chart-value") == []  # no room for values over thin bars


@pytest.mark.parametrize("rows", [[], [("A", 0), ("B", 0)], [("A", None)]])
def test_no_data_says_so(rows):
    root = parse(bar_chart(rows, title="Empty"))
    assert texts(root, "chart-empty") == ["No data"]
    assert all_of(root, "rect", "chart-mark") == []


def test_no_data_is_translated():
    with translation.override("zh-hans"):
        expected = translation.gettext("No data")
        root = parse(funnel_chart([], title="漏斗"))
    assert texts(root, "chart-empty") == [expected]


def test_negative_values_are_drawn_as_zero_with_a_note():
    root = parse(bar_chart([("A", 10), ("B", -5)], title="t"))
    assert bar_heights(root)[1] == 0
    assert texts(root, "chart-note") == ["Negative values are shown as zero."]
    assert "Negative values" in root.find("s:desc", NS).text


def test_huge_numbers_and_a_caller_format():
    root = parse(bar_chart([("A", 1_234_567), ("B", 45_000)], title="t"))
    assert "1.2M" in texts(root, "chart-value")
    assert "1.2M" not in root.find("s:desc", NS).text  # the description is exact
    assert "1,234,567" in root.find("s:desc", NS).text
    money = parse(bar_chart([("A", 1500)], title="t", value_format=lambda v: f"${v:,.0f}"))
    assert texts(money, "chart-value") == ["$1,500"]
    assert "$1,500" in money.find("s:desc", NS).text


def test_the_chart_is_labelled_for_screen_readers():
    root = parse(bar_chart([("A", 1), ("B", 2)], title="Won by month"))
    ids = root.get("aria-labelledby").split()
    assert [root.find(f".//*[@id='{i}']").tag.split("}")[1] for i in ids] == ["title", "desc"]
    assert root.find("s:desc", NS).text == "A: 1; B: 2"
    assert root.get("viewBox").startswith("0 0 640 ")


# --- Grouped bars, lines, funnel, sparkline -----------------------------------------------


def test_grouped_bars_draw_one_bar_per_category_and_series():
    days = ["Mon", "Tue", "Wed"]
    series = [
        Series("Inbound", [4, 8, 2], ["/in/1", "/in/2", "/in/3"]),
        ("Outbound", [2, 4, 1]),
    ]
    root = parse(grouped_bars(days, series, title="Mail"))
    marks = all_of(root, "rect", "chart-mark")
    assert len(marks) == 6
    assert sum("chart-s1" in m.get("class") for m in marks) == 3
    assert sum("chart-s2" in m.get("class") for m in marks) == 3
    heights = [float(m.get("height")) for m in marks]
    assert heights[0] == pytest.approx(2 * heights[1], abs=0.2)  # Mon: 4 in, 2 out
    assert len(all_of(root, "a")) == 3
    assert texts(root, "chart-legend") == ["Inbound", "Outbound"]


def test_line_chart_places_dates_by_time_and_breaks_at_missing_values():
    days = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 5)]
    root = parse(
        line_chart(days, [("Median", [10, None, 30]), ("P90", [20, 40, 60])], title="Response")
    )
    paths = all_of(root, "path", "chart-line")
    assert len(paths) == 2
    assert paths[0].get("d").count("M") == 2  # broken at the missing day
    xs = [float(c.get("cx")) for c in all_of(root, "circle")][2:]
    assert xs[2] - xs[1] == pytest.approx(2 * (xs[1] - xs[0]), abs=0.5)  # Mar 4 is missing
    assert texts(root, "chart-label") == ["Mar 2", "Mar 3", "Mar 5"]


def test_line_chart_dates_in_chinese():
    with translation.override("zh-hans"):
        root = parse(line_chart([date(2026, 3, 2)], [("回复", [3])], title="首次回复"))
    assert texts(root, "chart-label") == ["3月2日"]


def test_funnel_shows_counts_and_conversion_from_the_stage_before():
    stages = [Stage("Lead", 200, "/deals/?stage=lead"), ("Quote", 50), ("Won", 5)]
    root = parse(funnel_chart(stages, title="Funnel"))
    widths = [float(r.get("width")) for r in all_of(root, "rect", "chart-mark")]
    assert widths[0] == pytest.approx(4 * widths[1], abs=0.2)
    assert texts(root, "chart-value") == ["200", "50", "5"]
    assert texts(root, "chart-conv") == ["25%", "10%"]
    assert texts(root, "chart-conv-head") == ["Conversion"]
    assert len(all_of(root, "polygon")) == 2
    assert [a.get("href") for a in all_of(root, "a")] == ["/deals/?stage=lead"]
    assert "overall 2.5%" in root.find("s:desc", NS).text


def test_sparkline():
    root = parse(sparkline([1, 5, 3], label="Acme"))
    assert root.get("aria-label") == "Acme: from 1 to 3, highest 5"
    assert all_of(root, "path", "chart-line")[0].get("d").startswith("M")
    flat = parse(sparkline([0, 0, 0]))
    ys = re.findall(r"[ML][\d.]+ ([\d.]+)", all_of(flat, "path")[0].get("d"))
    assert len(set(ys)) == 1  # no activity is a flat line, not "No data"
    assert texts(parse(sparkline([])), "chart-empty") == ["No data"]


@pytest.mark.parametrize(
    "render",
    [
        lambda: grouped_bars(["a"], [("x", [0]), ("y", [0])], title="t"),
        lambda: line_chart([], [], title="t"),
        lambda: line_chart(["a", "b"], [("x", [None, None])], title="t"),
        lambda: funnel_chart([("Lead", 0)], title="t"),
    ],
)
def test_every_chart_says_no_data(render):
    assert texts(parse(render()), "chart-empty") == ["No data"]


# --- Template tags ------------------------------------------------------------------------


def test_template_tags_render_unescaped_svg():
    template = Template(
        "{% load chart_tags %}"
        '{% bar_chart rows title="Won" horizontal=True %}'
        '{% line_chart days series title="Response" value_format="minutes" %}'
        '{% funnel_chart stages title="Funnel" %}'
        '{% grouped_bars cats series title="Mail" value_format="number" %}'
        '{% sparkline values label="Acme" as spark %}<td>{{ spark }}</td>'
        "{{ 12345|compact }} {{ 90|minutes }}"
    )
    html = template.render(
        Context(
            {
                "rows": [("A", 1), (HOSTILE, 2)],
                "days": [date(2026, 3, 2), date(2026, 3, 3)],
                "series": [("Median", [30, 90])],
                "stages": [("Lead", 10), ("Won", 2)],
                "values": [1, 2],
                "cats": ["Mon", "Tue"],
            }
        )
    )
    assert html.count("<svg") == 5
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "1.5 h" in html  # the minutes format on the axis
    assert html.endswith("12.3k 1.5 h")


def test_an_unknown_format_name_is_an_error():
    template = Template('{% load chart_tags %}{% bar_chart rows title="t" value_format="x" %}')
    with pytest.raises(TemplateSyntaxError, match="compact"):
        template.render(Context({"rows": [("A", 1)]}))


# --- In a browser -------------------------------------------------------------------------


def _gallery(chinese: bool) -> str:
    """Return an HTML page with one of each chart, in Chinese or English."""
    days = [date(2026, 3, 2) + timedelta(days=i) for i in range(30)]
    inbound = [(i * 7) % 23 + (0 if d.weekday() >= 5 else 12) for i, d in enumerate(days)]
    outbound = [max(v - 3 + (i % 4), 0) for i, v in enumerate(inbound)]
    if chinese:
        months = [f"{m}月" for m in range(1, 13)]
        countries = ["德国", "美国", "中国", "阿拉伯联合酋长国（迪拜自由区）", HOSTILE, "巴西"]
        names = ("收件", "发件", "中位数", "90分位", "首次回复（工作分钟）")
        stages = ["线索", "已确认需求", "已报价", "谈判中", "赢单"]
    else:
        months = [date(2026, m, 1).strftime("%b") for m in range(1, 13)]
        countries = [
            "Germany",
            "United States",
            "China",
            "United Arab Emirates (Dubai)",
            HOSTILE,
            "Brazil",
        ]
        names = ("Inbound", "Outbound", "Median", "P90", "First response (working minutes)")
        stages = ["Lead", "Qualified", "Quote sent", "Negotiation", "Won"]
    won = [12_500, 48_000, 31_250, 0, 96_400, 1_250_000, 88_000, 64_000, 23_000, 45_500, 0, 72_000]
    response = [45 + (i * 37) % 200 for i in range(30)]
    charts = [
        bar_chart(
            list(zip(months, won, strict=True)),
            title="Won",
            y_label="USD",
            value_format=lambda v: f"${compact_number(v)}",
        ),
        bar_chart(
            [
                (c, v, f"/customers/?c={i}")
                for i, (c, v) in enumerate(zip(countries, [42, 35, 17, 9, 4, 1], strict=True))
            ],
            title="Countries",
            horizontal=True,
        ),
        grouped_bars(
            [_day(d) for d in days[:14]],
            [(names[0], inbound[:14]), (names[1], outbound[:14])],
            title="Mail",
        ),
        line_chart(
            days,
            [(names[2], response), (names[3], [v * 2 + 30 for v in response])],
            title="Response",
            y_label=names[4],
            value_format=format_minutes,
        ),
        funnel_chart(
            [(s, n, "/deals/") for s, n in zip(stages, [1240, 610, 322, 120, 41], strict=True)],
            title="Funnel",
        ),
        bar_chart([], title="Empty"),
    ]
    cards = "".join(f'<section class="card" style="max-width:720px">{c}</section>' for c in charts)
    spark = sparkline(inbound, label="Acme")
    table = f'<table class="table"><tr><td>Acme GmbH</td><td>{spark}</td></tr></table>'
    lang = "zh-Hans" if chinese else "en"
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<style>{CSS.read_text(encoding='utf-8')}</style></head>"
        f'<body><main class="page stack">{cards}<section class="card">{table}</section>'
        "</main></body></html>"
    )


def _day(day: date) -> str:
    return f"{day.month}/{day.day}"


# Every <text> of every chart must lie inside its chart's viewBox, with the real fonts:
# this checks the width estimates that fit and thin the labels.
OVERFLOW_JS = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const [x0, y0, w, h] = svg.getAttribute('viewBox').split(' ').map(Number);
    for (const t of svg.querySelectorAll('text')) {
      const b = t.getBBox();
      const rotated = t.hasAttribute('transform');
      const left = rotated ? b.y : b.x, right = rotated ? b.y + b.height : b.x + b.width;
      if (!rotated && (left < x0 - 1 || right > x0 + w + 1)) out.push(t.textContent);
    }
    const labels = [...svg.querySelectorAll('text.chart-label')].map(t => t.getBBox());
    for (let i = 1; i < labels.length; i++) {
      const a = labels[i - 1], b = labels[i];
      if (Math.abs(a.y - b.y) < 1 && a.x + a.width > b.x + 1) out.push('overlap ' + i);
    }
  }
  return out;
}"""


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_charts_render_cleanly_in_chromium(browser, tmp_path, language):
    with translation.override(language):
        html = _gallery(chinese=language == "zh-hans")
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_content(html, wait_until="load")
    assert page.locator("svg.chart").count() == 6
    assert page.locator("svg.chart a").count() == 11  # 6 countries, 5 stages
    assert page.evaluate(OVERFLOW_JS) == []
    shot = tmp_path / f"charts-{language}.png"
    page.screenshot(path=str(shot), full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=str(tmp_path / f"charts-{language}-print.png"), full_page=True)
    print(f"screenshots: {shot} and the -print variant")
    page.close()
    assert errors == []
    assert shot.stat().st_size > 10_000
