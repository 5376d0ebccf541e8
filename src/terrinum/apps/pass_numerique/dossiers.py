"""A place's file for the Pass numérique (« devenir structure qualifiée »): its legal entity
and bank account, checked (SIRET by its Luhn key, IBAN by its check digits and SEPA zone,
BIC by its format and country), its supporting documents (type read from their content,
size bounded), and its application to a programme — the one step a place takes itself; the
decision stays the funder's (services.qualify). Rules: docs/pass-numerique.md, « Dossier ».
The French operator platform asks the same: SIRET, legal representative, holder, IBAN, BIC,
documents by type of organisation."""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction
from django.utils import timezone
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import exceptions as stdnum_errors
from stdnum.fr import siret as siret_number

from terrinum.accounts import policy
from terrinum.accounts.models import Organisation
from terrinum.apps.inclusion.models import Lieu
from terrinum.apps.pass_numerique.models import CompteFinanceur, Piece, Programme, Qualification, Structure
from terrinum.apps.pass_numerique.services import PLATFORM, Refused, inside_territory, refresh_label, standing

MAX_PIECE_BYTES = 5 * 1024 * 1024
PIECE_TYPES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
FIELDS = {
    "raison_sociale": "raison sociale",
    "siret": "SIRET",
    "representant": "représentant légal",
    "titulaire": "titulaire du compte",
    "iban": "IBAN",
    "bic": "BIC",
}


def check_siret(value: str) -> str:
    """The SIRET, compact (14 digits); ValueError saying why it is not one."""
    try:
        return siret_number.validate(value)
    except stdnum_errors.InvalidLength:
        raise ValueError("14 chiffres attendus") from None
    except stdnum_errors.InvalidFormat:
        raise ValueError("des chiffres seulement") from None
    except stdnum_errors.InvalidChecksum:
        raise ValueError("la clé de contrôle ne correspond pas (une erreur de frappe ?)") from None
    except stdnum_errors.ValidationError as exc:
        raise ValueError(str(exc)) from None


def check_account(iban: str, bic: str) -> tuple[str, str]:
    """(IBAN, BIC) compact and checked: a SEPA-zone IBAN with valid check digits, a BIC of 8
    or 11 characters; when the IBAN's bank is known to the registry, the BIC must name the
    same bank (ValueError naming the field)."""
    try:
        account = IBAN(iban)
    except SchwiftyException as exc:
        raise ValueError(f"IBAN : {_iban_reason(exc)}") from None
    if not account.in_sepa_zone:
        raise ValueError(f"IBAN : un compte de la zone SEPA est attendu ({account.country_code} n'en est pas)")
    try:
        code = BIC(bic)
    except SchwiftyException:
        raise ValueError("BIC : 8 ou 11 caractères (ex. AGRIFRPP ou AGRIFRPPXXX)") from None
    # the bank (4 letters) and country (2) of the BIC against those the registry gives for the
    # IBAN's bank code (the location part may differ: regional banks)
    known = account.bic
    if known is not None and str(code)[:6] != str(known)[:6]:
        raise ValueError(f"BIC : {code} n'est pas celui de la banque de cet IBAN ({str(known)[:6]}…)")
    return account.compact, str(code)


def _iban_reason(exc: Exception) -> str:
    name = type(exc).__name__
    return {
        "InvalidChecksumDigits": "la clé de contrôle ne correspond pas (une erreur de frappe ?)",
        "InvalidLength": "longueur incorrecte pour ce pays",
        "InvalidCountryCode": "code pays inconnu",
        "InvalidStructure": "format incorrect pour ce pays",
    }.get(name, "IBAN invalide")


def _require_place_account(user, lieu: Lieu) -> None:
    if not policy.acts_for(user, Organisation.LIEU, lieu.organisation_id):
        raise Refused("seul un compte du lieu tient son dossier", 403)


def save_structure(lieu: Lieu, user, **fields) -> Structure:
    """Create or update the place's file; Refused listing every field in error, nothing saved."""
    _require_place_account(user, lieu)
    values = {k: str(fields.get(k) or "").strip() for k in FIELDS}
    problems = [f"{label} : obligatoire" for k, label in FIELDS.items() if not values[k]]
    if values["siret"]:
        try:
            values["siret"] = check_siret(values["siret"])
        except ValueError as exc:
            problems.append(f"SIRET : {exc}")
    if values["iban"] and values["bic"]:
        try:
            values["iban"], values["bic"] = check_account(values["iban"], values["bic"])
        except ValueError as exc:
            problems.append(str(exc))
    if fields.get("publique") not in (True, False):
        problems.append("statut : public ou privé")
    if len(values["titulaire"]) > 70:
        problems.append("titulaire du compte : 70 caractères au plus (virement SEPA)")
    if problems:
        raise Refused(" ; ".join(problems), 400)
    try:
        with transaction.atomic():
            structure, _ = Structure.objects.update_or_create(
                lieu=lieu,
                defaults={**{k: values[k] for k in FIELDS}, "publique": fields["publique"], "modifie_par": user},
            )
    except IntegrityError:
        raise Refused(f"SIRET : {values['siret']} est déjà celui du dossier d'un autre lieu (un SIRET, un dossier)", 400) from None
    return structure


