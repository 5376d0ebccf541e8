"""The DuckDB warehouse file, its provenance table and the reference tables rollups use."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from terrinum.config import data_dir

SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS provenance_id;
CREATE TABLE IF NOT EXISTS provenance (
    id BIGINT PRIMARY KEY DEFAULT nextval('provenance_id'),
    source VARCHAR NOT NULL,          -- source kind, e.g. 'referentiel', 'arcep-mci-communes'
    millesime VARCHAR,                -- data vintage: year or quarter (2019T3)
    fichier VARCHAR NOT NULL,         -- file or package name
    sha256 VARCHAR NOT NULL,
    lignes_lues BIGINT NOT NULL,
    lignes_chargees BIGINT NOT NULL,
    lignes_rejetees BIGINT NOT NULL,
    charge_le TIMESTAMPTZ NOT NULL,
    details JSON
);
CREATE TABLE IF NOT EXISTS ref_commune (
    code VARCHAR PRIMARY KEY,
    nom VARCHAR NOT NULL,
    epci_code VARCHAR,
    departement_code VARCHAR NOT NULL,
    region_code VARCHAR NOT NULL,
    population BIGINT
);
CREATE TABLE IF NOT EXISTS ref_departement (
    code VARCHAR PRIMARY KEY,
    nom VARCHAR NOT NULL,
    region_code VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS catalogue_indicateurs (
    nom VARCHAR PRIMARY KEY,
    pilier VARCHAR NOT NULL,
    libelle VARCHAR NOT NULL,
    unite VARCHAR,
    agregation VARCHAR NOT NULL,
    definition JSON NOT NULL
);
"""


def warehouse_path() -> Path:
    return data_dir() / "warehouse.duckdb"


def connect(path: Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (created with its schema on first use)."""
    con = duckdb.connect(str(path or warehouse_path()), read_only=read_only)
    if not read_only:
        con.execute(SCHEMA)
    return con


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def record_provenance(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    millesime: str | None,
    fichier: str,
    sha256: str,
    lues: int,
    chargees: int,
    rejetees: int,
    details: dict | None = None,
) -> None:
    """Leave the provenance row every ingest must leave (inside the ingest's transaction)."""
    con.execute(
        "INSERT INTO provenance (source, millesime, fichier, sha256, lignes_lues, lignes_chargees,"
        " lignes_rejetees, charge_le, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [source, millesime, fichier, sha256, lues, chargees, rejetees, datetime.now(timezone.utc), json.dumps(details or {})],
    )


def publish_reference(con: duckdb.DuckDBPyConnection, communes: list[dict], departements: list[dict], provenance: dict) -> None:
    """Replace the reference tables the rollups join on, in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM ref_commune")
        con.executemany(
            "INSERT INTO ref_commune VALUES (?, ?, ?, ?, ?, ?)",
            [[c["code"], c["nom"], c["epci_code"], c["departement_code"], c["region_code"], c["population"]] for c in communes],
        )
        con.execute("DELETE FROM ref_departement")
        con.executemany(
            "INSERT INTO ref_departement VALUES (?, ?, ?)",
            [[d["code"], d["nom"], d["region_code"]] for d in departements],
        )
        record_provenance(con, **provenance)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def latest_provenance(con: duckdb.DuckDBPyConnection, source: str) -> dict | None:
    row = con.execute(
        "SELECT source, millesime, fichier, sha256, lignes_lues, lignes_chargees, lignes_rejetees, charge_le"
        " FROM provenance WHERE source = ? ORDER BY id DESC LIMIT 1",
        [source],
    ).fetchone()
    if row is None:
        return None
    keys = ["source", "millesime", "fichier", "sha256", "lignes_lues", "lignes_chargees", "lignes_rejetees", "charge_le"]
    return dict(zip(keys, row))
