"""Benchmark: national per-building ingest (ARCEP "Ma connexion internet" per building).

    .venv/bin/python bench/batiments.py [--rows 10000000] [--dir /tmp/terrinum-bench-imb]

Generates schema-faithful, gzip-compressed files (base_imb_<DEP>.csv.gz and
eligibilite/<quarter>/actuel_<DEP>.csv.gz, about 4 eligibility rows per building over real
commune codes), then measures, each in its own process (peak memory = max RSS):

- floor: a bare DuckDB count(*) over all the files;
- peer DuckDB: the best hand-written single DuckDB query doing the same aggregation;
- peer Polars: the same aggregation with a lazy Polars query;
- Terrinum: `ingest_file("arcep-mci-batiments")` into a warehouse — validation, code
  reconciliation, provenance, transaction and technology mix included;
- Terrinum, speeds only: the same ingest without the technology mix (its cost, which the
  goal bounds at 1.1× since it is computed in the same pass).

Prints seconds, eligibility rows/s, peak memory and the ratio to the floor measured in the
same run. Nothing is asserted (noisy machines); read the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

QUARTER = "2024T4"
DEPARTEMENTS = ["08", "23", "33", "59", "69", "75", "974", "2A"]


def generate(root: Path, rows: int) -> None:
    import duckdb

    marker = root / f".generated-{rows}"
    if marker.exists():
        return
    root.mkdir(parents=True, exist_ok=True)
    (root / "eligibilite" / QUARTER).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    per_dep_rows = rows // len(DEPARTEMENTS)
    buildings = per_dep_rows // 4
    classes = "['inf_3M', '3_8', '8_30', '30_100', '100_500', '500_1000', '1000_inf']"
    technos = "['CU', 'CU', 'FO', 'FO', 'COAX', '4GF', 'THDR', 'SAT']"
    for dep in DEPARTEMENTS:
        # Real-looking commune codes of the département (not all exist: some become "non rattachées").
        width = 3 if dep == "974" else 2
        con.execute(
            f"""COPY (
                SELECT '{dep}-' || i AS imb_id, 400000 + (i % 1000) * 37.5 AS imb_x, 6400000 + (i % 997) * 41.2 AS imb_y,
                       'IMB/' || i AS imb_code, '{dep}' || lpad(((i * 7919) % {400 if width == 2 else 24} + 1)::VARCHAR, {5 - width}, '0') AS imb_code_insee,
                       1 + (i * 31 % 17) AS imb_nbr_logloc, 'CAD' AS imb_source, CASE WHEN i % 5 = 0 THEN 'IM' ELSE 'PA' END AS imb_type,
                       'A' || i AS addr_code, i % 200 AS imb_num, i % 200 AS addr_numero, '' AS addr_rep, 'rue ' || (i % 500) AS addr_nom_voie,
                       '' AS addr_nom_ld, '' AS addr_code_insee, 'Commune' AS addr_nom_commune, '' AS addr_id_fantoir, 'BAN' AS addr_source
                FROM range({buildings}) t(i)
            ) TO '{root / f"base_imb_{dep}.csv.gz"}' (HEADER, DELIMITER ';', COMPRESSION gzip)"""
        )
        con.execute(
            f"""COPY (
                SELECT '{dep}-' || (j // 4) AS imb_id, 'A' || (j // 4) AS addr_code, 'IMB/' || (j // 4) AS imb_code,
                       ['OF', 'SFR0', 'BOUY', 'FREE'][1 + j % 4] AS code_operateur,
                       {technos}[1 + (j * 13 % 8)] AS code_techno,
                       {classes}[1 + (j * 7 % 7)] AS classe_debit_montant,
                       {classes}[1 + (j * 11 % 7)] AS classe_debit_descendant,
                       0 AS limitation, 0 AS saturation
                FROM range({buildings * 4}) t(j)
            ) TO '{root / "eligibilite" / QUARTER / f"actuel_{dep}.csv.gz"}' (HEADER, DELIMITER ';', COMPRESSION gzip)"""
        )
    marker.touch()


def files(root: Path) -> tuple[list[str], list[str]]:
    base = sorted(str(p) for p in root.glob("base_imb_*.csv.gz"))
    elig = sorted(str(p) for p in (root / "eligibilite" / QUARTER).glob("actuel_*.csv.gz"))
    return base, elig


def run_floor(root: Path) -> dict:
    import duckdb

    base, elig = files(root)
    con = duckdb.connect()
    n = con.execute(f"SELECT count(*) FROM read_csv({elig}, delim=';', header=true, all_varchar=true)").fetchone()[0]
    m = con.execute(f"SELECT count(*) FROM read_csv({base}, delim=';', header=true, all_varchar=true)").fetchone()[0]
    return {"elig_rows": n, "buildings": m}


# The peers read the speed class through a lookup table of the published labels (the best a
# hand-written query can do on a file that uses only them, as the generated one does); the
# pipeline does the same and falls back to reading the label's shape for any other label.
CLASS_BOUNDS = {"inf_3M": 0, "3_8": 3, "8_30": 8, "30_100": 30, "100_500": 100, "500_1000": 500, "1000_inf": 1000}
CLASS_BOUND_SQL = "CASE c " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in CLASS_BOUNDS.items()) + " END"


def run_duckdb(root: Path) -> dict:
    import duckdb

    base, elig = files(root)
    con = duckdb.connect()
    con.execute(f"CREATE MACRO classe_min(c) AS ({CLASS_BOUND_SQL})")
    rows = con.execute(
        f"""WITH e AS (SELECT imb_id, max(classe_min(classe_debit_descendant)) AS mbits, bool_or(code_techno = 'FO') AS ftth
                       FROM read_csv({elig}, delim=';', header=true, all_varchar=true) GROUP BY imb_id)
            SELECT imb_code_insee, sum(n), sum(n) FILTER (WHERE mbits >= 8), sum(n) FILTER (WHERE mbits >= 30),
                   sum(n) FILTER (WHERE mbits >= 100), sum(n) FILTER (WHERE mbits >= 1000), sum(n) FILTER (WHERE ftth)
            FROM (SELECT imb_id, imb_code_insee, imb_nbr_logloc::INTEGER AS n FROM read_csv({base}, delim=';', header=true, all_varchar=true)) b
            LEFT JOIN e USING (imb_id) GROUP BY 1"""
    ).fetchall()
    return {"communes": len(rows), "locaux": sum(r[1] for r in rows)}


def run_polars(root: Path) -> dict:
    import polars as pl

    base, elig = files(root)
    order = sorted(CLASS_BOUNDS, key=CLASS_BOUNDS.get)
    rank = pl.col("classe_debit_descendant").cast(pl.Enum(order), strict=False).to_physical()
    at_least = {v: next(i for i, c in enumerate(order) if CLASS_BOUNDS[c] >= v) for v in (8, 30, 100, 1000)}
    e = (
        pl.concat([pl.scan_csv(p, separator=";", infer_schema=False) for p in elig])
        .group_by("imb_id")
        .agg(rank.max().alias("rank"), (pl.col("code_techno") == "FO").any().alias("ftth"))
    )
    b = pl.concat([pl.scan_csv(p, separator=";", infer_schema=False) for p in base]).select(
        "imb_id", "imb_code_insee", pl.col("imb_nbr_logloc").cast(pl.Int64).alias("n")
    )
    n = pl.col("n")
    out = (
        b.join(e, on="imb_id", how="left")
        .group_by("imb_code_insee")
        .agg(
            n.sum().alias("locaux"),
            *(n.filter(pl.col("rank") >= at_least[v]).sum().alias(f"c{v}") for v in (8, 30, 100, 1000)),
            n.filter(pl.col("ftth")).sum().alias("ftth"),
        )
        .collect()
    )
    return {"communes": out.height, "locaux": int(out["locaux"].sum())}


def run_prepare(root: Path) -> dict:
    """Set-up, not measured: a warehouse holding the real reference (as after terrinum init)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terrinum.web.settings")
    django.setup()
    from terrinum.config import data_dir
    from terrinum.territories import loader
    from terrinum.warehouse import store

    build = loader.build_or_cached(data_dir() / "cache")
    path = root.parent / (root.name + "-warehouse.duckdb")
    path.unlink(missing_ok=True)
    con = store.connect(path)
    store.publish_reference_build(con, build, "bench")
    con.close()
    import shutil

    shutil.copyfile(path, root.parent / (root.name + "-warehouse-debits.duckdb"))
    return {}


def run_terrinum(root: Path) -> dict:
    """What `terrinum ingest arcep-mci-batiments DIR` does, on the prepared warehouse."""
    from terrinum.pillars.ingest import ingest as ingest_source
    from terrinum.warehouse import store

    con = store.connect(root.parent / (root.name + "-warehouse.duckdb"))
    report = ingest_source(con, "arcep-mci-batiments", root, accept_rejects=True)
    locaux = con.execute("SELECT sum(locaux) FROM cf_debits").fetchone()[0]
    return {"communes": report.chargees, "locaux": locaux, "non_rattachees": len(report.non_rattachees)}


def run_speeds_only(root: Path) -> dict:
    """The same ingest, speeds and FttH only (what it was before the technology mix)."""
    from terrinum.pillars import source_kinds
    from terrinum.pillars.connectivite_fixe.tables import DEBITS, FTTH
    from terrinum.sources import arcep_batiments
    from terrinum.warehouse import ingest, store

    pillar, kind = source_kinds()["arcep-mci-batiments"]
    con = store.connect(root.parent / (root.name + "-warehouse-debits.duckdb"))
    report, _ = ingest.ingest_file(
        con, kind.name, root, parse=lambda path, millesime, **options: arcep_batiments.aggregate(path, millesime, technologies=False, **options),
        tables=[DEBITS, FTTH], pillar_tables=list(pillar.tables), accept_rejects=True, staged=True,
    )  # fmt: skip
    locaux = con.execute("SELECT sum(locaux) FROM cf_debits").fetchone()[0]
    return {"communes": report.chargees, "locaux": locaux, "non_rattachees": len(report.non_rattachees)}


RUNNERS = {"floor": run_floor, "duckdb": run_duckdb, "polars": run_polars, "debits": run_speeds_only, "terrinum": run_terrinum}
CHILDREN = {**RUNNERS, "prepare": run_prepare}


def measure(name: str, root: Path) -> dict:
    """Run one variant in a child process; wall time and the child's peak RSS."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", name, "--dir", str(root)], capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{name} a échoué :\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["seconds"] = result.pop("child_seconds")
    result["wall_with_startup"] = elapsed
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/terrinum-bench-imb"))
    parser.add_argument("--child")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    if args.child:
        t = time.perf_counter()
        result = CHILDREN[args.child](args.dir)
        result["child_seconds"] = time.perf_counter() - t
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    t = time.perf_counter()
    generate(args.dir, args.rows)
    size = sum(p.stat().st_size for p in args.dir.rglob("*.gz")) / 1e6
    print(f"Fichiers : {args.dir} ({size:.0f} Mo gzip), génération {time.perf_counter() - t:.1f} s (ou réutilisés)")
    os.environ.setdefault("TERRINUM_DATA_DIR", str(Path("var").resolve()))
    measure("prepare", args.dir)
    results = {name: measure(name, args.dir) for name in RUNNERS}
    n = results["floor"]["elig_rows"]
    floor = results["floor"]["seconds"]
    print(f"{n:,} lignes d'éligibilité, {results['floor']['buildings']:,} immeubles".replace(",", " "))
    print(f"{'variante':12s} {'secondes':>9s} {'lignes/s':>12s} {'mémoire max':>12s} {'× plancher':>11s}")
    for name, r in results.items():
        print(f"{name:12s} {r['seconds']:9.2f} {n / r['seconds']:12,.0f} {r['peak_mb']:9.0f} Mo {r['seconds'] / floor:10.2f}×".replace(",", " "))
    t = results["terrinum"]
    print(f"Terrinum : {t['communes']} communes chargées, {t['non_rattachees']} codes non rattachés (codes générés inexistants) ; "
          f"validation, rattachement des codes, provenance et transaction compris ; locaux {t['locaux']:,} (DuckDB {results['duckdb']['locaux']:,}, Polars {results['polars']['locaux']:,})".replace(",", " "))  # fmt: skip
    ratio = t["seconds"] / results["debits"]["seconds"]
    print(f"Mélange des technologies : import complet / import des seuls débits = {ratio:.2f}× (objectif ≤ 1,10×, calculé dans la même passe)")


if __name__ == "__main__":
    main()
