"""The data dictionary of the published indicator tables: for every `terrinum indicateurs`
export (and its API twin), each column's label, unit and how it is computed, in the
export's order. Declarations live beside each pillar's code (`warehouse.rollup.register`);
a test checks that every exported column has one."""

from __future__ import annotations

from terrinum.indicators import connectivite_fixe, connectivite_mobile, fragilite
from terrinum.planning import accessibility
from terrinum.warehouse import rollup

PUBLISHED = {
    connectivite_fixe.PILIER: connectivite_fixe.COLUMNS,
    connectivite_mobile.PILIER: connectivite_mobile.COLUMNS,
    fragilite.PILIER: fragilite.COLUMNS,
    accessibility.PILIER: accessibility.COLUMNS,
}
FIELDS = ["table", "colonne", "libelle", "unite", "calcul"]


def rows(pilier: str | None = None) -> list[dict]:
    """One row per (table, column); `pilier` keeps one table (ValueError when unknown)."""
    if pilier is not None and pilier not in PUBLISHED:
        raise ValueError(f"pilier « {pilier} » inconnu ({', '.join(PUBLISHED)})")
    return [
        {"table": name, "colonne": spec.nom, "libelle": spec.libelle, "unite": spec.unite, "calcul": spec.calcul}
        for name, columns in PUBLISHED.items()
        if pilier in (None, name)
        for spec in rollup.dictionary(columns)
    ]
