"""Small SVG charts of the statistics, drawn on the server: no script, no new dependency.

Two shapes: columns by year or month stacked by series (``timeline`` figures) and
horizontal bars for rankings (the first ``top`` rows). The palette is fixed and tells its
series apart in greyscale too: shades of clearly different lightness, and from the third
series on a pattern over the colour. Every label is data and is escaped.
"""

from __future__ import annotations

import math
from itertools import count
from typing import TYPE_CHECKING

from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from svc_archive_plugin.services.statistics import Column
    from svc_archive_plugin.services.statistics import Figure

# (fill, pattern): dark, light, then mid tones with a pattern, so print in grey reads too.
PALETTE = (
    ("#1f3f66", None),
    ("#a9c8e8", None),
    ("#d9822b", "diagonal"),
    ("#4f7f4a", "dots"),
    ("#b23a48", "cross"),
    ("#bdbdbd", "horizontal"),
    ("#6a4c93", "vertical"),
)
INK = "#222"
GRID = "#d0d0d0"
FONT = 'font-family="sans-serif"'
TOP = 10  # bars a ranking shows

_ids = count(1)


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _nice_ceiling(value: int) -> tuple[int, int]:
    """A round axis maximum above ``value`` and its tick step (1, 2 or 5 times 10ⁿ)."""
    if value <= 0:
        return 1, 1
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return step * math.ceil(value / step), step


def _short(text: str, room: float, size: float = 12) -> str:
    """``text``, cut with an ellipsis to fit ``room`` pixels at font ``size``."""
    if _width(text, size) <= room:
        return text
    while text and _width(text, size) + size > room:
        text = text[:-1]
    return text + "…"


def _width(text: str, size: float) -> float:
    """About how wide ``text`` is at ``size``: CJK characters are square, Latin narrower."""
    return sum(size if ord(c) >= 0x2E80 else size * 0.6 for c in text)


def _defs(uid: str, series: list[Column]) -> list[str]:
    parts = []
    for index, _column in enumerate(series):
        fill, pattern = PALETTE[index % len(PALETTE)]
        if pattern is None:
            continue
        marks = {
            "diagonal": '<path d="M0 6 L6 0" stroke="#fff" stroke-width="1.6"/>',
            "dots": '<circle cx="3" cy="3" r="1.3" fill="#fff"/>',
            "cross": '<path d="M0 0 L6 6 M6 0 L0 6" stroke="#fff" stroke-width="1.1"/>',
            "horizontal": '<path d="M0 3 L6 3" stroke="#555" stroke-width="1.2"/>',
            "vertical": '<path d="M3 0 L3 6" stroke="#fff" stroke-width="1.4"/>',
        }[pattern]
        parts.append(
            f'<pattern id="{uid}-s{index}" width="6" height="6" '
            f'patternUnits="userSpaceOnUse"><rect width="6" height="6" '
            f'fill="{fill}"/>{marks}</pattern>',
        )
    return [f"<defs>{''.join(parts)}</defs>"] if parts else []


def _paint(uid: str, index: int) -> str:
    fill, pattern = PALETTE[index % len(PALETTE)]
    return f"url(#{uid}-s{index})" if pattern else fill


def _legend(
    uid: str,
    series: list[Column],
    top: float,
    width: float,
) -> tuple[list, float]:
    """The legend's swatches, wrapped to ``width``; returns the parts and their height."""
    if len(series) < 2:
        return [], 0
    parts, x, y = [], 0.0, top
    for index, column in enumerate(series):
        label = _short(str(column.label), 220)
        item = 24 + _width(label, 12) + 14
        if x and x + item > width:
            x, y = 0.0, y + 18
        parts.append(
            f'<rect x="{_number(x + 8)}" y="{_number(y)}" width="12" height="12" '
            f'fill="{_paint(uid, index)}" stroke="{INK}" stroke-width="0.5"/>'
            f'<text x="{_number(x + 24)}" y="{_number(y + 10)}" font-size="12" '
            f'fill="{INK}">{escape(label)}</text>',
        )
        x += item
    return parts, y + 18 - top


def _svg(
    uid: str,
    title: str,
    width: float,
    height: float,
    body: list[str],
) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_number(width)} '
        f'{_number(height)}" width="{_number(width)}" height="{_number(height)}" '
        f'role="img" aria-labelledby="{uid}-t" class="svc-chart" {FONT} '
        f'style="max-width:100%;height:auto">'
        f'<title id="{uid}-t">{escape(title)}</title>{"".join(body)}</svg>',
    )


def _empty(uid: str, title: str, width: float) -> SafeString:
    return _svg(
        uid,
        title,
        width,
        40,
        [
            f'<text x="8" y="24" font-size="13" fill="#666">'
            f"{escape(_('Nothing to count for this choice.'))}</text>",
        ],
    )


