"""What the pillars' API routes share (mounted under /api/v1/ by terrinum.web.api): the
warehouse connection of a request and the territory filter."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from typing import Literal

from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination

from terrinum.territories import services
from terrinum.territories.helpers import TerritorySet
from terrinum.warehouse import store

Niveau = Literal["commune", "epci", "departement", "region", "pays"]
PAGE_SIZE, PAGE_MAX = 500, 2000


class Pages(LimitOffsetPagination):
    """Every list of indicator rows comes in pages: `{"items": [...], "count": total}`, at most
    PAGE_MAX rows a page (the whole table of the communes weighed 183 MB of JSON in one
    answer). Bulk downloads: `terrinum indicateurs … --format csv|parquet`."""

    class Input(Schema):
        limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_MAX, description=f"Lignes par page ({PAGE_SIZE} par défaut, {PAGE_MAX} au plus)")
        offset: int = Field(0, ge=0, description="Rang de la première ligne de la page (0 pour la première page)")

    def __init__(self, **kwargs):
        super().__init__(max_limit=PAGE_MAX, **kwargs)


ROWS = store.Cache(128)


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
