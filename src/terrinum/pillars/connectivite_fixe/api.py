"""API routes of the fixed-connectivity pillar."""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from terrinum.pillars.connectivite_fixe import indicators as cf
from terrinum.pillars.http import Niveau, Pages, VintageFilters, indicator_list, territory_rows, vintage, within


class FixedConnectivityOut(Schema):
    code: str = Field(..., description="Code INSEE / SIREN du territoire")
    nom: str
    niveau: str
    millesime: str = Field(..., description="Trimestre AAAATn")
    source: str
    demo: bool = Field(..., description="Vrai si la ligne repose sur des données de démonstration")
    locaux: int | None
    locaux_8mbits: int | None
    locaux_30mbits: int | None
    locaux_100mbits: int | None
    locaux_1gbits: int | None
    locaux_ftth_raccordables: int | None
    part_8mbits: float | None
    part_30mbits: float | None
    part_100mbits: float | None
    part_1gbits: float | None
    part_ftth: float | None
    zone: str | None = Field(None, description="ZTD, AMII, RIP ou mixte")
    objectif_8mbits_atteint: bool | None
    objectif_30mbits_atteint: bool | None
    objectif_ftth_atteint: bool | None
    locaux_manquants_8mbits: int | None
    locaux_manquants_30mbits: int | None
    locaux_manquants_ftth: int | None
    projection_ftth_95: str | None
    projection_ftth_100: str | None
    projection_ftth_100_fourchette: str | None


def router() -> Router:
    router = Router(tags=["indicateurs"])

    @router.get("/connectivite-fixe/{niveau}", response=list[FixedConnectivityOut], summary="Connectivité fixe à un niveau")
    @paginate(Pages)
    def fixed_connectivity(request: HttpRequest, niveau: Niveau, filters: Query[VintageFilters]):
        millesime = vintage(filters)
        scope = within(filters.territoire)
        return indicator_list(cf.PILIER, niveau, scope, lambda con: cf.indicator_rows(con, niveau, within=scope, millesime=millesime), millesime=millesime)

    @router.get("/connectivite-fixe/{niveau}/{code}", response=list[FixedConnectivityOut], summary="Connectivité fixe d'un territoire, tous millésimes")
    def fixed_connectivity_of(request: HttpRequest, niveau: Niveau, code: str):
        return territory_rows(niveau, code, lambda con, scope: cf.indicator_rows(con, niveau, within=scope))

    return router
