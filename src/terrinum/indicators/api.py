"""API routes of the indicators (mounted under /api/v1/ by terrinum.web.api)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Literal

import duckdb
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from terrinum.indicators import connectivite_fixe as cf
from terrinum.indicators import connectivite_mobile as cm
from terrinum.indicators import fragilite as fr
from terrinum.sources.common import check_millesime
from terrinum.territories import services
from terrinum.warehouse import store

router = Router(tags=["indicateurs"])
Niveau = Literal["commune", "epci", "departement", "region", "pays"]


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


class Filters(Schema):
    territoire: str | None = Field(None, max_length=200, description="Limiter aux unités situées dans ce territoire (code, nom, niveau:code)")
    millesime: str | None = Field(None, description="Un seul millésime, AAAATn")


@contextmanager
def _warehouse():
    path = store.warehouse_path()
    if not path.exists():
        raise HttpError(404, "Aucun entrepôt de données : lancez terrinum init puis importez des fichiers.")
    try:
        con = store.connect(path, read_only=True)
    except duckdb.Error as exc:
        raise HttpError(503, "Entrepôt en cours de mise à jour, réessayez dans un instant.") from exc
    try:
        yield con
    finally:
        con.close()


def _within(query: str | None) -> tuple[str, str] | None:
    if not query:
        return None
    try:
        res = services.resolve(query)
    except services.ResolutionError as exc:
        raise HttpError(400, str(exc)) from exc
    if res.statut != "trouve":
        raise HttpError(400 if res.statut == "ambigu" else 404, res.message)
    if res.territoire.niveau == "arrondissement":
        raise HttpError(400, "Les indicateurs s'arrêtent à la commune.")
    return res.territoire.niveau, res.territoire.code


@router.get("/connectivite-fixe/{niveau}", response=list[FixedConnectivityOut], summary="Connectivité fixe à un niveau")
def fixed_connectivity(request: HttpRequest, niveau: Niveau, filters: Query[Filters]):
    millesime = None
    if filters.millesime:
        try:
            millesime = check_millesime(filters.millesime)
        except ValueError as exc:
            raise HttpError(400, str(exc)) from exc
    with _warehouse() as con:
        return cf.indicator_rows(con, niveau, within=_within(filters.territoire), millesime=millesime)


@router.get("/connectivite-fixe/{niveau}/{code}", response=list[FixedConnectivityOut], summary="Connectivité fixe d'un territoire, tous millésimes")
def fixed_connectivity_of(request: HttpRequest, niveau: Niveau, code: str):
    if services.get(niveau, code) is None:
        raise HttpError(404, f"Aucun territoire de niveau {niveau} n'a le code {code}.")
    with _warehouse() as con:
        return [r for r in cf.indicator_rows(con, niveau, within=(niveau, code.upper())) if r["code"] == code.upper()]


class FragilityOut(Schema):
    code: str
    nom: str
    niveau: str
    reference: str = Field(..., description="Territoire de référence (indice 100) : pays, region:CODE, departement:CODE, epci:CODE")
    demo: bool = Field(..., description="Vrai si l'indice repose au moins en partie sur des données de démonstration")
    indice_global: float | None
    indice_acces_interfaces: float | None
    indice_acces_information: float | None
    indice_competences_administratives: float | None
    indice_competences_numeriques: float | None
    couverture_donnees_pct: float | None = Field(None, description="Part des communes ayant toutes les données du recensement")
    couverture_pauvrete_pct: float | None
    personnes_a_risque_bas: float | None
    personnes_a_risque_haut: float | None
    part_locaux_sans_30mbits: float | None
    part_pop_sans_4g: float | None
    tx_nscol15p: float | None
    tx_menseul: float | None
    tx_fammono: float | None
    tx_65etplus: float | None
    tx_25etmoins: float | None
    tx_demandeurs_emploi: float | None
    tx_pauvrete: float | None
    population: int | None
    indicateurs_utilises: str
    source: str


class FragilityFilters(Schema):
    territoire: str | None = Field(None, max_length=200, description="Limiter aux unités situées dans ce territoire")
    reference: str = Field("pays", max_length=30, description="pays, region:CODE, departement:CODE ou epci:CODE")


@router.get("/fragilite/{niveau}", response=list[FragilityOut], summary="Indice de fragilité numérique à un niveau")
def fragility(request: HttpRequest, niveau: Niveau, filters: Query[FragilityFilters]):
    with _warehouse() as con:
        try:
            return fr.indicator_rows(con, niveau, within=_within(filters.territoire), reference=filters.reference)
        except ValueError as exc:
            raise HttpError(400, str(exc)) from exc


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


class MobileFilters(Schema):
    territoire: str | None = Field(None, max_length=200)
    operateur: Literal["OF", "SFR0", "BOUY", "FREE"] | None = None


@router.get("/connectivite-mobile/{niveau}", response=list[MobileOut], summary="Connectivité mobile à un niveau")
def mobile(request: HttpRequest, niveau: Niveau, filters: Query[MobileFilters]):
    with _warehouse() as con:
        return cm.indicator_rows(con, niveau, within=_within(filters.territoire), operateur=filters.operateur)
