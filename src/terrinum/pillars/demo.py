"""What every pillar's demonstration generator shares (`terrinum demo`; each pillar's own
generator is its demo.py).

Every row written here carries demo = TRUE and source = "demo"; every page, API answer and
export built on them says "données de démonstration". Demonstration values are replaced
pillar by pillar: the first real file of a pillar removes them all, and `terrinum demo`
leaves alone a pillar that holds real data, so that no figure mixes real and demo inputs.
Calibration: methodologie/methodologie-connectivite-fixe.md ("Données de démonstration").
"""

from __future__ import annotations

import hashlib

import duckdb

from terrinum.warehouse import store

SOURCE = "demo"


def unit_noise(code: str, salt: str) -> float:
    """A deterministic number in [0, 1) for a commune code."""
    digest = hashlib.sha256(f"{salt}:{code}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def has_real_data(con: duckdb.DuckDBPyConnection, tables) -> bool:
    """Whether any of the pillar's tables holds a row that is not demonstration."""
    return any(con.execute(f"SELECT count(*) FROM {t.name} WHERE NOT demo").fetchone()[0] for t in tables)


def communes(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(code, département, population) of every commune, the reference of every generator."""
    rows = con.execute("SELECT code, departement_code, coalesce(population, 0) FROM ref_commune ORDER BY code").fetchall()
    if not rows:
        raise RuntimeError("référentiel absent de l'entrepôt : lancez « terrinum init »")
    return rows


def replace(con: duckdb.DuckDBPyConnection, rows_by_table: dict[str, list[dict]]) -> dict[str, int]:
    """Replace the demonstration rows of the given tables, in one transaction."""
    with store.transaction(con):
        return {table: store.replace_rows(con, table, rows) for table, rows in rows_by_table.items()}
