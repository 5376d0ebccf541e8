"""Roll a commune-level table up to any level, and the catalogue where pillars declare
their indicators (the seam every later pillar uses).

Input table contract: a column `code_commune` (NULL for a row attached only to its
département, "non rattachée") and a column `code_departement` (required when
`code_commune` is NULL; ignored otherwise, the reference decides). Any other columns are
indicators or grouping keys (e.g. `millesime`).

Non-rattachée rows count at département, région and France level, never at commune or
EPCI level, so that higher totals stay equal to the source file's totals.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import duckdb

from terrinum.territories.helpers import COMMUNE_COLUMN, TerritorySet, check_level


@dataclass(frozen=True)
class Aggregation:
    """How one indicator rolls up.

    kind: `sum` (of `column`), `ratio` (sum of `numerator` / sum of `denominator`, times
    `scale`), or `weighted_mean` (of `column` weighted by `weight`; `weight="population"`
    uses the reference population of the commune).
    """

    name: str
    kind: str
    column: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    weight: str | None = None
    scale: float = 1.0

    def __post_init__(self):
        if self.kind not in ("sum", "ratio", "weighted_mean"):
            raise ValueError(f"unknown aggregation kind {self.kind!r}")
        if self.kind == "ratio" and not (self.numerator and self.denominator):
            raise ValueError(f"{self.name}: a ratio needs numerator and denominator")
        if self.kind in ("sum", "weighted_mean") and not self.column:
            raise ValueError(f"{self.name}: {self.kind} needs a column")
        if self.kind == "weighted_mean" and not self.weight:
            raise ValueError(f"{self.name}: a weighted mean needs a weight")


def sum_of(column: str, name: str | None = None) -> Aggregation:
    return Aggregation(name or column, "sum", column=column)


def ratio_of(name: str, numerator: str, denominator: str, scale: float = 1.0) -> Aggregation:
    return Aggregation(name, "ratio", numerator=numerator, denominator=denominator, scale=scale)


def weighted_mean_of(column: str, weight: str = "population", name: str | None = None) -> Aggregation:
    return Aggregation(name or column, "weighted_mean", column=column, weight=weight)


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _expr(agg: Aggregation) -> str:
    if agg.kind == "sum":
        return f"SUM(t.{_q(agg.column)})"
    if agg.kind == "ratio":
        return f"SUM(t.{_q(agg.numerator)}) * {agg.scale!r} / NULLIF(SUM(t.{_q(agg.denominator)}), 0)"
    weight = "r.population" if agg.weight == "population" else f"t.{_q(agg.weight)}"
    value = f"t.{_q(agg.column)}"
    return f"SUM({value} * {weight}) / NULLIF(SUM(CASE WHEN {value} IS NOT NULL THEN {weight} END), 0)"


# SQL expression of the territory code at each level, over `t` (the commune-level table),
# `r` (ref_commune joined on t.code_commune) and `d` (ref_departement).
LEVEL_KEYS = {
    "commune": "r.code",
    "epci": "r.epci_code",
    "departement": "COALESCE(r.departement_code, t.code_departement)",
    "region": "COALESCE(r.region_code, d.region_code)",
    "pays": "'FR'",
}
JOINS = """LEFT JOIN ref_commune r ON r.code = t.code_commune
        LEFT JOIN ref_departement d ON d.code = COALESCE(r.departement_code, t.code_departement)"""


def within_codes(con: duckdb.DuckDBPyConnection, niveau: str, within: TerritorySet | None) -> list[str] | None:
    """Codes at `niveau` of the units that lie in, or contain, the territories `within`
    (None: no restriction)."""
    if within is None or within.is_everywhere:
        return None
    conditions = within.commune_conditions()
    if len(conditions) != len(within.members):
        raise ValueError(f"filtre de niveau {', '.join(n for n, _ in within)} non géré")
    key = COMMUNE_COLUMN.get(niveau, "'FR'")
    where = " OR ".join(f"{column} = ?" for column, _ in conditions)
    rows = con.execute(f"SELECT DISTINCT {key} FROM ref_commune WHERE ({where}) AND {key} IS NOT NULL", [code for _, code in conditions]).fetchall()
    return sorted(r[0] for r in rows)


def level_key(niveau: str) -> str:
    return LEVEL_KEYS[check_level(niveau)]


def rollup(
    con: duckdb.DuckDBPyConnection,
    table: str,
    niveau: str,
    aggregations: list[Aggregation],
    group_by: list[str] | None = None,
    codes: list[str] | None = None,
) -> duckdb.DuckDBPyRelation:
    """Aggregate `table` (commune level) to `niveau`; returns a relation with columns
    `niveau, code, *group_by, *indicator names`, ordered by code. `codes` keeps only those
    territories (computed on the same rows, so their figures do not change)."""
    key = level_key(niveau)
    only = ""
    if codes is not None:
        quoted = ", ".join("'" + c.replace("'", "''") + "'" for c in codes) or "NULL"
        only = f" AND {key} IN ({quoted})"
    groups = [f"t.{_q(g)}" for g in (group_by or [])]
    select_groups = "".join(f", {g} AS {_q(n)}" for g, n in zip(groups, group_by or []))
    measures = ", ".join(f"{_expr(a)} AS {_q(a.name)}" for a in aggregations)
    sql = f"""
        SELECT '{niveau}' AS niveau, {key} AS code{select_groups}, {measures}
        FROM {_q(table)} t
        {JOINS}
        WHERE {key} IS NOT NULL{only}
        GROUP BY ALL
        ORDER BY code{"".join(", " + _q(g) for g in (group_by or []))}
    """
    return con.sql(sql)


@dataclass(frozen=True)
class IndicatorSpec:
    """A column a pillar publishes: its name (one name everywhere), label, unit, and how it
    is obtained, above the commune too (`calcul`, French: the data dictionary of the exports).
    `agregation` is set when the column is a plain rollup of the commune values."""

    nom: str
    pilier: str
    libelle: str
    unite: str | None
    calcul: str
    agregation: Aggregation | None = None


_CATALOGUE: dict[str, IndicatorSpec] = {}
COMMON = "commun"  # the pillar of the columns every export starts with


def register(spec: IndicatorSpec) -> IndicatorSpec:
    """Declare an indicator; a name can only mean one thing."""
    existing = _CATALOGUE.get(spec.nom)
    if existing is not None and existing != spec:
        raise ValueError(f"indicateur {spec.nom!r} déjà déclaré autrement par {existing.pilier}")
    _CATALOGUE[spec.nom] = spec
    return spec


def registered(pilier: str | None = None) -> list[IndicatorSpec]:
    return [s for s in _CATALOGUE.values() if pilier is None or s.pilier == pilier]


def declare(pilier: str, entries) -> None:
    """Register columns given as (nom, libelle, unite, calcul) tuples."""
    for nom, libelle, unite, calcul in entries:
        register(IndicatorSpec(nom, pilier, libelle, unite, calcul))


def dictionary(columns: list[str]) -> list[IndicatorSpec]:
    """The declarations of an export's columns, in its order (KeyError names a missing one)."""
    missing = [c for c in columns if c not in _CATALOGUE]
    if missing:
        raise KeyError(f"colonnes sans définition au dictionnaire : {', '.join(missing)}")
    return [_CATALOGUE[c] for c in columns]


