"""Charts drawn on the server as SVG: no script, no CDN, printable, and each with its numbers beside it.

Every chart is a `Chart`: the picture (inline SVG, `role="img"`, named by its title and described by its text
alternative), the same numbers as a table (`columns`, `rows`) that the page shows a click away and offers as CSV,
and the restricted reads it carries (`disclosures`, audited when shown). Colours are colour-blind safe and never
alone: the failure levels are a sequential scale pale → dark (read by lightness, whatever the colour vision), each
bar segment also carries its own hatching and, where it fits, its level number; lines differ in marker and dash as
well as colour and are labelled at their end.
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from api.audit import Disclosure

# Failure levels 0 … 5: ColorBrewer YlOrBr (sequential, safe for every common colour-vision deficiency).
LEVEL_FILL = ("#ffffd4", "#fee391", "#fec44f", "#fe9929", "#d95f0e", "#993404")
# Series of a line or interval chart: Okabe & Ito's colour-blind safe palette, each with its own marker and dash.
SERIES = (("#0072B2", "circle", ""), ("#D55E00", "square", "6 3"), ("#009E73", "triangle", "2 3"),
          ("#CC79A7", "diamond", "8 3 2 3"), ("#E69F00", "circle", "1 2"), ("#56B4E9", "square", "4 4"))
INK = "#1b1b1b"
MUTED = "#505a5f"
FONT = 'font-family="system-ui, sans-serif"'


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def text_on(colour: str) -> str:
    """Black or white, whichever has the higher contrast on `colour` (WCAG relative luminance)."""
    lum = _luminance(colour)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def level_colours(level: int) -> tuple[str, str]:
    fill = LEVEL_FILL[max(0, min(5, int(level)))]
    return fill, text_on(fill)


@dataclass
class Chart:
    id: str
    title: str
    summary: str                       # the text alternative: what it shows and what it says
    svg: Markup | None                 # None: the table is the chart (e.g. a grid of levels)
    columns: list[str]
    rows: list[list]
    disclosures: frozenset[Disclosure] = frozenset()
    note: str | None = None            # e.g. where the numbers come from

    def csv(self) -> bytes:
        sink = io.StringIO()
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows([["" if v is None else v for v in row] for row in self.rows])
        return sink.getvalue().encode()


@dataclass
class _Svg:
    width: int
    height: int
    label_id: str
    parts: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(self, x: float, y: float, content, *, anchor: str = "start", size: int = 12, colour: str = INK,
             weight: str = "normal", cls: str = "") -> None:
        self.add(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{colour}" '
                 f'font-weight="{weight}"{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>{escape(str(content))}'
                 "</text>")

    def render(self, defs: str = "") -> Markup:
        return Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {self.height}" '
            f'width="100%" preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="{self.label_id}" '
            f'{FONT} class="chart-svg">{defs}' + "".join(self.parts) + "</svg>")


def _patterns(prefix: str) -> str:
    """A hatching per level, over its colour: 0 plain, 1 dots, 2 diagonal, 3 crossed, 4 dense diagonal, 5 grid."""
    out = []
    for level, fill in enumerate(LEVEL_FILL):
        ink = text_on(fill)
        marks = {0: "",
                 1: f'<circle cx="3" cy="3" r="1.1" fill="{ink}" fill-opacity="0.45"/>',
                 2: f'<path d="M0 6 L6 0" stroke="{ink}" stroke-opacity="0.45" stroke-width="1"/>',
                 3: f'<path d="M0 6 L6 0 M0 0 L6 6" stroke="{ink}" stroke-opacity="0.4" stroke-width="1"/>',
                 4: f'<path d="M0 3 L3 0 M3 6 L6 3" stroke="{ink}" stroke-opacity="0.45" stroke-width="1"/>',
                 5: f'<path d="M3 0 V6 M0 3 H6" stroke="{ink}" stroke-opacity="0.35" stroke-width="1"/>'}[level]
        out.append(f'<pattern id="{prefix}-l{level}" width="6" height="6" patternUnits="userSpaceOnUse">'
                   f'<rect width="6" height="6" fill="{fill}"/>{marks}</pattern>')
    return "<defs>" + "".join(out) + "</defs>"


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        high = low + 1
    span = high - low
    step = 10 ** math.floor(math.log10(span / count))
    for multiple in (1, 2, 2.5, 5, 10):
        if span / (step * multiple) <= count:
            step *= multiple
            break
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _fmt(value: float) -> str:
    if value is None:
        return "–"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def _marker(shape: str, x: float, y: float, colour: str, title: str) -> str:
    tip = f"<title>{escape(title)}</title>"
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}">{tip}</rect>'
    if shape == "triangle":
        return (f'<path d="M{x:.1f} {y - 5:.1f} L{x + 5:.1f} {y + 4:.1f} L{x - 5:.1f} {y + 4:.1f} Z" '
                f'fill="{colour}">{tip}</path>')
    if shape == "diamond":
        return (f'<path d="M{x:.1f} {y - 5:.1f} L{x + 5:.1f} {y:.1f} L{x:.1f} {y + 5:.1f} L{x - 5:.1f} {y:.1f} Z" '
                f'fill="{colour}">{tip}</path>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">{tip}</circle>'


# --- the chart kinds ------------------------------------------------------------------------------------------------

def level_bars(chart_id: str, counts: Sequence[tuple[int, str, int]]) -> Markup:
    """Horizontal bars, one per level (level, name, trusts), each in its level's colour and hatching."""
    width, left, right, row = 640, 230, 50, 30
    svg = _Svg(width, 20 + row * len(counts), f"{chart_id}-title")
    top = max([c for *_, c in counts] + [1])
    for i, (level, name, count) in enumerate(counts):
        y = 10 + i * row
        svg.text(left - 8, y + 18, f"{level} {name}", anchor="end")
        length = (width - left - right) * count / top
        svg.add(f'<rect x="{left}" y="{y + 4}" width="{max(length, 0.5):.1f}" height="{row - 8}" '
                f'fill="url(#{chart_id}-l{level})" stroke="{INK}" stroke-width="0.6">'
                f'<title>level {level}: {count} trusts</title></rect>')
        svg.text(left + length + 6, y + 18, f"{count}")
    return svg.render(_patterns(chart_id))


