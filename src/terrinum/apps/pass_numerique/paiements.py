"""Paying the places after a month's settlement (services.settle), funder by funder: the
vouchers each place redeemed for the funder's programmes that month. A private place is paid
by SEPA credit transfer: an ISO 20022 `pain.001.001.03` file (sepaxml, validated against the
standard's XSD before it is written), one transfer per place, the funder's account as debtor.
A public place (a commune's library, a CCAS) is paid through the public accountant: mandate
lines by budget imputation, as CSV and ODS. A place without a complete file is named, not
paid. Rules: docs/pass-numerique.md, « Paiement »."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from dataclasses import dataclass, field
from importlib.resources import files

from lxml import etree
from sepaxml import SepaTransfer

from terrinum import ods
from terrinum.accounts.models import Organisation
from terrinum.apps.pass_numerique.models import CompteFinanceur, LigneReglement, Structure
from terrinum.apps.pass_numerique.services import Refused, month_bounds


@dataclass
class Line:
    """What one funder owes one place for one month (one statement)."""

    financeur_id: int
    lieu_id: int
    lieu_nom: str
    reglement_id: int
    cheques: int
    centimes: int
    structure: Structure | None
    imputations: list[str] = field(default_factory=list)


def lines(month: str, funder: Organisation | None = None, operator: Organisation | None = None) -> list[Line]:
    """Per funder and place, the vouchers of the month's statements (settled), in place order;
    with `operator`, only the vouchers of the programmes it operates."""
    month_bounds(month)  # a well-formed month, or Refused
    paid = LigneReglement.objects.filter(reglement__mois=month)  # a few lines, not the month's vouchers
    if funder is not None:
        paid = paid.filter(programme__financeur=funder)
    if operator is not None:
        paid = paid.filter(programme__operateur=operator)
    rows = paid.values(
        "programme__financeur_id", "reglement__lieu_id", "reglement__lieu__nom", "reglement_id", "programme__imputation", "cheques", "montant_centimes"
    ).order_by("programme__financeur_id", "reglement__lieu_id")
    merged: dict[tuple[int, int], Line] = {}  # one line per funder and place, its imputations gathered
    for r in rows:
        key = (r["programme__financeur_id"], r["reglement__lieu_id"])
        line = merged.setdefault(key, Line(key[0], key[1], r["reglement__lieu__nom"], r["reglement_id"], 0, 0, None))
        line.cheques += r["cheques"]
        line.centimes += r["montant_centimes"]
        line.imputations = sorted({*line.imputations, r["programme__imputation"]})
    structures = {s.lieu_id: s for s in Structure.objects.filter(lieu__reglements_pass__mois=month)}
    for line in merged.values():
        line.structure = structures.get(line.lieu_id)
    return list(merged.values())


@dataclass
class Transfers:
    xml: bytes
    count: int
    centimes: int
    unpaid: list[Line]  # private places without a file: not in the transfers


@functools.cache
def _schema() -> etree.XMLSchema:
    """The pain.001.001.03 XSD shipped with sepaxml, compiled once by libxml2 (sepaxml's own
    check, with xmlschema in Python, took 3 s of the 4 for 4,500 transfers: docs/notes-techniques.md)."""
    return etree.XMLSchema(etree.parse(str(files("sepaxml") / "schemas" / "pain.001.001.03.xsd")))


def end_to_end(month: str, line: Line) -> str:
    """The transfer's end-to-end reference, read back on the place's bank statement."""
    return f"PASSNUM-{month}-R{line.reglement_id}"


def sepa_transfers(month: str, funder: Organisation, execution: dt.date | None = None, operator: Organisation | None = None) -> Transfers:
    """The month's transfers of a funder to its private places, as a pain.001.001.03 file
    (validated against the XSD before it is returned); prepared by an operator:
    for the programmes it operates only."""
    account = CompteFinanceur.objects.filter(financeur=funder).first()
    if account is None:
        raise Refused(f"« {funder.nom} » n'a pas de compte de paiement (IBAN, BIC) : renseignez-le avant les virements", 400)
    private = [line for line in lines(month, funder, operator) if line.structure is None or not line.structure.publique]
    paid = [line for line in private if line.structure is not None]
    if not paid:
        raise Refused(f"aucun virement pour « {funder.nom} » en {month} (aucun lieu privé réglé avec un dossier complet)", 400)
    transfer = SepaTransfer({"name": account.titulaire, "IBAN": account.iban, "BIC": account.bic, "batch": True, "currency": "EUR"}, "pain.001.001.03")
    when = execution or dt.date.today()
    for line in paid:
        transfer.add_payment(
            {
                "name": line.structure.titulaire,
                "IBAN": line.structure.iban,
                "BIC": line.structure.bic,
                "amount": int(line.centimes),
                "execution_date": when,
                "description": f"Pass numerique {month} - releve {line.reglement_id} - {line.cheques} cheque(s)",
                "endtoend_id": end_to_end(month, line),
            }
        )
    tree = etree.fromstring(transfer.export(validate=False))
    if not _schema().validate(tree):
        raise Refused(f"le fichier de virements n'est pas conforme au schéma pain.001.001.03 : {_schema().error_log.last_error.message}", 400)
    xml = b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(tree, pretty_print=True, encoding="UTF-8")
    return Transfers(xml, len(paid), sum(line.centimes for line in paid), [line for line in private if line.structure is None])


MANDATE_COLUMNS = ["Exercice", "Imputation", "Tiers", "SIRET", "Objet", "Référence", "Chèques", "Montant (€)"]


def mandate_rows(month: str, funder: Organisation, operator: Organisation | None = None) -> list[list]:
    """One mandate line per public place (and imputation) of the month, for the funder's
    public accountant; a public place is one whose file says so."""
    rows = []
    for line in lines(month, funder, operator):
        if line.structure is None or not line.structure.publique:
            continue
        rows.append(
            [
                month[:4],
                " + ".join(i for i in line.imputations if i) or "à renseigner",
                line.structure.raison_sociale,
                line.structure.siret,
                f"Pass numérique {month} : {line.cheques} chèque(s) utilisé(s) à {line.lieu_nom}",
                f"relevé {line.reglement_id}",
                line.cheques,
                line.centimes / 100,
            ]
        )
    return rows


def mandates(month: str, funder: Organisation, fmt: str, operator: Organisation | None = None) -> bytes:
    rows = mandate_rows(month, funder, operator)
    if fmt == "ods":
        return ods.sheet(f"Mandats {month}", MANDATE_COLUMNS, rows)
    text = io.StringIO()
    text.write("\ufeff")
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(MANDATE_COLUMNS)
    writer.writerows([*row[:-1], f"{row[-1]:.2f}".replace(".", ",")] for row in rows)
    return text.getvalue().encode("utf-8")
