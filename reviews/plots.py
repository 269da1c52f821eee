"""The decision desk's plots, drawn on the server as SVG (no script, no CDN, no style
attributes: presentation attributes and classes only), each with a text alternative: a
title and description the SVG carries, and a table of the same figures for the page.

- `score_distribution`: how the papers' mean scores spread, with the accept line and how
  many papers fall above each threshold;
- `score_by_topic`: the mean, lowest and highest paper mean per primary topic;
- `reviewer_strictness`: each reviewer's mean score against the committee's.

`plot_data` reads the figures in one query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from workshop.models import Workshop

from .models import Outcome
from .selectors.scores import Scores, score_answers, score_value

WIDTH = 640
BAR = "#1f5f99"  # 7.1:1 on white
ACCENT = "#a3320b"  # the accept line, 6.4:1 on white
GRID = "#767676"
TEXT = "#1a1a1a"


@dataclass
class PlotData:
    paper_means: dict[int, float] = field(default_factory=dict)
    paper_topic: dict[int, str] = field(default_factory=dict)
    reviewer_scores: dict[str, list[float]] = field(default_factory=dict)
    accepted_means: list[float] = field(default_factory=list)


@dataclass
class Plot:
    key: str
    title: str
    description: str
    svg: SafeString
    columns: list[str]
    rows: list[list[str]]


def plot_data(workshop: Workshop) -> PlotData:
    """The workshop's papers' scores (`reviews.selectors.scores`), with the reviewer, the
    paper's primary topic and its decision (one query)."""
    by_paper: dict[int, Scores] = defaultdict(Scores)
    data = PlotData()
    accepted: set[int] = set()
    for sid, name, value, topic, outcome in score_answers(workshop=workshop).values_list(
        "review__assignment__submission_id",
        "review__assignment__reviewer__name",
        "value",
        "review__assignment__submission__primary_topic__name",
        "review__assignment__submission__decision__category__outcome",
    ):
        number = score_value(value)
        if number is None:
            continue
        by_paper[sid].scores.append(float(number))
        data.reviewer_scores.setdefault(name, []).append(float(number))
        data.paper_topic[sid] = topic or "No topic"
        if outcome == Outcome.ACCEPT:
            accepted.add(sid)
    data.paper_means = {sid: scores.mean for sid, scores in by_paper.items()}  # type: ignore[misc]
    data.accepted_means = sorted(data.paper_means[s] for s in accepted)
    return data


def _mean(values: list[float]) -> float:
    """The mean of non-empty scores (or paper means), as every review figure averages."""
    return Scores(scores=values).mean  # type: ignore[return-value]


def _svg(key: str, title: str, description: str, height: int, body: list[str]) -> SafeString:
    return mark_safe(  # every text below is escaped where it is written
        f'<svg xmlns="http://www.w3.org/2000/svg" class="desk-plot" viewBox="0 0 {WIDTH} '
        f'{height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="{key}-title {key}-desc">'
        f'<title id="{key}-title">{escape(title)}</title>'
        f'<desc id="{key}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 12) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{TEXT}" '
        f'text-anchor="{anchor}">{escape(text)}</text>'
    )


def score_distribution(data: PlotData, line: float | None) -> Plot:
    """Histogram of paper means in half-point bins, with the accept line."""
    edges = [1 + 0.5 * i for i in range(9)]  # 1.0 .. 5.0
    counts = [0] * 8
    for value in data.paper_means.values():
        index = min(7, max(0, int((value - 1) / 0.5)))
        counts[index] += 1
    height, left, bottom, top = 260, 48, 220, 20
    plot_w = WIDTH - left - 20
    tallest = max(counts) or 1
    body = [f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - 20}" y2="{bottom}" stroke="{GRID}"/>']
    step = plot_w / 8
    for i, n in enumerate(counts):
        h = (bottom - top) * n / tallest
        x = left + i * step
        body.append(
            f'<rect x="{x + 2:.1f}" y="{bottom - h:.1f}" width="{step - 4:.1f}" height="{h:.1f}" '
            f'fill="{BAR}"/>'
        )
        body.append(_text(x + step / 2, bottom - h - 4, str(n), "middle"))
    for i, edge in enumerate(edges):
        body.append(_text(left + i * step, bottom + 16, f"{edge:g}", "middle"))
    body.append(_text(WIDTH / 2, bottom + 34, "mean recommendation score", "middle"))
    above_line = None
    if line is not None:
        x = left + (line - 1) / 0.5 * step
        above_line = sum(1 for v in data.paper_means.values() if v >= line)
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 8}" x2="{x:.1f}" y2="{bottom}" stroke="{ACCENT}" '
            'stroke-width="3" stroke-dasharray="6 3"/>'
        )
        body.append(_text(x + 4, top + 4, f"accept line {line:g}: {above_line} above", size=12))
    total = len(data.paper_means)
    description = (
        f"{total} papers with scores; mean scores per half point: "
        + ", ".join(f"{edges[i]:g}–{edges[i + 1]:g}: {n}" for i, n in enumerate(counts))
        + (f". Accept line at {line:g}: {above_line} papers at or above it." if line else ".")
    )
    rows = [
        [f"≥ {t:g}", str(sum(1 for v in data.paper_means.values() if v >= t))]
        for t in (1.5, 2, 2.5, 3, 3.25, 3.5, 3.75, 4, 4.5)
    ]
    return Plot(
        "dist", "Distribution of mean scores", description,
        _svg("dist", "Distribution of mean scores", description, height, body),
        ["threshold (mean score)", "papers at or above"], rows,
    )  # fmt: skip


