"""Invoices and credit notes of the Pass numérique operator to the funder it operates a
programme for, numbered without gaps per issuer and year, each issued as a Factur-X PDF
(the EN 16931 XML of the invoice inside a PDF/A-3, built with the `factur-x` package and
checked against its XSD before anything is written).

What is invoiced, with the order (the national operator's rule):
- the face value of the vouchers ordered — vouchers are multi-purpose vouchers (« bons à
  usages multiples », CGI art. 256 ter): their issue is not subject to VAT (category « O »),
  VAT, if any, is due when the service is rendered in the place;
- the operator's fee: its rate (4 % by default) of that face value, excluding VAT, with VAT
  at 20 % (category « S »). EN 16931 forbids mixing category « O » with another in one
  invoice (rule BR-O-11): hence two invoices.
After the tolerance date, once no voucher can be used any more, the vouchers credited back
(expired) make a credit note of their face value, referring to the face-value invoice. The
fee is not credited back: it is due on what was ordered.

A number is taken from the issuer's counter of the year in the transaction that writes the
document: a failure leaves neither the document nor a used number. Rules:
docs/pass-numerique.md, « Factures et avoirs »."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from terrinum.accounts import policy
from terrinum.accounts.models import Organisation
from terrinum.apps.pass_numerique.dossiers import check_siret
from terrinum.apps.pass_numerique.models import ATTRIBUE, EMIS, EXPIRE, Cheque, Compteur, Facturation, Facture, Programme
from terrinum.apps.pass_numerique.services import PLATFORM, Refused
from terrinum.apps.pass_numerique.templatetags.pass_numerique import euros

VAT_RATE = 2000  # per ten thousand: 20 %, the normal rate on the operator's fee
PAYMENT_DAYS = 30  # the public bodies' payment period (code de la commande publique, R. 2192-10)
EXEMPTION = "Bons à usages multiples (CGI, art. 256 ter) : émission hors du champ de la TVA"
IDENTITY_FIELDS = {
    "raison_sociale": ("raison sociale", 200),
    "siret": ("SIRET", 14),
    "tva": ("numéro de TVA intracommunautaire", 13),
    "adresse": ("adresse", 200),
    "code_postal": ("code postal", 5),
    "ville": ("ville", 100),
}


def save_identity(organisation: Organisation, user, **fields) -> Facturation:
    """The billing identity of an operator or a funder, kept by its own accounts (or the
    platform). Every field in error is named at once; an operator, which charges VAT on its
    fee, gives its VAT number (checked, and of the same SIREN as its SIRET)."""
    if organisation.type not in (Organisation.OPERATEUR, Organisation.FINANCEUR):
        raise Refused(f"« {organisation.nom} » n'est ni un opérateur ni un commanditaire du Pass numérique", 400)
    if user is not PLATFORM and not policy.acts_for(user, organisation.type, organisation.pk):
        raise Refused("seul un compte de l'organisation tient son identité de facturation", 403)
    values = {k: " ".join((fields.get(k) or "").split()) for k in IDENTITY_FIELDS}
    values["siret"], values["tva"] = values["siret"].replace(" ", ""), values["tva"].replace(" ", "").upper()
    errors = []
    for key, (label, size) in IDENTITY_FIELDS.items():
        if key == "tva" and not values[key] and organisation.type == Organisation.FINANCEUR:
            continue
        if not values[key]:
            errors.append(f"{label} : obligatoire")
        elif len(values[key]) > size:
            errors.append(f"{label} : {size} caractères au plus")
    if values["siret"]:
        try:
            values["siret"] = check_siret(values["siret"])
        except ValueError as exc:
            errors.append(f"SIRET : {exc}")
    if values["tva"]:
        from stdnum.fr import tva

        if not tva.is_valid(values["tva"]):
            errors.append(f"numéro de TVA intracommunautaire « {values['tva']} » invalide (FR, 2 chiffres de contrôle, SIREN)")
        elif len(values["siret"]) == 14 and values["tva"][4:] != values["siret"][:9]:
            errors.append(f"le numéro de TVA « {values['tva']} » n'est pas celui du SIREN {values['siret'][:9]}")
    if values["code_postal"] and not re.fullmatch(r"\d{5}", values["code_postal"]):
        errors.append(f"code postal « {values['code_postal']} » : cinq chiffres")
    if errors:
        raise Refused(f"identité de facturation de « {organisation.nom} » : " + " ; ".join(errors), 400)
    identity, _ = Facturation.objects.update_or_create(organisation=organisation, defaults={**values, "modifie_par": None if user is PLATFORM else user})
    return identity


def may_read(user, facture: Facture) -> bool:
    """The issuer's accounts, the invoiced funder's accounts, the platform's administrator."""
    return policy.reads_for(user, Organisation.OPERATEUR, facture.emetteur_id) or policy.reads_for(user, Organisation.FINANCEUR, facture.client_id)


