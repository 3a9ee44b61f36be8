"""A small scatter plot as inline SVG, made on the server: an object among its group.

No script, no web framework, no plotting library: the page stays readable without
JavaScript, printable, and the same for every reader. Every text is escaped. The SVG is
an image with its own ``<title>`` and ``<desc>`` (``role="img"``, ``aria-labelledby``);
each point is a link to its object's page with a ``<title>`` of its own, and the object
the page is about is drawn apart (``class="point this"``), last, so nothing hides it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 420, 320
#: Room for the tick labels and axis titles (left, right, top, bottom).
LEFT, RIGHT, TOP, BOTTOM = 62, 16, 14, 48
TICKS = 5


@dataclass(frozen=True)
class Axis:
    """What an axis shows: a measurement's name and its unit."""

    what: str
    unit: str

    @property
    def title(self) -> str:
        return f"{self.what} ({self.unit})" if self.unit else self.what


@dataclass(frozen=True)
class Point:
    """One object of the group: where it is, what it is called and where its page is."""

    x: float
    y: float
    label: str
    href: str
    this: bool = False


def nice_ticks(low: float, high: float, count: int = TICKS) -> list[float]:
    """Round tick values covering ``low`` to ``high`` (1, 2 or 5 times a power of ten apart)."""
    if high <= low:
        low, high = low - 1, high + 1
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    ticks = [math.floor(low / step) * step]
    while ticks[-1] < high - step * 1e-9 or len(ticks) < 2:
        ticks.append(ticks[-1] + step)
    return [round(t, 10) for t in ticks]


def number(value: float) -> str:
    return f"{value:g}"


def scatter(points: list[Point], x: Axis, y: Axis, title: str, description: str, key: str) -> str:
    """The SVG of ``points`` on axes ``x`` and ``y``; ``key`` makes its element ids unique
    on the page. Empty when there is nothing to plot."""
    if not points:
        return ""
    xs = nice_ticks(min(p.x for p in points), max(p.x for p in points))
    ys = nice_ticks(min(p.y for p in points), max(p.y for p in points))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(value: float) -> float:
        return LEFT + (value - xs[0]) / (xs[-1] - xs[0]) * inner_w

    def py(value: float) -> float:
        return TOP + inner_h - (value - ys[0]) / (ys[-1] - ys[0]) * inner_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="echoes-plot" role="img" '
        f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'aria-labelledby="{key}-title {key}-desc">',
        f'<title id="{key}-title">{escape(title)}</title>',
        f'<desc id="{key}-desc">{escape(description)}</desc>',
        f'<rect x="{LEFT}" y="{TOP}" width="{inner_w}" height="{inner_h}" fill="#fafafa" '
        'stroke="#999"/>',
    ]
    for tick in xs:
        at = px(tick)
        parts.append(
            f'<line x1="{at:.1f}" y1="{TOP + inner_h}" x2="{at:.1f}" y2="{TOP + inner_h + 4}" '
            f'stroke="#666"/><text x="{at:.1f}" y="{TOP + inner_h + 16}" font-size="11" '
            f'text-anchor="middle">{number(tick)}</text>'
        )
    for tick in ys:
        at = py(tick)
        parts.append(
            f'<line x1="{LEFT - 4}" y1="{at:.1f}" x2="{LEFT}" y2="{at:.1f}" stroke="#666"/>'
            f'<text x="{LEFT - 7}" y="{at + 4:.1f}" font-size="11" '
            f'text-anchor="end">{number(tick)}</text>'
        )
    parts.append(
        f'<text class="axis x" x="{LEFT + inner_w / 2:.1f}" y="{HEIGHT - 8}" font-size="12" '
        f'text-anchor="middle">{escape(x.title)}</text>'
        f'<text class="axis y" x="14" y="{TOP + inner_h / 2:.1f}" font-size="12" '
        f'text-anchor="middle" transform="rotate(-90 14 {TOP + inner_h / 2:.1f})">'
        f"{escape(y.title)}</text>"
    )
    # The object itself last: drawn over the others.
    for point in sorted(points, key=lambda p: p.this):
        look = (
            'r="7" fill="#d81b60" stroke="#000" stroke-width="1.5"'
            if point.this
            else 'r="4" fill="#1976d2" fill-opacity="0.7"'
        )
        what = f"{point.label}: {number(point.x)}, {number(point.y)}"
        parts.append(
            f'<a href="{escape(point.href)}"><circle class="point{" this" if point.this else ""}" '
            f'cx="{px(point.x):.1f}" cy="{py(point.y):.1f}" {look}>'
            f"<title>{escape(what)}</title></circle></a>"
        )
    parts.append("</svg>")
    return "".join(parts)
