"""API routes of the Pass numérique (mounted under /api/v1/ by terrinum.web.api). Every
route needs an account (accounts.api_auth)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from terrinum.accounts import policy
from terrinum.accounts.api_auth import ACCOUNT_AUTH
from terrinum.accounts.models import Organisation
from terrinum.apps.inclusion.models import Lieu
from terrinum.apps.pass_numerique import codes, services
from terrinum.apps.pass_numerique.models import Cheque, Programme, Reglement

router = Router(tags=["pass-numerique"], auth=ACCOUNT_AUTH)


class RedeemIn(Schema):
    lieu: int = Field(..., ge=1, le=2**63 - 1, description="Le lieu (identifiant numérique de /api/v1/lieux) où le chèque est utilisé")


class VoucherOut(Schema):
    code: str
    etat: str = Field(..., description="emis, attribue, utilise, rembourse, expire ou annule")
    valeur_centimes: int
    programme: str
    fin_validite: dt.date
    fin_tolerance: dt.date
    lieu: int | None = None
    utilise_le: dt.datetime | None = None


class ProgrammeOut(Schema):
    id: int
    nom: str
    territoire: str
    carnets: int
    cheques_par_carnet: int
    valeur_centimes: int
    fin_validite: dt.date
    fin_tolerance: dt.date
    etats: dict[str, int] = Field(..., description="Chèques par état")
    utilises_centimes: int
    rembourses_centimes: int
    credites_centimes: int = Field(..., description="Chèques expirés, recrédités au commanditaire")
    frais_centimes: int


class StatementOut(Schema):
    lieu: int
    lieu_nom: str
    mois: str
    cheques: int
    montant_centimes: int
    etabli_le: dt.datetime


def _voucher(c: Cheque) -> dict:
    p = c.programme
    return {
        "code": c.code, "etat": c.etat, "valeur_centimes": p.valeur_centimes, "programme": p.nom, "fin_validite": p.fin_validite,
        "fin_tolerance": p.fin_tolerance, "lieu": c.lieu_id, "utilise_le": c.utilise_le,
    }  # fmt: skip


def _refused(exc: services.Refused):
    raise HttpError(exc.status, str(exc)) from exc


@router.post("/pass-numerique/cheques/{code}/utilisation", response=VoucherOut, summary="Utiliser un chèque dans un lieu")
def redeem(request: HttpRequest, code: str, body: RedeemIn):
    """Un compte du lieu (administrateur ou gestionnaire) utilise un chèque remis à un
    bénéficiaire. Un chèque ne sert qu'une fois : la base de données le garantit. Un code mal
    saisi est reconnu par son caractère de contrôle (400) ; 10 codes erronés en 10 minutes
    bloquent le compte quelques minutes (429)."""
    lieu = Lieu.objects.filter(pk=body.lieu).first()
    if lieu is None:
        raise HttpError(404, "lieu introuvable")
    try:
        return _voucher(services.redeem(code, lieu, request.user))
    except services.Refused as exc:
        _refused(exc)


def _holder(user, c: Cheque) -> bool:
    """The funder of its programme, the prescriber who handed it out, the place that used it."""
    return (
        policy.reads_for(user, Organisation.FINANCEUR, c.programme.financeur_id)
        or policy.reads_for(user, Organisation.PRESCRIPTEUR, c.carnet.prescripteur_id)
        or (c.lieu is not None and policy.reads_for(user, Organisation.LIEU, c.lieu.organisation_id))
    )


@router.get("/pass-numerique/cheques/{code}", response=VoucherOut, summary="État d'un chèque")
def voucher(request: HttpRequest, code: str):
    """Pour le commanditaire, le prescripteur qui l'a remis et le lieu qui l'a utilisé ; pour
    tout autre compte, la même réponse qu'un code inconnu (404)."""
    try:
        normal = codes.normalise(code)
    except codes.CodeError as exc:
        raise HttpError(400, str(exc)) from exc
    c = Cheque.objects.select_related("programme", "carnet", "lieu").filter(code=normal).first()
    if c is None or not _holder(request.user, c):
        raise HttpError(404, "aucun chèque ne porte ce code")
    return _voucher(c)


@router.get("/pass-numerique/programmes", response=list[ProgrammeOut], summary="Programmes du commanditaire")
def programmes(request: HttpRequest):
    """Les programmes des commanditaires du compte, avec les chèques par état et les montants."""
    found = Programme.objects.order_by("id")
    scope = policy.reading_scope(request.user, Organisation.FINANCEUR)
    if scope is not None:
        found = found.filter(financeur_id__in=scope)
    return [
        {
            "id": p.pk,
            "nom": p.nom,
            "territoire": f"{p.territoire_niveau}:{p.territoire_code}",
            "carnets": p.carnets,
            "cheques_par_carnet": p.cheques_par_carnet,
            "valeur_centimes": p.valeur_centimes,
            "fin_validite": p.fin_validite,
            "fin_tolerance": p.fin_tolerance,
            **services.funder_summary(p),
        }  # fmt: skip
        for p in found
    ]


@router.get("/pass-numerique/reglements", response=list[StatementOut], summary="Relevés mensuels des lieux")
def statements(request: HttpRequest):
    """Les relevés des lieux du compte ; pour un commanditaire, ceux des lieux où ses chèques
    ont été utilisés."""
    found = Reglement.objects.select_related("lieu")
    places, funders = policy.reading_scope(request.user, Organisation.LIEU), policy.reading_scope(request.user, Organisation.FINANCEUR)
    if places is not None:
        found = found.filter(lieu__organisation_id__in=places) | found.filter(lignes__programme__financeur_id__in=funders)
    return [
        {"lieu": r.lieu_id, "lieu_nom": r.lieu.nom, "mois": r.mois, "cheques": r.cheques, "montant_centimes": r.montant_centimes, "etabli_le": r.etabli_le}
        for r in found.distinct().order_by("-mois", "lieu_id")
    ]