def add_piece(structure: Structure, user, nature: str, name: str, content: bytes) -> Piece:
    """A supporting document added to the place's file: PDF, PNG or JPEG read from its first
    bytes (not from its name), at most MAX_PIECE_BYTES."""
    _require_place_account(user, structure.lieu)
    if nature not in dict(Piece.NATURES):
        raise Refused(f"nature de pièce inconnue : {nature}", 400)
    if not content:
        raise Refused(f"{name} : fichier vide", 400)
    if len(content) > MAX_PIECE_BYTES:
        raise Refused(f"{name} : {len(content) / 1e6:.1f} Mo, au plus {MAX_PIECE_BYTES // (1024 * 1024)} Mo", 400)
    kind = next((mime for magic, mime in PIECE_TYPES.items() if content.startswith(magic)), None)
    if kind is None:
        raise Refused(f"{name} : PDF, PNG ou JPEG attendu (le contenu du fichier n'en est pas un)", 400)
    return Piece.objects.create(
        structure=structure,
        nature=nature,
        nom=name[:200],
        type_mime=kind,
        taille=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        contenu=content,
        depose_par=user,
    )


def missing(structure: Structure | None) -> list[str]:
    """What the file lacks before an application (empty: complete)."""
    if structure is None:
        return ["le dossier de la structure (raison sociale, SIRET, représentant, compte)"]
    return [] if structure.pieces.filter(nature="rib").exists() else ["un relevé d'identité bancaire (RIB)"]


def apply(lieu: Lieu, programme: Programme, user, now=None) -> Qualification:
    """The place asks the programme's funder to qualify it: its file complete, inside the
    programme's territory, not already qualified or waiting. Recorded in the place's ledger."""
    _require_place_account(user, lieu)
    lacking = missing(getattr(lieu, "structure_pass", None))
    if lacking:
        raise Refused("dossier incomplet : " + ", ".join(lacking), 400)
    if not inside_territory(programme, lieu):
        raise Refused(f"« {lieu.nom} » n'est pas dans le territoire du programme « {programme.nom} »", 400)
    now = now or timezone.now()
    with transaction.atomic():
        Lieu.objects.select_for_update().filter(pk=lieu.pk).first()
        last = standing(programme, lieu, now)
        if last is not None and last.decision in (Qualification.DEMANDE, Qualification.QUALIFIE):
            raise Refused(f"« {lieu.nom} » est déjà {last.get_decision_display()} pour « {programme.nom} »", 400)
        made = Qualification.objects.create(
            lieu=lieu, programme=programme, decision=Qualification.DEMANDE, par=user, organisation_id=lieu.organisation_id, quand=now
        )
        refresh_label(lieu, now)
    return made


def may_read_file(user, lieu: Lieu) -> bool:
    """The place's accounts, and the funders of a programme it applied to or was decided on."""
    if policy.reads_for(user, Organisation.LIEU, lieu.organisation_id):
        return True
    funders = policy.reading_scope(user, Organisation.FINANCEUR)
    return funders is None or Qualification.objects.filter(lieu=lieu, programme__financeur_id__in=funders).exists()


def save_funder_account(funder: Organisation, user, titulaire: str, iban: str, bic: str) -> CompteFinanceur:
    """The account a funder pays places from (the debtor of its SEPA files); `user`: one of
    the funder's accounts, or services.PLATFORM (the command line)."""
    if funder.type != Organisation.FINANCEUR:
        raise Refused(f"« {funder.nom} » n'est pas un commanditaire", 400)
    if user is not PLATFORM and not policy.acts_for(user, Organisation.FINANCEUR, funder.pk):
        raise Refused("seul un compte du commanditaire tient son compte de paiement", 403)
    titulaire = (titulaire or "").strip()
    if not titulaire or len(titulaire) > 70:
        raise Refused("titulaire du compte : obligatoire, 70 caractères au plus", 400)
    try:
        iban, bic = check_account(iban or "", bic or "")
    except ValueError as exc:
        raise Refused(str(exc), 400) from None
    account, _ = CompteFinanceur.objects.update_or_create(financeur=funder, defaults={"titulaire": titulaire, "iban": iban, "bic": bic})
    return account
