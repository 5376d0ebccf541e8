"""Benchmark: national per-building ingest (ARCEP "Ma connexion internet" per building).

    .venv/bin/python bench/batiments.py [--rows 10000000] [--dir /tmp/terrinum-bench-imb]

Generates schema-faithful, gzip-compressed files (base_imb_<DEP>.csv.gz and
eligibilite/<quarter>/actuel_<DEP>.csv.gz, about 4 eligibility rows per building over real
commune codes), then measures, each in its own process (peak memory = max RSS):

- floor: a bare DuckDB count(*) over all the files;
- peer DuckDB: the best hand-written single DuckDB query doing the same aggregation;
- peer Polars: the same aggregation of speeds and FttH with a lazy Polars query;
- peer Polars, same outputs: one hand-written lazy Polars query giving what the import gives
  (speeds and FttH, the technology mix, positions, the buildings below 30 Mbit/s with their
  address, written to Parquet), without validation, code reconciliation or warehouse;
- Terrinum, speeds only: the import without the technology mix (nor the list of buildings
  below 30 Mbit/s that goes with it), positions written;
- Terrinum: `terrinum ingest arcep-mci-batiments` into a warehouse — validation, code
  reconciliation, provenance, transaction, technology mix and per-building files included.

Prints seconds (and how much of them is importing modules), eligibility rows/s, peak memory,
the ratio to the floor measured in the same run, and the import's ratios to the Polars peers.
`--detail`: where the import's time goes (its pass with and without the mix and the
per-building files), in one process. Nothing is asserted (noisy machines); read the ratios.
"""

from __future__ import annotations

import argparse
import importlib
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

    marker = root / f".generated-v2-{rows}"  # v2: technologies and classes drawn per row, not in a cycle
    if marker.exists():
        return
    root.mkdir(parents=True, exist_ok=True)
    (root / "eligibilite" / QUARTER).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    per_dep_rows = rows // len(DEPARTEMENTS)
    buildings = per_dep_rows // 4
    classes = "['inf_3M', '3_8', '8_30', '30_100', '100_500', '500_1000', '1000_inf']"
    # About 85 % of buildings with a fibre offer (four rows each, 5 in 13 of them FO), as in 2024.
    technos = "['CU', 'CU', 'CU', 'FO', 'FO', 'FO', 'FO', 'FO', 'COAX', '4GF', 'THDR', 'SAT', 'SAT']"
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
                       {technos}[1 + (hash(j, 1) % 13)::INTEGER] AS code_techno,
                       {classes}[1 + (hash(j, 2) % 7)::INTEGER] AS classe_debit_montant,
                       {classes}[1 + (hash(j, 3) % 7)::INTEGER] AS classe_debit_descendant,
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


TECHNO_CODES = ("FO", "COAX", "CU", "THDR", "4GF", "WMX", "SAT")
ADDRESS = ["addr_numero", "addr_rep", "addr_nom_voie", "addr_nom_ld"]