def stacked_levels(chart_id: str, periods: Sequence[str], counts: Sequence[Sequence[int]]) -> Markup:
    """Vertical bars per period, stacked by level (counts[p][level]); numbers inside the segments that fit."""
    width, height, left, bottom, top = 640, 300, 48, 40, 16
    svg = _Svg(width, height, f"{chart_id}-title")
    most = max([sum(c) for c in counts] + [1])
    ticks = _nice_ticks(0, most)
    scale = (height - bottom - top) / ticks[-1]
    for tick in ticks:
        y = height - bottom - tick * scale
        svg.add(f'<line x1="{left}" x2="{width - 150}" y1="{y:.1f}" y2="{y:.1f}" stroke="#b1b4b6" '
                'stroke-width="0.5"/>')
        svg.text(left - 6, y + 4, _fmt(tick), anchor="end", size=11, colour=MUTED)
    slot = (width - 150 - left) / max(len(periods), 1)
    bar = min(48, slot * 0.7)
    for i, (period, levels) in enumerate(zip(periods, counts)):
        x = left + slot * i + (slot - bar) / 2
        y = height - bottom
        for level, count in enumerate(levels):
            if not count:
                continue
            h = count * scale
            y -= h
            fill, ink = level_colours(level)
            svg.add(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                    f'fill="url(#{chart_id}-l{level})" stroke="{INK}" stroke-width="0.5">'
                    f'<title>{escape(period)}: {count} trusts at level {level}</title></rect>')
            if h >= 13:
                svg.add(f'<text x="{x + bar / 2:.1f}" y="{y + h / 2 + 4:.1f}" text-anchor="middle" font-size="10" '
                        f'fill="{ink}" stroke="{fill}" stroke-width="3" paint-order="stroke">L{level}·{count}</text>')
        svg.text(x + bar / 2, height - bottom + 16, period, anchor="middle", size=11)
    for level in range(6):            # the legend: swatch, hatching and name
        y = top + level * 22
        svg.add(f'<rect x="{width - 136}" y="{y}" width="16" height="16" fill="url(#{chart_id}-l{level})" '
                f'stroke="{INK}" stroke-width="0.5"/>')
        svg.text(width - 114, y + 13, f"level {level}", size=11)
    return svg.render(_patterns(chart_id))


