"""Fragilité numérique: an open illectronisme-risk index for every territory.

Method: methodologie/methodologie-fragilite.md. Inputs: warehouse table fr_valeurs (INSEE rates,
`terrinum ingest insee-indicateurs` or `terrinum demo`), and the canonical tables of the
fixed and mobile connectivity pillars (read here, not recomputed: one rollup each).

The index follows the construction of La MedNum's current Indice de fragilité numérique:
five criteria, each put on a fixed 1–10 scale (10 = highest risk), averaged. The scales do
not depend on the territory compared with, so an index is bounded whatever the inputs and
keeps its meaning from one territory, and one year, to the next. The comparison with a
reference territory is a separate reading: the gap, in points, between the two indices.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np

from terrinum.pillars.connectivite_mobile import indicators as cm
from terrinum.pillars.fragilite.tables import TABLES
from terrinum.territories.helpers import COMMUNE_COLUMN, TerritorySet
from terrinum.warehouse import store
from terrinum.warehouse.rollup import JOINS, declare, level_key, rollup, sum_of, within_codes

PILIER = "fragilite"
SCALE = (1.0, 10.0)  # every criterion score and the index lie within these bounds
# The five criteria of the index (all "higher share = more fragile"), in display order.
CRITERIA = {
    "part_locaux_sans_30mbits": "Locaux sans accès à 30 Mbit/s",
    "part_pop_sans_4g": "Population sans bonne couverture 4G",
    "tx_65etplus": "Personnes de 65 ans ou plus",
    "tx_nscol15p": "Personnes sans diplôme ou peu diplômées",
    "tx_pauvrete": "Taux de pauvreté",
}
# Coverage criteria: the share itself on the scale (0 % without → 1, 100 % without → 10).
LINEAR = ("part_locaux_sans_30mbits", "part_pop_sans_4g")
# Socio-demographic criteria: fixed anchors, the population-weighted percentiles 5, 15, …, 95
# of the real commune values (INSEE RP 2016 and Filosofi, weights: legal populations 2023),
# mapped to 1, 2, …, 10, linear in between and clamped outside. A score of 5.5 is the value of
# the median inhabitant of France. Recomputed by `scripts/fragilite-bornes.py`; a test checks
# they match the real data.
ANCHORS_VINTAGE = "recensement 2016 et Filosofi (Insee), pondéré par les populations légales 2023"
ANCHORS = {
    "tx_65etplus": (14.5, 17.0, 19.0, 20.2, 21.9, 23.5, 25.2, 27.2, 30.1, 35.8),
    "tx_nscol15p": (23.9, 34.0, 40.2, 44.4, 47.3, 50.3, 53.2, 56.0, 59.5, 64.9),
    "tx_pauvrete": (15.0, 18.2, 21.0, 24.1, 25.6, 29.0, 31.6, 34.0, 37.5, 44.4),
}
# Kept as context, shown beside the index but not in it.
CONTEXT = {
    "tx_menseul": "Ménages d'une personne",
    "tx_fammono": "Familles monoparentales",
    "tx_demandeurs_emploi": "Demandeurs d'emploi",
    "tx_25etmoins": "Personnes de 25 ans ou moins",
}
CENSUS = ["tx_nscol15p", "tx_menseul", "tx_fammono", "tx_65etplus", "tx_25etmoins"]
INSEE_INDICATORS = [*CENSUS, "tx_demandeurs_emploi", "tx_pauvrete"]
RAW = ["part_locaux_sans_30mbits", "part_pop_sans_4g", *INSEE_INDICATORS]
# Map and reading classes of the index (upper bounds, on the 1–10 scale).
INDEX_BINS = [3.0, 4.5, 5.5, 6.5, 8.0]
# Published illectronisme rates (INSEE Première n° 1953, June 2023, data 2021), used as bounds.
RATE_75_PLUS = 0.62  # people aged 75+: the oldest group, an upper bound for the 65+
RATE_60_PLUS_MIN = 1 / 3  # "more than one person aged 60+ in three": a lower bound for the 65+
RATE_ALL_15_PLUS = 0.154  # the whole 15+ population: an upper bound below 65
COLUMNS = [
    "code", "nom", "niveau", "demo", "indice_global", *(f"score_{c}" for c in CRITERIA), "indicateurs_utilises",
    "reference", "indice_reference", "ecart_reference",
    "couverture_donnees_pct", "couverture_pauvrete_pct", "personnes_a_risque_bas", "personnes_a_risque_haut",
    *RAW, "population", "source", "criteres_demonstration",
]  # fmt: skip

RAW_LABELS = {
    "part_locaux_sans_30mbits": "Part des locaux sans accès à 30 Mbit/s (pilier connectivité fixe)",
    "part_pop_sans_4g": "Part de la population sans bonne couverture 4G (pilier connectivité mobile)",
    "tx_nscol15p": "Part des 15 ans ou plus non scolarisés sans diplôme ou peu diplômés",
    "tx_menseul": "Part des ménages d'une personne (contexte, hors indice)",
    "tx_fammono": "Part des familles monoparentales (contexte, hors indice)",
    "tx_65etplus": "Part des 65 ans ou plus",
    "tx_25etmoins": "Part des 25 ans ou moins (contexte, hors indice)",
    "tx_demandeurs_emploi": "Taux de demandeurs d'emploi (contexte, hors indice)",
    "tx_pauvrete": "Taux de pauvreté (absent sous le secret statistique)",
}
declare(
    PILIER,
    (
        (
            "indice_global",
            "Indice de fragilité numérique (1 à 10)",
            "score",
            "moyenne des notes des critères disponibles ; 1 = risque le plus faible, 10 = le plus élevé",
        ),
        *(
            (
                f"score_{c}",
                f"Note du critère « {label} » (1 à 10)",
                "score",
                "la part elle-même ramenée de 0–100 % à 1–10" if c in LINEAR else f"échelle fixe : centiles 5 à 95 des communes ({ANCHORS_VINTAGE})",
            )
            for c, label in CRITERIA.items()
        ),
        ("indicateurs_utilises", "Critères entrés dans l'indice", None, "ceux dont le territoire a une valeur"),
        (
            "criteres_demonstration",
            "Critères de l'indice calculés sur des données de démonstration",
            None,
            "ceux dont une valeur du territoire est de démonstration ; vide : tous réels",
        ),
        ("reference", "Territoire de comparaison", None, "pays, ou region:CODE, departement:CODE, epci:CODE (--reference)"),
        ("indice_reference", "Indice de fragilité numérique du territoire de comparaison (1 à 10)", "score", "même calcul"),
        (
            "ecart_reference",
            "Écart à l'indice du territoire de comparaison",
            "points",
            "indice du territoire − indice de la comparaison ; positif = plus fragile",
        ),
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
    ),
)


# The weight of each row of the source files (a commune of the file's geography, perhaps an
# arrondissement or a former commune now part of a commune nouvelle): its own legal
# population (an imported population file, else the reference's population of that code when
# it is a current commune or an arrondissement); rows without one share what is left of
# their current commune's population, evenly. The weights of a commune's rows thus never add
# up to more than its population: an arrondissement is never weighted by its whole city.
WEIGHTS = """
    pop AS (SELECT code_source, max(valeur) AS valeur FROM fr_valeurs WHERE indicateur = 'population' GROUP BY 1),
    src AS (SELECT DISTINCT code_source, code_commune FROM fr_valeurs WHERE indicateur <> 'population'),
    known AS (
        SELECT s.code_source, s.code_commune,
               coalesce(p.valeur, a.population, CASE WHEN s.code_source = s.code_commune THEN r.population END) AS own
        FROM src s LEFT JOIN pop p USING (code_source) LEFT JOIN ref_alias a ON a.code = s.code_source
             LEFT JOIN ref_commune r ON r.code = s.code_commune),
    rest AS (
        SELECT k.code_commune,
               greatest(coalesce(any_value(r.population), 0) - coalesce(sum(k.own), 0), 0) / nullif(count(*) - count(k.own), 0) AS share
        FROM known k LEFT JOIN ref_commune r ON r.code = k.code_commune GROUP BY 1),
    weights AS (SELECT k.code_source, coalesce(k.own, rest.share) AS poids FROM known k LEFT JOIN rest USING (code_commune))"""


def _values(con, niveau: str, codes: list[str] | None) -> dict[str, dict]:
    """Population-weighted means of the INSEE rates at `niveau` (inputs aggregated first;
    weights: WEIGHTS)."""
    key = level_key(niveau)
    only = f" AND {key} IN (SELECT unnest(?))" if codes is not None else ""
    rows = con.execute(
        f"""WITH {WEIGHTS},
                 t AS (SELECT f.*, w.poids FROM fr_valeurs f LEFT JOIN weights w USING (code_source) WHERE f.indicateur <> 'population')
            SELECT {key} AS code, t.indicateur,
                   sum(t.valeur * t.poids) / nullif(sum(t.poids), 0),
                   count(DISTINCT t.code_commune), bool_or(t.demo), string_agg(DISTINCT t.source, ' + '), any_value(t.millesime)
            FROM t {JOINS}
            WHERE {key} IS NOT NULL{only}
            GROUP BY ALL""",
        [codes] if codes is not None else [],
    ).fetchall()
    out: dict[str, dict] = {}
    for code, indicator, value, n, demo, source, millesime in rows:
        d = out.setdefault(code, {"n": {}, "demo": False, "sources": set(), "demo_of": set()})
        d[indicator] = value
        d["n"][indicator] = n
        d["demo"] |= demo
        if demo:
            d["demo_of"].add(indicator)
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
    for criterion, found in (("part_pop_sans_4g", cm.without_good_4g(con, niveau, codes)), ("part_locaux_sans_30mbits", _connectivity(con, niveau, codes))):
        for code, (share, demo, source) in found.items():
            d = values.setdefault(code, {"n": {}, "demo": False, "sources": set(), "demo_of": set()})
            d[criterion] = share
            d["demo"] |= demo
            d["sources"].add(source)
            if demo:
                d["demo_of"].add(criterion)
    return values


def score(criterion: str, value: float | None) -> float | None:
    """The 1–10 note of one criterion's value (10 = highest risk), on its fixed scale."""
    if value is None:
        return None
    lo, hi = SCALE
    if criterion in LINEAR:
        return lo + (hi - lo) * min(1.0, max(0.0, value / 100))
    return float(np.interp(value, ANCHORS[criterion], _NOTES[len(ANCHORS[criterion])]))


