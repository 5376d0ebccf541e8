"""API routes of the shared diagnostic (mounted under /api/v1/ by terrinum.web.api): the
démarches of an account, their contributions (for the lead), consolidation, actions and
their tracking. An account is required (accounts.api_auth); a démarche out of reach answers
404."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from terrinum.accounts.api_auth import ACCOUNT_AUTH
from terrinum.apps.concertation import services
from terrinum.apps.concertation.models import Contribution, Demarche
from terrinum.diagnostic import partage

router = Router(tags=["diagnostic-partage"], auth=ACCOUNT_AUTH)


class DemarcheOut(Schema):
    id: int
    titre: str
    porteur: str
    territoire: str = Field(..., description="niveau:code")
    statut: str
    version: int
    debut: dt.date
    fin: dt.date
    themes: list[str]
    validee_le: dt.datetime | None
    publiee: bool


class ContributionOut(Schema):
    participant: str
    theme: str
    difficulte: int
    difficultes: str
    priorites: str
    masquee: bool
    soumise_le: dt.datetime | None


class ThemeOut(Schema):
    theme: str
    libelle: str
    reponses: int
    niveaux: dict[str, int]
    moyenne: float | None
    consensus: float | None = Field(None, description="Tastle et Wierman : 1 unanimes, 0 partagés entre les extrêmes")


class EcartOut(Schema):
    theme: str
    sens: str = Field(..., description="ressenti-plus-difficile ou ressenti-plus-facile")
    texte: str


class ConsolidationOut(Schema):
    themes: list[ThemeOut]
    ecarts: list[EcartOut]


class ActionOut(Schema):
    id: int
    intitule: str
    porteur: str
    priorites: list[str]
    investissement_centimes: int
    fonctionnement_centimes: int
    financements: list[dict]
    indicateur: str
    valeur_reference: float | None
    valeur_cible: float | None
    date_cible: dt.date | None
    valeur_actuelle: float | None
    etat: str = Field(..., description="atteint, en-avance, en-retard ou sans-mesure")


def _demarche(request, pk: int) -> Demarche:
    try:
        return services.visible_to(request.user).get(pk=pk)
    except Demarche.DoesNotExist:
        raise HttpError(404, "démarche introuvable") from None


def _lead(request, d: Demarche) -> None:
    if not services.leads(request.user, d):
        raise HttpError(403, "réservé au porteur de la démarche")


@router.get("/diagnostic-partage/demarches", response=list[DemarcheOut], summary="Démarches que mon compte porte ou auxquelles il participe")
def partage_demarches(request: HttpRequest):
    return [
        {
            "id": d.pk,
            "titre": d.titre,
            "porteur": d.porteur.nom,
            "territoire": f"{d.territoire_niveau}:{d.territoire_code}",
            "statut": d.statut,
            "version": d.version,
            "debut": d.debut,
            "fin": d.fin,
            "themes": d.themes,
            "validee_le": d.validee_le,
            "publiee": d.publiee,
        }  # fmt: skip
        for d in services.visible_to(request.user)
    ]


@router.get("/diagnostic-partage/demarches/{pk}/contributions", response=list[ContributionOut], summary="Contributions envoyées (porteur)")
def partage_contributions(request: HttpRequest, pk: int):
    d = _demarche(request, pk)
    _lead(request, d)
    found = (
        Contribution.objects.filter(participant__demarche=d, statut=Contribution.SOUMISE).select_related("participant").order_by("theme", "participant__nom")
    )
    return [
        {
            "participant": c.participant.nom,
            "theme": c.theme,
            "difficulte": c.difficulte,
            "difficultes": c.difficultes,
            "priorites": c.priorites,
            "masquee": c.masquee,
            "soumise_le": c.soumise_le,
        }
        for c in found
    ]


@router.get(
    "/diagnostic-partage/demarches/{pk}/consolidation",
    response=ConsolidationOut,
    summary="Consolidation : avis par thème, accord, ressenti et mesure (porteur)",
)
def partage_consolidation(request: HttpRequest, pk: int):
    d = _demarche(request, pk)
    _lead(request, d)
    c = partage.consolidation(d)
    themes = [
        {
            "theme": s.theme,
            "libelle": s.libelle,
            "reponses": s.reponses,
            "niveaux": {str(k): v for k, v in s.niveaux.items()},
            "moyenne": s.moyenne,
            "consensus": s.consensus,
        }
        for s in c["themes"]
    ]
    return {"themes": themes, "ecarts": c["ecarts"]}


@router.get("/diagnostic-partage/demarches/{pk}/actions", response=list[ActionOut], summary="Plan d'actions, financements et suivi des indicateurs cibles")
def partage_actions(request: HttpRequest, pk: int):
    d = _demarche(request, pk)
    tracked = {t.action.pk: t for t in partage.track(d)} if d.validee_le else {}
    out = []
    for a in d.actions.prefetch_related("financements"):
        t = tracked.get(a.pk)
        out.append(
            {
                "id": a.pk,
                "intitule": a.intitule,
                "porteur": a.porteur,
                "priorites": a.priorites,
                "investissement_centimes": a.investissement_centimes,
                "fonctionnement_centimes": a.fonctionnement_centimes,
                "financements": [{"financeur": f.financeur, "annee": f.annee, "montant_centimes": f.montant_centimes} for f in a.financements.all()],
                "indicateur": a.indicateur,
                "valeur_reference": a.valeur_reference,
                "valeur_cible": a.valeur_cible,
                "date_cible": a.date_cible,
                "valeur_actuelle": t.actuelle if t else None,
                "etat": t.etat if t else "sans-mesure",
            }  # fmt: skip
        )
    return out
