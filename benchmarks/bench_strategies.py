"""Benchmark of the Hypothesis strategies: seconds per drawn value.

Run: ``PYTHONPATH=$PWD python benchmarks/bench_strategies.py [--examples N] [--repeat R]``
(``--only NAME ...`` for some cases, ``--profile`` for a cProfile listing).

Users property-test their own tools with :mod:`orgaccess.strategies`, so the
cost of one draw is multiplied by every example of every test. For each case
a ``@given(st.data())`` test draws one value per example, with a fixed seed
(``derandomize=True``), no database, no deadline and the generate phase
only, so that every run draws the same values. What is timed
(``time.perf_counter``) is the whole Hypothesis run of ``N`` examples,
divided by ``N``; with ``--repeat R`` the median of ``R`` runs is printed.

The cases, over the test suite's small catalog (``tests/conftest.py``):

* ``organizations``: ``organizations(catalog=small)`` with default options;
* ``organizations-other``: the same with ``max_other_policies=2``;
* ``scp_documents``: ``scp_documents(catalog=small)`` with default options.

``--profile`` runs each case once under :mod:`cProfile` and prints the 25
functions with the most cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import make_small_catalog
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from orgaccess.strategies import organizations, scp_documents

CATALOG = make_small_catalog()

CASES: dict[str, Callable[[], st.SearchStrategy[Any]]] = {
    "organizations": lambda: organizations(catalog=CATALOG),
    "organizations-other": lambda: organizations(catalog=CATALOG, max_other_policies=2),
    "scp_documents": lambda: scp_documents(catalog=CATALOG),
}


def run(strategy: st.SearchStrategy[Any], examples: int) -> float:
    """Seconds per example of one derandomised Hypothesis run of ``examples`` draws."""
    drawn = [0]

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def draw(data: st.DataObject) -> None:
        data.draw(strategy)
        drawn[0] += 1

    start = time.perf_counter()
    draw()
    elapsed = time.perf_counter() - start
    return elapsed / max(drawn[0], 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=sorted(CASES))
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    for name in args.only or CASES:
        strategy = CASES[name]()
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(run, strategy, args.examples)
            print(f"== {name}")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            continue
        times = [run(strategy, args.examples) for _ in range(args.repeat)]
        median = statistics.median(times)
        print(
            f"{name:22s} {median * 1000:8.2f} ms/draw (median of {args.repeat} runs "
            f"of {args.examples} examples; min {min(times) * 1000:.2f})"
        )


if __name__ == "__main__":
    main()
