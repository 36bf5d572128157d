"""SVG charts in templates: `{% load chart_tags %}`.

Each tag takes the arguments of the function of the same name in
`keyou.analytics.charts` and returns its finished, escaped SVG::

    {% load chart_tags %}
    {% bar_chart rows title=_("New accounts by country") horizontal=True %}
    {% grouped_bars days series title=_("Email volume") y_label=_("Messages") %}
    {% line_chart days series title=_("First response") value_format="minutes" %}
    {% funnel_chart stages title=_("Funnel") %}
    {% sparkline values label=account.name %}
    {% bar_chart rows title=_("Won") as chart %}{{ chart }}

ROWS are (label, value[, href]) tuples or objects with label/value/href; SERIES are
(name, values[, hrefs]); STAGES are (name, count[, href]). VALUE_FORMAT is a name from
`charts.FORMATS` ("compact", "number", "percent", "minutes") or a callable marked
``do_not_call_in_templates = True`` (a template calls anything callable otherwise).
The filters `compact` and `minutes` write numbers in the charts' style for the table
beside each chart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import template
from django.utils.safestring import SafeString

from keyou.analytics import charts

register = template.Library()


def _format(value_format: str | charts.Format) -> charts.Format:
    """Return the formatter VALUE_FORMAT names (or is)."""
    if callable(value_format):
        return value_format
    try:
        return charts.FORMATS[value_format]
    except KeyError:
        names = ", ".join(charts.FORMATS)
        raise template.TemplateSyntaxError(
            f"unknown value_format {value_format!r}; use one of {names}"
        ) from None


@register.simple_tag
def bar_chart(
    rows: Iterable[Any],
    title: str,
    x_label: str = "",
    y_label: str = "",
    value_format: str | charts.Format = "compact",
    horizontal: bool = False,
) -> SafeString:
    """Render `charts.bar_chart` of ROWS."""
    return charts.bar_chart(
        rows,
        title=title,
        x_label=x_label,
        y_label=y_label,
        value_format=_format(value_format),
        horizontal=horizontal,
    )


@register.simple_tag
def grouped_bars(
    categories: Sequence[Any],
    series: Iterable[Any],
    title: str,
    x_label: str = "",
    y_label: str = "",
    value_format: str | charts.Format = "compact",
) -> SafeString:
    """Render `charts.grouped_bars` of SERIES over CATEGORIES."""
    return charts.grouped_bars(
        categories,
        series,
        title=title,
        x_label=x_label,
        y_label=y_label,
        value_format=_format(value_format),
    )


@register.simple_tag
def line_chart(
    x_values: Sequence[Any],
    series: Iterable[Any],
    title: str,
    x_label: str = "",
    y_label: str = "",
    value_format: str | charts.Format = "compact",
) -> SafeString:
    """Render `charts.line_chart` of SERIES over X_VALUES."""
    return charts.line_chart(
        x_values,
        series,
        title=title,
        x_label=x_label,
        y_label=y_label,
        value_format=_format(value_format),
    )


@register.simple_tag
def funnel_chart(
    stages: Iterable[Any], title: str, value_format: str | charts.Format = "number"
) -> SafeString:
    """Render `charts.funnel_chart` of STAGES."""
    return charts.funnel_chart(stages, title=title, value_format=_format(value_format))


@register.simple_tag
def sparkline(
    values: Iterable[Any], label: str = "", value_format: str | charts.Format = "compact"
) -> SafeString:
    """Render `charts.sparkline` of VALUES."""
    return charts.sparkline(values, label=label, value_format=_format(value_format))


@register.filter
def compact(value: Any) -> str:
    """Return VALUE shortened like the charts' axes (12.3k, 1.2万), or "" for None."""
    return "" if value is None or value == "" else charts.compact_number(value)


@register.filter
def minutes(value: Any) -> str:
    """Return VALUE minutes as "45 min" or "2.5 h", or "" for None."""
    return "" if value is None or value == "" else charts.format_minutes(value)
