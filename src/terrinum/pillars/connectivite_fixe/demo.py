"""Demonstration values of the fixed-connectivity pillar: FttH series 2018T4..2024T4, speeds
and zone types on every real commune, calibrated on published national figures
(methodologie/methodologie-connectivite-fixe.md, "Données de démonstration")."""

from __future__ import annotations

import math

import duckdb

from terrinum.pillars.connectivite_fixe.tables import TABLES
from terrinum.pillars.demo import SOURCE, has_real_data, replace, unit_noise
from terrinum.pillars.demo import communes as demo_communes
from terrinum.warehouse import store

# Published national figures (PROVENANCE.md): FttH-connectable premises at year end.
FTTH_YEAR_END = {2018: 13.56e6, 2019: 18.4e6, 2020: 24.2e6, 2021: 29.7e6, 2022: 34.4e6, 2023: 38.0e6, 2024: 40.6e6}
PREMISES_2024 = 44.6e6  # premises in France, end 2024 (PROVENANCE.md: 40.6 M of 44.6 M)
ZTD_COMMUNES = 106  # number of communes in the very dense zones
AMII_COMMUNES = 3600  # order of magnitude of communes in private-investment zones
# Départements where fibre came late: the demo caps their share of connectable premises so
# that their figures stay plausible (a population-driven model gave Guyane 99.4 % and Mayotte
# 99.7 %). Orders of magnitude, not published figures (none is packaged with Terrinum): the
# public-initiative network of Mayotte only started deploying in 2023-2024, and Guyane's
# covers the coastal towns first. The national totals stay calibrated.
LATE_FIBRE_CAP = {"973": 0.5, "976": 0.1}


def _readiness(population: int, code: str) -> float:
    """How early a commune gets fibre: grows with population (urban/rural gradient), with noise."""
    x = math.log10(max(population, 1))
    base = 1 / (1 + math.exp(-2.2 * (x - 3.0)))  # 1,000 inhabitants is the midpoint
    return base * (0.7 + 0.6 * unit_noise(code, "ftth"))


def _calibrate(locaux: list[int], weights: list[float], caps: list[float], total: float) -> list[float]:
    """Shares cap × min(1, k × w) whose premises-weighted sum equals `total` (bisection on k)."""

    def shares(k: float) -> list[float]:
        return [c * min(1.0, k * w) for w, c in zip(weights, caps)]

    def reached(k: float) -> float:
        return sum(n * s for n, s in zip(locaux, shares(k)))

    lo, hi = 0.0, 1.0
    while reached(hi) < total and hi < 1e9:
        hi *= 2
    for _ in range(60):
        k = (lo + hi) / 2
        if reached(k) < total:
            lo = k
        else:
            hi = k
    return shares(hi)


def generate(con: duckdb.DuckDBPyConnection) -> dict[str, int] | None:
    """Demo FttH series 2018T4..2024T4, speeds at 2024T4 and zone types, on every commune.
    None when the pillar already holds real data."""
    store.ensure_tables(con, TABLES)
    if has_real_data(con, TABLES):
        return None
    communes = demo_communes(con)
    total_pop = sum(p for _, _, p in communes)
    locaux = [max(1, round(p * PREMISES_2024 / total_pop)) if p else 0 for _, _, p in communes]
    weights = [_readiness(p, c) for c, _, p in communes]
    caps = [LATE_FIBRE_CAP.get(dep, 1.0) for _, dep, _ in communes]
    base = {"source": SOURCE, "demo": True}

    ftth_rows, shares_2024 = [], None
    for year, total in FTTH_YEAR_END.items():
        shares = _calibrate(locaux, weights, caps, total)
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
    return replace(con, {"cf_ftth": ftth_rows, "cf_debits": debit_rows, "cf_informations": info_rows})
