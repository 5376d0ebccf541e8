"""Fragilité numérique: an open illectronisme-risk index for every territory.

Method: methodologie/methodologie-fragilite.md. Inputs: warehouse table fr_valeurs (INSEE rates,
`terrinum ingest insee-indicateurs` or `terrinum demo`), and the canonical tables of the
fixed and mobile connectivity pillars (read here, not recomputed: one rollup each).
"""

from __future__ import annotations

import duckdb

from terrinum.pillars.connectivite_mobile import indicators as cm
from terrinum.pillars.fragilite.tables import TABLES
from terrinum.territories.helpers import COMMUNE_COLUMN, TerritorySet
from terrinum.warehouse import store
from terrinum.warehouse.rollup import JOINS, declare, level_key, rollup, sum_of, within_codes

PILIER = "fragilite"
# axis -> indicators (all "higher = more fragile")
AXES = {
    "acces_interfaces": ["part_locaux_sans_30mbits", "part_pop_sans_4g"],
    "acces_information": ["tx_menseul", "tx_fammono"],
    "competences_administratives": ["tx_demandeurs_emploi", "tx_pauvrete"],
    "competences_numeriques": ["tx_nscol15p", "tx_65etplus"],
}
CENSUS = ["tx_nscol15p", "tx_menseul", "tx_fammono", "tx_65etplus", "tx_25etmoins"]
INSEE_INDICATORS = [*CENSUS, "tx_demandeurs_emploi", "tx_pauvrete"]
RAW = ["part_locaux_sans_30mbits", "part_pop_sans_4g", *INSEE_INDICATORS]
# Published illectronisme rates (INSEE Première n° 1953, June 2023, data 2021), used as bounds.
RATE_75_PLUS = 0.62  # people aged 75+: the oldest group, an upper bound for the 65+
RATE_60_PLUS_MIN = 1 / 3  # "more than one person aged 60+ in three": a lower bound for the 65+
RATE_ALL_15_PLUS = 0.154  # the whole 15+ population: an upper bound below 65
COLUMNS = [
    "code", "nom", "niveau", "reference", "demo", "indice_global", *(f"indice_{a}" for a in AXES),
    "couverture_donnees_pct", "couverture_pauvrete_pct", "personnes_a_risque_bas", "personnes_a_risque_haut",
    *RAW, "population", "indicateurs_utilises", "source",
]  # fmt: skip

AXIS_LABELS = {
    "acces_interfaces": "Accès aux interfaces numériques",
    "acces_information": "Accès à l'information",
    "competences_administratives": "Compétences administratives",
    "competences_numeriques": "Compétences numériques / scolaires",
}
RAW_LABELS = {
    "part_locaux_sans_30mbits": "Part des locaux sans accès à 30 Mbit/s (pilier connectivité fixe)",
    "part_pop_sans_4g": "Part de la population sans bonne couverture 4G (pilier connectivité mobile)",
    "tx_nscol15p": "Part des 15 ans ou plus non scolarisés sans diplôme ou peu diplômés",
    "tx_menseul": "Part des ménages d'une personne",
    "tx_fammono": "Part des familles monoparentales",
    "tx_65etplus": "Part des 65 ans ou plus",
    "tx_25etmoins": "Part des 25 ans ou moins (importée, hors indice)",
    "tx_demandeurs_emploi": "Taux de demandeurs d'emploi",
    "tx_pauvrete": "Taux de pauvreté (absent sous le secret statistique)",
}
_INDEX = "moyenne des rapports 100 × valeur du territoire / valeur de la référence, sur les indicateurs disponibles"
declare(
    PILIER,
    (
        ("reference", "Territoire de référence (indice 100)", None, "pays, ou region:CODE, departement:CODE, epci:CODE (--reference)"),
        (
            "indice_global",
            "Indice de fragilité numérique (référence = 100)",
            "indice",
            "moyenne des quatre axes disponibles ; au-dessus de 100, plus fragile que la référence",
        ),
        *((f"indice_{a}", f"Indice de l'axe « {label} » (référence = 100)", "indice", _INDEX) for a, label in AXIS_LABELS.items()),
        ("couverture_donnees_pct", "Communes ayant les cinq taux du recensement", "%", "part des communes du territoire"),
        ("couverture_pauvrete_pct", "Communes dont le taux de pauvreté est publié", "%", "part des communes du territoire"),
        (
            "personnes_a_risque_bas",
            "Personnes probablement en illectronisme : bas de la fourchette",
            "personnes",
            "65 ans ou plus × 1/3 (Insee Première n° 1953, 2023)",
        ),
        (
            "personnes_a_risque_haut",
            "Personnes probablement en illectronisme : haut de la fourchette",
            "personnes",
            "65 ans ou plus × 62 % + autres habitants × 15,4 % (Insee Première n° 1953, 2023)",
        ),
        *((i, label, "%", "moyenne des communes pondérée par leur population") for i, label in RAW_LABELS.items()),
        ("indicateurs_utilises", "Indicateurs entrés dans l'indice", None, "ceux dont le territoire et la référence ont une valeur"),
    ),
)