_NOTES = {n: np.linspace(*SCALE, n) for n in range(2, 32)}  # the notes of n anchors, evenly spaced on SCALE


def index_of(raw: dict) -> dict:
    """The criterion notes and the index (their mean) of one territory; only what it has."""
    out, used = {}, []
    for criterion in CRITERIA:
        note = score(criterion, raw.get(criterion))
        out[f"score_{criterion}"] = round(note, 1) if note is not None else None
        if note is not None:
            used.append((criterion, note))
    out["indice_global"] = round(sum(n for _, n in used) / len(used), 1) if used else None
    out["indicateurs_utilises"] = ", ".join(c for c, _ in used)
    return out


def anchors_from(con: duckdb.DuckDBPyConnection, percentiles=range(5, 100, 10)) -> dict[str, tuple[float, ...]]:
    """Population-weighted percentiles of the commune values of each socio-demographic
    criterion: how ANCHORS were computed (scripts/fragilite-bornes.py; checked by a test)."""
    raws = raw_inputs(con, "commune")
    weights = {code: pop or 0 for code, (_, _, pop) in _units(con, "commune", None).items()}
    out = {}
    for criterion in ANCHORS:
        pairs = sorted((r[criterion], weights.get(code, 0)) for code, r in raws.items() if r.get(criterion) is not None)
        values = np.array([v for v, _ in pairs])
        cumulative = np.cumsum([w for _, w in pairs], dtype=float)
        cumulative = (cumulative - 0.5 * np.array([w for _, w in pairs])) / cumulative[-1]  # mid-point of each weight
        out[criterion] = tuple(round(float(np.interp(p / 100, cumulative, values)), 1) for p in percentiles)
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


