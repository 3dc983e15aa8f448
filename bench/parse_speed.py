"""The imports section's parse figure alone: parse_export against vobject, a few rounds, median.

    .venv/bin/python -m bench.parse_speed [--cards 50000] [--rounds 3] [--no-vobject] [--out DIR]

The same file (bench/out, cached by size and seed), the same measures (CPU seconds, in this
process) and the same region as bench/imports.py, without the import processes: for working on
the parser. Each round times Kith then vobject back to back, so both see the same machine load;
the ratio reported is the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from bench.common import Config
from bench.gen import vcard_file
from bench.imports import parse_seconds, vobject_seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.parse_speed", description=__doc__)
    parser.add_argument("--cards", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-vobject", action="store_true", help="time Kith's parser only")
    parser.add_argument("--out", type=Path, help="folder for the generated file (bench/out)")
    args = parser.parse_args(argv)
    raw = vcard_file(args.cards, args.seed, args.out or Config.from_env().out_dir).read_bytes()
    rates: list[float] = []
    ratios: list[float] = []
    for round_ in range(1, args.rounds + 1):
        _, kith_cpu, parsed, issues = parse_seconds(raw)
        rates.append(parsed / kith_cpu)
        line = f"round {round_}: kith {kith_cpu:.2f} s CPU = {rates[-1]:,.0f} cards/s ({issues} issues)"
        if not args.no_vobject:
            _, vob_cpu, count = vobject_seconds(raw)
            ratios.append(rates[-1] / (count / vob_cpu))
            line += f"; vobject {vob_cpu:.2f} s = {count / vob_cpu:,.0f} cards/s; {ratios[-1]:.2f}x"
        print(line, flush=True)
    summary = f"median: kith {statistics.median(rates):,.0f} cards/s"
    if ratios:
        summary += f", ratio {statistics.median(ratios):.2f}x vobject (goal >= 10x)"
    print(summary)


if __name__ == "__main__":
    main()