def _values(con, niveau: str, codes: list[str] | None) -> dict[str, dict]:
    """Population-weighted means of the INSEE rates at `niveau` (inputs aggregated first)."""
    key = level_key(niveau)
    only = f" AND {key} IN (SELECT unnest(?))" if codes is not None else ""
    rows = con.execute(
        f"""WITH pop AS (SELECT code_source, valeur FROM fr_valeurs WHERE indicateur = 'population'),
                 t AS (SELECT f.*, p.valeur AS pop_source FROM fr_valeurs f LEFT JOIN pop p USING (code_source)
                       WHERE f.indicateur <> 'population')
            SELECT {key} AS code, t.indicateur,
                   sum(t.valeur * coalesce(t.pop_source, r.population)) / nullif(sum(coalesce(t.pop_source, r.population)), 0),
                   count(DISTINCT t.code_commune), bool_or(t.demo), string_agg(DISTINCT t.source, ' + '), any_value(t.millesime)
            FROM t {JOINS}
            WHERE {key} IS NOT NULL{only}
            GROUP BY ALL""",
        [codes] if codes is not None else [],
    ).fetchall()
    out: dict[str, dict] = {}
    for code, indicator, value, n, demo, source, millesime in rows:
        d = out.setdefault(code, {"n": {}, "demo": False, "sources": set()})
        d[indicator] = value
        d["n"][indicator] = n
        d["demo"] |= demo
        d["sources"].add(f"{source} {millesime}")
    return out


def _connectivity(con, niveau: str, codes: list[str] | None) -> dict[str, tuple[float, bool, str]]:
    """Share of premises without ≥ 30 Mbit/s, latest vintage that measures it."""
    if not store.tables_exist(con, ["cf_debits"]):
        return {}
    latest = con.execute("SELECT max(millesime) FROM cf_debits").fetchone()[0]
    if latest is None:
        return {}
    con.execute(f"CREATE OR REPLACE TEMP VIEW cf_latest AS SELECT *, demo::INTEGER AS demo_n FROM cf_debits WHERE millesime = '{latest}'")
    rel = rollup(con, "cf_latest", niveau, [sum_of("locaux"), sum_of("locaux_30mbits"), sum_of("demo_n")], codes=codes)
    out = {}
    for _, code, locaux, c30, demo_n in rel.fetchall():
        if locaux:
            out[code] = (100 * (locaux - c30) / locaux, bool(demo_n), f"connectivité fixe {latest}")
    return out


def _units(con, niveau: str, codes: list[str] | None) -> dict[str, tuple[str, int, int | None]]:
    """(name, number of communes, population) of the units at `niveau` (only `codes` if given)."""
    key = COMMUNE_COLUMN.get(niveau, "'FR'")
    only = f" AND {key} IN (SELECT unnest(?))" if codes is not None else ""
    rows = con.execute(
        f"""SELECT c.k, t.nom, c.n, c.pop FROM (
                SELECT {key} AS k, count(*) AS n, sum(population) AS pop FROM ref_commune WHERE {key} IS NOT NULL{only} GROUP BY 1) c
            JOIN ref_territoire t ON t.niveau = ? AND t.code = c.k""",
        ([codes] if codes is not None else []) + [niveau],
    ).fetchall()
    return {k: (nom, n, pop) for k, nom, n, pop in rows}


_REFERENCE_CACHE: dict[tuple, dict] = {}


def _reference_raw(con, niveau: str, code: str) -> dict | None:
    """Raw inputs of a reference territory, cached per warehouse file version (the file's
    path and modification time): pages ask for France's values on every request."""
    import os

    name = con.execute("SELECT current_database()").fetchone()[0]
    path = next((f for _, n, f in con.execute("PRAGMA database_list").fetchall() if n == name), None)
    key = (path, os.path.getmtime(path) if path and os.path.exists(path) else None, niveau, code)
    if key[1] is None:
        return raw_inputs(con, niveau, [code]).get(code)
    if key not in _REFERENCE_CACHE:
        if len(_REFERENCE_CACHE) > 64:
            _REFERENCE_CACHE.clear()
        _REFERENCE_CACHE[key] = raw_inputs(con, niveau, [code]).get(code)
    return _REFERENCE_CACHE[key]


