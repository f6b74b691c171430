"""Charts drawn on the server as SVG (no script): the geometry here, the drawing in
``templates/_chart.html``. Every chart has its table beside it, which is what screen
readers and exports use; the SVG carries a title and a one-line summary.

The labels under the bars are HTML, not SVG text: an SVG scales its text with its width (a
640-unit chart on a phone would write them 5 px high), while HTML labels keep their size, wrap,
or turn upright when their slots are narrow (statistics.css). They sit in a grid whose margins
are LEFT and RIGHT as percentages of WIDTH, so each falls under its bars."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 12, 8
# Colours of the series, distinguishable with the main colour-blindnesses, 3:1 on white.
PALETTE = ("#1f4e9c", "#c2410c", "#0f766e", "#7e22ce", "#a16207", "#be123c", "#4d7c0f", "#475569")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    series: str
    colour: str


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Chart:
    title: str
    summary: str
    bars: list[Bar]
    labels: list[tuple[float, str]]
    ticks: list[Tick]
    legend: list[tuple[str, str]]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT

    @property
    def empty(self) -> bool:
        return not any(b.value for b in self.bars)


def _scale(value: int) -> tuple[int, int]:
    """A round step (1, 2 or 5 × a power of ten) giving at most five intervals, and the top."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= step * factor * 5:
                size = step * factor
                return size, max(size, -(-value // size) * size)
        step *= 10


def grouped_bars(title: str, summary: str, labels: list[str], series: dict[str, list[int]]) -> Chart:
    """Bars by label (x axis), one per series side by side (months × years, categories)."""
    step, top = _scale(max((v for values in series.values() for v in values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(labels))
    names = list(series)
    bar_w = max(1.0, slot * 0.8 / max(1, len(names)))
    bars = []
    for s, name in enumerate(names):
        colour = PALETTE[s % len(PALETTE)]
        for i, value in enumerate(series[name]):
            h = plot_h * value / top
            x = LEFT + i * slot + slot * 0.1 + s * bar_w
            bars.append(Bar(x, TOP + plot_h - h, bar_w, h, value, labels[i], name, colour))
    ticks = [Tick(TOP + plot_h - plot_h * v / top, v) for v in range(0, top + 1, step)]
    placed = [(LEFT + i * slot + slot / 2, label) for i, label in enumerate(labels)]
    legend = [(name, PALETTE[s % len(PALETTE)]) for s, name in enumerate(names)] if len(names) > 1 else []
    return Chart(title=title, summary=summary, bars=bars, labels=placed, ticks=ticks, legend=legend)
