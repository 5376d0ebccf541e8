"""Connectivité fixe: Plan France Très Haut Débit indicators, milestones and projections.

Method: methodologie/methodologie-connectivite-fixe.md. Warehouse tables (tables.py; commune level,
filled by `terrinum ingest` or `terrinum demo`): cf_debits (premises by speed), cf_ftth
(FttH-connectable premises per quarter), cf_informations (zone type, logements).
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass

import duckdb

from terrinum.pillars.connectivite_fixe.tables import TABLES
from terrinum.territories.helpers import TerritorySet
from terrinum.warehouse import store
from terrinum.warehouse.rollup import JOINS, IndicatorSpec, declare, level_key, register, rollup, sum_of, within_codes

PILIER = "connectivite-fixe"
SPEEDS = ["8mbits", "30mbits", "100mbits", "1gbits"]
COUNTS = ["locaux", *(f"locaux_{s}" for s in SPEEDS), "locaux_ftth_raccordables"]
SHARES = [*(f"part_{s}" for s in SPEEDS), "part_ftth"]


@dataclass(frozen=True)
class Target:
    key: str  # indicator suffix: 8mbits, 30mbits, ftth
    libelle: str
    echeance: str  # quarter by the end of which every premise should have it


TARGETS = [
    Target("8mbits", "Bon haut débit (≥ 8 Mbit/s) pour tous", "2020T4"),
    Target("30mbits", "Très haut débit (≥ 30 Mbit/s) pour tous", "2022T4"),
    Target("ftth", "Fibre jusqu'à l'abonné (FttH) généralisée", "2025T4"),
]
# Projection: linear pace over the last PACE_QUARTERS quarters of the FttH series.
PACE_QUARTERS = 4
PROJECTION_HORIZON_YEAR = 2050
COLUMNS = [
    "code", "nom", "niveau", "millesime", "source", "demo", *COUNTS, *SHARES, "zone",
    *(f"objectif_{t.key}_atteint" for t in TARGETS), *(f"locaux_manquants_{t.key}" for t in TARGETS),
    "projection_ftth_95", "projection_ftth_100", "projection_ftth_100_fourchette",
]  # fmt: skip

COUNT_LABELS = {
    "locaux": "Locaux (logements et locaux professionnels)",
    "locaux_8mbits": "Locaux éligibles à au moins 8 Mbit/s",
    "locaux_30mbits": "Locaux éligibles à au moins 30 Mbit/s",
    "locaux_100mbits": "Locaux éligibles à au moins 100 Mbit/s",
    "locaux_1gbits": "Locaux éligibles à au moins 1 Gbit/s",
    "locaux_ftth_raccordables": "Locaux raccordables à la fibre (FttH)",
}
for _name, _label in COUNT_LABELS.items():
    register(IndicatorSpec(_name, PILIER, _label, "locaux", "somme des communes (lignes non rattachées comprises au département et au-dessus)", sum_of(_name)))
_CAPPED = " ; plafonnée à 100 quand l'observatoire compte plus de locaux raccordables que l'estimation des locaux"
_PACE = "rythme des derniers trimestres (méthodologie publiée : /methodologie/connectivite-fixe), ou « atteint », ou « pas de projection : raison »"
declare(
    PILIER,
    (
        *(
            (
                share,
                f"Part des locaux : {COUNT_LABELS[count][len('Locaux ') :]}",
                "%",
                f"100 × {count} / locaux, sommes du territoire" + (_CAPPED if share == "part_ftth" else ""),
            )
            for share, count in zip(SHARES, COUNTS[1:])
        ),
        (
            "zone",
            "Type de zone de déploiement",
            None,
            "ZTD, AMII ou RIP (observatoire FttH, dernier millésime) ; « mixte » quand les communes du territoire diffèrent",
        ),
        *(
            (f"objectif_{t.key}_atteint", f"Objectif atteint : {t.libelle} (fin {t.echeance[:4]})", "booléen", "tous les locaux du territoire l'ont-ils ?")
            for t in TARGETS
        ),
        *((f"locaux_manquants_{t.key}", f"Locaux manquants : {t.libelle}", "locaux", "locaux − locaux qui l'ont, sommes du territoire") for t in TARGETS),
        ("projection_ftth_95", "Trimestre projeté où 95 % des locaux seront raccordables", "trimestre", _PACE),
        ("projection_ftth_100", "Trimestre projeté où 100 % des locaux seront raccordables", "trimestre", _PACE),
        (
            "projection_ftth_100_fourchette",
            "Fourchette de la projection à 100 %",
            "trimestres",
            "du rythme le plus rapide au plus lent des derniers trimestres",
        ),
    ),
)


@functools.lru_cache(maxsize=4096)
def quarter_index(q: str) -> int:
    return int(q[:4]) * 4 + int(q[5]) - 1


def quarter_name(index: int) -> str:
    return f"{index // 4}T{index % 4 + 1}"


def passed(quarter: str | None, today=None) -> bool:
    """Whether a projected quarter (AAAATn) is already over at `today` (a projection made
    from an old vintage can land in the past: it must not read as a future date)."""
    import datetime as dt
    import re

    if not quarter or not re.fullmatch(r"\d{4}T[1-4]", quarter):
        return False
    today = today or dt.date.today()
    return quarter_index(quarter) < today.year * 4 + (today.month - 1) // 3


def _series(con, table: str, niveau: str, columns: list[str], codes: list[str] | None) -> dict[tuple[str, str], dict]:
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table}_v AS SELECT *, demo::INTEGER AS demo_n FROM {table}")
    rel = rollup(con, f"{table}_v", niveau, [sum_of(c) for c in columns] + [sum_of("demo_n")], group_by=["millesime", "source"], codes=codes)
    out: dict[tuple[str, str], dict] = {}
    names = rel.columns
    for row in rel.fetchall():
        d = dict(zip(names, row))
        key = (d["code"], d["millesime"])
        current = out.setdefault(key, {"sources": set(), "demo": False, **{c: 0 for c in columns}})
        current["sources"].add(d["source"])
        current["demo"] |= (d["demo_n"] or 0) > 0
        for c in columns:
            current[c] += d[c] or 0
    return out


def _zones(con, niveau: str, codes: list[str] | None) -> dict[str, tuple[str, bool, dict]]:
    """Zone type from the latest information vintage: ZTD / AMII / RIP, "mixte" above the
    commune when member communes differ. Also logements + établissements (premises)."""
    # Real information wins over demonstration values whatever their vintages.
    latest = con.execute("SELECT max(millesime) FROM cf_informations WHERE NOT demo").fetchone()[0]
    latest = latest or con.execute("SELECT max(millesime) FROM cf_informations").fetchone()[0]
    if latest is None:
        return {}
    key = level_key(niveau)
    only = f" AND {key} IN (SELECT unnest(?))" if codes is not None else ""
    rows = con.execute(
        f"""SELECT {key} AS code, CASE WHEN count(DISTINCT t.zone) = 1 THEN any_value(t.zone) ELSE 'mixte' END,
                   bool_or(t.demo), sum(t.logements + t.etablissements), any_value(t.source)
            FROM cf_informations t {JOINS}
            WHERE t.millesime = ? AND {key} IS NOT NULL{only} GROUP BY ALL""",
        [latest] + ([codes] if codes is not None else []),
    ).fetchall()
    return {code: (zone, demo, {"locaux": locaux, "millesime": latest, "source": source}) for code, zone, demo, locaux, source in rows}


def projection(series: list[tuple[str, int]], locaux: int, share: float) -> tuple[str | None, str | None, str]:
    """Quarter when FttH-connectable premises reach `share` of `locaux`, at the recent pace.

    Returns (quarter, range "from–to" or None, status). Status: "atteint", "projection",
    "pas de projection : <why>". Pace = least-squares slope over the last PACE_QUARTERS
    quarters; the range uses the slowest and fastest quarter-on-quarter increase of the
    same window. Never a date from insufficient data."""
    target = math.ceil(share * locaux)
    if not series or locaux <= 0:
        return None, None, "pas de projection : données insuffisantes"
    series = sorted(series, key=lambda p: quarter_index(p[0]))
    last_q, last_v = series[-1]
    if last_v >= target:
        return None, None, "atteint"
    window = series[-PACE_QUARTERS:]
    if len(window) < 3:
        return None, None, f"pas de projection : {len(window)} trimestre(s) seulement, 3 au moins sont nécessaires"
    xs = [quarter_index(q) for q, _ in window]
    ys = [v for _, v in window]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0
    if slope <= 0:
        return None, None, "pas de projection : aucun progrès sur les derniers trimestres"
    steps = [(b[1] - a[1]) / (quarter_index(b[0]) - quarter_index(a[0])) for a, b in zip(window, window[1:])]
    horizon = PROJECTION_HORIZON_YEAR * 4 + 3

    def when(pace: float) -> int | None:
        if pace <= 0:
            return None
        q = quarter_index(last_q) + math.ceil((target - last_v) / pace)
        return q if q <= horizon else None

    central = when(slope)
    if central is None:
        return None, None, f"pas de projection : au rythme actuel, pas avant {PROJECTION_HORIZON_YEAR}"
    fast, slow = when(max(steps)), when(min(steps))
    spread = f"{quarter_name(fast) if fast else '?'}–{quarter_name(slow) if slow else f'après {PROJECTION_HORIZON_YEAR}'}"
    return quarter_name(central), spread, "projection"


def indicator_rows(
    con: duckdb.DuckDBPyConnection,
    niveau: str,
    within: TerritorySet | None = None,
    millesime: str | None = None,
) -> list[dict]:
    """One row per territory and vintage with every indicator of the pillar."""
    if not store.tables_exist(con, TABLES):
        return []
    keep = within_codes(con, niveau, within)
    debits = _series(con, "cf_debits", niveau, COUNTS[:5], keep)
    ftth = _series(con, "cf_ftth", niveau, ["locaux_ftth_raccordables"], keep)
    zones = _zones(con, niveau, keep)
    names = store.territory_names(con, niveau, list(keep) if keep is not None else None)
    keep = set(keep) if keep is not None else None
    latest_debits: dict[str, tuple[str, dict]] = {}
    for (code, m), d in debits.items():
        if code not in latest_debits or quarter_index(m) > quarter_index(latest_debits[code][0]):
            latest_debits[code] = (m, d)
    ftth_series: dict[str, list[tuple[str, int, bool]]] = {}
    for (code, m), f in ftth.items():
        ftth_series.setdefault(code, []).append((m, f["locaux_ftth_raccordables"], f["demo"]))
    for points in ftth_series.values():  # each series sorted once; a row takes the quarters up to its own
        points.sort(key=lambda p: quarter_index(p[0]))
    ftth_ends = {code: [quarter_index(p[0]) for p in points] for code, points in ftth_series.items()}

    rows = []
    for code, m in sorted(set(debits) | set(ftth)):
        if keep is not None and code not in keep:
            continue
        if millesime and m != millesime:
            continue
        d, f = debits.get((code, m)), ftth.get((code, m))
        zone = zones.get(code)
        sources, demo = set(), False
        row = {"code": code, "nom": names.get(code, "(non rattachées)"), "niveau": niveau, "millesime": m}
        if d:
            row.update({c: d[c] for c in COUNTS[:5]})
            sources |= d["sources"]
            demo |= d["demo"]
        else:
            # Premises for a quarter without a speed file: the FttH observatory's own estimate
            # (logements + établissements), else the closest speed vintage.
            fallback = zone[2] if zone else None
            if fallback:
                row["locaux"] = fallback["locaux"]
                sources.add(fallback["source"])
                demo |= zone[1]
            elif code in latest_debits:
                row["locaux"] = latest_debits[code][1]["locaux"]
                sources |= latest_debits[code][1]["sources"]
            for c in COUNTS[1:5]:
                row[c] = None
        row["locaux_ftth_raccordables"] = f["locaux_ftth_raccordables"] if f else None
        if f:
            sources |= f["sources"]
            demo |= f["demo"]
        locaux = row.get("locaux")
        for s in SPEEDS:
            v = row.get(f"locaux_{s}")
            row[f"part_{s}"] = round(100 * v / locaux, 2) if v is not None and locaux else None
        row["part_ftth"] = round(100 * row["locaux_ftth_raccordables"] / locaux, 2) if f and locaux else None
        if row["part_ftth"] is not None and row["part_ftth"] > 100:
            row["part_ftth"] = 100.0  # connectable premises counted on a larger base than the estimate
        row["zone"] = zone[0] if zone else None
        for t in TARGETS:
            have = row.get(f"locaux_{t.key}" if t.key != "ftth" else "locaux_ftth_raccordables")
            if have is None or not locaux:
                row[f"objectif_{t.key}_atteint"] = None
                row[f"locaux_manquants_{t.key}"] = None
            else:
                row[f"locaux_manquants_{t.key}"] = max(0, locaux - have)
                row[f"objectif_{t.key}_atteint"] = have >= locaux
        points = ftth_series.get(code, [])[: bisect.bisect_right(ftth_ends.get(code, []), quarter_index(m))]
        series = [(q, v) for q, v, _ in points]
        if any(d for _, _, d in points[-PACE_QUARTERS:]):
            demo = True  # the projection rests on demonstration values
            sources.add("demo")
        p95 = projection(series, locaux or 0, 0.95) if series else (None, None, "pas de projection : pas de série FttH")
        p100 = projection(series, locaux or 0, 1.0) if series else (None, None, "pas de projection : pas de série FttH")
        row["projection_ftth_95"] = p95[0] or p95[2]
        row["projection_ftth_100"] = p100[0] or p100[2]
        row["projection_ftth_100_fourchette"] = p100[1]
        row["source"] = " + ".join(sorted(sources))
        row["demo"] = demo
        rows.append({c: row.get(c) for c in COLUMNS})
    return rows


def most_behind(rows: list[dict], key: str = "part_30mbits", n: int = 10) -> list[dict]:
    """Territories furthest from a target in the latest vintage that measures it."""
    measured = [r for r in rows if r.get(key) is not None and r["code"] is not None and r["nom"] != "(non rattachées)"]
    if not measured:
        return []
    latest = max(measured, key=lambda r: quarter_index(r["millesime"]))["millesime"]
    return sorted((r for r in measured if r["millesime"] == latest), key=lambda r: (r[key], -(r["locaux"] or 0)))[:n]
