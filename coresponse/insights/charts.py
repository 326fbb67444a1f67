"""Chart geometry for server-rendered SVG: bars (a count per day or month) and a line with its
95% interval drawn as a band (a rate per month).

No text inside the SVG (it stretches to the width of a phone or a desktop); the templates put
axis labels in HTML around it and the same numbers in a table beside it. The PDF report draws
the same series with reportlab (insights.report_pdf).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: object
    count: int


@dataclass
class BarChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    bars: list[Bar] = field(default_factory=list)
    maximum: int = 0
    total: int = 0
    ticks: list[tuple[float, int]] = field(default_factory=list)  # (y, value)
    labels: list[tuple[float, object]] = field(default_factory=list)  # (x center, day)


def nice_max(value: float) -> int:
    """A round axis maximum at or above `value`."""
    value = max(0, value)
    if value <= 5:
        return max(int(-(-value // 1)), 1)
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2500, 5000, 10000):
        if value <= step * 5:
            return int(-(-value // step) * step)
    return int(value)


def bar_chart(per_day: list[tuple], width: int = 720, height: int = 180) -> BarChart:
    """Bars for (label, count) pairs, oldest first."""
    left, right, top, bottom = 0, 0, 6, 0
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_max(max((c for _, c in per_day), default=0))
    chart = BarChart(width, height, top, height - bottom, maximum=top_value)
    chart.total = sum(c for _, c in per_day)
    n = max(len(per_day), 1)
    slot = plot_w / n
    gap = min(4.0, slot * 0.25)
    for i, (day, count) in enumerate(per_day):
        h = plot_h * count / top_value if top_value else 0
        x = left + i * slot + gap / 2
        chart.bars.append(
            Bar(
                round(x, 2),
                round(top + plot_h - h, 2),
                round(slot - gap, 2),
                round(h, 2),
                day,
                count,
            )
        )
    for value in (0, top_value // 2, top_value):
        chart.ticks.append((round(top + plot_h - plot_h * value / top_value, 2), value))
    for i in sorted({0, n // 2, n - 1}):
        if i < len(per_day):
            chart.labels.append((round(left + i * slot + slot / 2, 2), per_day[i][0]))
    return chart


@dataclass(frozen=True)
class LinePoint:
    x: float
    y: float | None  # None: no data that month (the line breaks)
    label: object
    value: float | None
    low: float | None
    high: float | None
    numerator: int | None
    denominator: int | None


@dataclass
class LineChart:
    width: int
    height: int
    points: list[LinePoint] = field(default_factory=list)
    line: str = ""  # SVG path of the value
    band: str = ""  # SVG path of the 95% interval
    maximum: float = 1.0  # the axis top, as a fraction
    minimum: float = 0.0  # the axis bottom
    ticks: list[tuple[float, float]] = field(default_factory=list)  # (y, fraction)
    labels: list[tuple[float, object]] = field(default_factory=list)

    @property
    def middle(self) -> float:
        return (self.minimum + self.maximum) / 2


def axis(lowest: float, highest: float) -> tuple[float, float]:
    """A round axis range around the data: tenths, or finer for a narrow range near 0."""
    step = 0.1 if highest - lowest > 0.05 or highest > 0.2 else 0.01
    low = math.floor(max(0.0, lowest) / step) * step
    high = math.ceil(min(1.0, highest) / step) * step
    if high - low < step:
        high = min(1.0, low + step) if low + step <= 1.0 else high
        low = high - step
    return round(max(0.0, low), 4), round(min(1.0, high), 4)


def line_chart(series: list[dict], width: int = 720, height: int = 180) -> LineChart:
    """A rate per period with its interval: `series` items have label, value, low, high,
    numerator, denominator (value/low/high fractions or None)."""
    top, bottom = 6, 6
    plot_h = height - top - bottom
    values = [v for s in series for v in (s["low"], s["high"], s["value"]) if v is not None]
    low, high = axis(min(values, default=0.0), max(values, default=1.0))
    chart = LineChart(width, height, maximum=high, minimum=low)
    n = max(len(series), 1)
    slot = width / n

    def y_of(v: float) -> float:
        share = (min(max(v, low), high) - low) / (high - low)
        return round(top + plot_h - plot_h * share, 2)

    segments: list[list[LinePoint]] = [[]]
    for i, s in enumerate(series):
        x = round(i * slot + slot / 2, 2)
        value = s["value"]
        point = LinePoint(
            x,
            None if value is None else y_of(value),
            s["label"],
            value,
            s["low"],
            s["high"],
            s.get("numerator"),
            s.get("denominator"),
        )
        chart.points.append(point)
        if value is None:
            segments.append([])
        else:
            segments[-1].append(point)
    lines, bands = [], []
    for seg in segments:
        if not seg:
            continue
        lines.append("M" + " L".join(f"{p.x},{p.y}" for p in seg))
        upper = [f"{p.x},{y_of(p.high)}" for p in seg]
        lower = [f"{p.x},{y_of(p.low)}" for p in reversed(seg)]
        if len(seg) == 1:  # a lone month: a short bar of its interval
            p = seg[0]
            upper = [f"{p.x - 3},{y_of(p.high)}", f"{p.x + 3},{y_of(p.high)}"]
            lower = [f"{p.x + 3},{y_of(p.low)}", f"{p.x - 3},{y_of(p.low)}"]
        bands.append("M" + " L".join(upper + lower) + " Z")
    chart.line = " ".join(lines)
    chart.band = " ".join(bands)
    for fraction in (low, (low + high) / 2, high):
        chart.ticks.append((y_of(fraction), fraction))
    for i in sorted({0, n // 2, n - 1}):
        if i < len(series):
            chart.labels.append((round(i * slot + slot / 2, 2), series[i]["label"]))
    return chart
