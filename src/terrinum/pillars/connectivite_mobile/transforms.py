"""Transforms of the mobile-connectivity pillar: derived tables computed from its canonical
tables after a load (never in a parser), and what the coverage parser reads besides its file."""

from __future__ import annotations

from functools import partial

import shapely

from terrinum.pillars.connectivite_mobile.tables import COMBINATIONS
from terrinum.sources.common import departement_of
from terrinum.territories.reference import project_geometries
from terrinum.warehouse import buildings, store


def coverage_options(con, crs: str | None = None) -> dict:
    """The coverage parser's inputs besides the file: the reference communes' contours and
    the buildings' premises kept by a per-building import."""

    def communes(deps: list[str] | None):
        rows = con.execute(
            "SELECT g.code, r.departement_code, g.geometrie FROM ref_commune_geom g JOIN ref_commune r USING (code)"
            + (" WHERE r.departement_code IN (SELECT unnest(?))" if deps else "")
            + " ORDER BY g.code",
            [deps] if deps else [],
        ).fetchall()
        return [r[0] for r in rows], [r[1] for r in rows], shapely.from_wkb([r[2] for r in rows])

    root = store.buildings_dir(con)
    # a partial of a module function, not a closure: Dask workers receive it (pickled)
    return {"communes": communes, "premises": partial(buildings.points_by_commune, root), "crs": crs}


def after_coverage(con, parsed) -> str | None:
    """Exact operator combinations recomputed for the départements a coverage file touched."""
    if not parsed.rows:
        return None
    departements = sorted({r["code_departement"] for r in parsed.rows})
    n = combine_operators(con, parsed.millesime, parsed.rows[0]["techno"], departements)
    return f"combinaison exacte des opérateurs recalculée pour {n} commune(s)"


def combine_operators(con, millesime: str, techno: str, departements: list[str]) -> int:
    """Exact shares of each commune covered by at least one operator and by all operators
    (good coverage), and not covered at all, from the kept coverage areas. Rewrites the rows
    of the given départements in table cm_combinaison; returns the number of communes."""
    rows = con.execute(
        """SELECT code_commune, operateur, zone_bonne, zone_couverte FROM cm_couverture_geom
           WHERE millesime = ? AND techno = ? AND code_departement IN (SELECT unnest(?)) AND code_commune IS NOT NULL
           ORDER BY code_commune, operateur""",
        [millesime, techno, departements],
    ).fetchall()
    crs_rows = con.execute("SELECT DISTINCT crs FROM cm_couverture_geom WHERE millesime = ? AND techno = ?", [millesime, techno]).fetchall()
    by_commune: dict[str, list] = {}
    for code, op, good, anyc in rows:
        by_commune.setdefault(code, []).append((op, good, anyc))
    geoms = dict(con.execute("SELECT code, geometrie FROM ref_commune_geom WHERE code IN (SELECT unnest(?))", [list(by_commune)]).fetchall())

    target = crs_rows[0][0] if crs_rows else "EPSG:2154"
    out = []
    for code, ops in by_commune.items():
        commune = project_geometries(shapely.from_wkb(geoms[code]), target)
        area = shapely.area(commune)
        if not area:
            continue
        goods = [shapely.from_wkb(g) if g is not None else None for _, g, _ in ops]
        anys = [shapely.from_wkb(a) for _, _, a in ops if a is not None]
        present = [g for g in goods if g is not None]
        at_least_one = shapely.area(shapely.union_all(present)) if present else 0.0
        all_of = 0.0
        if len(present) == len(goods) and present:
            inter = present[0]
            for g in present[1:]:
                inter = shapely.intersection(inter, g)
            all_of = shapely.area(inter)
        none = area - (shapely.area(shapely.union_all(anys)) if anys else 0.0)
        out.append({
            "millesime": millesime, "techno": techno, "code_commune": code, "code_departement": departement_of(code),
            "operateurs": ",".join(sorted(op for op, _, _ in ops)), "n_operateurs": len(ops),
            "part_bonne_au_moins_un": round(100 * at_least_one / area, 6),
            "part_bonne_tous": round(100 * all_of / area, 6),
            "part_aucune": round(max(0.0, 100 * none / area), 6),
        })  # fmt: skip
    store.ensure_tables(con, [COMBINATIONS])
    where = "millesime = ? AND techno = ? AND code_departement IN (SELECT unnest(?))"
    return store.replace_rows(con, COMBINATIONS.name, out, where, [millesime, techno, departements])
