"""Deterministic demonstration values on the real communes (`terrinum demo`).

Every row written here carries demo = TRUE and source = "demo"; every page, API answer and
export built on them says "données de démonstration". Demonstration values are replaced
pillar by pillar: the first real file of a pillar removes them all, and `terrinum demo`
leaves alone a pillar that holds real data, so that no figure mixes real and demo inputs.
Calibration: docs/methodologie-connectivite-fixe.md ("Données de démonstration").
"""

from __future__ import annotations

import hashlib
import math

import duckdb
import pyarrow as pa

from terrinum.warehouse import ingest

SOURCE = "demo"
# Published national figures (PROVENANCE.md): FttH-connectable premises at year end.
FTTH_YEAR_END = {2018: 13.56e6, 2019: 18.4e6, 2020: 24.2e6, 2021: 29.7e6, 2022: 34.4e6, 2023: 38.0e6, 2024: 40.6e6}
PREMISES_2024 = 44.6e6  # premises in France, end 2024 (PROVENANCE.md: 40.6 M of 44.6 M)
ZTD_COMMUNES = 106  # number of communes in the very dense zones
AMII_COMMUNES = 3600  # order of magnitude of communes in private-investment zones


def unit_noise(code: str, salt: str) -> float:
    """A deterministic number in [0, 1) for a commune code."""
    digest = hashlib.sha256(f"{salt}:{code}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _readiness(population: int, code: str) -> float:
    """How early a commune gets fibre: grows with population (urban/rural gradient), with noise."""
    x = math.log10(max(population, 1))
    base = 1 / (1 + math.exp(-2.2 * (x - 3.0)))  # 1,000 inhabitants is the midpoint
    return base * (0.7 + 0.6 * unit_noise(code, "ftth"))


def _calibrate(locaux: list[int], weights: list[float], total: float) -> list[float]:
    """Shares min(1, k * w) whose premises-weighted sum equals `total` (bisection on k)."""
    lo, hi = 0.0, 1.0
    while sum(n * min(1.0, hi * w) for n, w in zip(locaux, weights)) < total and hi < 1e9:
        hi *= 2
    for _ in range(60):
        k = (lo + hi) / 2
        if sum(n * min(1.0, k * w) for n, w in zip(locaux, weights)) < total:
            lo = k
        else:
            hi = k
    return [min(1.0, hi * w) for w in weights]


def has_real_data(con: duckdb.DuckDBPyConnection, pillar: str) -> bool:
    return any(con.execute(f"SELECT count(*) FROM {t} WHERE NOT demo").fetchone()[0] for t in ingest.PILLAR_TABLES[pillar])


def _replace_demo(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> int:
    con.execute(f"DELETE FROM {table} WHERE demo")
    if rows:
        batch = pa.Table.from_pylist(rows)  # noqa: F841 (read by DuckDB)
        names = ", ".join(rows[0])
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM batch")
    return len(rows)


def connectivite_fixe(con: duckdb.DuckDBPyConnection) -> dict[str, int] | None:
    """Demo FttH series 2018T4..2024T4, speeds at 2024T4 and zone types, on every commune.
    None when the pillar already holds real data."""
    ingest.ensure_tables(con)
    if has_real_data(con, "connectivite-fixe"):
        return None
    communes = con.execute("SELECT code, departement_code, coalesce(population, 0) FROM ref_commune ORDER BY code").fetchall()
    if not communes:
        raise RuntimeError("référentiel absent de l'entrepôt : lancez « terrinum init »")
    total_pop = sum(p for _, _, p in communes)
    locaux = [max(1, round(p * PREMISES_2024 / total_pop)) if p else 0 for _, _, p in communes]
    weights = [_readiness(p, c) for c, _, p in communes]
    base = {"source": SOURCE, "demo": True}

    ftth_rows, shares_2024 = [], None
    for year, total in FTTH_YEAR_END.items():
        shares = _calibrate(locaux, weights, total)
        shares_2024 = shares
        for (code, dep, _), n, s in zip(communes, locaux, shares):
            ftth_rows.append({**base, "millesime": f"{year}T4", "code_source": code, "code_commune": code,
                              "code_departement": dep, "locaux_ftth_raccordables": round(n * s), "categorie": None})  # fmt: skip

    debit_rows, info_rows = [], []
    ranked = sorted(range(len(communes)), key=lambda i: -communes[i][2])
    zone = {}
    for rank, i in enumerate(ranked):
        zone[i] = "ZTD" if rank < ZTD_COMMUNES else ("AMII" if rank < AMII_COMMUNES else "RIP")
    for i, ((code, dep, _), n, f) in enumerate(zip(communes, locaux, shares_2024)):
        other = 0.6 * unit_noise(code, "thd")  # cable, VDSL2, THD radio where fibre is absent
        p30 = f + (1 - f) * other
        p8 = p30 + (1 - p30) * (0.9 + 0.09 * unit_noise(code, "bhd"))
        c8, c30 = round(n * p8), round(n * p30)
        c100 = min(c30, round(n * (f + (1 - f) * other * 0.2)))
        c1g = min(c100, round(n * f * 0.97))
        debit_rows.append({**base, "millesime": "2024T4", "code_source": code, "code_commune": code, "code_departement": dep,
                           "locaux": n, "locaux_8mbits": c8, "locaux_30mbits": c30, "locaux_100mbits": c100, "locaux_1gbits": c1g})  # fmt: skip
        info_rows.append({**base, "millesime": "2024T4", "code_source": code, "code_commune": code, "code_departement": dep,
                          "logements": round(n * 0.88), "etablissements": n - round(n * 0.88), "zone": zone[i],
                          "operateur_amii": None, "rurale": None, "montagne": None})  # fmt: skip
    con.execute("BEGIN TRANSACTION")
    try:
        counts = {
            "cf_ftth": _replace_demo(con, "cf_ftth", ftth_rows),
            "cf_debits": _replace_demo(con, "cf_debits", debit_rows),
            "cf_informations": _replace_demo(con, "cf_informations", info_rows),
        }
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return counts


def _clamp(v: float) -> float:
    return round(min(99.0, max(0.5, v)), 2)


def fragilite(con: duckdb.DuckDBPyConnection) -> dict[str, int] | None:
    """Demo INSEE rates (census shares, poverty where INSEE would publish it) on every commune,
    with a rural/urban gradient. None when real INSEE data is loaded."""
    ingest.ensure_tables(con)
    if has_real_data(con, "fragilite"):
        return None
    communes = con.execute("SELECT code, departement_code, coalesce(population, 0) FROM ref_commune ORDER BY code").fetchall()
    rows = []
    for code, dep, pop in communes:
        x = math.log10(pop + 1)
        u = lambda salt: unit_noise(code, salt) - 0.5  # noqa: E731
        values = {
            "tx_nscol15p": 62 - 4 * x + 10 * u("nscol"),
            "tx_menseul": 20 + 5 * x + 8 * u("menseul"),
            "tx_fammono": 5 + 1.5 * x + 4 * u("fammono"),
            "tx_65etplus": 34 - 3 * x + 10 * u("65"),
            "tx_25etmoins": 8 + 2 * x + 4 * u("25"),
        }
        if pop >= 2000:  # statistical secrecy hides small communes' poverty and job-seeker rates
            values["tx_pauvrete"] = 6 + 2.5 * x + 8 * u("pauvrete")
            values["tx_demandeurs_emploi"] = 6 + 1.5 * x + 6 * u("emploi")
        for indicator, value in values.items():
            rows.append({"source": SOURCE, "millesime": "2021", "code_source": code, "code_commune": code, "code_departement": dep,
                         "indicateur": indicator, "valeur": _clamp(value), "demo": True})  # fmt: skip
    con.execute("BEGIN TRANSACTION")
    try:
        n = _replace_demo(con, "fr_valeurs", rows)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return {"fr_valeurs": n}


MOBILE_OPERATORS = {"OF": 1.00, "SFR0": 0.97, "BOUY": 0.98, "FREE": 0.95}  # relative network reach (demo)


def connectivite_mobile(con: duckdb.DuckDBPyConnection) -> dict[str, int] | None:
    """Demo 4G coverage per operator and sites on every commune: gaps where density is low.
    None when the pillar holds real data. (No demo New Deal sites: a list of decided sites is
    a fact that demonstration values should not imitate.)"""
    ingest.ensure_tables(con)
    if has_real_data(con, "connectivite-mobile"):
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
    con.execute("BEGIN TRANSACTION")
    try:
        counts = {"cm_couverture": _replace_demo(con, "cm_couverture", coverage), "cm_sites": _replace_demo(con, "cm_sites", sites)}
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return counts
