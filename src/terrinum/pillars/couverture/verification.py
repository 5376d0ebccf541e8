"""Each coverage report (apps.signalements) checked against the mobile pillar's data
(docs/couverture.md, « Vérification »): a computation of the coverage-reports pillar, which
reads the app's inputs and the warehouse; the app asks for it through its settings' readings
(`terrinum.config.reading`), apps sitting below the pillars — many reports
at once, vectorised, so that a département's 10,000 reports take well under a second
(bench/couverture.py):

- 4G coverage at the point for each operator, from the ARCEP coverage polygons kept per
  commune by the import (`cm_couverture_geom`): « bonne » (good or very good coverage),
  « limitée », « aucune », or « pas de donnée » when no polygon file of that operator covers
  the commune; and, for context, the commune's share of population with good 4G;
- premises within 500 m, from the buildings' positions kept by the per-building import, and
  the population they stand for (each building's premises × its commune's population per
  premise);
- the nearest 4G mobile site (all operators, and each operator's), and the New Deal sites
  already decided in the commune;
- the versions of the data used.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import shapely

from terrinum.apps.signalements.models import NO_DATA
from terrinum.territories.reference import AREA_CRS, METROPOLE_CRS, transformer
from terrinum.warehouse import buildings, store

OPERATORS = ("OF", "SFR0", "BOUY", "FREE")
RADIUS_M = 500
SITE_SEARCH_DEGREES = 0.5  # sites farther than this around the reports are not looked at


def metric_crs(departement: str) -> str:
    return AREA_CRS.get(departement, METROPOLE_CRS)


def _latest(con, table: str, where: str = "TRUE", params=()) -> tuple[str | None, bool]:
    """Latest vintage of a table, real rows first; and whether it is demonstration data."""
    if not store.tables_exist(con, [table]):
        return None, False
    real = con.execute(f"SELECT max(millesime) FROM {table} WHERE NOT demo AND {where}", list(params)).fetchone()[0]
    if real:
        return real, False
    demo = con.execute(f"SELECT max(millesime) FROM {table} WHERE {where}", list(params)).fetchone()[0]
    return demo, demo is not None


def check_reports(con, reports: list[dict]) -> list[dict]:
    """The check of each report ({longitude, latitude, commune_code, departement_code};
    longitude and latitude may be None: only the commune is known)."""
    n = len(reports)
    out = [
        {"position": r.get("longitude") is not None, "operateurs": {op: {"au_point": NO_DATA, "part_pop_commune": None} for op in OPERATORS}} for r in reports
    ]
    lon = np.array([r["longitude"] if r.get("longitude") is not None else np.nan for r in reports], dtype=float)
    lat = np.array([r["latitude"] if r.get("latitude") is not None else np.nan for r in reports], dtype=float)
    located = ~np.isnan(lon)
    communes = np.array([r["commune_code"] for r in reports], dtype=object)
    deps = np.array([r["departement_code"] for r in reports], dtype=object)
    versions = {"entrepot": store.version()}

    # Metric positions, per département's projection.
    x, y = np.full(n, np.nan), np.full(n, np.nan)
    for dep in set(deps[located].tolist()):
        idx = np.flatnonzero(located & (deps == dep))
        x[idx], y[idx] = transformer("EPSG:4326", metric_crs(dep)).transform(lon[idx], lat[idx])

    _coverage_at_points(con, out, communes, lon, lat, located, versions)
    _commune_shares(con, out, communes, versions)
    _premises_within(con, out, deps, x, y, located, versions)
    _nearest_sites(con, out, deps, lon, lat, x, y, located, versions)
    _new_deal(con, out, communes, versions)
    for o in out:
        o["versions"] = versions
        ops = o["operateurs"]
        o["operateurs_sans_bonne_4g"] = sorted(op for op in OPERATORS if ops[op]["au_point"] in ("aucune", "limitée"))
    return out


def _coverage_at_points(con, out, communes, lon, lat, located, versions) -> None:
    millesime, demo = _latest(con, "cm_couverture_geom", "techno = '4G'")
    versions["couverture_4g_polygones"] = millesime
    if millesime is None or not located.any():
        return
    wanted = sorted(set(communes[located].tolist()))
    rows = con.execute(
        """SELECT code_commune, operateur, crs, zone_bonne, zone_couverte FROM cm_couverture_geom
           WHERE millesime = ? AND techno = '4G' AND demo = ? AND code_commune IN (SELECT unnest(?))""",
        [millesime, demo, wanted],
    ).fetchall()
    by_commune = defaultdict(list)
    for i in np.flatnonzero(located):
        by_commune[communes[i]].append(i)
    projected: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for code, op, crs, good, anyc in rows:
        if op not in OPERATORS:
            continue
        idx = np.array(by_commune[code])
        if crs not in projected:
            projected[crs] = transformer("EPSG:4326", crs).transform(lon, lat)
        px, py = projected[crs][0][idx], projected[crs][1][idx]
        in_good = shapely.contains_xy(shapely.from_wkb(good), px, py) if good is not None else np.zeros(len(idx), bool)
        in_any = shapely.contains_xy(shapely.from_wkb(anyc), px, py) if anyc is not None else np.zeros(len(idx), bool)
        for i, g, a in zip(idx.tolist(), in_good.tolist(), in_any.tolist()):
            out[i]["operateurs"][op]["au_point"] = "bonne" if g else ("limitée" if a else "aucune")


def _commune_shares(con, out, communes, versions) -> None:
    millesime, demo = _latest(con, "cm_couverture", "techno = '4G'")
    versions["couverture_4g_communes"] = millesime
    versions["couverture_4g_communes_demo"] = demo
    if millesime is None:
        return
    rows = con.execute(
        """SELECT code_commune, operateur, coalesce(part_pop_tbc, 0) + coalesce(part_pop_bc, 0) FROM cm_couverture
           WHERE millesime = ? AND techno = '4G' AND demo = ? AND code_commune IN (SELECT unnest(?))""",
        [millesime, demo, sorted(set(communes.tolist()))],
    ).fetchall()
    shares = {(c, op): round(v, 1) for c, op, v in rows}
    for i, code in enumerate(communes.tolist()):
        for op in OPERATORS:
            out[i]["operateurs"][op]["part_pop_commune"] = shares.get((code, op))


def _premises_within(con, out, deps, x, y, located, versions) -> None:
    root = store.buildings_dir(con)
    vintage = None
    populations = dict(con.execute("SELECT code, coalesce(population, 0) FROM ref_commune").fetchall())
    for dep in sorted(set(deps[located].tolist())):
        idx = np.flatnonzero(located & (deps == dep))
        kept = buildings.points_by_commune(root, [dep], metric_crs(dep))
        if not kept:
            continue
        vintage = sorted(d.name for d in root.iterdir() if d.is_dir())[-1]
        codes = list(kept)
        bx = np.concatenate([kept[c][0] for c in codes])
        by = np.concatenate([kept[c][1] for c in codes])
        bn = np.concatenate([kept[c][2] for c in codes]).astype(float)
        per_premise = np.concatenate([np.full(len(kept[c][2]), populations.get(c, 0) / max(1, kept[c][2].sum())) for c in codes])
        tree = shapely.STRtree(shapely.points(bx, by))
        reports, found = tree.query(shapely.points(x[idx], y[idx]), predicate="dwithin", distance=RADIUS_M)
        premises = np.bincount(reports, weights=bn[found], minlength=len(idx))
        people = np.bincount(reports, weights=bn[found] * per_premise[found], minlength=len(idx))
        for k, i in enumerate(idx.tolist()):
            out[i]["locaux_500m"] = int(premises[k])
            out[i]["population_500m"] = int(round(people[k]))
    versions["immeubles"] = vintage


def _nearest_sites(con, out, deps, lon, lat, x, y, located, versions) -> None:
    millesime, demo = _latest(con, "cm_sites", "site_4g = 1")
    versions["sites"] = millesime
    versions["sites_demo"] = demo
    if millesime is None or not located.any():
        return
    pad = SITE_SEARCH_DEGREES
    rows = con.execute(
        """SELECT operateur, longitude, latitude FROM cm_sites
           WHERE millesime = ? AND demo = ? AND site_4g = 1 AND longitude BETWEEN ? AND ? AND latitude BETWEEN ? AND ?""",
        [millesime, demo, float(np.nanmin(lon)) - pad, float(np.nanmax(lon)) + pad, float(np.nanmin(lat)) - pad, float(np.nanmax(lat)) + pad],
    ).fetchall()
    if not rows:
        return
    ops = np.array([r[0] for r in rows], dtype=object)
    slon, slat = np.array([r[1] for r in rows], float), np.array([r[2] for r in rows], float)
    for dep in sorted(set(deps[located].tolist())):
        idx = np.flatnonzero(located & (deps == dep))
        sx, sy = transformer("EPSG:4326", metric_crs(dep)).transform(slon, slat)
        points = shapely.points(x[idx], y[idx])
        for op in (None, *OPERATORS):
            keep = np.ones(len(ops), bool) if op is None else ops == op
            if not keep.any():
                continue
            tree = shapely.STRtree(shapely.points(sx[keep], sy[keep]))
            (which, _), distance = tree.query_nearest(points, return_distance=True, all_matches=False)
            for k, d in zip(which.tolist(), distance.tolist()):
                i = int(idx[k])
                if op is None:
                    out[i]["site_4g_le_plus_proche_m"] = int(round(d))
                else:
                    out[i]["operateurs"][op]["site_4g_le_plus_proche_m"] = int(round(d))


def _new_deal(con, out, communes, versions) -> None:
    millesime, demo = _latest(con, "cm_newdeal")
    versions["new_deal"] = millesime
    if millesime is None:
        return
    rows = con.execute(
        """SELECT code_commune, num_arrete, echeance, operateurs, en_service FROM cm_newdeal
           WHERE demo = ? AND code_commune IN (SELECT unnest(?)) ORDER BY echeance""",
        [demo, sorted(set(communes.tolist()))],
    ).fetchall()
    by_commune = defaultdict(list)
    for code, arrete, echeance, operateurs, en_service in rows:
        by_commune[code].append({"arrete": arrete, "echeance": echeance.isoformat(), "operateurs": operateurs, "en_service": bool(en_service)})
    for i, code in enumerate(communes.tolist()):
        out[i]["new_deal_commune"] = by_commune.get(code, [])


MAX_DRAWN_BUILDINGS = 3000


def empty_layers() -> dict:
    return {"couverture": None, "couverture_millesime": None, "immeubles": [], "immeubles_total": 0, "sites": [], "sites_millesime": None, "sites_demo": False}


def commune_layers(con, commune: str, bounds: tuple[float, float, float, float] | None = None) -> dict:
    """What the reporting map draws besides the commune: the zone with good 4G from at least
    one operator (WGS84 WKB, from the kept polygons), the buildings' positions (at most
    MAX_DRAWN_BUILDINGS, evenly taken) and the 4G sites within `bounds` (WGS84 min lon,
    min lat, max lon, max lat), with their vintages."""
    from terrinum.territories.reference import project_geometries

    layers = empty_layers()
    millesime, demo = _latest(con, "cm_couverture_geom", "techno = '4G'")
    if millesime:
        rows = con.execute(
            "SELECT crs, zone_bonne FROM cm_couverture_geom WHERE millesime = ? AND techno = '4G' AND demo = ? AND code_commune = ? AND zone_bonne IS NOT NULL",
            [millesime, demo, commune],
        ).fetchall()
        if rows:
            union = shapely.union_all(shapely.from_wkb([r[1] for r in rows]))
            layers["couverture"] = shapely.to_wkb(project_geometries(union, "EPSG:4326", source=rows[0][0]))
            layers["couverture_millesime"] = millesime
    dep = commune[:3] if commune.startswith("97") else commune[:2]
    kept = buildings.points_by_commune(store.buildings_dir(con), [dep], "EPSG:4326").get(commune)
    if kept is not None:
        xs, ys, _ = kept
        step = max(1, len(xs) // MAX_DRAWN_BUILDINGS)
        layers["immeubles"] = list(zip(xs[::step].tolist(), ys[::step].tolist()))
        layers["immeubles_total"] = len(xs)
    millesime, demo = _latest(con, "cm_sites", "site_4g = 1")
    if millesime and bounds:
        layers["sites"] = con.execute(
            """SELECT longitude, latitude, operateur FROM cm_sites WHERE millesime = ? AND demo = ? AND site_4g = 1
               AND longitude BETWEEN ? AND ? AND latitude BETWEEN ? AND ? ORDER BY operateur, longitude, latitude""",
            [millesime, demo, bounds[0], bounds[2], bounds[1], bounds[3]],
        ).fetchall()
        layers["sites_millesime"], layers["sites_demo"] = millesime, bool(demo)
    return layers


def check(reports: list[dict]) -> list[dict]:
    """The checks of these reports on the current version of the warehouse; while an import
    writes it and no version is readable, each check says so (it can be run again)."""
    try:
        with store.reader() as con:
            return check_reports(con, reports)
    except store.Unavailable:
        return [{"indisponible": True} for _ in reports]


def layers(commune: str, bounds: tuple[float, float, float, float] | None = None) -> dict:
    """The reporting map's layers (commune_layers) on the current version; none when no
    version is readable."""
    try:
        with store.reader() as con:
            return commune_layers(con, commune, bounds)
    except store.Unavailable:
        return empty_layers()


def new_deal_sites(departement: str) -> dict:
    """The sites of the New Deal targeted-coverage scheme of a département, as ARCEP's file
    imported last says (the latest vintage, real rows before demonstration ones): the app that
    follows the orders matches them with its zones (apps/signalements/suivi.py)."""
    try:
        with store.reader() as con:
            millesime, demo = _latest(con, "cm_newdeal", "code_departement = ?", [departement])
            if millesime is None:
                return {"millesime": None, "demo": False, "sites": []}
            rows = con.execute(
                """SELECT code_commune, num_arrete, date_publication, echeance, operateurs, date_mise_en_service, en_service
                   FROM cm_newdeal WHERE millesime = ? AND demo = ? AND code_departement = ? ORDER BY num_arrete, code_commune, operateurs""",
                [millesime, demo, departement],
            ).fetchall()
    except store.Unavailable:
        return {"millesime": None, "demo": False, "sites": []}
    keys = ["code_commune", "num_arrete", "date_publication", "echeance", "operateurs", "date_mise_en_service", "en_service"]
    return {"millesime": millesime, "demo": demo, "sites": [dict(zip(keys, r, strict=True)) for r in rows]}
