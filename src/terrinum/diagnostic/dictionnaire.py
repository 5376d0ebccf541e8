"""The data dictionary of the published indicator tables: for every `terrinum indicateurs`
export (and its API twin), each column's label, unit and how it is computed, in the
export's order. Declarations live beside each pillar's code (`warehouse.rollup.register`);
the tables are those the registered pillars publish; a test checks that every exported
column has one."""

from __future__ import annotations

from terrinum.pillars import published_tables
from terrinum.warehouse import rollup

FIELDS = ["table", "colonne", "libelle", "unite", "calcul"]


def rows(pilier: str | None = None) -> list[dict]:
    """One row per (table, column); `pilier` keeps one table (ValueError when unknown)."""
    published = published_tables()
    if pilier is not None and pilier not in published:
        raise ValueError(f"pilier « {pilier} » inconnu ({', '.join(published)})")
    return [
        {"table": name, "colonne": spec.nom, "libelle": spec.libelle, "unite": spec.unite, "calcul": spec.calcul}
        for name, columns in published.items()
        if pilier in (None, name)
        for spec in rollup.dictionary(columns)
    ]
