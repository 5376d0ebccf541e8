"""Canonical warehouse table of the fragility pillar: INSEE rates per commune, long format
(one row per commune and indicator; a file replaces the indicators it carries)."""

from terrinum.warehouse.store import TableSpec

VALUES = TableSpec(
    "fr_valeurs",
    """CREATE TABLE IF NOT EXISTS fr_valeurs (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL, indicateur VARCHAR NOT NULL,
        valeur DOUBLE NOT NULL, demo BOOLEAN NOT NULL)""",
    long=True,
)
TABLES = (VALUES,)
