"""Benchmark: the per-building aggregation at national scale, embedded and on Dask.

    .venv/bin/python bench/echelle.py [--lignes 2000000,10000000,50000000] [--workers 2] [--dir /tmp/terrinum-bench-echelle]

For each size, synthetic national files (`terrinum synthetique immeubles`, calibrated on the
data directory's commune figures: run `terrinum init` and `terrinum demo` first) are
generated once (kept in --dir), then measured, each in its own process:

- floor: a bare DuckDB count(*) over the same files (every byte decompressed and parsed);
- embedded: `arcep_batiments.aggregate` with the embedded engine (partitions one after the
  other, Polars on every core), buildings' files written to a staging folder;
- dask: the same function on a LocalCluster of --workers single-threaded workers (the
  cluster's start is reported apart, not counted).

Prints seconds, eligibility rows per second, peak memory (the process; for Dask, the peak of
each worker and of the client) and the ratio to the floor of the same size in the same run,
then the time-vs-rows curve as the ratio between sizes. Nothing is asserted (noisy
machines): read the ratios (docs/echelle-nationale.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Eligibility rows the generator writes at scale 1 on the demonstration figures (measured:
# 44,405,881 rows at scale 0.824), to aim at a number of rows.
ROWS_AT_SCALE_1 = 53.9e6


def generate(root: Path, rows: int) -> dict:
    """Files of about `rows` eligibility rows (scale from the ratio rows/premises of a probe)."""
    from terrinum.pillars.connectivite_fixe import synthetique
    from terrinum.warehouse import store

    marker = root / "totaux.json"
    if marker.exists():
        return json.loads(marker.read_text())
    with store.connect(store.warehouse_path(), read_only=True) as con:
        scale = min(1.0, rows / ROWS_AT_SCALE_1)
        totals = synthetique.generate(con, root, scale=scale, seed=1)
    totals["echelle"] = scale
    marker.write_text(json.dumps(totals))
    return totals


def run_floor(root: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    elig = sorted(str(p) for p in root.glob("eligibilite/*/actuel_*.csv.gz"))
    base = sorted(str(p) for p in root.glob("base_imb_*.csv.gz"))
    n = con.execute(f"SELECT count(*) FROM read_csv({elig}, delim=';', header=true, all_varchar=true)").fetchone()[0]
    m = con.execute(f"SELECT count(*) FROM read_csv({base}, delim=';', header=true, all_varchar=true)").fetchone()[0]
    return {"lignes": n, "immeubles": m}


def run_pipeline(root: Path, engine_name: str, workers: int) -> dict:
    from terrinum import engines
    from terrinum.sources import arcep_batiments

    start = time.perf_counter()
    engine = engines.Dask(workers=workers) if engine_name == "dask" else engines.Embedded()
    started = time.perf_counter() - start
    with tempfile.TemporaryDirectory(dir=root.parent) as staging:
        t0 = time.perf_counter()
        parsed = arcep_batiments.aggregate(root, engine=engine, staging=Path(staging))
        seconds = time.perf_counter() - t0
    out = {"secondes": seconds, "demarrage": started, "communes": len(parsed.rows), "locaux": sum(r["locaux"] for r in parsed.rows)}
    if engine_name == "dask":
        out["pic_workers_mo"] = engine.worker_peaks()
    engine.close()
    return out


def measure(kind: str, root: Path, workers: int) -> dict:
    """One measurement in a fresh process: its result, seconds and peak memory (MB)."""
    code = (
        "import json, sys, time; sys.path.insert(0, 'bench'); import echelle; from terrinum import engines; from pathlib import Path; t = time.perf_counter(); "
        f"r = echelle.run_floor(Path({str(root)!r})) if {kind!r} == 'floor' else echelle.run_pipeline(Path({str(root)!r}), {kind!r}, {workers}); "
        "r.setdefault('secondes', time.perf_counter() - t); r['pic_mo'] = engines.peak_memory_mb(); print(json.dumps(r))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lignes", default="2000000,10000000,50000000")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/terrinum-bench-echelle"))
    args = parser.parse_args()
    sizes = [int(x) for x in args.lignes.split(",")]
    curve = []
    for size in sizes:
        root = args.dir / f"{size}"
        t0 = time.perf_counter()
        totals = generate(root, size)
        print(f"\n== {totals['lignes']:,} lignes d'éligibilité, {totals['immeubles']:,} immeubles, {totals['departements']} départements "
              f"(échelle {totals['echelle']:.3f} ; génération {time.perf_counter() - t0:.0f} s si faite à l'instant)")  # fmt: skip
        floor = measure("floor", root, args.workers)
        embedded = measure("local", root, args.workers)
        dask = measure("dask", root, args.workers)
        assert embedded["locaux"] == dask["locaux"] and embedded["communes"] == dask["communes"], "résultats différents"
        rows = floor["lignes"]
        for name, r in (("plancher DuckDB (count)", floor), ("embarqué", embedded), (f"Dask, {args.workers} workers", dask)):
            extra = f" ; pics des workers {r['pic_workers_mo']} Mo, démarrage de la grappe {r['demarrage']:.1f} s" if "pic_workers_mo" in r else ""
            print(f"{name:26s} {r['secondes']:7.2f} s  {rows / r['secondes'] / 1e6:6.2f} M lignes/s  pic {r['pic_mo']:5d} Mo  "
                  f"× {r['secondes'] / floor['secondes']:.2f} du plancher{extra}")  # fmt: skip
        print(f"Dask / embarqué : × {dask['secondes'] / embedded['secondes']:.2f}")
        curve.append((rows, floor["secondes"], embedded["secondes"], dask["secondes"]))
    # Memory per worker against the national size: the largest département with 9 others
    # (links to the same files) against all of them.
    root = args.dir / f"{sizes[-1]}"
    subset = args.dir / f"{sizes[-1]}-10-departements"
    if not subset.exists():
        bases = sorted(root.glob("base_imb_*.csv.gz"), key=lambda p: p.stat().st_size)
        quarter = next((root / "eligibilite").iterdir()).name
        (subset / "eligibilite" / quarter).mkdir(parents=True)
        for base in [bases[-1], *bases[:: len(bases) // 9][:9]]:
            dep = base.name[len("base_imb_") : -len(".csv.gz")]
            (subset / base.name).symlink_to(base)
            (subset / "eligibilite" / quarter / f"actuel_{dep}.csv.gz").symlink_to(root / "eligibilite" / quarter / f"actuel_{dep}.csv.gz")
    few = measure("dask", subset, args.workers)
    print(f"\nMémoire par worker : 10 départements (dont le plus gros) {few['pic_workers_mo']} Mo ; "
          f"les {len(list(root.glob('base_imb_*.csv.gz')))} départements {dask['pic_workers_mo']} Mo")  # fmt: skip
    if len(curve) > 1:
        print("\nCourbe temps / lignes (rapport à la plus petite taille) :")
        r0 = curve[0]
        for rows, f, e, d in curve:
            print(f"  {rows / r0[0]:6.1f}× les lignes : plancher × {f / r0[1]:.1f}, embarqué × {e / r0[2]:.1f}, Dask × {d / r0[3]:.1f}")


if __name__ == "__main__":
    main()
