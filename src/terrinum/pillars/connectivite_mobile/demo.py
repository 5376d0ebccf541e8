"""Demonstration values of the mobile-connectivity pillar: 4G coverage per operator and sites
on every real commune, gaps where density is low (methodologie/methodologie-connectivite-mobile.md)."""

from __future__ import annotations

import math

import duckdb

from terrinum.pillars.connectivite_mobile.tables import TABLES
from terrinum.pillars.demo import SOURCE, has_real_data, replace, unit_noise
from terrinum.warehouse import store

MOBILE_OPERATORS = {"OF": 1.00, "SFR0": 0.97, "BOUY": 0.98, "FREE": 0.95}  # relative network reach (demo)


def generate(con: duckdb.DuckDBPyConnection) -> dict[str, int] | None:
    """Demo 4G coverage per operator and sites on every commune: gaps where density is low.
    None when the pillar holds real data. (No demo New Deal sites: a list of decided sites is
    a fact that demonstration values should not imitate.)"""
    store.ensure_tables(con, TABLES)
    if has_real_data(con, TABLES):
        return None
    communes = con.execute(
        "SELECT r.code, r.departement_code, coalesce(r.population, 0), coalesce(g.superficie_km2, 1) "
        "FROM ref_commune r LEFT JOIN ref_commune_geom g USING (code) ORDER BY r.code"
    ).fetchall()
    if not communes:
        raise RuntimeError("référentiel absent de l'entrepôt : lancez « terrinum init »")
    base = {"source": SOURCE, "demo": True, "millesime": "2024T4"}
    coverage, sites = [], []
    for code, dep, pop, area in communes:
        density = pop / max(area, 0.01)
        # logistic on log10 density: 50 % "good" population coverage around 5 inhabitants/km²
        reach = 1 / (1 + math.exp(-2.5 * (math.log10(max(density, 0.1)) - 0.7)))
        for op, factor in MOBILE_OPERATORS.items():
            good = min(100.0, 100 * reach * factor * (0.93 + 0.07 * unit_noise(code, op)) + 8)
            limited = (100 - good) * 0.6
            pop_levels = {"tbc": good * 0.7, "bc": good * 0.3, "cl": limited, "nc": 100 - good - limited}
            area_good = good * 0.8  # people live where coverage is better than the average square km
            area_limited = (100 - area_good) * 0.6
            area_levels = {"tbc": area_good * 0.6, "bc": area_good * 0.4, "cl": area_limited, "nc": 100 - area_good - area_limited}
            coverage.append({**base, "code_source": code, "code_commune": code, "code_departement": dep, "operateur": op, "techno": "4G",
                             **{f"part_pop_{k}": round(v, 3) for k, v in pop_levels.items()},
                             **{f"part_surface_{k}": round(v, 3) for k, v in area_levels.items()}})  # fmt: skip
            for _ in range(max(0, round(pop / 3000 + area / 40 * unit_noise(code, "sites" + op)))):
                sites.append({**base, "code_source": code, "code_commune": code, "code_departement": dep, "operateur": op,
                              "site_2g": 1, "site_3g": 1, "site_4g": 1, "longitude": None, "latitude": None})  # fmt: skip
    return replace(con, {"cm_couverture": coverage, "cm_sites": sites})
