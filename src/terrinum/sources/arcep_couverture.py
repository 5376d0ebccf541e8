"""ARCEP "Mon réseau mobile" coverage polygons (`arcep-mobile-couverture`, GeoPackage): one
operator × technology × usage per file, intersected with the communes of the départements it
covers (the overlay), per commune the share of area and population at each level. See
../shared/data/real/PROVENANCE.md and methodologie/methodologie-connectivite-mobile.md."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

from terrinum.engines import Embedded
from terrinum.sources.arcep_mobile import FILE_QUARTER, operator_of
from terrinum.sources.common import Parsed, Problem, SourceError, check_millesime
from terrinum.territories.reference import project_geometries

COVERAGE_FILE = re.compile(r"(\d{4})_?T([1-4])_couv_[A-Za-z]+_([A-Z0-9]+)_([0-9G]+)_([A-Z]+)", re.I)
COVERAGE_LEVELS = ("TBC", "BC", "CL")  # best first: très bonne, bonne, limitée
# Pieces of a commune whose overlaps add up to less than this are summed, not unioned.
OVERLAP_TOLERANCE_M2 = 1e-3
GEOS_WORKERS = min(4, os.cpu_count() or 1)  # threads for the overlay (GEOS releases the GIL)


def parse_coverage(path: Path, millesime: str | None = None, *, communes=None, premises=None, crs: str | None = None, engine=None, progress=None) -> Parsed:
    """Coverage polygons of one operator × technology × usage, intersected with every commune
    of the départements the file covers: per commune, the share of area at each level (each
    point counted at its best level). Population is spread over the buildings' premises when
    a per-building import left their positions, else uniformly over the commune
    (methodologie/methodologie-connectivite-mobile.md).

    The parser reads no store: `communes(départements or None)` gives (codes, départements,
    WGS84 geometries) of the reference communes, `premises(départements, crs)` the buildings'
    positions and premises per commune ({} when none); the pillar supplies both. The join of
    the buildings with the zones runs per département (`premises_inside`), mapped by `engine`
    (terrinum.engines: here, or on a Dask cluster whose workers read the positions)."""
    import pyogrio.raw
    import shapely
    from pyproj import CRS

    name = path.name
    if communes is None:
        raise SourceError(Problem(name, None, None, "contours des communes requis (référentiel)"))
    if path.suffix.lower() != ".gpkg":
        raise SourceError(Problem(name, None, None, "un GeoPackage (.gpkg) est attendu (décompressez d'abord l'archive 7z publiée)"))
    import warnings

    try:
        # GDAL's warnings on a damaged file (a bad application id...) are kept, not raised
        with warnings.catch_warnings(record=True) as gdal_warnings:
            warnings.simplefilter("always")
            meta, _, wkb, fields = pyogrio.raw.read(path)
    except Exception as exc:  # GDAL raises many types for broken files
        raise SourceError(Problem(name, None, None, f"GeoPackage illisible ({exc.__class__.__name__}: {exc})")) from exc
    gdal_said = sorted({str(w.message).split(" on '")[0] for w in gdal_warnings})
    if not len(wkb):  # loading it would mark every commune as uncovered
        raise SourceError(Problem(name, None, None, "aucun polygone dans le fichier : export incomplet ?"))
    file_crs = meta.get("crs")
    if crs:
        file_crs = crs
    if not file_crs:
        raise SourceError(Problem(name, None, None, "fichier sans système de coordonnées : précisez --crs (ex. EPSG:2154)"))
    try:
        target = CRS.from_user_input(file_crs)
    except Exception as exc:
        raise SourceError(Problem(name, None, None, f"système de coordonnées « {file_crs} » inconnu")) from exc
    if not target.is_projected:
        raise SourceError(Problem(name, None, None, f"{file_crs} n'est pas une projection métrique : les surfaces ne peuvent pas être mesurées"))
    columns = [c.lower() for c in meta["fields"]]
    values = {c: fields[i] for i, c in enumerate(columns)}
    if "niveau" not in values:
        raise SourceError(Problem(name, None, "niveau", "champ « niveau » absent"))
    m = COVERAGE_FILE.search(name)
    operator_raw = str(values["operateur"][0]) if "operateur" in values and len(wkb) else (m.group(3) if m else "")
    operator = operator_of(operator_raw)
    if operator is None:
        raise SourceError(Problem(name, None, "operateur", f"opérateur « {operator_raw} » inconnu"))
    techno = (str(values["techno"][0]) if "techno" in values and len(wkb) else (m.group(4) if m else "")).upper()
    if techno not in ("2G", "3G", "4G", "5G", "2G3G"):
        raise SourceError(Problem(name, None, "techno", f"technologie « {techno} » inconnue"))
    parsed = Parsed(millesime=_coverage_millesime(name, values, millesime))
    if gdal_said:
        parsed.notes.append("avertissement(s) de GDAL à la lecture (fichier à vérifier) : " + " ; ".join(gdal_said[:3]))
    parsed.read = len(wkb)
    deps = sorted({str(d).upper().zfill(2) for d in values["dept"]}) if "dept" in values else None
    crs_name = target.to_string()
    with ThreadPoolExecutor(max_workers=GEOS_WORKERS) as pool:
        communes_job = pool.submit(communes, deps)  # while the polygons are read
        geoms = shapely.from_wkb(wkb)
        levels = np.array([str(v).upper() for v in values["niveau"]])
        bad_level = ~np.isin(levels, COVERAGE_LEVELS)
        for i in np.flatnonzero(bad_level)[:20]:
            parsed.rejected.append(Problem(name, int(i) + 1, "niveau", f"entité {int(i) + 1} : niveau « {levels[i]} » hors de TBC/BC/CL"))
        invalid = ~shapely.is_valid(geoms)
        if invalid.any():
            geoms[invalid] = shapely.make_valid(geoms[invalid])
            parsed.notes.append(f"{int(invalid.sum())} géométrie(s) invalide(s) réparée(s)")
        codes, departements, wgs84 = communes_job.result()
        communes = project_geometries(wgs84, crs_name)  # here: from a pool thread, the cached transformer cost as much as a new one (measured)
        tree = shapely.STRtree(communes)
        ok = ~bad_level
        rank_of = {lv: i for i, lv in enumerate(COVERAGE_LEVELS)}
        ok_geoms, ok_ranks = geoms[ok], np.array([rank_of[lv] for lv in levels[ok]], dtype=int)
        pp, cp = _intersecting(pool, tree, ok_geoms)  # (polygon, commune) pairs
        if len(ok_geoms) and len(cp) == 0:
            raise SourceError(Problem(name, None, None, f"aucun polygone ne recoupe une commune : le système de coordonnées ({file_crs}) est-il le bon ?"))
        clipped = _polygonal(_in_parallel(pool, shapely.intersection, ok_geoms[pp], communes[cp]))
        piece_areas = shapely.area(clipped)
        kept = np.flatnonzero(piece_areas > 0)  # not the polygons touching a commune along its boundary only
        kept = kept[np.argsort(cp[kept], kind="stable")]
        cp, pieces, piece_areas, ranks = cp[kept], clipped[kept], piece_areas[kept], ok_ranks[pp[kept]]
        # Per commune: the area covered at each level or better, and the zones themselves
        # (kept so that operators can be combined exactly: at least one, all four).
        covered = np.zeros((len(codes), len(COVERAGE_LEVELS)))
        np.add.at(covered, (cp, ranks), piece_areas)
        covered = np.cumsum(covered, axis=1)
        zones = [np.full(len(codes), None, dtype=object) for _ in COVERAGE_LEVELS]
        for rank, zone in enumerate(zones):  # collections of pieces where they do not overlap
            shapely.geometrycollections(pieces[ranks <= rank], indices=cp[ranks <= rank], out=zone)
        overlapping = np.flatnonzero(_shared_area(pool, pieces, cp, len(codes)) > OVERLAP_TOLERANCE_M2)
        by_level = [[pieces[(cp == c) & (ranks == rank)].tolist() for rank in range(len(COVERAGE_LEVELS))] for c in overlapping]
        for c, (areas, unions) in zip(overlapping, pool.map(_unions, by_level)):
            covered[c] = areas
            for zone, union in zip(zones, unions):
                zone[c] = union
        if deps is None:  # no département field: the communes the polygons touch
            keep = np.unique(tree.query(ok_geoms)[1]) if len(ok_geoms) else np.array([], dtype=int)
        else:
            keep = np.arange(len(codes))
        keep = keep[shapely.area(communes[keep]) > 0]
        area = shapely.area(communes[keep])[:, None]
        surface = np.round(100 * np.maximum(0.0, np.diff(covered[keep], axis=1, prepend=0.0)) / area, 6)  # TBC, BC, CL
        surface_nc = np.round(np.maximum(0.0, 100 - surface.sum(axis=1)), 6)
        population, population_nc = surface, surface_nc  # spread uniformly over the commune...
        inside = {}
        if premises:  # ... or following premises: share of premises inside each cumulative zone
            by_departement = {}
            for c in keep.tolist():
                by_departement.setdefault(departements[c], {})[codes[c]] = [zone[c] for zone in zones]
            join = partial(premises_inside, premises, crs_name)
            for part in (engine or Embedded()).map(join, sorted(by_departement.items()), progress):
                inside.update(part)
        weighted = [k for k, c in enumerate(keep) if codes[c] in inside]
        if weighted:
            population, population_nc = population.copy(), population_nc.copy()
            for k in weighted:
                counts, total = inside[codes[keep[k]]]
                cumulative = 100 * np.array(counts) / total
                population[k] = np.round(np.diff(cumulative, prepend=0.0), 6)
                population_nc[k] = round(max(0.0, 100 - cumulative[-1]), 6)
        good, any_level = _in_parallel(pool, shapely.to_wkb, zones[1][keep]), _in_parallel(pool, shapely.to_wkb, zones[2][keep])
    for k, c in enumerate(keep.tolist()):
        row = {"ligne": None, "code_source": codes[c], "code_departement": departements[c], "operateur": operator, "techno": techno}
        for lv, share_surface, share_population in zip(("tbc", "bc", "cl"), surface[k].tolist(), population[k].tolist()):
            row[f"part_surface_{lv}"], row[f"part_pop_{lv}"] = share_surface, share_population
        row["part_surface_nc"], row["part_pop_nc"] = float(surface_nc[k]), float(population_nc[k])
        row["crs"], row["zone_bonne"], row["zone_couverte"] = crs_name, good[k], any_level[k]
        parsed.rows.append(row)
    parsed.notes.append(
        f"{len(ok_geoms)} polygone(s) {operator} {techno} en {file_crs}, {len(parsed.rows)} commune(s) "
        + (f"des départements {', '.join(deps)}" if deps else "touchées")
        + f" ; population répartie selon les locaux des immeubles dans {len(weighted)} commune(s), uniformément ailleurs"
    )
    return parsed


def premises_inside(premises, crs_name: str, task: tuple[str, dict]) -> dict[str, tuple[list, int]]:
    """The building points × coverage zones join of one département, defined once whatever
    the engine: for each of its communes with buildings, the premises inside each cumulative
    zone (best level first) and in all. `task` is (département, {commune: zones})."""
    import shapely

    departement, zones_of = task
    weights = premises([departement], crs_name)
    out = {}
    for code, zones in zones_of.items():
        if code not in weights:
            continue
        xs, ys, n = weights[code]
        total = n.sum()
        if total > 0:
            out[code] = ([n[shapely.contains_xy(zone, xs, ys)].sum() if zone is not None else 0 for zone in zones], total)
    return out


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep the polygonal part of intersection results (a polygon clipped along a commune
    boundary can also leave lines or points, which carry no area)."""
    import shapely

    mixed = np.flatnonzero(shapely.get_type_id(geoms) == 7)  # GeometryCollection
    for i in mixed:
        parts = shapely.get_parts(geoms[i])
        parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        geoms[i] = shapely.union_all(parts) if len(parts) else shapely.Polygon()
    return geoms


