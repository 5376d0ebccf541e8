"""Peak memory of one server process under the heaviest requests, with DuckDB's allocator as
Terrinum sets it and as it comes (the baseline), in the same run.

    .venv/bin/python bench/memoire.py [--donnees var] [--tours 2]

Copies an initialised data directory (`./run.sh` leaves one in var/; never modified) to a
temporary one, then for each variant and round starts `terrinum serve --workers 1 --threads 4
--sans-travaux` on a loopback port and asks what the memory test asks
(tests/e2e/test_memoire.py): each of the heaviest requests four at a time, then one list
after another for new options. After each step it prints the worker's peak and current
resident memory and the step's time; at the end, each variant's peak against the baseline's.
Variants: `jemalloc par défaut` (DUCKDB_JE_MALLOC_CONF empty: freed pages kept ten seconds)
and `Terrinum` (freed pages returned at once: src/terrinum/__init__.py). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from charge import served  # bench/charge.py: the server of a benchmark
from copie import copied  # bench/copie.py

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.e2e.test_memoire import HEAVIEST, OTHER_OPTIONS, fetch, memory_mb  # noqa: E402  (the memory test's requests)

VARIANTS = {"jemalloc par défaut": "", "Terrinum": None}  # None: Terrinum's own setting


def one_round(data: Path, conf: str | None) -> list[tuple[str, float, float, float]]:
    env = {**os.environ, "TERRINUM_DATA_DIR": str(data)}
    env.pop("DUCKDB_JE_MALLOC_CONF", None)
    if conf is not None:
        env["DUCKDB_JE_MALLOC_CONF"] = conf
    steps = []
    with served(env, "--workers", "1", "--threads", "4", "--sans-travaux") as (port, server):
        (worker,) = (int(p) for p in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split())
        base = f"http://127.0.0.1:{port}"
        fetch(base, "/")
        steps.append(("démarrage", 0.0, *memory_mb(worker)))
        with ThreadPoolExecutor(4) as pool:
            for path in HEAVIEST:
                start = time.perf_counter()
                list(pool.map(fetch, [base] * 4, [path] * 4))
                steps.append((path, time.perf_counter() - start, *memory_mb(worker)))
        for path in OTHER_OPTIONS:
            start = time.perf_counter()
            fetch(base, path)
            steps.append((path, time.perf_counter() - start, *memory_mb(worker)))
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donnees", type=Path, default=Path(os.environ.get("TERRINUM_DATA_DIR", ROOT / "var")))
    parser.add_argument("--tours", type=int, default=2, help="Tours par variante, alternés")
    args = parser.parse_args()
    peaks: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with copied(args.donnees, "terrinum-memoire-") as data:
        for turn in range(args.tours):
            for name, conf in VARIANTS.items():
                steps = one_round(data, conf)
                print(f"\n{name}, tour {turn + 1} :")
                print(f"  {'étape':<66} {'durée':>7} {'pic':>7} {'actuelle':>9}")
                for path, seconds, peak, current in steps:
                    print(f"  {path[:66]:<66} {seconds:6.2f}s {peak:5.0f}Mo {current:7.0f}Mo")
                peaks[name].append(max(peak for _, _, peak, _ in steps))
    baseline = statistics.median(peaks["jemalloc par défaut"])
    print("\nPic de mémoire du processus (médiane des tours) :")
    for name, values in peaks.items():
        print(
            f"  {name:<20} {statistics.median(values):5.0f} Mo  ({statistics.median(values) / baseline:.2f}× la référence ; tours : {', '.join(f'{v:.0f}' for v in values)})"
        )


if __name__ == "__main__":
    main()