def score_by_topic(data: PlotData) -> Plot:
    """Per primary topic: the lowest, the mean and the highest paper mean."""
    by_topic: dict[str, list[float]] = defaultdict(list)
    for sid, value in data.paper_means.items():
        by_topic[data.paper_topic.get(sid, "No topic")].append(value)
    topics = sorted(by_topic.items(), key=lambda item: -_mean(item[1]))
    left, row_h, top = 190, 26, 10
    height = top + row_h * len(topics) + 40
    scale = (WIDTH - left - 30) / 4  # scores 1..5
    body = []
    for tick in range(1, 6):
        x = left + (tick - 1) * scale
        body.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 30}" stroke="{GRID}" '
            'stroke-width="0.5"/>'
        )
        body.append(_text(x, height - 14, str(tick), "middle"))
    rows = []
    for i, (topic, values) in enumerate(topics):
        y = top + i * row_h + row_h / 2
        lo, hi, avg = min(values), max(values), _mean(values)
        body.append(_text(left - 8, y + 4, f"{topic[:26]} ({len(values)})", "end"))
        body.append(
            f'<line x1="{left + (lo - 1) * scale:.1f}" y1="{y:.1f}" '
            f'x2="{left + (hi - 1) * scale:.1f}" y2="{y:.1f}" stroke="{BAR}" stroke-width="3"/>'
        )
        body.append(
            f'<circle cx="{left + (avg - 1) * scale:.1f}" cy="{y:.1f}" r="6" fill="{ACCENT}"/>'
        )
        rows.append([topic, str(len(values)), f"{avg:.2f}", f"{lo:.2f}", f"{hi:.2f}"])
    description = "Mean score by topic: " + "; ".join(
        f"{r[0]}: {r[1]} papers, mean {r[2]} (from {r[3]} to {r[4]})" for r in rows
    )
    return Plot(
        "topic", "Score by topic", description,
        _svg("topic", "Score by topic", description, height, body),
        ["topic", "papers", "mean of paper means", "lowest", "highest"], rows,
    )  # fmt: skip


def reviewer_strictness(data: PlotData, limit: int = 30) -> Plot:
    """Each reviewer's mean against the committee's: the `limit` furthest from it (with two
    reviews or more), as bars left (stricter) or right (more lenient) of the committee."""
    everyone = [v for scores in data.reviewer_scores.values() for v in scores]
    committee = _mean(everyone) if everyone else 0.0
    people = [
        (name, _mean(scores), len(scores))
        for name, scores in data.reviewer_scores.items()
        if len(scores) >= 2
    ]
    people.sort(key=lambda p: -abs(p[1] - committee))
    shown = sorted(people[:limit], key=lambda p: p[1])
    left, row_h, top = 190, 20, 24
    height = top + row_h * len(shown) + 30
    middle = left + (WIDTH - left - 20) / 2
    scale = (WIDTH - left - 20) / 2 / 2.5  # ±2.5 points
    body = [
        f'<line x1="{middle:.1f}" y1="{top - 6}" x2="{middle:.1f}" y2="{height - 24}" '
        f'stroke="{TEXT}"/>',
        _text(middle, top - 10, f"committee mean {committee:.2f}", "middle"),
    ]
    rows = []
    for i, (name, avg, n) in enumerate(shown):
        y = top + i * row_h
        delta = max(-2.5, min(2.5, avg - committee))
        x = middle + min(0, delta) * scale
        body.append(_text(left - 8, y + 13, f"{name[:26]}", "end", size=11))
        body.append(
            f'<rect x="{x:.1f}" y="{y + 3}" width="{abs(delta) * scale:.1f}" height="{row_h - 6}" '
            f'fill="{ACCENT if delta < 0 else BAR}"/>'
        )
        rows.append([name, str(n), f"{avg:.2f}", f"{avg - committee:+.2f}"])
    body.append(_text(left, height - 8, "stricter ←", size=11))
    body.append(_text(WIDTH - 20, height - 8, "→ more lenient", "end", size=11))
    description = (
        f"Committee mean {committee:.2f} over {len(everyone)} reviews; the {len(shown)} "
        "reviewers furthest from it: "
        + "; ".join(f"{r[0]} {r[2]} ({r[3]}, {r[1]} reviews)" for r in rows)
    )
    return Plot(
        "strict", "Reviewer strictness", description,
        _svg("strict", "Reviewer strictness", description, height, body),
        ["reviewer", "reviews", "mean score", "difference to the committee"], rows,
    )  # fmt: skip


def default_accept_line(data: PlotData) -> float | None:
    """The current accept line: the lowest mean score among the accepted papers."""
    return round(data.accepted_means[0], 2) if data.accepted_means else None


def desk_plots(workshop: Workshop, line: float | None = None) -> tuple[list[Plot], float | None]:
    data = plot_data(workshop)
    if line is None:
        line = default_accept_line(data)
    return [score_distribution(data, line), score_by_topic(data), reviewer_strictness(data)], line