def _in_parallel(pool: ThreadPoolExecutor, operation, *arrays: np.ndarray) -> np.ndarray:
    """A vectorised shapely operation on aligned arrays, split over the pool's threads."""
    chunks = np.array_split(np.arange(len(arrays[0])), GEOS_WORKERS)
    return np.concatenate([np.empty(0, dtype=object), *pool.map(lambda k: operation(*(a[k] for a in arrays)), chunks)])


def _intersecting(pool: ThreadPoolExecutor, tree, geoms: np.ndarray) -> np.ndarray:
    """Pairs (index in `geoms`, index in the tree) of geometries that intersect, the queries
    split over the pool's threads."""

    def part(rows: np.ndarray) -> np.ndarray:
        found = tree.query(geoms[rows], predicate="intersects")
        found[0] = rows[found[0]]
        return found

    chunks = np.array_split(np.arange(len(geoms)), GEOS_WORKERS)
    return np.concatenate([np.empty((2, 0), dtype=np.intp), *pool.map(part, chunks)], axis=1)


def _shared_area(pool: ThreadPoolExecutor, pieces: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Per commune, the sum of the areas shared by two of its pieces. The union of the pieces
    is at least the sum of their areas minus this (Bonferroni), so where it is below
    OVERLAP_TOLERANCE_M2 the sums of areas are the areas of the unions to that tolerance.

    Pieces side by side (from polygons sharing an edge) mostly do not overlap: the exact
    DE-9IM test (interiors meet in two dimensions) sorts them out first, and only the pairs
    it keeps are intersected. Polygons produced by a GIS often overlap along shared edges by
    a few square millimetres: those pairs are intersected and their slivers counted."""
    import shapely

    a, b = shapely.STRtree(pieces).query(pieces)
    same = (a < b) & (owner[a] == owner[b])
    a, b = a[same], b[same]
    meet = _in_parallel(pool, lambda x, y: shapely.relate_pattern(x, y, "2********"), pieces[a], pieces[b]).astype(bool)
    a, b = a[meet], b[meet]
    shared = shapely.area(_in_parallel(pool, shapely.intersection, pieces[a], pieces[b]))
    return np.bincount(owner[a], weights=shared, minlength=n)


def _unions(by_level: list[list]) -> tuple[list[float], list]:
    """One commune's zone at each level or better when its pieces overlap: unions, level by
    level, so that every point counts once, at its best level; and their areas."""
    import shapely

    areas, zones, acc = [], [], []
    for level in by_level:
        acc = acc + level
        zones.append(None if not acc else shapely.union_all(acc) if len(acc) > 1 else acc[0])
        areas.append(shapely.area(zones[-1]) if zones[-1] is not None else 0.0)
    return areas, zones


def _coverage_millesime(name: str, values: dict, millesime: str | None) -> str:
    if millesime:
        return check_millesime(millesime)
    m = COVERAGE_FILE.search(name) or FILE_QUARTER.search(name)
    if m:
        return f"{m.group(1)}T{m.group(2)}"
    raise SourceError(Problem(name, None, None, "millésime absent du nom de fichier (ex. 2024_T1_couv_…) : précisez --millesime"))