def run_polars_full(root: Path) -> dict:
    """The same outputs as the import, by one hand-written lazy Polars query: speeds and FttH
    per commune, the technology mix per commune (methodologie-technologies.md), every
    building's position, and the buildings below 30 Mbit/s by wire with their address, the
    last two written to Parquet. No validation, no code reconciliation, no warehouse."""
    import tempfile

    import polars as pl

    base, elig = files(root)
    order = sorted(CLASS_BOUNDS, key=CLASS_BOUNDS.get)
    rank = pl.col("classe_debit_descendant").cast(pl.Enum(order), strict=False).to_physical()
    at = {v: next(i for i, c in enumerate(order) if CLASS_BOUNDS[c] >= v) for v in (8, 30, 100, 1000)}
    techno = pl.col("code_techno")
    e = (
        pl.concat([pl.scan_csv(p, separator=";", infer_schema=False) for p in elig])
        .group_by("imb_id")
        .agg(rank.max().alias("rank"), rank.filter(techno.is_in(["FO", "COAX", "CU"])).max().alias("filaire"), *((techno == t).any().alias(t) for t in TECHNO_CODES))
    )  # fmt: skip
    b = pl.concat([pl.scan_csv(p, separator=";", infer_schema=False) for p in base]).select(
        "imb_id", pl.col("imb_code_insee").alias("code"), pl.col("imb_nbr_logloc").cast(pl.Int64).alias("n"),
        pl.col("imb_x").cast(pl.Float64).alias("x"), pl.col("imb_y").cast(pl.Float64).alias("y"), *ADDRESS,
    )  # fmt: skip
    j = b.join(e, on="imb_id", how="left").with_columns(pl.col(t).fill_null(False) for t in TECHNO_CODES)
    n, wired = pl.col("n"), pl.col("filaire")
    classe = (
        pl.when(pl.col("FO")).then(pl.lit("ftth")).when(pl.col("COAX")).then(pl.lit("coax")).when(wired >= at[30]).then(pl.lit("cu_30"))
        .when(wired >= at[8]).then(pl.lit("cu_8")).when(pl.col("CU")).then(pl.lit("cu_inf8")).otherwise(pl.lit("sans_filaire"))
    )  # fmt: skip
    below = {"inf8": wired.is_null() | (wired < at[8]), "inf30": wired.is_null() | (wired < at[30])}
    alt = {"thdr": pl.col("THDR"), "4gf": pl.col("4GF"), "wmx": pl.col("WMX"), "sat": pl.col("SAT")}
    terrestrial = alt["thdr"] | alt["4gf"] | alt["wmx"]
    aggs = [
        n.sum().alias("locaux"), *(n.filter(pl.col("rank") >= at[v]).sum().alias(f"c{v}") for v in at), n.filter(pl.col("FO")).sum().alias("ftth"),
        *(n.filter(classe == c).sum().alias(f"locaux_techno_{c}") for c in ("ftth", "coax", "cu_30", "cu_8", "cu_inf8", "sans_filaire")),
        *(n.filter(x).sum().alias(f"locaux_alt_{a}") for a, x in alt.items()),
    ]  # fmt: skip
    for s, lag in below.items():
        aggs += [n.filter(lag).sum().alias(f"locaux_filaire_{s}"), *(n.filter(lag & x).sum().alias(f"locaux_{s}_{a}") for a, x in alt.items()),
                 n.filter(lag & alt["sat"] & ~terrestrial).sum().alias(f"locaux_{s}_satellite_seul"),
                 n.filter(lag & ~alt["sat"] & ~terrestrial).sum().alias(f"locaux_{s}_sans_solution")]  # fmt: skip
    left = j.filter(below["inf30"] & (n > 0)).select(
        "code", "x", "y", "n", classe.alias("classe_filaire"), below["inf8"].alias("inf8"), *(x.alias(f"alt_{a}") for a, x in alt.items()), "imb_id", *ADDRESS
    )
    per_commune, positions, left = pl.collect_all([j.group_by("code").agg(aggs), b.filter(n > 0).select("code", "x", "y", "n"), left])
    with tempfile.TemporaryDirectory() as out:
        positions.write_parquet(Path(out) / "positions.parquet")
        left.write_parquet(Path(out) / "sans-thd.parquet")
    return {"communes": per_commune.height, "locaux": int(per_commune["locaux"].sum()), "positions": positions.height, "sans_thd": left.height,
            **{c: int(per_commune[c].sum()) for c in MIX_CHECKED}}  # fmt: skip


# Technology-mix columns whose national sums the summary compares (import against the peer).
MIX_CHECKED = ("locaux_techno_ftth", "locaux_techno_cu_8", "locaux_alt_sat", "locaux_inf30_sans_solution")


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
    mix = con.execute(f"SELECT {', '.join(f'sum({c})::BIGINT' for c in MIX_CHECKED)} FROM cf_technologies").fetchone()
    return {"communes": report.chargees, "locaux": locaux, "non_rattachees": len(report.non_rattachees), **dict(zip(MIX_CHECKED, mix))}


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


RUNNERS = {"floor": run_floor, "duckdb": run_duckdb, "polars": run_polars, "polars-tout": run_polars_full, "debits": run_speeds_only, "terrinum": run_terrinum}
CHILDREN = {**RUNNERS, "prepare": run_prepare}
# The modules each variant imports, timed apart (a fixed cost of the process, not of the rows).
IMPORTS = {
    "floor": ["duckdb"], "duckdb": ["duckdb"], "polars": ["polars"], "polars-tout": ["polars"],
    "debits": ["terrinum.pillars", "terrinum.sources.arcep_batiments", "terrinum.warehouse.ingest", "terrinum.warehouse.store"],
    "terrinum": ["terrinum.pillars.ingest", "terrinum.warehouse.store"],
}  # fmt: skip


