"""The pillar registry. A pillar is one folder of this package declaring, in one `Pillar`:
its source kinds (parsers and what they fill), its warehouse tables, its transforms (derived
tables, recomputed after a load), its indicators and published columns, its demonstration
generator, its section of the territory page and diagnostic report, its API routes and its
`terrinum indicateurs` command. The CLI, the API, the data dictionary, `demo`, the territory
page and the report loop over `all_pillars()`; adding a pillar means adding its folder
(docs/architecture.md, "Ajouter un pilier")."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from terrinum.warehouse.store import TableSpec


@dataclass(frozen=True)
class SourceKind:
    """A kind of file `terrinum ingest NAME PATH` accepts.

    `parse(path, millesime, **options)` reads and validates the file (sources/). A warehouse
    kind fills `tables`; `options(con, crs)` gives the parser what it reads besides the file
    (commune contours...), `transform(con, parsed)` recomputes derived tables after the load
    and returns a note; `key` names the fields that identify a row (see reject_duplicates). A kind whose rows go to an operational app sets `load(path,
    accept_rejects)` instead, returning a report with `as_dict()`."""

    name: str
    help: str
    parse: Callable[..., Any]
    tables: tuple[TableSpec, ...] = ()
    options: Callable[..., dict] | None = None
    transform: Callable[..., str | None] | None = None
    load: Callable[..., Any] | None = None
    folder: bool = False  # the kind reads a folder of files, not one file
    # Fields identifying a row (empty: the whole row); a repeated key is a rejected row.
    # None: the parser's rows are unique by construction (aggregates, polygons per commune).
    key: tuple[str, ...] | None = ()
    key_label: str | None = None  # how the file names the key, in the rejection message
    # The parser computes per-département partitions: it takes `engine` and `progress`
    # (terrinum.engines). `staged`: it writes per-building files in the `staging` folder it
    # is given, moved beside the warehouse after the commit.
    partitioned: bool = False
    staged: bool = False

    def read(self, path, millesime: str | None = None, **options):
        """Parse and validate a file: the parser's rows, less those whose key repeats."""
        from terrinum.sources.common import reject_duplicates

        parsed = self.parse(path, millesime, **options)
        if self.key is not None:
            reject_duplicates(parsed, path.name, self.key, self.key_label)
        return parsed


def commune_source(name: str, help: str, parse: Callable[..., Any], tables: tuple[TableSpec, ...], *, per_vintage: bool = False) -> SourceKind:
    """A kind whose rows are one per commune (and per vintage when the file holds several): a
    repeated commune is a rejected row."""
    return SourceKind(name, help, parse, tables, key=("code_source", "millesime") if per_vintage else ("code_source",), key_label="code commune")


@dataclass(frozen=True)
class Option:
    """An option of a pillar's indicator query (CLI option and its help)."""

    name: str  # keyword passed to `rows`, and --name on the command line
    help: str
    default: Any = None
    choices: tuple[str, ...] | None = None
    type: type = str
    check: Callable[[Any], Any] | None = None  # normalises the value, or ValueError saying why


def vintage_option() -> Option:
    """The `--millesime` option of a per-quarter table, checked (AAAATn)."""
    from terrinum.sources.common import check_millesime

    return Option("millesime", "Un seul millésime (AAAATn).", check=check_millesime)


@dataclass(frozen=True)
class Indicators:
    """A pillar's published indicator table: `rows(con, niveau, within, **options)` (within:
    a TerritorySet or None; ValueError for bad options), its columns (the dictionary's order),
    the `terrinum indicateurs` command's help and options, and the message when empty."""

    table: str
    columns: tuple[str, ...]
    rows: Callable[..., list[dict]]
    help: str
    empty: str
    options: tuple[Option, ...] = ()
    title: str = ""
    reads_warehouse: bool = True  # False: `rows` gets con=None (reads the relational database)


@dataclass(frozen=True)
class Column:
    """A headline column of the sub-territories comparison table: `value(section_data, code)`."""

    key: str
    label: str
    value: Callable[[dict, str], Any]
    decimals: int = 1


@dataclass(frozen=True)
class Section:
    """A pillar's section of the territory page and the diagnostic report.

    `compose(ctx)` returns the section's data (a dict) or None when there is nothing to show;
    `template` is a Django template path rendering it (the data is `s`, the territory `t`).
    `warehouse_only`: the data depends on the warehouse alone, so it is kept per warehouse
    version and recomputed only after an import publishes a new one (a section that reads
    the operational apps' tables, edited at any time, says False)."""

    key: str
    title: str
    compose: Callable[[Any], dict | None]
    template: str
    comparison: tuple[Column, ...] = ()
    warehouse_only: bool = True


@dataclass(frozen=True)
class Stamp:
    """What tells that a pillar backed by an operational app changed (the key of kept pages,
    siting results and reports): scalar SQL queries (counts, maxima) of the app's tables,
    read with every other pillar's in one query, and `rows`, SQL queries whose whole result
    is part of the stamp (what is not a scalar). Plain SQL, not the ORM: every visitor's
    request computes it (two ORM queries took 0.54 of its 0.63 ms)."""

    queries: tuple[str, ...]
    rows: tuple[str, ...] = ()


