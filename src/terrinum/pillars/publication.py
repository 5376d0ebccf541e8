"""Published tables: each pillar's indicator table, at every level, computed once when a
warehouse version is published and stored in that version.

A list of the API then reads a page of a stored table (constant memory, a few milliseconds)
instead of computing the whole table at the first request after an import (11 s and 650 MB
for the communes' fixed connectivity), and the export files (CSV, Parquet) are copies of the
same tables, written once per version. Only the default options are published (every
vintage, every operator, the fragility index against France); a request with another option
is computed on demand. docs/architecture.md, "Tables publiées"."""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from terrinum.config import data_dir
from terrinum.pillars import Indicators, all_pillars
from terrinum.territories.helpers import LEVELS, TerritorySet
from terrinum.warehouse import store
from terrinum.warehouse.rollup import within_codes

FORMATS = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def published() -> dict[str, Indicators]:
    """The indicator tables published with each version (those computed from the warehouse
    alone): table name -> declaration."""
    return {p.indicators.table: p.indicators for p in all_pillars() if p.indicators and p.indicators.reads_warehouse}


def table_name(table: str) -> str:
    return "publie_" + table.replace("-", "_")


def publish(con) -> dict[str, int]:
    """Recompute every published table from the version being written (`con`, a writer's
    connection) and stamp the version with a new publication identifier. Returns rows per table."""
    counts = {}
    for table, indicators in published().items():
        rows = [{"rang": rank, **row} for niveau in LEVELS for rank, row in enumerate(indicators.rows(con, niveau, None))]
        data = pa.Table.from_pylist(rows, schema=_schema(indicators, rows))
        con.register("publication_rows", data)
        try:
            con.execute(f"CREATE OR REPLACE TABLE {table_name(table)} AS SELECT * FROM publication_rows")
        finally:
            con.unregister("publication_rows")
        counts[table] = len(rows)
    con.execute("CREATE OR REPLACE TABLE publication (identifiant VARCHAR, publie_le VARCHAR)")
    con.execute("INSERT INTO publication VALUES (?, ?)", [uuid.uuid4().hex[:16], datetime.now(UTC).isoformat(timespec="seconds")])
    return counts


def _schema(indicators: Indicators, rows: list[dict]) -> pa.Schema:
    """The table's columns in the dictionary's order; a column empty in every row is text
    (a type must be chosen; its values are all missing), except `demo`, a boolean (a table
    without rows, a pillar without data, once made /donnees/ fail)."""
    inferred = pa.Table.from_pylist(rows).schema if rows else pa.schema([])
    fields = [pa.field("rang", pa.int64())]
    for column in indicators.columns:
        kind = inferred.field(column).type if column in inferred.names else pa.null()
        if pa.types.is_null(kind):  # `demo` is read as a boolean by every page, even in an empty table
            kind = pa.bool_() if column == "demo" else pa.string()
        fields.append(pa.field(column, kind))
    return pa.schema(fields)


@contextmanager
def next_version(path: Path | None = None, on_wait=None):
    """`store.writer` plus the published tables: the version is published with its tables
    recomputed, or not at all."""
    with store.writer(path, on_wait) as con:
        yield con
        publish(con)


def available(con, table: str) -> bool:
    return store.tables_exist(con, [table_name(table)])


def _where(niveau: str, codes: list[str] | None, millesime: str | None) -> tuple[str, list]:
    sql, params = "niveau = ?", [niveau]
    if codes is not None:
        sql += " AND code IN (SELECT unnest(?))"
        params.append(codes)
    if millesime is not None:
        sql += " AND millesime = ?"
        params.append(millesime)
    return sql, params


def count(con, table: str, niveau: str, codes: list[str] | None = None, millesime: str | None = None) -> int:
    where, params = _where(niveau, codes, millesime)
    return con.execute(f"SELECT count(*) FROM {table_name(table)} WHERE {where}", params).fetchone()[0]


def page(con, table: str, niveau: str, codes: list[str] | None, millesime: str | None, offset: int, limit: int) -> list[dict]:
    """Rows `offset` to `offset + limit` of a published table, in the order the pillar gives
    them. Two steps keep the memory small: the rank of the page's first row (a sort of one
    integer column), then the page's rows from that rank (a sort of `limit` rows), instead
    of sorting `offset + limit` whole rows (250 MB for four requests on the last page of
    the communes)."""
    where, params = _where(niveau, codes, millesime)
    name = table_name(table)
    first = con.execute(f"SELECT rang FROM {name} WHERE {where} ORDER BY rang LIMIT 1 OFFSET ?", [*params, offset]).fetchone()
    if first is None:
        return []
    columns = published()[table].columns
    rel = con.execute(f"SELECT {', '.join(columns)} FROM {name} WHERE {where} AND rang >= ? ORDER BY rang LIMIT ?", [*params, first[0], limit])
    return [dict(zip(columns, row)) for row in rel.fetchall()]