def lines(chart_id: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
          y_label: str = "", y_min: float | None = None, y_max: float | None = None, step: bool = False,
          y_ticks: Sequence[tuple[float, str]] | None = None, left: int = 64) -> Markup:
    """One line per series over the x labels, each with its own colour, marker and dash, labelled at its end.
    `step`: a step line (a level held until it changes)."""
    width, height, right, bottom, top = 640, 280, 150, 40, 20
    svg = _Svg(width, height, f"{chart_id}-title")
    values = [v for _, vs in series for v in vs if v is not None]
    low = y_min if y_min is not None else min(values + [0])
    high = y_max if y_max is not None else max(values + [low + 1])
    ticks = [t for t, _ in y_ticks] if y_ticks else _nice_ticks(low, high)
    low, high = min(ticks[0], low), max(ticks[-1], high)
    span = (high - low) or 1

    def y_of(v: float) -> float:
        return height - bottom - (v - low) / span * (height - bottom - top)

    labels = dict(y_ticks) if y_ticks else {}
    for tick in ticks:
        y = y_of(tick)
        svg.add(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#b1b4b6" '
                'stroke-width="0.5"/>')
        svg.text(left - 6, y + 4, labels.get(tick, _fmt(tick)), anchor="end", size=11, colour=MUTED)
    if y_label:
        svg.add(f'<text x="14" y="{(height - bottom + top) / 2:.1f}" font-size="11" fill="{MUTED}" '
                f'text-anchor="middle" transform="rotate(-90 14 {(height - bottom + top) / 2:.1f})">'
                f"{escape(y_label)}</text>")
    count = len(x_labels)
    slot = (width - right - left) / max(count - 1, 1)

    def x_of(i: int) -> float:
        return left + (slot * i if count > 1 else (width - right - left) / 2)

    every = max(1, math.ceil(count / 10))
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == count - 1:
            svg.text(x_of(i), height - bottom + 16, label, anchor="middle", size=11)
    ends = []
    for n, (name, vs) in enumerate(series):
        colour, shape, dash = SERIES[n % len(SERIES)]
        points = [(x_of(i), y_of(v), v, x_labels[i]) for i, v in enumerate(vs) if v is not None]
        if not points:
            continue
        path, previous = [], None
        for x, y, *_ in points:
            if previous is None:
                path.append(f"M{x:.1f} {y:.1f}")
            elif step:
                path.append(f"H{x:.1f} V{y:.1f}")
            else:
                path.append(f"L{x:.1f} {y:.1f}")
            previous = (x, y)
        svg.add(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2.2"'
                f'{f" stroke-dasharray={chr(34)}{dash}{chr(34)}" if dash else ""}/>')
        for x, y, v, label in points:
            svg.add(_marker(shape, x, y, colour, f"{name}, {label}: {labels.get(v, _fmt(v))}"))
        ends.append([points[-1][1], name, colour, shape])
    ends.sort()
    for i in range(1, len(ends)):           # end labels never overlap
        ends[i][0] = max(ends[i][0], ends[i - 1][0] + 14)
    for y, name, colour, shape in ends:
        svg.add(_marker(shape, width - right + 12, y, colour, name))
        svg.text(width - right + 20, y + 4, name, size=11)
    return svg.render()


