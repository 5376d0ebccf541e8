"""API routes of the technology pillar."""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from terrinum.pillars.http import Niveau, Pages, indicator_list, warehouse, within
from terrinum.pillars.technologies import indicators as tc
from terrinum.sources.common import check_millesime
from terrinum.territories import services
from terrinum.territories.helpers import TerritorySet


def _schema() -> type[Schema]:
    """The published row, in the dictionary's order: every column typed."""
    special = {
        "code": (str, Field(..., description="Code INSEE / SIREN du territoire")),
        "nom": (str, ...),
        "niveau": (str, ...),
        "millesime": (str, Field(..., description="Trimestre AAAATn")),
        "source": (str, ...),
        "demo": (bool, Field(..., description="Vrai si la ligne repose sur des données de démonstration")),
        "zone_initiative_publique_connue": (bool, ...),
        "locaux_cohesion_2020": (int | None, Field(None, description="Vide quand la zone de déploiement n'est pas connue")),
        "ecart_ftth_plan": (float | None, Field(None, description="Part FttH − 85 (points)")),
    }
    fields = {c: special.get(c) or ((int, ...) if c.startswith("locaux") else (float | None, None)) for c in tc.COLUMNS}
    namespace = {"__module__": __name__, "__annotations__": {k: t for k, (t, _) in fields.items()}}
    namespace.update({k: d for k, (_, d) in fields.items() if d is not ...})
    return type(Schema)("TechnologiesOut", (Schema,), namespace)


TechnologiesOut = _schema()


class Filters(Schema):
    territoire: str | None = Field(None, max_length=200, description="Limiter aux unités situées dans ce territoire (code, nom, niveau:code)")
    millesime: str | None = Field(None, pattern=r"^\d{4}T[1-4]$", description="Un seul millésime, AAAATn")


def router() -> Router:
    router = Router(tags=["indicateurs"])

    @router.get("/technologies/{niveau}", response=list[TechnologiesOut], summary="Technologies d'accès à un niveau")
    @paginate(Pages)
    def technologies(request: HttpRequest, niveau: Niveau, filters: Query[Filters]):
        millesime = None
        if filters.millesime:
            try:
                millesime = check_millesime(filters.millesime)
            except ValueError as exc:
                raise HttpError(400, str(exc)) from exc
        scope = within(filters.territoire)
        return indicator_list(tc.PILIER, niveau, scope, lambda con: tc.indicator_rows(con, niveau, within=scope, millesime=millesime), millesime=millesime)

    @router.get("/technologies/{niveau}/{code}", response=list[TechnologiesOut], summary="Technologies d'accès d'un territoire, tous millésimes")
    def technologies_of(request: HttpRequest, niveau: Niveau, code: str):
        if services.get(niveau, code) is None:
            raise HttpError(404, f"Aucun territoire de niveau {niveau} n'a le code {code}.")
        with warehouse() as con:
            return [r for r in tc.indicator_rows(con, niveau, within=TerritorySet.of(niveau, code.upper())) if r["code"] == code.upper()]

    return router
