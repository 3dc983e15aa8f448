"""One benchmark figure, its goal and baseline; the printed table and bench/results.json."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

REPORT_ONLY = "report only (no goal set)"


_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "==": lambda a, b: a == b,
}


@dataclass(frozen=True)
class Goal:
    """A threshold on the figure's value, or on its ratio to the baseline. `spec` is the
    machine-readable form written to results.json: {"op": ">=", "ratio": 0.5} or
    {"op": "<=", "value": 250, "unit": "MB"} (None for a goal only a person can read)."""

    text: str
    check: Callable[[float | None, float | None], bool]
    spec: dict[str, object] | None = None

    @staticmethod
    def on_value(op: str, limit: float, unit: str) -> Goal:
        test = _OPS[op]
        return Goal(
            f"{op} {limit:g} {unit}",
            lambda v, _r: v is not None and test(v, limit),
            {"op": op, "value": limit, "unit": unit},
        )

    @staticmethod
    def on_ratio(op: str, limit: float) -> Goal:
        test = _OPS[op]
        return Goal(
            f"{op} {limit:g}x baseline",
            lambda _v, r: r is not None and test(r, limit),
            {"op": op, "ratio": limit},
        )

    @staticmethod
    def value_below(limit: float, unit: str) -> Goal:
        return Goal.on_value("<", limit, unit)

    @staticmethod
    def value_at_most(limit: float, unit: str) -> Goal:
        return Goal.on_value("<=", limit, unit)

    @staticmethod
    def ratio_at_least(limit: float) -> Goal:
        return Goal.on_ratio(">=", limit)

    @staticmethod
    def ratio_at_most(limit: float) -> Goal:
        return Goal.on_ratio("<=", limit)

    @staticmethod
    def runs() -> Goal:
        return Goal("runs without an error", lambda _v, _r: False, {"op": "runs"})


@dataclass
class Figure:
    name: str
    value: float | None  # None: not measured (the note says why)
    unit: str
    baseline_name: str | None = None
    baseline_value: float | None = None
    goal: Goal | None = None
    note: str = ""
    lower_bound: bool = False  # the run was stopped: the real value is larger

    @property
    def ratio(self) -> float | None:
        """value / baseline: a speed-up for rates, an overhead factor for durations."""
        if self.value is None or not self.baseline_value:
            return None
        return self.value / self.baseline_value

    @property
    def goal_text(self) -> str:
        return self.goal.text if self.goal else REPORT_ONLY

    @property
    def met(self) -> bool:
        if self.goal is None:
            return True  # nothing was asked of this figure; it is reported
        return bool(self.goal.check(self.value, self.ratio))

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "value": _clean(self.value),
            "unit": self.unit,
            "baseline_name": self.baseline_name,
            "baseline_value": _clean(self.baseline_value),
            "ratio": _clean(self.ratio),
            "goal": self.goal.spec if self.goal else None,
            "goal_text": self.goal_text,
            "met": self.met,
            "note": self.note,
        }


def _clean(x: float | None) -> float | None:
    if x is None or math.isnan(x) or math.isinf(x):
        return None
    return float(f"{x:.6g}")  # six significant digits: tiny baselines keep their precision


def fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def table(figures: Iterable[Figure]) -> str:
    rows = [("figure", "value", "baseline", "ratio", "goal", "met")]
    for f in figures:
        baseline = f"{f.baseline_name}: {fmt(f.baseline_value)}" if f.baseline_name else "-"
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else "-"
        met = "n/a" if f.goal is None else ("yes" if f.met else "NO")
        value = f"{'> ' if f.lower_bound else ''}{fmt(f.value)} {f.unit}"
        rows.append((f.name, value, baseline, ratio, f.goal_text, met))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def notes(figures: Iterable[Figure]) -> str:
    return "\n".join(f"- {f.name}: {f.note}" for f in figures if f.note)


def write_json(figures: Iterable[Figure], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([f.as_json() for f in figures], indent=2) + "\n")