def intervals(chart_id: str, x_labels: Sequence[str], estimates: Sequence[float | None],
              lows: Sequence[float | None], highs: Sequence[float | None], *, reference: float = 1.0,
              log: bool = True, label: str = "odds ratio") -> Markup:
    """An estimate with its 95% interval per x label (a dot and a bar with caps), on a log scale by default, with
    the reference line (1: no association) drawn and labelled."""
    width, height, left, right, bottom, top = 640, 280, 64, 40, 40, 20
    svg = _Svg(width, height, f"{chart_id}-title")
    known = [v for v in [*estimates, *lows, *highs] if v is not None and (v > 0 or not log)]
    low, high = min(known + [reference]), max(known + [reference])
    if log:
        low, high = 10 ** math.floor(math.log10(low)), 10 ** math.ceil(math.log10(high))
        decades = round(math.log10(high / low)) or 1
        steps = (1, 2, 5) if decades <= 2 else (1,)
        ticks = [m * 10 ** e for e in range(round(math.log10(low)), round(math.log10(high)) + 1) for m in steps
                 if low <= m * 10 ** e <= high * 1.0001]
        f = math.log
    else:
        ticks = _nice_ticks(low, high)
        low, high = ticks[0], ticks[-1]
        f = float

    def y_of(v: float) -> float:
        v = min(max(v, low), high)
        return height - bottom - (f(v) - f(low)) / ((f(high) - f(low)) or 1) * (height - bottom - top)

    for tick in ticks:
        y = y_of(tick)
        svg.add(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#b1b4b6" '
                'stroke-width="0.5"/>')
        svg.text(left - 6, y + 4, f"{tick:,.10g}", anchor="end", size=11, colour=MUTED)
    y = y_of(reference)
    svg.add(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{INK}" stroke-width="1.2" '
            'stroke-dasharray="5 3"/>')
    svg.text(width - right, y - 5, f"{reference:g}: no association", anchor="end", size=11)
    svg.add(f'<text x="14" y="{(height - bottom + top) / 2:.1f}" font-size="11" fill="{MUTED}" text-anchor="middle" '
            f'transform="rotate(-90 14 {(height - bottom + top) / 2:.1f})">{escape(label)} (95% CI)</text>')
    count = len(x_labels)
    slot = (width - right - left) / max(count, 1)
    every = max(1, math.ceil(count / 10))
    colour = SERIES[0][0]
    for i, name in enumerate(x_labels):
        x = left + slot * (i + 0.5)
        if i % every == 0 or i == count - 1:
            svg.text(x, height - bottom + 16, name, anchor="middle", size=11)
        est, lo, hi = estimates[i], lows[i], highs[i]
        if lo is not None and hi is not None and (not log or (lo > 0 and hi > 0)):
            svg.add(f'<path d="M{x:.1f} {y_of(lo):.1f} V{y_of(hi):.1f} M{x - 5:.1f} {y_of(lo):.1f} H{x + 5:.1f} '
                    f'M{x - 5:.1f} {y_of(hi):.1f} H{x + 5:.1f}" stroke="{colour}" stroke-width="1.6" fill="none"/>')
        if est is not None and (not log or est > 0):
            svg.add(_marker("square", x, y_of(est), colour,
                            f"{name}: {label} {est:.2f} (95% CI {_fmt(lo)} to {_fmt(hi)})"))
    return svg.render()


