"""API routes of the coverage reports (mounted under /api/v1/ by terrinum.web.api): the
candidate zones of a département, as its New Deal project team ranks them (the rows of the
CSV export), and one report with its check. Every route needs an account
(accounts.api_auth); a département or a report outside the account's scope answers 404, as
if it did not exist (accounts.policy)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from terrinum.accounts import policy
from terrinum.accounts.api_auth import ACCOUNT_AUTH
from terrinum.apps.signalements import services
from terrinum.apps.signalements.models import Signalement, Zone

router = Router(tags=["couverture"], auth=ACCOUNT_AUTH)


class ZoneOut(Schema):
    zone: int = Field(..., description="Numéro de la zone dans le département")
    rang: int
    score: float = Field(..., description="Score sur 100 (docs/couverture.md)")
    decision: str
    motif: str
    communes: str
    signalements: int
    population_500m: int | None = Field(None, description="Habitants à moins de 500 m des signalements")
    operateurs_absents: str
    activites: str
    distance_site_m: int | None = Field(None, description="Distance moyenne au site 4G le plus proche, en mètres")
    longitude: float | None = None
    latitude: float | None = None


class ZonesQuery(Schema):
    decision: str | None = Field(None, description="Seulement les zones de cette décision (a_examiner, propose, ecarte, deja_couvert, site_en_cours)")


class ReportOut(Schema):
    id: int
    commune_code: str
    departement_code: str
    cree_le: dt.datetime
    operateurs: list[str]
    usages: list[str]
    frequence: str
    zone: int | None = Field(None, description="Numéro de la zone qui le regroupe")
    verification: dict | None = Field(None, description="La vérification sur les données (couverture au point, locaux à 500 m, sites)")


@router.get("/couverture/departements/{code}/zones", response=list[ZoneOut], summary="Zones candidates d'un département")
def zones(request: HttpRequest, code: str, query: Query[ZonesQuery]):
    """Les zones que l'équipe projet du département a formées, classées par score (les lignes
    de l'export CSV), pour les comptes de l'équipe projet."""
    allowed = policy.coverage_departements(request.user, "lire")
    if allowed is not None and code not in allowed:
        raise HttpError(404, "département inconnu ou hors de votre périmètre")
    if query.decision and query.decision not in dict(Zone.DECISIONS):
        raise HttpError(422, f"décision inconnue : {query.decision}")
    return services.export_rows(services.zones_of(code, query.decision))


@router.get("/couverture/signalements/{pk}", response=ReportOut, summary="Un signalement et sa vérification")
def report(request: HttpRequest, pk: int):
    """Un signalement, pour les comptes de sa collectivité et l'équipe projet de son département."""
    found = Signalement.objects.select_related("zone").filter(pk=pk).first()
    if found is None or not policy.may_see_report(request.user, found):
        raise HttpError(404, "signalement inconnu ou hors de votre périmètre")
    return {
        "id": found.pk,
        "commune_code": found.commune_code,
        "departement_code": found.departement_code,
        "cree_le": found.cree_le,
        "operateurs": found.operateurs,
        "usages": found.usages,
        "frequence": found.frequence,
        "zone": found.zone.numero if found.zone else None,
        "verification": found.verification,
    }