def raw_inputs(con, niveau: str, codes: list[str] | None = None) -> dict[str, dict]:
    values = _values(con, niveau, codes)
    # Share of the population without good 4G from any operator: exact when coverage polygons
    # are loaded, else from the best operator (an upper bound; see the mobile methodology).
    for code, (share, demo, source) in cm.without_good_4g(con, niveau, codes).items():
        d = values.setdefault(code, {"n": {}, "demo": False, "sources": set()})
        d["part_pop_sans_4g"] = share
        d["demo"] |= demo
        d["sources"].add(source)
    for code, (share, demo, source) in _connectivity(con, niveau, codes).items():
        d = values.setdefault(code, {"n": {}, "demo": False, "sources": set()})
        d["part_locaux_sans_30mbits"] = share
        d["demo"] |= demo
        d["sources"].add(source)
    return values


def index_of(raw: dict, ref: dict) -> dict:
    """Indices (reference = 100) of one territory, axis by axis; only what both have."""
    out, used = {}, []
    axes = []
    for axis, indicators in AXES.items():
        parts = []
        for i in indicators:
            if raw.get(i) is not None and ref.get(i):
                parts.append(100 * raw[i] / ref[i])
                used.append(i)
        out[f"indice_{axis}"] = round(sum(parts) / len(parts), 1) if parts else None
        if parts:
            axes.append(sum(parts) / len(parts))
    out["indice_global"] = round(sum(axes) / len(axes), 1) if axes else None
    out["indicateurs_utilises"] = ", ".join(used)
    return out


def people_at_risk(population: int | None, s65: float | None) -> tuple[int | None, int | None]:
    """A range of people in illectronisme from the share of people aged 65+ and published
    rates: low counts only the 65+ at the lowest rate that applies to them; high applies the
    75+ rate to every 65+ and the whole-population rate to everyone else."""
    if not population or s65 is None:
        return None, None
    p65 = population * s65 / 100
    low = p65 * RATE_60_PLUS_MIN
    high = p65 * RATE_75_PLUS + (population - p65) * RATE_ALL_15_PLUS
    return round(low, -1 if low > 100 else 0), round(high, -1 if high > 100 else 0)


def parse_reference(text: str | None) -> tuple[str, str]:
    """`pays` (default), `region:75`, `departement:23`, `epci:240800862`."""
    if not text or text == "pays":
        return "pays", "FR"
    niveau, _, code = text.partition(":")
    if niveau not in ("region", "departement", "epci") or not code:
        raise ValueError(f"référence « {text} » invalide : pays, region:CODE, departement:CODE ou epci:CODE")
    return niveau, code.upper()


def indicator_rows(con: duckdb.DuckDBPyConnection, niveau: str, within: TerritorySet | None = None, reference: str | None = None) -> list[dict]:
    """One row per territory: the four axes and the global index against `reference`."""
    if not store.tables_exist(con, TABLES):
        return []
    ref_niveau, ref_code = parse_reference(reference)
    ref_raw = _reference_raw(con, ref_niveau, ref_code)
    if ref_raw is None:
        raise ValueError(f"pas de données pour la référence {ref_niveau} {ref_code}")
    keep = within_codes(con, niveau, within)
    raws = raw_inputs(con, niveau, keep)
    units = _units(con, niveau, keep)
    rows = []
    for code in sorted(raws):
        raw = raws[code]
        if code not in units:
            continue  # non-rattachées rows only count inside their département
        nom, n_all, population = units[code]
        row = {"code": code, "nom": nom, "niveau": niveau, "reference": f"{ref_niveau}:{ref_code}" if ref_niveau != "pays" else "pays"}
        row.update(index_of(raw, ref_raw))
        complete = min((raw["n"].get(i, 0) for i in CENSUS), default=0)
        row["couverture_donnees_pct"] = round(100 * min(complete, n_all) / n_all, 1)
        row["couverture_pauvrete_pct"] = round(100 * min(raw["n"].get("tx_pauvrete", 0), n_all) / n_all, 1)
        row["population"] = population
        row["personnes_a_risque_bas"], row["personnes_a_risque_haut"] = people_at_risk(row["population"], raw.get("tx_65etplus"))
        for i in RAW:
            row[i] = round(raw[i], 2) if raw.get(i) is not None else None
        row["demo"] = raw["demo"] or ref_raw["demo"]
        row["source"] = " ; ".join(sorted(raw["sources"]))
        rows.append({c: row.get(c) for c in COLUMNS})
    return rows