def bars(chart_id: str, items: Sequence[tuple[str, float | None]], *, unit: str = "", colour: str = "#0072B2"
         ) -> Markup:
    """Horizontal bars from zero (negative values to the left), each labelled with its value; a missing value
    is written, never drawn as zero."""
    width, left, right, row = 640, 260, 70, 26
    svg = _Svg(width, 16 + row * len(items), f"{chart_id}-title")
    values = [v for _, v in items if v is not None]
    low, high = min(values + [0]), max(values + [0])
    span = (high - low) or 1
    zero = left + (0 - low) / span * (width - left - right)
    for i, (name, value) in enumerate(items):
        y = 8 + i * row
        svg.text(left - 8, y + 16, name if len(name) <= 33 else name[:32] + "…", anchor="end", size=11)  # fits 252px in capitals
        if value is None:
            svg.text(zero + 4, y + 16, "no figure", size=11, colour=MUTED)
            continue
        x0 = zero + min(0, value) / span * (width - left - right)
        length = abs(value) / span * (width - left - right)
        svg.add(f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(length, 0.5):.1f}" height="{row - 8}" fill="{colour}">'
                f"<title>{escape(name)}: {_fmt(value)}{escape(unit)}</title></rect>")
        svg.text((x0 + length + 5) if value >= 0 else (x0 - 5), y + 16, f"{_fmt(value)}{unit}",
                 anchor="start" if value >= 0 else "end", size=11)
    svg.add(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="4" y2="{12 + row * len(items)}" stroke="{INK}" '
            'stroke-width="0.8"/>')
    return svg.render()


def paired(chart_id: str, measures: Sequence[tuple[str, float | None, float | None, str]], first: str,
           second: str) -> Markup:
    """Per measure (name, value, comparator, unit): two bars on the measure's own scale, the first solid and the
    second hatched grey, each with its value written."""
    width, left, right, block = 640, 230, 80, 54
    svg = _Svg(width, 40 + block * len(measures), f"{chart_id}-title")
    defs = (f'<defs><pattern id="{chart_id}-cmp" width="6" height="6" patternUnits="userSpaceOnUse">'
            f'<rect width="6" height="6" fill="#dcdcdc"/><path d="M0 6 L6 0" stroke="{INK}" stroke-opacity="0.5"/>'
            "</pattern></defs>")
    svg.add(f'<rect x="{left}" y="6" width="14" height="12" fill="#0072B2"/>')
    svg.text(left + 20, 16, first, size=11)
    svg.add(f'<rect x="{left + 240}" y="6" width="14" height="12" fill="url(#{chart_id}-cmp)" stroke="{INK}" '
            'stroke-width="0.5"/>')
    svg.text(left + 260, 16, second, size=11)
    for i, (name, value, comparator, unit) in enumerate(measures):
        y = 30 + i * block
        svg.text(left - 8, y + 24, name if len(name) <= 36 else name[:35] + "…", anchor="end", size=11)
        known = [v for v in (value, comparator) if v is not None]
        low, high = min(known + [0]), max(known + [0])
        span = (high - low) or 1
        zero = left + (0 - low) / span * (width - left - right)
        for j, (v, fill) in enumerate(((value, "#0072B2"), (comparator, f"url(#{chart_id}-cmp)"))):
            yy = y + 4 + j * 22
            who = first if j == 0 else second
            if v is None:
                svg.text(zero + 4, yy + 13, f"{who}: no figure (or restricted)", size=11, colour=MUTED)
                continue
            x0 = zero + min(0, v) / span * (width - left - right)
            length = abs(v) / span * (width - left - right)
            svg.add(f'<rect x="{x0:.1f}" y="{yy}" width="{max(length, 0.5):.1f}" height="16" fill="{fill}" '
                    f'stroke="{INK}" stroke-width="0.4"><title>{escape(name)}, {escape(who)}: {_fmt(v)}{escape(unit)}'
                    "</title></rect>")
            svg.text((x0 + length + 5) if v >= 0 else (x0 - 5), yy + 13, f"{_fmt(v)}{unit}",
                     anchor="start" if v >= 0 else "end", size=11)
        svg.add(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{y}" y2="{y + 48}" stroke="{INK}" stroke-width="0.8"/>')
    return svg.render(defs)
