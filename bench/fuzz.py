"""Long fuzzing run of every importer (the CI runs 12 cases per importer).

    .venv/bin/python bench/fuzz.py [--exemples 1000]

Runs tests/test_fuzz_imports.py with TERRINUM_FUZZ_EXEMPLES cases per importer (10 importers:
the warehouse kinds and the places kinds, CSV and JSON) and prints the number of damaged
files tried, the time per case, and Hypothesis's statistics. Baseline of the same run: the
same test with 1 case per importer (set-up cost: reference, warehouse, seeds), subtracted
from the per-case time. A case that ends in a traceback or a partial state fails the run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORTERS = 10


def run(examples: int, statistics: bool = False) -> tuple[float, int, str]:
    env = {**os.environ, "TERRINUM_FUZZ_EXEMPLES": str(examples)}
    args = [sys.executable, "-m", "pytest", "-p", "tests.isolation", "-q", "tests/test_fuzz_imports.py"]
    if statistics:
        args.append("--hypothesis-show-statistics")
    start = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, done.returncode, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exemples", type=int, default=1000)
    args = parser.parse_args()
    base, code, _ = run(1)
    if code:
        sys.exit("la référence (1 cas par importateur) échoue : lancez la suite de tests")
    elapsed, code, output = run(args.exemples, statistics=True)
    cases = args.exemples * IMPORTERS
    print(output)
    print(f"cas essayés : {cases} ({args.exemples} par importateur, {IMPORTERS} importateurs)")
    print(f"durée : {elapsed:.0f} s ; mise en place (1 cas par importateur) : {base:.0f} s")
    print(f"par cas, mise en place déduite : {1000 * (elapsed - base) / max(1, cases - IMPORTERS):.1f} ms")
    print("résultat :", "aucune trace d'erreur Python, aucun état partiel" if code == 0 else "ÉCHEC (voir ci-dessus)")
    sys.exit(code)


if __name__ == "__main__":
    main()
