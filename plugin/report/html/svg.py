"""Small hand-written SVG charts (no plotting library): a scatter with whiskers and an
optional frontier, bars with interval whiskers, a histogram and a heat map. Every label is
escaped, so untrusted text (an experiment id, a class label) cannot break the page."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 520, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 72


@dataclass(frozen=True)
class Point:
    """One scatter point: ``low``/``high`` draw a vertical whisker when given."""

    label: str
    x: float
    y: float
    low: float | None = None
    high: float | None = None
    marked: bool = False  # drawn as a frontier point


@dataclass(frozen=True)
class Bar:
    """One bar with an optional interval whisker."""

    label: str
    value: float
    low: float | None = None
    high: float | None = None


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering ``[low, high]``."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def fmt(value: float) -> str:
    """A tick or tooltip number: short, without trailing zeros."""
    if value == 0:
        return "0"
    if 1000 <= abs(value) < 1e9:
        return f"{value:,.0f}"
    if abs(value) >= 1e9 or abs(value) < 0.001:
        return f"{value:.2g}"
    return f"{value:.4g}"


class _Scale:
    """A linear (or log10) map from data to pixels."""

    def __init__(self, low: float, high: float, start: float, end: float, log: bool = False,
                 integer: bool = False):  # fmt: skip
        self.log, self.integer = log, integer
        self.low, self.high = (math.log10(low), math.log10(high)) if log else (low, high)
        if self.high <= self.low:
            pad = abs(self.low) * 0.1 or 1.0
            self.low, self.high = self.low - pad, self.high + pad
        self.start, self.end = start, end

    def __call__(self, value: float) -> float:
        v = math.log10(value) if self.log else value
        return self.start + (v - self.low) / (self.high - self.low) * (self.end - self.start)

    def ticks(self) -> list[float]:
        if self.log:
            return [10.0**e for e in range(math.floor(self.low), math.ceil(self.high) + 1)
                    if self.low - 1e-9 <= e <= self.high + 1e-9]  # fmt: skip
        ticks = nice_ticks(self.low, self.high)
        return [t for t in ticks if t == int(t)] if self.integer else ticks


def _text(
    x: float,
    y: float,
    text: str,
    cls: str = "",
    anchor: str = "middle",
    rotate: int = 0,
    tip: str | None = None,
) -> str:
    transform = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate else ""
    klass = f' class="{cls}"' if cls else ""
    title = f"<title>{escape(tip)}</title>" if tip is not None else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}{transform}>'
        f"{title}{escape(text)}</text>"
    )


def _svg(body: list[str], label: str, width: int = WIDTH, height: int = HEIGHT) -> str:
    return (
        f'<svg class="plot" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}">' + "".join(body) + "</svg>"
    )


def _axes(x: _Scale | None, y: _Scale, x_label: str, y_label: str) -> list[str]:
    """Grid lines, tick labels and axis titles (``x`` None: a categorical x axis)."""
    out = []
    for tick in y.ticks():
        py = y(tick)
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{py:.1f}" y2="{py:.1f}"/>'
        )
        out.append(_text(LEFT - 6, py + 4, fmt(tick), "tick", "end"))
    if x is not None:
        for tick in x.ticks():
            px = x(tick)
            out.append(
                f'<line class="grid" x1="{px:.1f}" x2="{px:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>'
            )
            out.append(_text(px, HEIGHT - BOTTOM + 16, fmt(tick), "tick"))
    out.append(
        f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM}"/>'
    )
    out.append(f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>')
    out.append(_text((LEFT + WIDTH - RIGHT) / 2, HEIGHT - 8, x_label, "label"))
    out.append(_text(14, (TOP + HEIGHT - BOTTOM) / 2, y_label, "label", rotate=-90))
    return out


def _extent(values: Sequence[float], pad: float = 0.08) -> tuple[float, float]:
    low, high = min(values), max(values)
    span = (high - low) or abs(high) or 1.0
    return low - span * pad, high + span * pad


def scatter(points: Sequence[Point], x_label: str, y_label: str, *, log_x: bool = False,
            frontier: bool = False, zero_line: bool = False) -> str:  # fmt: skip
    """Points with whiskers; ``frontier`` joins the marked points by a step line (a Pareto
    frontier); ``zero_line`` draws y = 0 (a difference)."""
    xs = [p.x for p in points]
    ys = [v for p in points for v in (p.y, p.low, p.high) if v is not None]
    if zero_line:
        ys.append(0.0)
    if log_x:
        x = _Scale(min(xs) / 1.5, max(xs) * 1.5, LEFT, WIDTH - RIGHT, log=True)
    else:
        x = _Scale(*_extent(xs), LEFT, WIDTH - RIGHT)
    y = _Scale(*_extent(ys), HEIGHT - BOTTOM, TOP)
    body = _axes(x, y, x_label, y_label)
    if zero_line:
        body.append(
            f'<line class="zero" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>'
        )
    marked = sorted((p for p in points if p.marked), key=lambda p: p.x)
    if frontier and marked:
        path = " ".join(f"{x(p.x):.1f},{y(p.y):.1f}" for p in marked)
        body.append(f'<polyline class="frontier" points="{path}"/>')
        body.append(_text(WIDTH - RIGHT, TOP + 10, "red: the Pareto frontier", "legend", "end"))
    for p in points:
        px, py = x(p.x), y(p.y)
        if p.low is not None and p.high is not None:
            body.append(
                f'<line class="whisker" x1="{px:.1f}" x2="{px:.1f}" y1="{y(p.low):.1f}" y2="{y(p.high):.1f}"/>'
            )
        tip = f"{p.label}: {x_label} {fmt(p.x)}, {y_label} {fmt(p.y)}"
        klass = "point marked" if p.marked else "point"
        body.append(
            f'<circle class="{klass}" cx="{px:.1f}" cy="{py:.1f}" r="5"><title>{escape(tip)}</title></circle>'
        )
        right = px > (LEFT + WIDTH - RIGHT) / 2  # a label right of centre goes left of its point
        body.append(
            _text(
                px - 8 if right else px + 8,
                py - 8,
                p.label,
                "point-label",
                "end" if right else "start",
            )
        )
    return _svg(body, f"{y_label} vs {x_label}")


def bars(items: Sequence[Bar], y_label: str, *, unit_range: bool = False) -> str:
    """Vertical bars with interval whiskers; ``unit_range`` fixes the y axis to [0, 1]."""
    ys = [v for b in items for v in (b.value, b.low, b.high) if v is not None] + [0.0]
    low, high = (0.0, 1.0) if unit_range and min(ys) >= 0 and max(ys) <= 1 else _extent(ys)
    y = _Scale(min(low, 0.0), high, HEIGHT - BOTTOM, TOP)
    body = _axes(None, y, "", y_label)
    slot = (WIDTH - LEFT - RIGHT) / len(items)
    for i, item in enumerate(items):
        cx = LEFT + slot * (i + 0.5)
        top, base = y(item.value), y(0.0)
        width = max(min(slot * 0.6, 60), 2)
        tip = f"{item.label}: {fmt(item.value)}"
        if item.low is not None and item.high is not None:
            tip += f" [{fmt(item.low)}, {fmt(item.high)}]"
        body.append(
            f'<rect class="bar" x="{cx - width / 2:.1f}" y="{min(top, base):.1f}" width="{width:.1f}" '
            f'height="{abs(base - top):.1f}"><title>{escape(tip)}</title></rect>'
        )
        if item.low is not None and item.high is not None:
            y1, y2 = y(item.low), y(item.high)
            body.append(
                f'<line class="whisker" x1="{cx:.1f}" x2="{cx:.1f}" y1="{y1:.1f}" y2="{y2:.1f}"/>'
            )
            for end in (y1, y2):
                body.append(
                    f'<line class="whisker" x1="{cx - 5:.1f}" x2="{cx + 5:.1f}" y1="{end:.1f}" y2="{end:.1f}"/>'
                )
        body.append(_text(cx, HEIGHT - BOTTOM + 14, _short(item.label), "tick", "end", rotate=-30))
    return _svg(body, y_label)


def histogram(counts: Sequence[int], edges: Sequence[float], x_label: str) -> str:
    """A histogram: ``counts[i]`` examples in ``[edges[i], edges[i + 1])``."""
    x = _Scale(edges[0], edges[-1], LEFT, WIDTH - RIGHT)
    y = _Scale(0.0, max(max(counts), 1) * 1.1, HEIGHT - BOTTOM, TOP, integer=True)
    body = _axes(x, y, x_label, "examples")
    for count, left, right in zip(counts, edges[:-1], edges[1:], strict=True):
        x1, x2 = x(left), x(right)
        tip = f"{fmt(left)} to {fmt(right)}: {count}"
        body.append(
            f'<rect class="bar" x="{x1 + 0.5:.1f}" y="{y(count):.1f}" width="{max(x2 - x1 - 1, 0.5):.1f}" '
            f'height="{y(0) - y(count):.1f}"><title>{escape(tip)}</title></rect>'
        )
    return _svg(body, f"{x_label} histogram")


def heatmap(rows: Sequence[str], cols: Sequence[str], counts: Sequence[Sequence[int]],
            row_label: str, col_label: str, aside: Collection[str] = ()) -> str:  # fmt: skip
    """A count matrix (a confusion matrix): ``counts[r][c]`` shaded by size, with its number.
    The rows and columns named in ``aside`` (a pool of labels) are grey, outside the colour
    scale; a truncated label's whole text is its tooltip."""
    cell = max(min(360 // max(len(rows), len(cols), 1), 44), 14)
    left, top = 175, 130
    width, height = (
        left + cell * len(cols) + 110,
        top + cell * len(rows) + 16,
    )  # room for slanted labels
    scaled = [
        v for row, values in zip(rows, counts, strict=True) if row not in aside
        for col, v in zip(cols, values, strict=True) if col not in aside
    ]  # fmt: skip
    peak = max(scaled, default=0) or 1
    body = [_text(left + cell * len(cols) / 2, 14, col_label, "label"),
            _text(12, top + cell * len(rows) / 2, row_label, "label", rotate=-90)]  # fmt: skip
    for c, name in enumerate(cols):
        cx = left + cell * (c + 0.5)
        body.append(_text(cx, top - 6, _short(name), "tick", "start", rotate=-45, tip=_tip(name)))
    for r, name in enumerate(rows):
        cy = top + cell * (r + 0.5)
        body.append(_text(left - 6, cy + 4, _short(name), "tick", "end", tip=_tip(name)))
        for c, count in enumerate(counts[r]):
            pooled = name in aside or cols[c] in aside
            shade = 0.0 if pooled else count / peak
            tip = f"gold {name}, predicted {cols[c]}: {count}"
            klass, opacity = ("cell aside", 0.3) if pooled else ("cell", 0.08 + 0.92 * shade)
            body.append(
                f'<rect class="{klass}" x="{left + cell * c}" y="{top + cell * r}" width="{cell}" height="{cell}" '
                f'fill-opacity="{opacity:.3f}"><title>{escape(tip)}</title></rect>'
            )
            if count and cell >= 18:
                klass = "cell-text light" if shade > 0.5 else "cell-text"
                body.append(
                    _text(left + cell * (c + 0.5), top + cell * r + cell / 2 + 4, str(count), klass)
                )
    return _svg(body, f"{row_label} by {col_label}", width, height)


def _tip(label: str) -> str | None:
    """A tick label's whole text when :func:`_short` cuts it, else None."""
    return label if _short(label) != label else None


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
