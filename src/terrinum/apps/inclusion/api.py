"""API routes of the places registry (mounted under /api/v1/ by terrinum.web.api)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from terrinum.apps.inclusion import services
from terrinum.apps.inclusion.models import Lieu

router = Router(tags=["lieux"])


class PlaceOut(Schema):
    """A place in the national standard, plus Terrinum's own fields."""

    id: str = Field(..., description="Identifiant au standard (champ `id`)")
    nom: str
    commune: str
    code_postal: str
    code_insee: str | None
    commune_code: str | None = Field(None, description="Commune actuelle (code INSEE rapproché)")
    adresse: str
    latitude: float | None
    longitude: float | None
    horaires: str | None = Field(None, description="Syntaxe OpenStreetMap opening_hours")
    services: list[str]
    publics_specifiquement_adresses: list[str]
    frais_a_charge: list[str]
    telephone: str | None
    comptoir_numerique: bool
    pass_numerique: bool
    source: str | None
    date_maj: str


class FoundOut(PlaceOut):
    distance_km: float
    ouvert: bool | None = Field(None, description="Ouvert au moment de la requête (null : horaires non renseignés)")


class FinderQuery(Schema):
    q: str = Field(..., max_length=200, pattern=r"\S", description="Code postal, code INSEE, nom de commune ou adresse se terminant par l'un d'eux")
    service: str | None = Field(None, description="Libellé d'un service du standard")
    ouvert: bool = False
    pass_numerique: bool = False
    limite: int = Field(10, ge=1, le=50)


def _out(lieu: Lieu) -> dict:
    return {
        "id": lieu.identifiant,
        **{
            k: getattr(lieu, k)
            for k in (
                "nom",
                "commune",
                "code_postal",
                "code_insee",
                "commune_code",
                "adresse",
                "latitude",
                "longitude",
                "horaires",
                "telephone",
                "comptoir_numerique",
                "pass_numerique",
                "source",
            )
        },
        "services": services.multi(lieu.services),
        "publics_specifiquement_adresses": services.multi(lieu.publics_specifiquement_adresses),
        "frais_a_charge": services.multi(lieu.frais_a_charge),
        "date_maj": lieu.date_maj.isoformat(),
    }


@router.get("/lieux", response=list[FoundOut], summary="Lieux les plus proches d'une commune (ou d'un code postal)")
def nearest(request: HttpRequest, query: Query[FinderQuery]):
    commune, message, _ = services.origin_of_query(query.q)
    if commune is None:
        raise HttpError(404, message or "requête vide")
    lat, lon, _ = services.origin_point(commune)
    now = timezone.localtime()
    found = services.nearest(lat, lon, now, service=query.service, limit=query.limite, ouvert_seulement=query.ouvert, pass_numerique=query.pass_numerique)
    return [{**_out(f.lieu), "distance_km": round(f.distance_km, 3), "ouvert": f.ouvert} for f in found]


@router.get("/lieux/{pk}", response=PlaceOut, summary="Un lieu du registre")
def place(request: HttpRequest, pk: int):
    return _out(get_object_or_404(Lieu, pk=pk))