def detail(root: Path, rounds: int = 3) -> None:
    """Where the import's time goes, in this process (modules already imported): the
    partitions' pass alone (no validation of the whole, no warehouse), speeds only or with the
    technology mix, with or without the per-building files (positions, and with the mix the
    buildings below 30 Mbit/s), against the bare Polars query of the speeds."""
    import tempfile

    from terrinum.sources import arcep_batiments

    pairs, quarter = arcep_batiments.find_pairs(root, None)
    variants = {
        "requête Polars des seuls débits": lambda staging: run_polars(root),
        "débits": lambda staging: [arcep_batiments.partition(p, quarter, technologies=False) for p in pairs],
        "débits + positions": lambda staging: [arcep_batiments.partition(p, quarter, technologies=False, staging=staging) for p in pairs],
        "débits + mélange": lambda staging: [arcep_batiments.partition(p, quarter) for p in pairs],
        "débits + mélange + positions + immeubles sous 30 Mbit/s": lambda staging: [arcep_batiments.partition(p, quarter, staging=staging) for p in pairs],
    }
    times = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            with tempfile.TemporaryDirectory() as staging:
                t = time.perf_counter()
                fn(Path(staging))
                times[name].append(time.perf_counter() - t)
    base = min(times["requête Polars des seuls débits"])
    print(f"Détail, dans un même processus, meilleur de {rounds} tours :")
    for name, values in times.items():
        print(f"  {name:58s} {min(values):6.2f} s  {min(values) / base:5.2f}×")


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
    parser.add_argument("--detail", action="store_true", help="où va le temps de l'import (dans ce processus), puis rien d'autre")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    if args.child:
        t = time.perf_counter()
        for module in IMPORTS.get(args.child, ()):
            importlib.import_module(module)
        imports = time.perf_counter() - t
        result = CHILDREN[args.child](args.dir)
        result["child_seconds"] = time.perf_counter() - t
        result["import_seconds"] = imports
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    t = time.perf_counter()
    generate(args.dir, args.rows)
    size = sum(p.stat().st_size for p in args.dir.rglob("*.gz")) / 1e6
    print(f"Fichiers : {args.dir} ({size:.0f} Mo gzip), génération {time.perf_counter() - t:.1f} s (ou réutilisés)")
    if args.detail:
        detail(args.dir)
        return
    os.environ.setdefault("TERRINUM_DATA_DIR", str(Path("var").resolve()))
    measure("prepare", args.dir)
    results = {name: measure(name, args.dir) for name in RUNNERS}
    n = results["floor"]["elig_rows"]
    floor = results["floor"]["seconds"]
    print(f"{n:,} lignes d'éligibilité, {results['floor']['buildings']:,} immeubles".replace(",", " "))
    print(f"{'variante':12s} {'secondes':>9s} {'dont imports':>13s} {'lignes/s':>12s} {'mémoire max':>12s} {'× plancher':>11s}")
    for name, r in results.items():
        print(
            f"{name:12s} {r['seconds']:9.2f} {r['import_seconds']:13.2f} {n / r['seconds']:12,.0f} {r['peak_mb']:9.0f} Mo {r['seconds'] / floor:10.2f}×".replace(
                ",", " "
            )
        )
    t = results["terrinum"]
    print(f"Terrinum : {t['communes']} communes chargées, {t['non_rattachees']} codes non rattachés (codes générés inexistants) ; "
          f"validation, rattachement des codes, provenance et transaction compris ; locaux {t['locaux']:,} (DuckDB {results['duckdb']['locaux']:,}, Polars {results['polars']['locaux']:,})".replace(",", " "))  # fmt: skip
    full = results["polars-tout"]
    print("Mélange des technologies, sommes nationales (import / requête Polars des mêmes sorties) : "
          + " ; ".join(f"{c} {t[c]:,} / {full[c]:,}".replace(",", " ") for c in MIX_CHECKED))  # fmt: skip

    def ratio(a: str, b: str) -> str:
        x, y = results[a], results[b]
        with_imports = x["seconds"] / y["seconds"]
        without = (x["seconds"] - x["import_seconds"]) / (y["seconds"] - y["import_seconds"])
        return f"{with_imports:.2f}× ({without:.2f}× sans les imports de modules)"

    print(f"Import complet / requête Polars des seuls débits : {ratio('terrinum', 'polars')} (objectif ≤ 1,3×)")
    print(f"Import complet / requête Polars des mêmes sorties (débits, mélange, positions, immeubles sous 30 Mbit/s) : {ratio('terrinum', 'polars-tout')}")
    print(f"Import des seuls débits / requête Polars des seuls débits : {ratio('debits', 'polars')}")
    print(f"Mélange des technologies et liste des immeubles sous 30 Mbit/s : import complet / import des seuls débits = {ratio('terrinum', 'debits')} "
          f"(objectif ≤ 1,10×) ; à la main, requête Polars des mêmes sorties / des seuls débits = {ratio('polars-tout', 'polars')}")  # fmt: skip


if __name__ == "__main__":
    main()
