"""ARCEP "Mon réseau mobile" files (see ../shared/data/real/PROVENANCE.md).

- sites (`arcep-mobile-sites`): one row per mobile site. Overseas layout
  `Operateur;X;Y;C2G;C3G;C4G` (MCC-MNC, longitude, latitude WGS84, 1/0 per technology),
  located in a commune by point-in-polygon; metropolitan layout `nom_op;nom_com;insee_dep;
  insee_com;site_2g;site_3g;site_4g;...` carries the commune code.
- per-commune coverage statistics (`arcep-mobile-communes`): `techno;mcc_mnc;commune;
  couv_nc;couv_cl;couv_bc;couv_tbc;pop_nc;pop_cl;pop_bc;pop_tbc` (shares of area and
  population at each level).
- coverage polygons (`arcep-mobile-couverture`, GeoPackage): intersected with communes.
- New Deal targeted-coverage sites (`arcep-newdeal-sites`): deadlines and status.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from terrinum.sources.common import Parsed, Problem, SourceError, check_millesime, departement_of, find_header, read_text, table_rows
from terrinum.territories.reference import project_geometries

# Mainland operators (MCC 208); overseas networks use MCC 340 (Antilles, Guyane) and 647
# (La Réunion, Mayotte): any two-digit MNC of those is accepted and named by its code.
OPERATORS = {"20801": "OF", "20810": "SFR0", "20815": "FREE", "20820": "BOUY"}
OPERATOR_NAMES = {"OF": "Orange", "SFR0": "SFR", "FREE": "Free Mobile", "BOUY": "Bouygues Telecom"}
ALIASES = {"SFR": "SFR0", "BYT": "BOUY", "ORANGE": "OF", "FREE MOBILE": "FREE", "BOUYGUES TELECOM": "BOUY"}
MCC_MNC = re.compile(r"^(208|340|647)\d{2}$")
FILE_QUARTER = re.compile(r"(\d{4})[_-]?T([1-4])", re.I)
LEVELS = ("nc", "cl", "bc", "tbc")


def operator_of(value: str) -> str | None:
    """Canonical operator: OF, SFR0, BOUY, FREE for mainland codes or names; the MCC-MNC
    itself for overseas networks; None when unknown."""
    v = value.strip().upper()
    if v in OPERATORS:
        return OPERATORS[v]
    if v in OPERATOR_NAMES:
        return v
    if v in ALIASES:
        return ALIASES[v]
    if MCC_MNC.match(v):
        return v
    return None


def _millesime(path: Path, millesime: str | None) -> str:
    if millesime:
        return check_millesime(millesime)
    m = FILE_QUARTER.search(path.name)
    if not m:
        raise SourceError(Problem(path.name, None, None, "millésime absent du nom de fichier (ex. 2020T2) : précisez --millesime"))
    return f"{m.group(1)}T{m.group(2)}"


def _flag(value: str) -> int:
    v = value.strip()
    if v not in ("0", "1"):
        raise ValueError(f"« {value} » : 0 ou 1 attendu")
    return int(v)


def parse_sites(path: Path, millesime: str | None = None) -> Parsed:
    """Sites with their operator, technologies, and either a commune code or a position
    (`longitude`, `latitude`) for the importer to locate."""
    name = path.name
    text, encoding = read_text(path)
    lines = text.splitlines()
    try:
        start, delim, cols = find_header(lines, {"operateur", "x", "y"}, name)
        layout = "outre-mer"
    except SourceError:
        start, delim, cols = find_header(lines, {"nom_op", "insee_com"}, name)
        layout = "métropole"
    idx = {c: i for i, c in enumerate(cols)}
    techs = {"site_2g": ("c2g", "site_2g"), "site_3g": ("c3g", "site_3g"), "site_4g": ("c4g", "site_4g")}
    parsed = Parsed(millesime=_millesime(path, millesime), notes=[f"encodage {encoding}, séparateur « {delim} », disposition {layout}"])
    for line, values in table_rows(text, start, delim, cols, name, parsed):
        op_col = "operateur" if layout == "outre-mer" else "nom_op"
        operator = operator_of(values[idx[op_col]])
        if operator is None:
            parsed.rejected.append(Problem(name, line, op_col, f"opérateur « {values[idx[op_col]]} » inconnu"))
            continue
        row = {"ligne": line, "operateur": operator}
        try:
            for key, names in techs.items():
                col = next((n for n in names if n in idx), None)
                row[key] = _flag(values[idx[col]]) if col else 0
        except ValueError as exc:
            parsed.rejected.append(Problem(name, line, col, str(exc)))
            continue
        if layout == "outre-mer":
            try:
                lon, lat = float(values[idx["x"]]), float(values[idx["y"]])
            except ValueError:
                parsed.rejected.append(Problem(name, line, "X/Y", "coordonnées non numériques"))
                continue
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                parsed.rejected.append(Problem(name, line, "X/Y", f"({lon}, {lat}) n'est pas une position WGS84"))
                continue
            row.update({"longitude": lon, "latitude": lat, "code_source": None, "code_departement": None})
        else:
            code = values[idx["insee_com"]].strip().upper()
            if departement_of(code) is None:
                parsed.rejected.append(Problem(name, line, "insee_com", f"code commune « {code} » invalide"))
                continue
            row.update({"longitude": None, "latitude": None, "code_source": code, "code_departement": departement_of(code)})
        parsed.rows.append(row)
    return parsed


COMMUNE_STATS = {"techno", "mcc_mnc", "commune", *(f"couv_{lv}" for lv in LEVELS), *(f"pop_{lv}" for lv in LEVELS)}


def parse_communes(path: Path, millesime: str | None = None) -> Parsed:
    """Per-commune coverage shares per technology and operator."""
    name = path.name
    text, encoding = read_text(path)
    start, delim, cols = find_header(text.splitlines(), COMMUNE_STATS, name)
    idx = {c: i for i, c in enumerate(cols)}
    parsed = Parsed(millesime=_millesime(path, millesime), notes=[f"encodage {encoding}, séparateur « {delim} »"])
    seen: dict[tuple, int] = {}
    for line, values in table_rows(text, start, delim, cols, name, parsed, strip_quotes=True):
        operator = operator_of(values[idx["mcc_mnc"]])
        if operator is None:
            parsed.rejected.append(Problem(name, line, "mcc_mnc", f"opérateur « {values[idx['mcc_mnc']]} » inconnu"))
            continue
        techno = values[idx["techno"]].upper()
        if techno not in ("2G", "3G", "4G", "5G", "2G3G"):
            parsed.rejected.append(Problem(name, line, "techno", f"technologie « {techno} » inconnue"))
            continue
        code = values[idx["commune"]].upper()
        if departement_of(code) is None:
            parsed.rejected.append(Problem(name, line, "commune", f"code commune « {code} » invalide"))
            continue
        row = {"ligne": line, "code_source": code, "code_departement": departement_of(code), "operateur": operator, "techno": techno}
        problem = None
        for kind in ("couv", "pop"):
            total = 0.0
            for lv in LEVELS:
                raw = values[idx[f"{kind}_{lv}"]].replace(",", ".")
                try:
                    v = float(raw) if raw else 0.0
                except ValueError:
                    problem = Problem(name, line, f"{kind}_{lv}", f"« {raw} » n'est pas un nombre")
                    break
                if not 0 <= v <= 100:
                    problem = Problem(name, line, f"{kind}_{lv}", f"part {v} hors de 0–100")
                    break
                row[f"{'part_surface' if kind == 'couv' else 'part_pop'}_{lv}"] = v
                total += v
            if problem:
                break
            if abs(total - 100) > 1:
                problem = Problem(name, line, f"{kind}_*", f"les parts des quatre niveaux font {total:.1f} % et non 100 %")
                break
        if problem:
            parsed.rejected.append(problem)
            continue
        key = (code, operator, techno)
        if key in seen:
            parsed.rejected.append(Problem(name, line, "commune", f"{code} {operator} {techno} déjà présent ligne {seen[key]}"))
            continue
        seen[key] = line
        parsed.rows.append(row)
    return parsed


COVERAGE_FILE = re.compile(r"(\d{4})_?T([1-4])_couv_[A-Za-z]+_([A-Z0-9]+)_([0-9G]+)_([A-Z]+)", re.I)
COVERAGE_LEVELS = ("TBC", "BC", "CL")  # best first: très bonne, bonne, limitée
# Pieces of a commune whose overlaps add up to less than this are summed, not unioned.
OVERLAP_TOLERANCE_M2 = 1e-3
GEOS_WORKERS = min(4, os.cpu_count() or 1)  # threads for the overlay (GEOS releases the GIL)


def parse_coverage(path: Path, millesime: str | None = None, *, communes=None, premises=None, crs: str | None = None) -> Parsed:
    """Coverage polygons of one operator × technology × usage, intersected with every commune
    of the départements the file covers: per commune, the share of area at each level (each
    point counted at its best level). Population is spread over the buildings' premises when
    a per-building import left their positions, else uniformly over the commune
    (methodologie/methodologie-connectivite-mobile.md).

    The parser reads no store: `communes(départements or None)` gives (codes, départements,
    WGS84 geometries) of the reference communes, `premises(départements, crs)` the buildings'
    positions and premises per commune ({} when none); the pillar supplies both."""
    import pyogrio.raw
    import shapely
    from pyproj import CRS

    name = path.name
    if communes is None:
        raise SourceError(Problem(name, None, None, "contours des communes requis (référentiel)"))
    if path.suffix.lower() != ".gpkg":
        raise SourceError(Problem(name, None, None, "un GeoPackage (.gpkg) est attendu (décompressez d'abord l'archive 7z publiée)"))
    try:
        meta, _, wkb, fields = pyogrio.raw.read(path)
    except Exception as exc:  # GDAL raises many types for broken files
        raise SourceError(Problem(name, None, None, f"GeoPackage illisible ({exc.__class__.__name__}: {exc})")) from exc
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
        weights = premises(sorted(set(departements)), crs_name) if premises else {}
        weighted = [k for k, c in enumerate(keep) if codes[c] in weights and weights[codes[c]][2].sum() > 0]
        if weighted:  # ... or following premises: share of premises inside each cumulative zone
            population, population_nc = population.copy(), population_nc.copy()
            for k in weighted:
                xs, ys, n = weights[codes[keep[k]]]
                inside = [n[shapely.contains_xy(zone[keep[k]], xs, ys)].sum() if zone[keep[k]] is not None else 0 for zone in zones]
                cumulative = 100 * np.array(inside) / n.sum()
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


NEW_DEAL_DEADLINE_MONTHS = 24
DATE_FORMATS = (re.compile(r"^(\d{4})-(\d{2})-(\d{2})"), re.compile(r"^(\d{2})/(\d{2})/(\d{4})$"))


def parse_date(value: str):
    """ISO (2018-07-05) or French (05/07/2018) date, else None."""
    import datetime as dt

    v = value.strip()
    m = DATE_FORMATS[0].match(v)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = DATE_FORMATS[1].match(v)
    if m:
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return None


def add_months(day, months: int):
    import calendar
    import datetime as dt

    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_new_deal(path: Path, millesime: str | None = None) -> Parsed:
    """New Deal targeted-coverage sites: arrêté number and publication date, the operators
    involved (one column per MCC-MNC: 1/0, or the date the operator put the site in
    service), zone origin, commune code. Deadline = publication + 24 months."""
    name = path.name
    text, encoding = read_text(path)
    start, delim, cols = find_header(text.splitlines(), {"num_arrete", "date_publication_arrete"}, name)
    idx = {c: i for i, c in enumerate(cols)}
    op_cols = [c for c in cols if c in OPERATORS]
    if not op_cols:
        raise SourceError(Problem(name, start + 1, None, "aucune colonne d'opérateur (20801, 20810, 20815, 20820)"))
    code_col = next((c for c in ("code_insee", "insee_com", "code_commune") if c in idx), None)
    if code_col is None:
        raise SourceError(Problem(name, start + 1, None, "colonne de commune absente (code_insee ou insee_com)"))
    parsed = Parsed(notes=[f"encodage {encoding}, séparateur « {delim} »"])
    for line, values in table_rows(text, start, delim, cols, name, parsed, strip_quotes=True):
        published = parse_date(values[idx["date_publication_arrete"]])
        if published is None:
            parsed.rejected.append(Problem(name, line, "date_publication_arrete", f"date « {values[idx['date_publication_arrete']]} » illisible"))
            continue
        code = values[idx[code_col]].upper()
        if departement_of(code) is None:
            parsed.rejected.append(Problem(name, line, code_col, f"code commune « {code} » invalide"))
            continue
        involved, in_service, problem = [], [], None
        for c in op_cols:
            v = values[idx[c]]
            if v in ("", "0"):
                continue
            involved.append(OPERATORS[c])
            if v != "1":
                day = parse_date(v)
                if day is None:
                    problem = Problem(name, line, c, f"« {v} » : 1, 0 ou une date de mise en service attendus")
                    break
                in_service.append(day)
        if problem:
            parsed.rejected.append(problem)
            continue
        if not involved:
            parsed.rejected.append(Problem(name, line, "/".join(op_cols), "aucun opérateur désigné"))
            continue
        statut = values[idx["statut"]].lower() if "statut" in idx else ""
        done = len(in_service) == len(involved) or statut in ("en service", "en_service", "mis en service")
        parsed.rows.append(
            {
                "ligne": line,
                "code_source": code,
                "code_departement": departement_of(code),
                "num_arrete": values[idx["num_arrete"]],
                "date_publication": published,
                "echeance": add_months(published, NEW_DEAL_DEADLINE_MONTHS),
                "operateurs": ",".join(involved),
                "origine_zone": values[idx["origine_zone"]] if "origine_zone" in idx else None,
                "date_mise_en_service": max(in_service) if done and in_service else None,
                "en_service": done,
            }
        )
    years = sorted({r["date_publication"].year for r in parsed.rows})
    parsed.millesime = check_millesime(millesime) if millesime else (f"{years[-1]}T4" if years else None)
    if parsed.millesime is None:
        raise SourceError(Problem(name, None, None, "aucun site exploitable"))
    return parsed
