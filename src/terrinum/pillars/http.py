"""What the pillars' API routes share (mounted under /api/v1/ by terrinum.web.api): the
warehouse connection of a request and the territory filter."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from typing import Literal

from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination

from terrinum.pillars import publication
from terrinum.territories import services
from terrinum.territories.helpers import TerritorySet
from terrinum.warehouse import store
from terrinum.warehouse.rollup import within_codes

Niveau = Literal["commune", "epci", "departement", "region", "pays"]
PAGE_SIZE, PAGE_MAX = 500, 2000


OFFSET_MAX = 100_000_000


class Pages(LimitOffsetPagination):
    """Every list of indicator rows comes in pages: `{"items": [...], "count": total}`, at most
    PAGE_MAX rows a page (the whole table of the communes weighed 183 MB of JSON in one
    answer). Bulk downloads: the export files of /donnees/ (pillars.publication)."""

    class Input(Schema):
        limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_MAX, description=f"Lignes par page ({PAGE_SIZE} par défaut, {PAGE_MAX} au plus)")
        # bounded: the largest table (communes × vintages) is far below it, and DuckDB's
        # OFFSET is a 64-bit integer (an offset of 10^23 gave a server error)
        offset: int = Field(0, ge=0, le=OFFSET_MAX, description="Rang de la première ligne de la page (0 pour la première page)")

    def __init__(self, **kwargs):
        super().__init__(max_limit=PAGE_MAX, **kwargs)


# Lists of rows kept per version: at most 40,000 rows in all, whatever the options asked (one
# list of every commune, about 68 MB, or twenty pages of 2,000 rows; docs/exploitation.md).
ROWS_BUDGET = 40_000
ROWS = store.Cache(128, weight=lambda value: len(value) if isinstance(value, list) else 1, budget=ROWS_BUDGET)


class PublishedRows:
    """The rows of a published table at one level, in a territory and a vintage, read a page
    at a time from the current version (what the paginator asks: a slice and the length).
    Pages and counts are kept per version, like computed lists (a page read costs a few
    milliseconds of DuckDB, but opening the warehouse and filtering on a territory's codes
    made a list page 15 times slower than a territory page under load)."""

    def __init__(self, table: str, niveau: str, scope: TerritorySet | None, millesime: str | None = None, adjust: Callable[[dict], dict] | None = None):
        self.key = (table, niveau, scope, millesime, store.version())
        self.adjust = adjust

    def _read(self, what: str, extra: tuple, read):
        table, niveau, scope, millesime, _ = self.key

        def computed():
            with warehouse() as con:
                return read(con, table, niveau, within_codes(con, niveau, scope), millesime)

        return ROWS.get_or_compute((what, *self.key, *extra), computed)

    def __len__(self) -> int:
        return self._read("count", (), publication.count)

    def __getitem__(self, part: slice) -> list[dict]:
        rows = self._read("page", (part.start, part.stop), lambda *q: publication.page(*q, part.start, part.stop - part.start))
        return rows if self.adjust is None else [self.adjust(row) for row in rows]


def indicator_list(
    table: str,
    niveau: str,
    scope: TerritorySet | None,
    compute,
    *,
    options: tuple = (),
    millesime: str | None = None,
    adjust: Callable[[dict], dict] | None = None,
):
    """A list endpoint's rows: read from the published table when the request asks for the
    default options (`options`: those it sets, empty for the defaults) or when `adjust`
    turns a published row into the options' row, else `compute(con)`, kept per version."""
    if not options or adjust is not None:

        def ready():
            with warehouse() as con:
                return publication.available(con, table)

        if ROWS.get_or_compute(("publiee", table, store.version()), ready):
            return PublishedRows(table, niveau, scope, millesime, adjust)
    return rows_of(table, (niveau, scope, millesime, options), compute)


def rows_of(name: str, params: tuple, compute):
    """The rows `compute(con)` gives, kept per warehouse version and day (a projected date
    becomes "passed" at midnight): a list endpoint computes its table once per version,
    then serves pages of it."""

    def computed():
        with warehouse() as con:
            return compute(con)

    return ROWS.get_or_compute((name, params, store.version(), date.today()), computed)


@contextmanager
def warehouse():
    """A read-only warehouse connection for an API route: 404 without a warehouse, 503 while
    an import writes it."""
    try:
        with store.reader() as con:
            yield con
    except store.Unavailable as exc:
        if exc.reason == "absent":
            raise HttpError(404, "Aucun entrepôt de données : lancez terrinum init puis importez des fichiers.") from exc
        raise HttpError(503, "Entrepôt en cours de mise à jour, réessayez dans un instant.") from exc


def within(query: str | None) -> TerritorySet | None:
    if not query:
        return None
    try:
        res = services.resolve(query)
    except services.ResolutionError as exc:
        raise HttpError(404, str(exc)) from exc
    if res.statut != "trouve":  # several territories match: the client chooses (409, candidates in the message)
        raise HttpError(409 if res.statut == "ambigu" else 404, res.message)
    if res.territoire.niveau == "arrondissement":
        raise HttpError(404, "Pas d'indicateurs à l'arrondissement : ils s'arrêtent à la commune.")
    return TerritorySet.of(res.territoire.niveau, res.territoire.code)


class VintageFilters(Schema):
    """The query of a per-quarter indicator list: a territory and one vintage."""

    territoire: str | None = Field(None, max_length=200, description="Limiter aux unités situées dans ce territoire (code, nom, niveau:code)")
    millesime: str | None = Field(None, pattern=r"^\d{4}T[1-4]$", description="Un seul millésime, AAAATn")


def vintage(filters: VintageFilters) -> str | None:
    """The vintage asked for, checked (400 when it does not exist)."""
    from terrinum.sources.common import check_millesime

    if not filters.millesime:
        return None
    try:
        return check_millesime(filters.millesime)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from exc


def territory_rows(niveau: str, code: str, rows) -> list[dict]:
    """One territory's own rows, every vintage: `rows(con, scope)` computed over it (404 for
    an unknown territory)."""
    if services.get(niveau, code) is None:
        raise HttpError(404, f"Aucun territoire de niveau {niveau} n'a le code {code}.")
    code = code.upper()
    with warehouse() as con:
        return [r for r in rows(con, TerritorySet.of(niveau, code)) if r["code"] == code]