def may_issue(user, programme: Programme) -> bool:
    return user is PLATFORM or (programme.operateur_id is not None and policy.acts_for(user, Organisation.OPERATEUR, programme.operateur_id))


@dataclass
class Issued:
    documents: list[Facture] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # why a programme's documents are not issued yet


def issue_due(today: dt.date | None = None, who=PLATFORM, programmes=None) -> Issued:
    """Issue every document due: the two invoices of each operated programme not yet
    invoiced, the credit note of each programme whose vouchers can no longer be used and
    some of them were credited back. One transaction per programme; running it again issues
    nothing new."""
    today = today or timezone.localdate()
    found = Issued()
    selected = (programmes if programmes is not None else Programme.objects.all()).filter(operateur__isnull=False).select_related("operateur", "financeur")
    for programme in selected.order_by("pk"):
        if not may_issue(who, programme):
            raise Refused(f"seul l'opérateur du programme n° {programme.pk} émet ses factures", 403)
        lacking = [o.nom for o in (programme.operateur, programme.financeur) if not Facturation.objects.filter(organisation=o).exists()]
        if lacking:
            found.waiting.append(f"programme n° {programme.pk} : identité de facturation à renseigner pour " + ", ".join(f"« {n} »" for n in lacking))
            continue
        try:
            with transaction.atomic():
                Programme.objects.select_for_update().filter(pk=programme.pk).first()  # one issuer at a time per programme
                found.documents += _issue_for(programme, today, who)
        except IntegrityError:  # another run issued them first
            found.waiting.append(f"programme n° {programme.pk} : factures émises par un autre traitement au même moment")
    return found


def _issue_for(programme: Programme, today: dt.date, who) -> list[Facture]:
    made = []
    issued = {(f.nature, f.objet): f for f in programme.factures.all()}
    ordered = programme.carnets * programme.cheques_par_carnet
    value = programme.valeur_centimes
    if (Facture.FACTURE, Facture.VALEUR) not in issued:
        made.append(_issue(programme, Facture.FACTURE, Facture.VALEUR, today, ordered, value, 0, None, who))
        issued[(Facture.FACTURE, Facture.VALEUR)] = made[-1]
    fee = ordered * value * programme.frais_pour_dix_mille // 10_000
    if fee and (Facture.FACTURE, Facture.FRAIS) not in issued:
        made.append(_issue(programme, Facture.FACTURE, Facture.FRAIS, today, 1, fee, VAT_RATE, None, who))
    closed = programme.fin_tolerance < today and not Cheque.objects.filter(programme=programme, etat__in=(EMIS, ATTRIBUE)).exists()
    expired = Cheque.objects.filter(programme=programme, etat=EXPIRE).count() if closed else 0
    if expired and (Facture.AVOIR, Facture.VALEUR) not in issued:
        made.append(_issue(programme, Facture.AVOIR, Facture.VALEUR, today, expired, value, 0, issued[(Facture.FACTURE, Facture.VALEUR)], who))
    return made


def _next_rank(issuer: Organisation, year: int) -> int:
    """The issuer's next number in the year, inside the caller's transaction (rolled back
    with it: no gap)."""
    counter, _ = Compteur.objects.get_or_create(emetteur=issuer, annee=year)
    Compteur.objects.filter(pk=counter.pk).update(dernier=F("dernier") + 1)
    return Compteur.objects.select_for_update().get(pk=counter.pk).dernier


def _issue(programme: Programme, nature: str, objet: str, today: dt.date, quantity: int, price: int, rate: int, origin, who) -> Facture:
    rank = _next_rank(programme.operateur, today.year)
    net = quantity * price
    doc = Facture(
        emetteur=programme.operateur,
        client=programme.financeur,
        programme=programme,
        nature=nature,
        objet=objet,
        annee=today.year,
        rang=rank,
        numero=f"{today.year}-{rank:05d}",
        emise_le=today,
        quantite=quantity,
        prix_centimes=price,
        ht_centimes=net,
        taux_tva_pour_dix_mille=rate,
        tva_centimes=(net * rate + 5_000) // 10_000,
        origine=origin,
        par=None if who is PLATFORM else who,
    )
    doc.pdf = factur_x(doc)
    doc.save()
    return doc


def line_label(doc: Facture) -> str:
    p = doc.programme
    if doc.objet == Facture.FRAIS:
        ordered = p.carnets * p.cheques_par_carnet
        return (
            f"Frais de gestion du programme n° {p.pk} « {p.nom} » : {f'{p.frais_pour_dix_mille / 100:g}'.replace('.', ',')} % hors taxes "
            f"de la valeur faciale des {ordered} chèques commandés ({euros(ordered * p.valeur_centimes)})"
        )
    verb = "recrédités (non utilisés à la date limite)" if doc.nature == Facture.AVOIR else "commandés"
    return f"Chèques Pass numérique du programme n° {p.pk} « {p.nom} » {verb}, valeur faciale {euros(p.valeur_centimes)}"