def rows(con, table: str, niveau: str, within: TerritorySet | None = None, **options) -> list[dict]:
    """A pillar's indicator rows at one level (inside `within`), in the pillar's order: read
    from the version's published table for the default options, computed otherwise (an
    option given, or a version published without its tables). A section or a report then
    reads its territory's rows in a few milliseconds instead of computing them (a commune's
    fragility row: 45 ms, most of it the mobile coverage it rests on)."""
    options = {k: v for k, v in options.items() if v is not None}
    if options or not available(con, table):
        return published()[table].rows(con, niveau, within, **options)
    if within is None or within.is_everywhere:
        codes = None
    elif all(n == niveau for n, _ in within):
        codes = sorted(code for _, code in within)
    else:
        codes = within_codes(con, niveau, within)
    where, params = _where(niveau, codes, None)
    columns = published()[table].columns
    found = con.execute(f"SELECT {', '.join(columns)} FROM {table_name(table)} WHERE {where} ORDER BY rang", params).fetchall()
    return [dict(zip(columns, row)) for row in found]


def territory_rows(con, table: str, niveau: str, code: str, **options) -> list[dict]:
    """A territory's own rows of a published table (every vintage, in the pillar's order);
    none without a warehouse or at a level the tables do not publish."""
    if con is None or niveau not in LEVELS:
        return []
    return [r for r in rows(con, table, niveau, TerritorySet.of(niveau, code), **options) if r["code"] == code]


def latest_measured(rows: list[dict], column: str) -> dict | None:
    """The row of the latest vintage where `column` is measured."""
    measured = [r for r in rows if r.get(column) is not None]
    return max(measured, key=lambda r: r.get("millesime") or "") if measured else None


def summary(con, table: str) -> list[dict]:
    """Per level of a published table: rows, whether any rests on demonstration values, its
    vintages (first and last) and its sources."""
    columns = published()[table].columns
    vintages = "min(millesime), max(millesime)" if "millesime" in columns else "NULL, NULL"
    rows = con.execute(
        f"""SELECT niveau, count(*), bool_or(demo), {vintages}, list(DISTINCT source ORDER BY source)
            FROM {table_name(table)} GROUP BY niveau"""
    ).fetchall()
    by_level = {r[0]: r for r in rows}
    return [
        {"niveau": n, "lignes": r[1], "demo": r[2], "premier": r[3], "dernier": r[4], "sources": sorted({p for s in r[5] if s for p in s.split(" + ")})}
        for n in LEVELS
        if (r := by_level.get(n)) is not None
    ]


def published_at(con) -> str | None:
    return con.execute("SELECT publie_le FROM publication").fetchone()[0] if store.tables_exist(con, ["publication"]) else None


def identifier(con) -> str | None:
    """The current version's publication identifier (None for a warehouse published before
    the tables were)."""
    if not store.tables_exist(con, ["publication"]):
        return None
    return con.execute("SELECT identifiant FROM publication").fetchone()[0]


def exports_dir() -> Path:
    return data_dir() / "exports"


def export_file(table: str, niveau: str, fmt: str) -> Path:
    """The export file of a published table at one level for the current version, written
    the first time it is asked for (an atomic rename; several processes asking at once write
    it once) and kept until the next publication. Raises store.Unavailable, or KeyError for
    an unknown table, level or format."""
    if table not in published() or niveau not in LEVELS or fmt not in FORMATS:
        raise KeyError((table, niveau, fmt))
    with store.reader() as con:
        ident = identifier(con)
        if ident is None or not available(con, table):
            raise store.Unavailable("absent")
        folder = exports_dir() / ident
        target = folder / f"{table}-{niveau}.{fmt}"
        if target.exists():
            return target
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / ".verrou").open("a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not target.exists():
                draft = target.with_name(target.name + ".brouillon")
                columns = ", ".join(published()[table].columns)
                options = "FORMAT csv, HEADER, DELIMITER ';'" if fmt == "csv" else "FORMAT parquet"
                quoted = str(draft).replace("'", "''")
                # No ORDER BY: the rows were inserted by level then rank, and DuckDB keeps the
                # insertion order of a scan (preserve_insertion_order, on by default) without
                # sorting the whole table in memory (160 MB for the communes' fixed connectivity).
                con.execute(f"COPY (SELECT {columns} FROM {table_name(table)} WHERE niveau = '{niveau}') TO '{quoted}' ({options})")
                os.replace(draft, target)
    for old in exports_dir().iterdir():  # files of earlier versions
        if old.is_dir() and old.name != ident:
            shutil.rmtree(old, ignore_errors=True)
    return target