def compared_with(con: duckdb.DuckDBPyConnection, reference: str) -> Callable[[dict], dict] | None:
    """How a row compared with France (the published rows) reads compared with `reference`:
    the reference changes the comparison's columns and the demonstration flag, never the
    index. A function of the row, or None when the row alone cannot say it: France's inputs
    hold demonstration values and the reference's do not, and whether the row's own do is
    not in the row. A list of every commune compared with a département is then read from
    the published table (constant memory) instead of computed again (68 MB kept, 3 s)."""
    if not store.tables_exist(con, TABLES):
        return None
    ref_niveau, ref_code = parse_reference(reference)
    ref_raw, country = _reference_raw(con, ref_niveau, ref_code), _reference_raw(con, "pays", "FR")
    if ref_raw is None:
        raise ValueError(f"pas de données pour la référence {ref_niveau} {ref_code}")
    if country is None or (country["demo"] and not ref_raw["demo"]):
        return None
    label, ref_index = f"{ref_niveau}:{ref_code}" if ref_niveau != "pays" else "pays", index_of(ref_raw)["indice_global"]

    def compared(row: dict) -> dict:
        index = row["indice_global"]
        gap = round(index - ref_index, 1) if index is not None and ref_index is not None else None
        return {**row, "reference": label, "indice_reference": ref_index, "ecart_reference": gap, "demo": row["demo"] or ref_raw["demo"]}

    return compared


