"""Benchmark: checking a département's coverage reports against the data at once.

    .venv/bin/python bench/signalements.py [--departement 23] [--reports 10000] [--repeat 3]

On a copy of the data directory `./run.sh` leaves in var/ (never modified), writes for every
commune of a real département (packaged reference, Lambert-93) the coverage zones of four
operators as the coverage import keeps them (good and any coverage per commune, each an
irregular shape of a few hundred vertices), `--immeubles` buildings per commune and a 4G
site per commune; then
draws `--reports` points inside the département's communes and measures:

- Terrinum: `verification.check_reports` (4G level at each point for each operator, premises
  and population within 500 m, nearest site overall and per operator, New Deal, versions);
- floor: the bare point-in-polygon test of the same points against each operator's zones
  (shapely `contains_xy`, one call per commune and operator), in the same run.

Prints the best of `--repeat` runs of each and their ratio; goal: 10,000 reports ≤ 1 s.
Nothing is asserted (noisy machines).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--departement", default="23")
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--immeubles", type=int, default=400, help="immeubles par commune (la Creuse en compte environ 100 000)")
    parser.add_argument("--source", type=Path, default=ROOT / "var")
    args = parser.parse_args()

    from copie import django_on_copy

    with django_on_copy(args.source, "terrinum-bench-signalements-"):
        run(args)


def run(args) -> None:
    import numpy as np
    import polars as pl
    import shapely

    from terrinum.pillars import publication
    from terrinum.pillars.connectivite_mobile.tables import ALL_TABLES
    from terrinum.pillars.couverture import verification
    from terrinum.sources import arcep_batiments
    from terrinum.territories.reference import project_geometries
    from terrinum.warehouse import store

    rng = np.random.default_rng(7)
    crs = verification.metric_crs(args.departement)
    with publication.next_version() as con:
        rows = con.execute(
            "SELECT g.code, g.geometrie FROM ref_commune_geom g JOIN ref_commune r USING (code) WHERE r.departement_code = ? ORDER BY g.code",
            [args.departement],
        ).fetchall()
        codes = [c for c, _ in rows]
        communes = project_geometries(shapely.from_wkb([g for _, g in rows]), crs)
        store.ensure_tables(con, ALL_TABLES)
        con.execute("DELETE FROM cm_couverture_geom WHERE code_departement = ?", [args.departement])
        zones, vertices = [], 0
        for code, commune in zip(codes, communes):
            for op in verification.OPERATORS:
                # an irregular blob around a random point of the commune, clipped to it
                centre = shapely.get_coordinates(commune.representative_point())[0] + rng.normal(0, 800, 2)
                angles = np.linspace(0, 2 * np.pi, 200, endpoint=False)
                radius = np.sqrt(commune.area / np.pi) * (0.7 + 0.3 * rng.random(200))
                blob = shapely.Polygon(np.c_[centre[0] + radius * np.cos(angles), centre[1] + radius * np.sin(angles)]).buffer(0)
                good = shapely.intersection(blob, commune)
                anyc = shapely.intersection(blob.buffer(300), commune)
                vertices += shapely.get_num_coordinates(good) + shapely.get_num_coordinates(anyc)
                zones.append({"source": "bench", "millesime": "2099T1", "code_source": code, "code_commune": code, "code_departement": args.departement,
                              "operateur": op, "techno": "4G", "crs": crs, "zone_bonne": shapely.to_wkb(good), "zone_couverte": shapely.to_wkb(anyc), "demo": False})  # fmt: skip
        store.insert_rows(con, "cm_couverture_geom", zones)
        points = np.concatenate([_inside(rng, c, args.immeubles) for c in communes])
        owner = np.repeat(np.array(codes, dtype=object), args.immeubles)
        frame = pl.DataFrame({"code": owner.tolist(), "x": points[:, 0], "y": points[:, 1], "n": rng.integers(1, 6, len(points)).tolist()})
        arcep_batiments.write_departement(store.buildings_dir(con, "2099T1"), args.departement, frame, crs)
        site_xy = np.concatenate([_inside(rng, c, 1) for c in communes])
        lon, lat = verification.transformer(crs, "EPSG:4326").transform(site_xy[:, 0], site_xy[:, 1])
        store.insert_rows(con, "cm_sites", [
            {"source": "bench", "millesime": "2099T1", "code_source": code, "code_commune": code, "code_departement": args.departement,
             "operateur": verification.OPERATORS[i % 4], "site_2g": 1, "site_3g": 1, "site_4g": 1, "longitude": float(x), "latitude": float(y), "demo": False}
            for i, (code, x, y) in enumerate(zip(codes, lon, lat))
        ])  # fmt: skip
    # reports: random points inside random communes of the département
    which = rng.integers(0, len(codes), args.reports)
    xy = np.array([_inside(rng, communes[i], 1)[0] for i in which])
    lon, lat = verification.transformer(crs, "EPSG:4326").transform(xy[:, 0], xy[:, 1])
    reports = [
        {"longitude": float(x), "latitude": float(y), "commune_code": codes[i], "departement_code": args.departement} for x, y, i in zip(lon, lat, which)
    ]
    print(f"Département {args.departement} : {len(codes)} communes, {len(zones)} zones de couverture ({vertices:,} sommets), "
          f"{len(frame):,} immeubles, {len(codes)} sites ; {args.reports:,} signalements".replace(",", " "))  # fmt: skip

    with store.reader() as con:
        best, result = _best(args.repeat, lambda: verification.check_reports(con, reports))
        floor, _ = _best(args.repeat, lambda: _floor(con, reports, crs))
    covered = sum(1 for r in result for op in r["operateurs"].values() if op["au_point"] == "bonne")
    print(f"{'variante':28s} {'secondes':>9s} {'signalements/s':>15s} {'× plancher':>11s}")
    print(f"{'plancher (point dans zone)':28s} {floor:9.3f} {args.reports / floor:15,.0f} {1:10.2f}×".replace(",", " "))
    print(f"{'Terrinum (vérification)':28s} {best:9.3f} {args.reports / best:15,.0f} {best / floor:10.2f}×".replace(",", " "))
    print(f"{covered:,} couples signalement × opérateur en bonne couverture ; objectif : {args.reports:,} signalements ≤ 1 s".replace(",", " "))


def _inside(rng, polygon, n: int):
    """`n` random points inside a polygon (rejection sampling in its bounding box)."""
    import numpy as np
    import shapely

    minx, miny, maxx, maxy = polygon.bounds
    out = []
    while len(out) < n:
        xs, ys = rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)
        keep = shapely.contains_xy(polygon, xs, ys)
        out.extend(zip(xs[keep], ys[keep]))
    return np.array(out[:n])


def _floor(con, reports, crs):
    """Point in polygon only: each report against each operator's good zone of its commune."""
    from collections import defaultdict

    import numpy as np
    import shapely

    from terrinum.pillars.couverture import verification

    lon = np.array([r["longitude"] for r in reports])
    lat = np.array([r["latitude"] for r in reports])
    x, y = verification.transformer("EPSG:4326", crs).transform(lon, lat)
    by_commune = defaultdict(list)
    for i, r in enumerate(reports):
        by_commune[r["commune_code"]].append(i)
    found = 0
    for code, good in con.execute("SELECT code_commune, zone_bonne FROM cm_couverture_geom WHERE millesime = '2099T1'").fetchall():
        idx = by_commune.get(code)
        if idx:
            found += int(shapely.contains_xy(shapely.from_wkb(good), x[idx], y[idx]).sum())
    return found


def _best(repeat: int, fn):
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


if __name__ == "__main__":
    main()
