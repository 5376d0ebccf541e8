"""Benchmark: mobile coverage polygons overlaid with every commune of a département.

    .venv/bin/python bench/couverture.py [--departement 23] [--blobs 220] [--repeat 3]

Generates disjoint coverage polygons of realistic complexity (irregular blobs, levels
TBC/BC/CL, ≥ 50,000 vertices in all) over a real département (communes from the packaged
reference, Lambert-93), in two versions written as GeoPackages:

- "découpés": each blob minus the blobs before it (`difference`). Neighbours share edges
  only to floating-point precision, so they overlap by slivers (about 1e-6 m² in all);
- "couverture exacte": the same zones rebuilt from the noded boundaries (`polygonize`,
  then `coverage_union_all`), so that neighbours share identical vertices, as the polygons
  of a vectorised raster do.

Then it measures each in the same run:

- Terrinum: `arcep_couverture.parse_coverage` (read the GeoPackage, repair, intersect with the
  communes, area per commune and level, the zones kept for combining operators), which runs
  its GEOS work on `arcep_couverture.GEOS_WORKERS` threads (min(4, cores));
- the same on one thread (`GEOS_WORKERS` = 1): the computing time the threads share out;
- peer: GeoPandas `read_file` + `overlay(how="intersection")` + `dissolve` by commune and
  level, then areas (one thread).

Prints, per version, the best of `--repeat` runs of each, their ratio, and the largest
difference between the two areas per commune and level (square metres). Nothing is
asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--departement", default="23")
    parser.add_argument("--blobs", type=int, default=240)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terrinum.web.settings")
    import django

    django.setup()
    import geopandas as gpd
    import pyogrio.raw
    import shapely
    from pyproj import Transformer

    from terrinum.config import data_dir
    from terrinum.pillars.connectivite_mobile.transforms import coverage_options
    from terrinum.sources import arcep_couverture
    from terrinum.territories import loader
    from terrinum.warehouse import store

    tmp = Path(tempfile.mkdtemp(prefix="terrinum-bench-couv-"))
    con = store.connect(tmp / "w.duckdb")
    store.publish_reference_build(con, loader.build_or_cached(data_dir() / "cache"), "bench")
    rows = con.execute(
        "SELECT g.code, g.geometrie FROM ref_commune_geom g JOIN ref_commune r USING (code) WHERE r.departement_code = ? ORDER BY 1",
        [args.departement],
    ).fetchall()
    tr = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    communes = shapely.transform(shapely.from_wkb([g for _, g in rows]), lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    codes = [c for c, _ in rows]
    minx, miny, maxx, maxy = shapely.total_bounds(communes)

    # Irregular blobs: a circle of 256 vertices whose radius wobbles, made disjoint.
    rng = np.random.default_rng(42)
    taken = None
    blobs, levels = [], []
    angles = np.linspace(0, 2 * np.pi, 256, endpoint=False)
    for i in range(args.blobs):
        cx, cy = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        radius = rng.uniform(1500, 6000) * (1 + 0.25 * np.sin(angles * rng.integers(3, 9) + rng.uniform(0, 6)))
        blob = shapely.Polygon(np.column_stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)]))
        if taken is not None:
            blob = shapely.difference(blob, taken)
        if blob.is_empty:
            continue
        taken = blob if taken is None else shapely.union(taken, blob)
        blobs.append(blob)
        levels.append(["TBC", "BC", "CL"][i % 3])
    blobs = np.array(blobs, dtype=object)
    # The same zones as an exact coverage: faces of the noded boundaries, each given to the
    # first blob it lies in, dissolved per blob.
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(shapely.boundary(blobs)))))
    face, blob = shapely.STRtree(blobs).query(shapely.point_on_surface(faces), predicate="within")
    owner = np.full(len(faces), len(blobs))
    np.minimum.at(owner, face, blob)
    exact = np.array([shapely.coverage_union_all(faces[owner == k]) for k in range(len(blobs))], dtype=object)
    n = len(blobs)
    print(
        f"Département {args.departement} : {len(codes)} communes, {n} polygones de couverture, {int(shapely.get_num_coordinates(blobs).sum()):,} sommets".replace(
            ",", " "
        )
    )
    communes_gdf = gpd.GeoDataFrame({"code": codes}, geometry=list(communes), crs="EPSG:2154")
    commune_area = dict(zip(codes, shapely.area(communes)))

    def best(fn):
        times, result = [], None
        for _ in range(args.repeat):
            t = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t)
        return min(times), result

    for label, geoms in (("découpés", blobs), ("couverture exacte", exact)):
        path = tmp / label.replace(" ", "-") / f"2024_T1_couv_Metropole_OF_4G_data_{args.departement}.gpkg"
        path.parent.mkdir()
        pyogrio.raw.write(
            path,
            geometry=shapely.to_wkb(geoms),
            field_data=[
                np.array(["OF"] * n, dtype=object),
                np.array(["4G"] * n, dtype=object),
                np.array(levels, dtype=object),
                np.array([args.departement] * n, dtype=object),
            ],
            fields=["operateur", "techno", "niveau", "dept"],
            geometry_type="MultiPolygon",
            crs="EPSG:2154",
            driver="GPKG",
            promote_to_multi=True,
        )

        def terrinum(path=path):
            parsed = arcep_couverture.parse_coverage(path, **coverage_options(con))
            return {(r["code_source"], lv.upper()): r[f"part_surface_{lv}"] for r in parsed.rows for lv in ("tbc", "bc", "cl")}

        def geopandas(path=path):
            cover = gpd.read_file(path)
            pieces = gpd.overlay(communes_gdf, cover[["niveau", "geometry"]], how="intersection", keep_geom_type=True)
            dissolved = pieces.dissolve(by=["code", "niveau"])
            return dict(zip(dissolved.index, dissolved.geometry.area))

        t_ours, shares = best(terrinum)
        workers = arcep_couverture.GEOS_WORKERS
        arcep_couverture.GEOS_WORKERS = 1  # the same work on one thread: what the threads share out
        t_one, _ = best(terrinum)
        arcep_couverture.GEOS_WORKERS = workers
        t_peer, areas = best(geopandas)
        diff = max(abs(share / 100 * commune_area[code] - areas.get((code, level), 0.0)) for (code, level), share in shares.items())
        print(f"Polygones {label} :")
        print(f"  GeoPandas overlay + dissolve : {t_peer:.3f} s")
        print(f"  Terrinum (lecture, réparation, intersection, surfaces, {workers} fil(s)) : {t_ours:.3f} s ; ratio {t_ours / t_peer:.2f}× GeoPandas")
        print(f"  Terrinum sur un seul fil : {t_one:.3f} s ; ratio {t_one / t_peer:.2f}× GeoPandas (son temps de calcul)")
        print(f"  Plus grand écart de surface commune × niveau : {diff:.3f} m²")


if __name__ == "__main__":
    main()
