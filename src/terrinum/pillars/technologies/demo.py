"""Demonstration values of the technology mix, on every commune, consistent with the fixed-
connectivity pillar's demonstration speeds (themselves calibrated on the national figures):
the premises at ≥ 8 and ≥ 30 Mbit/s and the FttH-connectable premises of the latest vintage
are split by technology with the shares below (orders of magnitude, not published figures:
methodologie/methodologie-technologies.md, « Données de démonstration »)."""

from __future__ import annotations

import duckdb

from terrinum.pillars.demo import SOURCE, has_real_data, replace, unit_noise
from terrinum.pillars.technologies.tables import TABLES
from terrinum.sources.arcep_batiments import ALTERNATIVES, LEFT_BEHIND
from terrinum.warehouse import store

COAX_SHARE = 0.3  # at most this share of the non-fibre premises at ≥ 30 Mbit/s are on cable
NO_WIRE_SHARE = 0.1  # share of the premises below 8 Mbit/s with no wired offer at all
# Probability that a non-fibre premise is listed for each wireless technology (low, high).
ALTERNATIVE_RANGE = {"thdr": (0.0, 0.25), "4gf": (0.4, 0.85), "wmx": (0.0, 0.04), "sat": (0.95, 1.0)}


def generate(con: duckdb.DuckDBPyConnection) -> dict[str, int] | None:
    """Technology mix of every commune at the latest vintage of the fixed-connectivity
    speeds. None when the pillar holds real data or there are no speeds to split."""
    store.ensure_tables(con, TABLES)
    if has_real_data(con, TABLES) or not store.tables_exist(con, ["cf_debits", "cf_ftth"]):
        return None
    latest = con.execute("SELECT max(millesime) FROM cf_debits").fetchone()[0]
    if latest is None:
        return None
    rows = con.execute(
        """SELECT d.code_commune, d.code_departement, sum(d.locaux), sum(d.locaux_8mbits), sum(d.locaux_30mbits),
                  coalesce(sum(f.locaux_ftth_raccordables), 0)
           FROM cf_debits d LEFT JOIN cf_ftth f ON f.code_commune = d.code_commune AND f.millesime = d.millesime
           WHERE d.millesime = ? AND d.code_commune IS NOT NULL GROUP BY 1, 2 ORDER BY 1""",
        [latest],
    ).fetchall()
    out = []
    for code, dep, n, c8, c30, ftth in rows:
        ftth = min(ftth, c30)
        r30 = c30 - ftth
        coax = round(r30 * COAX_SHARE * unit_noise(code, "coax"))
        below8 = n - c8
        no_wire = round(below8 * NO_WIRE_SHARE * unit_noise(code, "sans-filaire"))
        p = {a: lo + (hi - lo) * unit_noise(dep if a == "thdr" else code, f"alt-{a}") for a, (lo, hi) in ALTERNATIVE_RANGE.items()}
        row = {
            "source": SOURCE, "demo": True, "millesime": latest, "code_source": code, "code_commune": code, "code_departement": dep,
            "locaux": n, "locaux_techno_ftth": ftth, "locaux_techno_coax": coax, "locaux_techno_cu_30": r30 - coax, "locaux_techno_cu_8": c8 - c30,
            "locaux_techno_cu_inf8": below8 - no_wire, "locaux_techno_sans_filaire": no_wire,
        }  # fmt: skip
        for a in ALTERNATIVES:
            row[f"locaux_alt_{a}"] = round((n - ftth) * p[a])
        behind = {"inf8": below8, "inf30": n - c30}
        terrestrial_none = (1 - p["thdr"]) * (1 - p["4gf"]) * (1 - p["wmx"])
        for s in LEFT_BEHIND:
            row[f"locaux_filaire_{s}"] = behind[s]
            for a in ALTERNATIVES:
                row[f"locaux_{s}_{a}"] = round(behind[s] * p[a])
            row[f"locaux_{s}_satellite_seul"] = round(behind[s] * p["sat"] * terrestrial_none)
            row[f"locaux_{s}_sans_solution"] = round(behind[s] * (1 - p["sat"]) * terrestrial_none)
        out.append(row)
    return replace(con, {"cf_technologies": out})