def columns_chart(figure: Figure, *, width: int = 720, height: int = 260) -> SafeString:
    """Columns by period (year, month), each stacked by the figure's series."""
    uid = f"svc-chart-{next(_ids)}"
    series = figure.series
    keys = figure.keys
    label_index = keys.index(figure.label)
    values = [[row[keys.index(c.key)] for c in series] for row in figure.rows]
    if not figure.rows:
        return _empty(uid, figure.title, width)
    left, right, top, bottom = 44, 10, 14, 26
    legend, legend_height = _legend(uid, series, height, width - 10)
    plot_w, plot_h = width - left - right, height - top - bottom
    maximum, step = _nice_ceiling(max(sum(v) for v in values))
    body = _defs(uid, series)
    for tick in range(0, maximum + 1, step):
        y = top + plot_h - plot_h * tick / maximum
        body.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{_number(y)}" '
            f'y2="{_number(y)}" stroke="{GRID}" stroke-width="0.6"/>'
            f'<text x="{left - 6}" y="{_number(y + 4)}" font-size="11" '
            f'text-anchor="end" fill="{INK}">{tick}</text>',
        )
    band = plot_w / len(figure.rows)
    bar = max(band * 0.68, 1)
    every = max(1, math.ceil(len(figure.rows) / max(plot_w // 50, 1)))
    for position, (row, stack) in enumerate(zip(figure.rows, values, strict=True)):
        x = left + band * position + (band - bar) / 2
        base = top + plot_h
        label = escape(str(row[label_index]))
        for index, value in enumerate(stack):
            if not value:
                continue
            h = plot_h * value / maximum
            base -= h
            body.append(
                f'<rect x="{_number(x)}" y="{_number(base)}" width="{_number(bar)}" '
                f'height="{_number(h)}" fill="{_paint(uid, index)}" stroke="#fff" '
                f'stroke-width="0.5"><title>{label} · '
                f"{escape(str(series[index].label))}: {value}</title></rect>",
            )
        total = sum(stack)
        if total and band >= 22:
            body.append(
                f'<text x="{_number(x + bar / 2)}" y="{_number(base - 3)}" '
                f'font-size="10" text-anchor="middle" fill="{INK}">{total}</text>',
            )
        if position % every == 0:
            body.append(
                f'<text x="{_number(x + bar / 2)}" y="{_number(top + plot_h + 16)}" '
                f'font-size="11" text-anchor="middle" fill="{INK}">{label}</text>',
            )
    body.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" '
        f'y2="{top + plot_h}" stroke="{INK}" stroke-width="1"/>',
    )
    body.extend(legend)
    return _svg(uid, figure.title, width, height + legend_height + 4, body)


def bars_chart(figure: Figure, *, width: int = 720, top: int = TOP) -> SafeString:
    """Horizontal bars of a ranking's first ``top`` rows, stacked by its series."""
    uid = f"svc-chart-{next(_ids)}"
    series = figure.series
    keys = figure.keys
    label_index = keys.index(figure.label)
    rows = figure.rows[:top]
    values = [[row[keys.index(c.key)] for c in series] for row in rows]
    if not rows or not any(sum(v) for v in values):
        return _empty(uid, figure.title, width)
    label_w, right, row_h, head = 168, 48, 24, 6
    plot_w = width - label_w - right
    maximum = max(sum(v) for v in values)
    body = _defs(uid, series)
    for position, (row, stack) in enumerate(zip(rows, values, strict=True)):
        y = head + position * row_h
        full = str(row[label_index])
        body.append(
            f"<g><title>{escape(full)}</title>"
            f'<text x="{label_w - 8}" y="{y + 15}" font-size="12" text-anchor="end" '
            f'fill="{INK}">{escape(_short(full, label_w - 12))}</text></g>',
        )
        x = float(label_w)
        for index, value in enumerate(stack):
            if not value:
                continue
            w = plot_w * value / maximum
            body.append(
                f'<rect x="{_number(x)}" y="{y + 3}" width="{_number(w)}" height="'
                f'{row_h - 7}" fill="{_paint(uid, index)}" stroke="#fff" '
                f'stroke-width="0.5"><title>{escape(full)} · '
                f"{escape(str(series[index].label))}: {value}</title></rect>",
            )
            x += w
        body.append(
            f'<text x="{_number(x + 5)}" y="{y + 15}" font-size="11" '
            f'fill="{INK}">{sum(stack)}</text>',
        )
    height = head + len(rows) * row_h + 4
    body.append(
        f'<line x1="{label_w}" x2="{label_w}" y1="{head}" y2="{height - 4}" '
        f'stroke="{INK}" stroke-width="1"/>',
    )
    legend, legend_height = _legend(uid, series, height + 4, width - 10)
    body.extend(legend)
    return _svg(uid, figure.title, width, height + legend_height + 6, body)


def chart(figure: Figure) -> SafeString:
    """The figure's chart: columns for a timeline, bars for a ranking."""
    if figure.kind == "timeline":
        return columns_chart(figure)
    return bars_chart(figure)
