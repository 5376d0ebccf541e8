"""API routes of the technology pillar."""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from terrinum.pillars.http import Niveau, Pages, VintageFilters, indicator_list, territory_rows, vintage, within
from terrinum.pillars.technologies import indicators as tc


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


def router() -> Router:
    router = Router(tags=["indicateurs"])

    @router.get("/technologies/{niveau}", response=list[TechnologiesOut], summary="Technologies d'accès à un niveau")
    @paginate(Pages)
    def technologies(request: HttpRequest, niveau: Niveau, filters: Query[VintageFilters]):
        millesime = vintage(filters)
        scope = within(filters.territoire)
        return indicator_list(tc.PILIER, niveau, scope, lambda con: tc.indicator_rows(con, niveau, within=scope, millesime=millesime), millesime=millesime)

    @router.get("/technologies/{niveau}/{code}", response=list[TechnologiesOut], summary="Technologies d'accès d'un territoire, tous millésimes")
    def technologies_of(request: HttpRequest, niveau: Niveau, code: str):
        return territory_rows(niveau, code, lambda con, scope: tc.indicator_rows(con, niveau, within=scope))

    return router
