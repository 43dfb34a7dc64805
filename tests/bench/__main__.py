"""Run the benchmarks: `python -m tests.bench [--only ingest,queries] [--scale 0.1]`
(`make bench ONLY=… SCALE=…`). Prints each figure as it is measured and a table at the end;
writes var/bench/<figure>.json."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

# Before tests.bench sets Django up: common.py reads the scale when it is imported.
_parser = argparse.ArgumentParser(description=__doc__)
_parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""))
_parser.add_argument("--scale", default=os.environ.get("BENCH_SCALE", "") or "1")
# Internal: run in a child process and write the figures to this file (see ISOLATED).
_parser.add_argument("--child", default="")
_options = _parser.parse_args()
os.environ["BENCH_SCALE"] = str(float(_options.scale))

from tests.bench.common import FIGURES, Figure, fresh_database, machine, say, table  # noqa: E402

# In the order of the issue that asked for them; each module's run() (or the function named
# after a colon) prints and records.
BENCHMARKS = {
    "ingest": "tests.bench.ingest",
    "loop": "tests.bench.loop",
    "loop_embedded": "tests.bench.loop:run_embedded",
    "latency": "tests.bench.latency",
    "dispatcher": "tests.bench.dispatcher",
    "memory": "tests.bench.memory",
    "queries": "tests.bench.queries",
    "screens": "tests.bench.screens",
    "inventory": "tests.bench.inventory",
}
# Peaks of resident memory are their own process's: run these in a fresh one, so the heap
# the benchmarks before them left behind is not counted.
ISOLATED = {"memory", "screens"}
# Part of another one (the embedded loop runs with `loop`): run alone only when named.
ONLY_WHEN_NAMED = {"loop_embedded"}


def main() -> None:
    chosen = [name.strip() for name in _options.only.split(",") if name.strip()] or [
        name for name in BENCHMARKS if name not in ONLY_WHEN_NAMED
    ]
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"Unknown benchmark(s) {', '.join(unknown)}: use {', '.join(BENCHMARKS)}")
    if _options.child:
        _run(chosen[0])
        Path(_options.child).write_text(json.dumps([asdict(figure) for figure in FIGURES]))
        return
    fresh_database()
    setup = machine()
    started = f"{datetime.now():%Y-%m-%d %H:%M}"
    say(
        f"Benchmarks {', '.join(chosen)} at scale {setup['scale']:g}, {started}: "
        f"{setup['database']}, {setup['cores']} cores, load average {setup['load_average_1m']}"
    )
    for name in chosen:
        if name in ISOLATED:
            _run_in_child(name)
        else:
            _run(name)
    say("\n" + table())
    missed = [figure.name for figure in FIGURES if figure.met is False]
    say(f"\n{len(FIGURES)} figures, {len(missed)} missing their goal: written to var/bench/")


def _run(name: str) -> None:
    module, _, function = BENCHMARKS[name].partition(":")
    getattr(importlib.import_module(module), function or "run")()


def _run_in_child(name: str) -> None:
    with tempfile.NamedTemporaryFile(suffix=".json") as figures:
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "tests.bench", "--only", name, "--child", figures.name],
            check=True,
        )
        FIGURES.extend(Figure(**figure) for figure in json.loads(Path(figures.name).read_text()))


if __name__ == "__main__":
    main()