def model_table(model) -> str:
    """A Django model's table, quoted for the database in use (for a Stamp's queries)."""
    from django.db import connection

    return connection.ops.quote_name(model._meta.db_table)


@dataclass(frozen=True)
class Pillar:
    key: str
    title: str
    order: int
    tables: tuple[TableSpec, ...] = ()
    sources: tuple[SourceKind, ...] = ()
    indicators: Indicators | None = None
    demo: Callable[..., dict[str, int] | None] | None = None
    demo_label: str = ""
    section: Section | None = None
    api: Callable[[], Any] | None = None  # a new ninja Router on each call
    stamp: Callable[[], Stamp] | None = None  # a pillar reading an operational app's tables
    # Its part of the diagnostic (pillars.findings): headline figures compared with the peers,
    # `facts(con, t, reference)` -> the figures its priority rules read (a dict; None values
    # when absent), `rules()` -> its rules, `state(facts)` -> "reel" | "partiel" | "demo" |
    # "absent" (without it: from the territory's rows of its published table, else "reel").
    headlines: tuple = ()
    facts: Callable[..., dict] | None = None
    rules: Callable[[], tuple] | None = None
    state: Callable[[dict], str] | None = None


def lazy(target: str) -> Callable:
    """A callable that imports "package.module:function" on its first call: pillar modules
    reading Django models or the web framework stay unimported until used (the CLI lists
    the pillars before Django is set up)."""

    def call(*args, **kwargs):
        module, _, name = target.partition(":")
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    return call


_REGISTRY: dict[str, Pillar] = {}
_discovered = False


# What every page and export reads in a published table (the territory, whether a row rests
# on demonstration values, its source): a table without them is refused at declaration.
PUBLISHED_COLUMNS = ("code", "nom", "niveau", "demo", "source")


def register(pillar: Pillar) -> Pillar:
    """Declare a pillar; a key and a source-kind name can only mean one thing, and a table
    published from the warehouse carries PUBLISHED_COLUMNS."""
    if pillar.indicators is not None and pillar.indicators.reads_warehouse:
        missing = sorted(set(PUBLISHED_COLUMNS) - set(pillar.indicators.columns))
        if missing:
            raise ValueError(f"pilier {pillar.key!r} : sa table publiée doit avoir les colonnes {', '.join(missing)}")
    existing = _REGISTRY.get(pillar.key)
    if existing is not None and existing is not pillar:
        raise ValueError(f"pilier {pillar.key!r} déjà déclaré")
    kinds = {k.name for p in _REGISTRY.values() if p.key != pillar.key for k in p.sources}
    clash = kinds & {k.name for k in pillar.sources}
    if clash:
        raise ValueError(f"source(s) déjà déclarée(s) par un autre pilier : {', '.join(sorted(clash))}")
    _REGISTRY[pillar.key] = pillar
    return pillar


def unregister(key: str) -> None:
    _REGISTRY.pop(key, None)


def discover() -> None:
    """Import every pillar folder of this package once (each registers itself)."""
    global _discovered
    if _discovered:
        return
    for module in pkgutil.iter_modules(__path__):
        if module.ispkg:
            importlib.import_module(f"{__name__}.{module.name}")
    _discovered = True


def all_pillars() -> list[Pillar]:
    discover()
    return sorted(_REGISTRY.values(), key=lambda p: (p.order, p.key))


def get(key: str) -> Pillar:
    discover()
    return _REGISTRY[key]


def source_kinds() -> dict[str, tuple[Pillar, SourceKind]]:
    """Every source kind, in pillar order: name -> (pillar, kind)."""
    return {k.name: (p, k) for p in all_pillars() for k in p.sources}


def published_tables() -> dict[str, tuple[str, ...]]:
    """Published indicator tables (the data dictionary's): table -> columns."""
    return {p.indicators.table: p.indicators.columns for p in all_pillars() if p.indicators}


def change_stamp() -> tuple:
    """What the operational apps' sections show has changed when this changes (every pillar's
    Stamp). Time is not part of it. Every visitor's request computes it (it is part of the
    key of kept pages): the scalars of all pillars are read in one query (fourteen queries
    took 2.6 ms of the 3.5 ms of a kept page)."""
    from django.db import connection

    stamps = [p.stamp() for p in all_pillars() if p.stamp is not None]
    scalars = [q for s in stamps for q in s.queries]
    values: tuple = ()
    with connection.cursor() as cursor:
        if scalars:
            cursor.execute("SELECT " + ", ".join(f"({q})" for q in scalars))
            values = tuple(cursor.fetchone())
        for query in (q for s in stamps for q in s.rows):
            cursor.execute(query)
            values += (tuple(map(tuple, cursor.fetchall())),)
    return values
