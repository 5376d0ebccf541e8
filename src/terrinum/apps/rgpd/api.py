"""API routes of the RGPD registers (mounted under /api/v1/ by terrinum.web.api). Every
route but the deadline calculator needs an account (accounts.api_auth); a collectivité
outside the account's scope answers 404, as if it did not exist. Requests and breaches
carry their legal deadline and the rule applied (echeances)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from terrinum.accounts.api_auth import ACCOUNT_AUTH
from terrinum.apps.rgpd import echeances, services
from terrinum.apps.rgpd.models import Collectivite, Demande, Violation

router = Router(tags=["rgpd"], auth=ACCOUNT_AUTH)


class DeadlineOut(Schema):
    echeance: str = Field(..., description="ISO 8601 avec décalage, heure locale de la collectivité, Paris en métropole (ex. 2025-02-28T23:59:59+01:00)")
    regle: str
    etapes: list[str]


class CollectiviteOut(Schema):
    id: int
    nom: str
    categorie: str
    insee: str
    score: int = Field(..., description="Score de conformité sur 100 (docs/rgpd.md)")
    activites: int
    verifiees: int
    demandes_en_retard: int
    violations_en_retard: int


class DonneeOut(Schema):
    categorie: str
    sensible: bool
    nir: bool
    duree: str
    sort_final: str


class ActiviteOut(Schema):
    id: int
    nom: str
    finalites: str
    role: str
    base_legale: str
    justification: str
    personnes: list[str]
    destinataires: list[dict]
    mesures: list[str]
    donnees: list[DonneeOut]
    aipd_requise: bool
    aipd_statut: str
    statut: str


class DemandeIn(Schema):
    droit: Literal["acces", "rectification", "effacement", "limitation", "portabilite", "opposition", "retrait-consentement"]
    recue_le: dt.datetime = Field(..., description="Sans décalage : heure de Paris")
    reference: str = Field("", max_length=60)
    identite_verifiee: bool = False


class DemandeOut(Schema):
    id: int
    droit: str
    recue_le: dt.datetime
    reference: str
    statut: str
    prolongee: bool
    en_retard: bool
    delai: DeadlineOut


class ViolationIn(Schema):
    connue_le: dt.datetime = Field(..., description="Prise de connaissance ; sans décalage : heure de Paris")
    natures: list[Literal["confidentialite", "integrite", "disponibilite"]] = Field(..., min_length=1)
    cause: str = Field(..., min_length=1)
    donnees: str = Field(..., min_length=1)
    personnes: int = Field(..., ge=0, le=100_000_000)
    risque: Literal["aucun", "risque", "eleve"]


class ViolationOut(Schema):
    id: int
    connue_le: dt.datetime
    natures: list[str]
    risque: str
    notification_requise: bool
    communication_requise: bool
    notifiee_le: dt.datetime | None
    en_retard: bool
    delai: DeadlineOut


def _collectivite(request, pk: int) -> Collectivite:
    try:
        return services.readable_one(request.user, pk)
    except services.Refused as exc:
        raise HttpError(exc.status, str(exc)) from exc


def _aware(value: dt.datetime) -> dt.datetime:
    try:
        return echeances.aware(value)
    except echeances.DeadlineError as exc:
        raise HttpError(422, str(exc)) from exc


def _demande(d: Demande, now) -> dict:
    return {
        "id": d.pk, "droit": d.droit, "recue_le": d.recue_le, "reference": d.reference, "statut": d.statut,
        "prolongee": d.prolongation_informee_le is not None, "en_retard": services.request_late(d, now), "delai": d.echeance().as_dict(),
    }  # fmt: skip


def _violation(v: Violation, now) -> dict:
    return {
        "id": v.pk, "connue_le": v.connue_le, "natures": v.natures, "risque": v.risque, "notification_requise": v.notification_requise,
        "communication_requise": v.communication_requise, "notifiee_le": v.notifiee_le, "en_retard": services.breach_late(v, now), "delai": v.echeance().as_dict(),
    }  # fmt: skip


def _refused(exc: services.Refused):
    return HttpError(exc.status, str(exc))


@router.get("/rgpd/echeance", response=DeadlineOut, auth=None, summary="Échéance légale d'une demande de droits ou d'une violation")
def rgpd_echeance(
    request: HttpRequest,
    type: Literal["demande", "violation"],
    depuis: dt.datetime = Query(..., description="Réception ou prise de connaissance : AAAA-MM-JJTHH:MM, heure de Paris sans décalage"),
    prolongation: bool = False,
    departement: str | None = Query(None, max_length=3, description="Pour les jours fériés d'Alsace-Moselle et d'outre-mer (57, 67, 68, 971…)"),
):
    start = _aware(depuis)
    try:
        if type == "violation":
            return echeances.breach_deadline(start).as_dict()
        return echeances.request_deadline(start, prolongation, departement).as_dict()
    except OverflowError as exc:  # the calendar ends in 9999
        raise HttpError(422, "date hors du calendrier") from exc


@router.get("/rgpd/collectivites", response=list[CollectiviteOut], summary="Collectivités de mon périmètre et leur score")
def rgpd_collectivites(request: HttpRequest):
    return [
        {
            "id": r.collectivite.pk,
            "nom": str(r.collectivite),
            "categorie": r.collectivite.categorie,
            "insee": r.collectivite.insee,
            "score": r.score,
            "activites": r.activites,
            "verifiees": r.verifiees,
            "demandes_en_retard": r.demandes_en_retard,
            "violations_en_retard": r.violations_en_retard,
        }  # fmt: skip
        for r in services.dashboard(list(services.readable(request.user)))
    ]


@router.get("/rgpd/collectivites/{pk}/activites", response=list[ActiviteOut], summary="Registre des activités de traitement d'une collectivité")
def rgpd_activites(request: HttpRequest, pk: int):
    c = _collectivite(request, pk)
    return [
        {**{f: getattr(a, f) for f in ActiviteOut.model_fields if f != "donnees"}, "donnees": list(a.donnees.all())}
        for a in c.activites.prefetch_related("donnees")
    ]


@router.get("/rgpd/collectivites/{pk}/demandes", response=list[DemandeOut], summary="Demandes d'exercice des droits, avec leur échéance")
def rgpd_demandes(request: HttpRequest, pk: int):
    now = timezone.now()
    return [_demande(d, now) for d in _collectivite(request, pk).demandes.select_related("collectivite")]


@router.post("/rgpd/collectivites/{pk}/demandes", response={201: DemandeOut}, summary="Enregistrer une demande (renvoie son échéance)")
def rgpd_demande_creer(request: HttpRequest, pk: int, payload: DemandeIn):
    c = _collectivite(request, pk)
    try:
        d = services.record_request(c, request.user, payload.droit, _aware(payload.recue_le), payload.reference, payload.identite_verifiee)
    except services.Refused as exc:
        raise _refused(exc) from exc
    return Status(201, _demande(d, timezone.now()))


@router.get("/rgpd/collectivites/{pk}/violations", response=list[ViolationOut], summary="Violations de données, avec l'échéance de notification")
def rgpd_violations(request: HttpRequest, pk: int):
    now = timezone.now()
    return [_violation(v, now) for v in _collectivite(request, pk).violations.all()]


@router.post("/rgpd/collectivites/{pk}/violations", response={201: ViolationOut}, summary="Enregistrer une violation (renvoie l'échéance de notification)")
def rgpd_violation_creer(request: HttpRequest, pk: int, payload: ViolationIn):
    c = _collectivite(request, pk)
    fields = payload.dict()
    fields["connue_le"] = _aware(payload.connue_le)
    try:
        v = services.record_breach(c, request.user, **fields)
    except services.Refused as exc:
        raise _refused(exc) from exc
    return Status(201, _violation(v, timezone.now()))