declare(
    COMMON,
    (
        ("code", "Code officiel du territoire", None, "code INSEE (commune, département, région), SIREN (EPCI) ou FR (France)"),
        ("nom", "Nom du territoire", None, "référentiel territorial (Code officiel géographique)"),
        ("niveau", "Niveau du territoire", None, "commune, epci, departement, region ou pays"),
        ("millesime", "Millésime des données", None, "trimestre (AAAATn) ou année des données source"),
        ("source", "Source des données", None, "fichiers importés (ou « demo ») qui ont servi au calcul"),
        ("demo", "Données de démonstration", "booléen", "vrai si au moins une valeur vient de terrinum demo : le chiffre ne décrit pas la réalité"),
        ("population", "Population municipale", "habitants", "populations légales INSEE du référentiel, somme des communes"),
    ),
)


def sync_catalogue(con: duckdb.DuckDBPyConnection) -> int:
    """Write the declared indicators into the warehouse's `catalogue_indicateurs` table."""
    specs = registered()
    con.execute("DELETE FROM catalogue_indicateurs")
    con.executemany(
        "INSERT INTO catalogue_indicateurs VALUES (?, ?, ?, ?, ?, ?)",
        [
            [
                s.nom,
                s.pilier,
                s.libelle,
                s.unite,
                s.agregation.kind if s.agregation else "calcul",
                json.dumps({"calcul": s.calcul, **(asdict(s.agregation) if s.agregation else {})}),
            ]
            for s in specs
        ],
    )
    return len(specs)