def indicator_rows(con: duckdb.DuckDBPyConnection, niveau: str, within: TerritorySet | None = None, reference: str | None = None) -> list[dict]:
    """One row per territory: the five criterion notes, the index, and its gap to `reference`."""
    if not store.tables_exist(con, TABLES):
        return []
    ref_niveau, ref_code = parse_reference(reference)
    ref_raw = _reference_raw(con, ref_niveau, ref_code)
    if ref_raw is None:
        raise ValueError(f"pas de données pour la référence {ref_niveau} {ref_code}")
    ref_index = index_of(ref_raw)["indice_global"]
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
        row.update(index_of(raw))
        row["indice_reference"] = ref_index
        if row["indice_global"] is not None and ref_index is not None:
            row["ecart_reference"] = round(row["indice_global"] - ref_index, 1)
        complete = min((raw["n"].get(i, 0) for i in CENSUS), default=0)
        row["couverture_donnees_pct"] = round(100 * min(complete, n_all) / n_all, 1)
        row["couverture_pauvrete_pct"] = round(100 * min(raw["n"].get("tx_pauvrete", 0), n_all) / n_all, 1)
        row["population"] = population
        row["personnes_a_risque_bas"], row["personnes_a_risque_haut"] = people_at_risk(row["population"], raw.get("tx_65etplus"))
        for i in RAW:
            row[i] = round(raw[i], 2) if raw.get(i) is not None else None
        row["demo"] = raw["demo"] or ref_raw["demo"]
        row["criteres_demonstration"] = ", ".join(c for c in CRITERIA if c in raw["demo_of"] and raw.get(c) is not None)
        row["source"] = " ; ".join(sorted(raw["sources"]))
        rows.append({c: row.get(c) for c in COLUMNS})
    return rows
