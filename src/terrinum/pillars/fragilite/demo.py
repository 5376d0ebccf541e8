"""Demonstration values of the fragility pillar: INSEE-like rates on every real commune, with
a rural/urban gradient (methodologie/methodologie-fragilite.md)."""

from __future__ import annotations

import math

import duckdb

from terrinum.pillars.demo import SOURCE, has_real_data, replace, unit_noise
from terrinum.pillars.demo import communes as demo_communes
from terrinum.pillars.fragilite.tables import TABLES
from terrinum.warehouse import store


def _clamp(v: float) -> float:
    return round(min(99.0, max(0.5, v)), 2)


def generate(con: duckdb.DuckDBPyConnection) -> dict[str, int] | None:
    """Demo INSEE rates (census shares, poverty where INSEE would publish it) on every commune,
    with a rural/urban gradient. None when real INSEE data is loaded."""
    store.ensure_tables(con, TABLES)
    if has_real_data(con, TABLES):
        return None
    rows = []
    for code, dep, pop in demo_communes(con):
        x = math.log10(pop + 1)
        u = lambda salt: unit_noise(code, salt) - 0.5  # noqa: E731, B023 (used in this iteration)
        values = {
            "tx_nscol15p": 62 - 4 * x + 10 * u("nscol"),
            "tx_menseul": 20 + 5 * x + 8 * u("menseul"),
            "tx_fammono": 5 + 1.5 * x + 4 * u("fammono"),
            "tx_65etplus": 34 - 3 * x + 10 * u("65"),
            "tx_25etmoins": 8 + 2 * x + 4 * u("25"),
        }
        if pop >= 2000:  # statistical secrecy hides small communes' poverty and job-seeker rates
            values["tx_pauvrete"] = 12 + 4 * x + 8 * u("pauvrete")  # the real file's range: 15–45 %
            values["tx_demandeurs_emploi"] = 6 + 1.5 * x + 6 * u("emploi")
        for indicator, value in values.items():
            rows.append({"source": SOURCE, "millesime": "2021", "code_source": code, "code_commune": code, "code_departement": dep,
                         "indicateur": indicator, "valeur": _clamp(value), "demo": True})  # fmt: skip
    return replace(con, {"fr_valeurs": rows})