def _amount(centimes: int) -> str:
    return f"{centimes / 100:.2f}"


def _party(identity: Facturation, with_vat: bool) -> dict:
    party = {
        "name": identity.raison_sociale,
        "legal_identifier": identity.siret,
        "legal_identifier_schemeid": "0002",  # SIRENE (ISO 6523 ICD 0002)
        "country_code": "FR",
        "city": identity.ville,
        "postcode": identity.code_postal,
        "addr_l1": identity.adresse,
    }
    if with_vat and identity.tva:
        party["vat_identifier"] = identity.tva
    return party


def en16931(doc: Facture) -> dict:
    """The document's EN 16931 fields (keys as the `factur-x` package names them)."""
    seller = Facturation.objects.get(organisation=doc.emetteur)
    buyer = Facturation.objects.get(organisation=doc.client)
    subject = doc.taux_tva_pour_dix_mille > 0
    category = "S" if subject else "O"
    rate = f"{doc.taux_tva_pour_dix_mille / 100:g}"
    breakdown = {"BT-116": _amount(doc.ht_centimes), "BT-117": _amount(doc.tva_centimes), "BT-118": category}
    line = {
        "BT-126": "1",
        "BT-129": str(doc.quantite),
        "BT-130": "C62",  # one (UN/ECE rec. 20)
        "BT-131": _amount(doc.ht_centimes),
        "BT-146": _amount(doc.prix_centimes),
        "BT-151": category,
        "BT-153": line_label(doc)[:200],
    }
    if subject:
        breakdown["BT-119"] = rate
        line["BT-152"] = rate
    else:
        breakdown["BT-120"] = EXEMPTION
        breakdown["BT-121"] = "VATEX-EU-O"
    data = {
        "BT-1": doc.numero,
        "BT-2": doc.emise_le,
        "BT-3": "381" if doc.nature == Facture.AVOIR else "380",  # credit note / commercial invoice (UNTDID 1001)
        "BT-5": "EUR",
        "BT-10": f"Pass numérique n° {doc.programme_id}",
        "BT-72": doc.emise_le,
        "BG-4": _party(seller, subject),
        "BG-7": _party(buyer, False),
        "BG-25": [line],
        "BG-23": [breakdown],
        "BT-106": _amount(doc.ht_centimes),
        "BT-109": _amount(doc.ht_centimes),
        "BT-110": _amount(doc.tva_centimes),
        "BT-112": _amount(doc.ttc_centimes),
        "BT-115": _amount(doc.ttc_centimes),
    }
    if doc.nature == Facture.FACTURE:
        data["BT-9"] = doc.emise_le + dt.timedelta(days=PAYMENT_DAYS)
        data["BT-20"] = f"Paiement à {PAYMENT_DAYS} jours"
    if doc.origine is not None:
        data["BG-3"] = [{"BT-25": doc.origine.numero, "BT-26": doc.origine.emise_le}]
    return data


def factur_x(doc: Facture) -> bytes:
    """The document as a Factur-X PDF: a tagged PDF/A-3 (WeasyPrint) carrying its EN 16931
    XML (profile EN 16931), both checked by the `factur-x` package (XSD)."""
    import facturx
    from weasyprint import HTML

    # the EN 16931 business rules (schematron) need a Saxon server: never called (offline); the
    # XSD is checked here and again once the XML is inside the PDF
    xml = facturx.generate_cii_xml(en16931(doc), level="en16931", check_schematron=False)
    context = {
        "f": doc,
        "emetteur": Facturation.objects.get(organisation=doc.emetteur),
        "client": Facturation.objects.get(organisation=doc.client),
        "libelle": line_label(doc),
        "taux": f"{doc.taux_tva_pour_dix_mille / 100:g}",
        "exoneration": EXEMPTION,
        "echeance": doc.emise_le + dt.timedelta(days=PAYMENT_DAYS),
    }
    pdf = HTML(string=render_to_string("pass_numerique/facture_pdf.html", context)).write_pdf(pdf_variant="pdf/a-3b", pdf_tags=True)
    title = f"{doc.get_nature_display().capitalize()} {doc.numero}"
    metadata = {"author": context["emetteur"].raison_sociale, "keywords": "Factur-X, Pass numérique", "title": title, "subject": title}
    return facturx.generate_from_binary(pdf, xml, flavor="factur-x", level="en16931", check_xsd=True, pdf_metadata=metadata, lang="fr-FR")


def gaps(issuer: Organisation, year: int) -> list[int]:
    """Numbers missing from the issuer's sequence of the year (empty: none; checked by
    `terrinum pass-numerique factures --verifier`)."""
    ranks = list(Facture.objects.filter(emetteur=issuer, annee=year).order_by("rang").values_list("rang", flat=True))
    last = Compteur.objects.filter(emetteur=issuer, annee=year).values_list("dernier", flat=True).first() or 0
    return sorted(set(range(1, last + 1)) - set(ranks))
