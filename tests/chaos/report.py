"""The closing report: the fault kinds and their worst time to resume, the invariants, the
last lines CI reads, and the same figures in var/chaos/last.json."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.chaos.faults import KINDS
from tests.chaos.invariants import DUPLICATES, LOSSES, STUCK, Check, totals
from tests.chaos.phases import RoundResult, Settled
from tests.chaos.timing import Timing

Say = Callable[[str], None]
STANDING = "two beats, dispatchers, worker sets"


@dataclass(frozen=True)
class KindFigure:
    kind: str
    times: int
    worst: float | None  # None: a round did not resume within the cap
    met: bool


def kind_figures(results: list[RoundResult], timing: Timing) -> list[KindFigure]:
    figures = []
    for kind in KINDS:
        rounds = [result for result in results if result.kind == kind.name]
        if not rounds:
            continue
        resumed = [result.resumed_after for result in rounds]
        worst = None if None in resumed else max(resumed)  # type: ignore[type-var]
        met = worst is not None and worst <= timing.resume_goal
        figures.append(KindFigure(kind.name, len(rounds), worst, met))
    return figures


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return [line.rstrip() for line in lines]


def _fault_rows(figures: list[KindFigure], timing: Timing) -> list[tuple[str, ...]]:
    goal = f"≤ {timing.resume_goal:g} s"
    rows: list[tuple[str, ...]] = [("fault kind", "times", "worst time to resume s", "goal", "")]
    for figure in figures:
        worst = f"{figure.worst:.1f}" if figure.worst is not None else f"> {timing.resume_cap:g}"
        rows.append((figure.kind, str(figure.times), worst, goal, "ok" if figure.met else "MISSES"))
    rows.append((STANDING, "throughout", "", "", ""))
    return rows


def _invariant_lines(checks: list[Check]) -> list[str]:
    rows: list[tuple[str, ...]] = [("invariant", "count", "counts as")]
    rows += [(check.name, str(check.count), check.counts_as) for check in checks]
    lines = _table(rows)
    for check in checks:
        examples = [example for example in check.examples if example]
        if check.count and examples:
            lines.append(f"  {check.name}, e.g.:")
            lines += [f"    {example}" for example in examples]
    return lines


@dataclass(frozen=True)
class Summary:
    passed: bool
    last_lines: list[str]
    figures: dict[str, Any]


def summary_make(
    *,
    results: list[RoundResult],
    checks: list[Check],
    orders: int,
    settled: Settled,
    timing: Timing,
    setup: dict[str, Any],
) -> tuple[Summary, list[str]]:
    """The summary and the report's body (tables), which goes before the last lines."""
    figures = kind_figures(results, timing)
    sums = totals(checks)
    body = ["", *_table(_fault_rows(figures, timing)), "", *_invariant_lines(checks), ""]
    last = [
        f"faults: {len(results)}",
        f"orders: {orders}",
        f"duplicates: {sums[DUPLICATES]}",
        f"losses: {sums[LOSSES]}",
        f"stuck: {sums[STUCK]}",
        f"settled after: {settled.seconds:.0f} s",
    ]
    passed = (
        not (sums[DUPLICATES] or sums[LOSSES] or sums[STUCK])
        and all(figure.met for figure in figures)
        and settled.finished
    )
    data = {
        "passed": passed,
        "setup": setup,
        "faults": len(results),
        "orders": orders,
        **sums,
        "settled_after_seconds": round(settled.seconds, 1),
        "settled": settled.finished,
        "kinds": [figure.__dict__ for figure in figures],
        "rounds": [result.__dict__ for result in results],
        "invariants": [check.__dict__ for check in checks],
    }
    return Summary(passed, last, data), body


def summary_write(summary: Summary, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "last.json"
    path.write_text(json.dumps(summary.figures, indent=2, default=str))
    return path
