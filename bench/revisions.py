"""Benchmarks of two revisions in the same run: the benches of this tree against those of an
earlier commit checked out beside it (a refactoring must not be slower).

    git worktree add /tmp/terrinum-avant <commit>
    .venv/bin/python bench/revisions.py /tmp/terrinum-avant [--rounds 2]

Each bench runs with each revision's own code and bench script (PYTHONPATH pointing at its
`src/`), alternating before/after for `--rounds` rounds so that the machine's drift falls on
both; the lines carrying figures are printed side by side, and the best time of each
revision with the after/before ratio. Needs an initialised data directory for the siting
bench (TERRINUM_DATA_DIR, as ./run.sh leaves it). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
# name -> (script, arguments, pattern whose group is the time to compare, its unit in seconds)
BENCHES = {
    "pages": ("bench/run.py", ["--requests", "150"], r"page département\s+p50\s+([\d.]+) ms", 0.001),
    "immeubles": ("bench/batiments.py", ["--rows", "2000000", "--dir", "/tmp/terrinum-bench-imb-rev"], r"^terrinum\s+([\d.]+)", 1.0),
    "couverture": ("bench/couverture.py", ["--repeat", "2", "--blobs", "160"], r"Terrinum \(lecture.*: ([\d.]+) s", 1.0),
    "implantation": ("bench/implantation.py", ["--repeat", "2", "--sans-national-exact"], r"MCLP  Terrinum \(HiGHS\)\s+([\d.]+) s", 1.0),
}


def run(tree: Path, script: str, args: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    res = subprocess.run([sys.executable, str(tree / script), *args], cwd=tree, env=env, capture_output=True, text=True)
    return res.stdout + (f"\n[exit {res.returncode}] {res.stderr[-500:]}" if res.returncode else "")


def first_time(text: str, pattern: str, unit: float) -> float | None:
    m = re.search(pattern, text, re.M)
    return float(m.group(1)) * unit if m else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before", type=Path, help="work tree of the earlier commit")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", nargs="*", choices=list(BENCHES))
    args = parser.parse_args()
    for name in args.only or BENCHES:
        script, bench_args, pattern, unit = BENCHES[name]
        best = {"avant": None, "après": None}
        for k in range(args.rounds):
            for label, tree in (("avant", args.before), ("après", HERE)):
                out = run(tree, script, bench_args)
                t = first_time(out, pattern, unit)
                print(f"--- {name}, {label}, tour {k + 1} ---\n{out.strip()}\n")
                if t is not None and (best[label] is None or t < best[label]):
                    best[label] = t
        ratio = f"{best['après'] / best['avant']:.2f}×" if best["avant"] and best["après"] else "—"
        shown = {k: f"{v:.3f} s" if v is not None else "—" for k, v in best.items()}
        print(f"=== {name} : meilleur avant {shown['avant']}, après {shown['après']}, rapport après/avant {ratio}\n", flush=True)


if __name__ == "__main__":
    main()
