"""API routes of the référentiel (mounted under /api/v1/ by terrinum.web.api)."""

from __future__ import annotations

import json
from typing import Literal

import shapely
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from terrinum.territories import services
from terrinum.territories.models import Territory

router = Router(tags=["territoires"])

Niveau = Literal["commune", "arrondissement", "epci", "departement", "region", "pays"]


class ParentOut(Schema):
    niveau: str
    code: str
    nom: str


class CodeNomOut(Schema):
    code: str
    nom: str


class CandidateOut(Schema):
    niveau: str
    niveau_libelle: str
    code: str
    nom: str
    population: int | None
    departement: str | None


class SearchOut(Schema):
    query: str
    statut: Literal["trouve", "ambigu", "inconnu"]
    message: str
    note: str | None
    territoire: CandidateOut | None
    candidats: list[CandidateOut]


class TerritoryOut(Schema):
    code: str
    niveau: str
    nom: str
    siren: str | None
    population: int | None
    population_millesime: str | None
    superficie_km2: float | None
    densite_hab_km2: float | None
    nb_communes: int | None
    chef_lieu: str | None
    parents: list[ParentOut]
    epci: CodeNomOut | None = None
    departement: str | None = None
    region: str | None = None
    codes_postaux: list[str] | None = None
    mairie: dict | None = None


class SearchQuery(Schema):
    q: str = Field(..., max_length=200, pattern=r"\S", description="Nom, code INSEE, SIREN, code postal ou niveau:code (non vide)")


class GeometryQuery(Schema):
    tolerance: float = Field(0.001, ge=0, le=1, description="Tolérance de simplification, en degrés (0 = géométrie complète)")


def _get(niveau: str, code: str) -> Territory:
    t = services.get(niveau, code)
    if t is None:
        raise HttpError(404, f"Aucun territoire de niveau {niveau} n'a le code {code}.")
    return t


@router.get("/recherche", response=SearchOut, summary="Résoudre ou rechercher un territoire")
def search(request: HttpRequest, params: Query[SearchQuery]):
    try:
        res = services.resolve(params.q)
    except services.ResolutionError as exc:  # nothing can match such a query
        raise HttpError(404, str(exc)) from exc
    return {
        "query": params.q,
        "statut": res.statut,
        "message": res.message,
        "note": res.note,
        "territoire": services.as_candidate(res.territoire) if res.territoire else None,
        "candidats": [services.as_candidate(c) for c in res.candidats],
    }


@router.get("/suggestions", response=list[CandidateOut], summary="Suggestions à la saisie")
def suggestions(request: HttpRequest, params: Query[SearchQuery]):
    return [services.as_candidate(t) for t in services.suggest(params.q, limit=10)]


@router.get("/{niveau}/{code}", response=TerritoryOut, summary="Un territoire")
def territory(request: HttpRequest, niveau: Niveau, code: str):
    return services.as_dict(_get(niveau, code))


@router.get("/{niveau}/{code}/enfants", response=list[CandidateOut], summary="Sous-territoires")
def children(request: HttpRequest, niveau: Niveau, code: str):
    t = _get(niveau, code)
    return [services.as_candidate(c) for c in services.children(t).order_by("code").defer("geometrie", "geometrie_carte", "mairie")]


@router.get("/{niveau}/{code}/geometrie", summary="Géométrie GeoJSON (WGS84), simplifiée")
def geometry(request: HttpRequest, niveau: Niveau, code: str, params: Query[GeometryQuery]):
    t = _get(niveau, code)
    if not t.geometrie:
        raise HttpError(404, f"{t.nom} n'a pas de géométrie dans le référentiel.")
    geom = shapely.from_wkb(bytes(t.geometrie))
    if params.tolerance > 0:
        geom = shapely.simplify(geom, params.tolerance, preserve_topology=True)
    return {
        "type": "Feature",
        "properties": {"niveau": t.niveau, "code": t.code, "nom": t.nom, "tolerance": params.tolerance},
        "geometry": json.loads(shapely.to_geojson(geom)),
    }
