"""`make bench` code paths at toy sizes: each section runs end to end and writes well-formed
figures. No timing is asserted here (timing lives in bench/ only)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import percentile
from bench.results import Figure, Goal, table

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"name", "value", "unit", "baseline_name", "baseline_value", "ratio", "goal", "met"}


def _run_section(section: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], list]:
    results = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KITH_")}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bench.run", "--toy", "--no-pg", "--only", section),
            *("--results", str(results), "--out", str(tmp_path / "out")),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    figures = json.loads(results.read_text()) if results.exists() else []
    return done, figures


@pytest.mark.parametrize(
    "section", ["queries", "http", "imports", "strength", "feed", "load", "nightly"]
)
def test_each_benchmark_section_runs_at_toy_size_and_writes_complete_figures(section, tmp_path):
    done, figures = _run_section(section, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert figures, "a section must produce figures"
    for figure in figures:
        assert set(figure) >= KEYS, figure
        assert figure["name"].startswith(section.rstrip("s")), figure["name"]
        assert isinstance(figure["met"], bool)
        goal = figure["goal"]
        assert goal is None or goal["op"] in {"<", "<=", "==", ">=", ">", "runs"}, goal
        assert isinstance(figure["value"], int | float), figure
        if figure["baseline_name"] is not None and figure["baseline_value"] != 0:
            assert figure["baseline_value"] > 0, figure
            assert figure["ratio"] == pytest.approx(
                figure["value"] / figure["baseline_value"], rel=1e-3, abs=1e-3
            )
    assert "figure" in done.stdout and "goals met" in done.stdout, "the table is printed"
    if section == "load":
        # The lost-write check must have had writes to check, or it proves nothing.
        lost = next(f for f in figures if "missing from the database" in f["name"])
        assert int(lost["note"].split()[0].replace(",", "")) > 0, lost["note"]


def test_a_ratio_is_value_over_baseline_and_a_goal_can_be_on_either():
    speed = Figure("parse", 500.0, "cards/s", "vobject", 50.0, Goal.ratio_at_least(10))
    assert speed.ratio == 10.0 and speed.met
    slow = Figure("import", 20.0, "s", "raw insert", 1.0, Goal.value_below(15, "s"))
    assert slow.ratio == 20.0 and not slow.met
    unmeasured = Figure("re-import", None, "s", "parse", 2.0, Goal.value_below(5, "s"))
    assert unmeasured.ratio is None and not unmeasured.met
    assert unmeasured.as_json()["met"] is False


def test_a_figure_without_a_goal_is_reported_and_shown_as_not_applicable():
    figure = Figure("rps", 120.0, "req/s", "health", 240.0)
    assert figure.as_json()["goal"] is None
    assert figure.as_json()["goal_text"].startswith("report only")
    assert "n/a" in table([figure])


def test_a_stopped_run_is_printed_as_a_lower_bound():
    figure = Figure("import", 150.0, "s", goal=Goal.value_below(15, "s"), lower_bound=True)
    assert "> 150 s" in table([figure])


def test_percentiles_are_nearest_rank_values_that_were_observed():
    values = [float(x) for x in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 95) is None


def test_the_parse_figure_runs_alone_and_prints_a_median_ratio(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bench.parse_speed", "--cards", "30", "--rounds", "1"),
            *("--out", str(tmp_path)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "round 1: kith" in done.stdout and "x vobject" in done.stdout
