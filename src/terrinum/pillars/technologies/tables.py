"""Canonical warehouse table of the technology mix (commune level), filled by the per-building
import of the fixed-connectivity pillar in the same pass as its speeds (sources/arcep_batiments.py)."""

from terrinum.sources.arcep_batiments import technology_columns
from terrinum.warehouse.store import TableSpec

COUNTS = tuple(technology_columns())
TECHNOLOGIES = TableSpec(
    "cf_technologies",
    "CREATE TABLE IF NOT EXISTS cf_technologies (source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL, "
    "code_commune VARCHAR, code_departement VARCHAR NOT NULL, locaux BIGINT NOT NULL, "
    + ", ".join(f"{c} BIGINT NOT NULL" for c in COUNTS)
    + ", demo BOOLEAN NOT NULL)",
    ("locaux", *COUNTS),
)
TABLES = (TECHNOLOGIES,)
