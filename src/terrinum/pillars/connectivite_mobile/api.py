"""API routes of the mobile-connectivity pillar."""

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from terrinum.pillars.connectivite_mobile import indicators as cm
from terrinum.pillars.http import Niveau, Pages, indicator_list, within


class MobileOut(Schema):
    code: str
    nom: str
    niveau: str
    millesime: str
    source: str
    demo: bool
    operateur: str = Field(..., description="OF, SFR0, BOUY, FREE ou « tous »")
    nb_sites: int | None
    nb_sites_2g: int | None
    nb_sites_3g: int | None
    nb_sites_4g: int | None
    part_pop_4g_bonne: float | None = Field(None, description="Avec --operateur : population en bonne ou très bonne couverture 4G (%)")
    part_surface_4g_bonne: float | None
    part_pop_4g_aucune: float | None
    part_pop_4g_bonne_au_moins_un: float | None = Field(None, description="Exact (polygones) : bonne 4G d'au moins un opérateur")
    part_pop_4g_bonne_tous: float | None = Field(None, description="Exact (polygones) : bonne 4G de tous les opérateurs des fichiers")
    pop_zone_blanche_4g: int | None = Field(None, description="Exact (polygones) : habitants sans aucune 4G")
    operateurs_combines: str | None = Field(None, description="Opérateurs dont les polygones sont combinés")
    part_pop_4g_bonne_au_moins_un_min: float | None = Field(None, description="Borne basse : meilleur opérateur")
    part_pop_4g_bonne_tous_max: float | None = Field(None, description="Borne haute : moins bon opérateur")
    pop_zone_blanche_4g_max: int | None = Field(None, description="Borne haute des habitants sans aucune 4G")
    nd_sites_decides: int | None
    nd_sites_en_service: int | None
    nd_sites_en_retard: int | None
    nd_sites_en_service_en_retard: int | None = Field(None, description="Sites mis en service après leur échéance de 24 mois")


class MobileFilters(Schema):
    territoire: str | None = Field(None, max_length=200)
    operateur: Literal["OF", "SFR0", "BOUY", "FREE"] | None = None


def router() -> Router:
    router = Router(tags=["indicateurs"])

    @router.get("/connectivite-mobile/{niveau}", response=list[MobileOut], summary="Connectivité mobile à un niveau")
    @paginate(Pages)
    def mobile(request: HttpRequest, niveau: Niveau, filters: Query[MobileFilters]):
        scope = within(filters.territoire)
        return indicator_list(
            cm.PILIER,
            niveau,
            scope,
            lambda con: cm.indicator_rows(con, niveau, within=scope, operateur=filters.operateur),
            options=(filters.operateur,) if filters.operateur else (),
        )

    return router
