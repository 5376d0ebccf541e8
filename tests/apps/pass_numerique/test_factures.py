"""The operator's invoices and credit notes: billing identities checked, two invoices with the
order (face value outside VAT, fee with VAT), the credit note of the vouchers credited back,
numbers without gaps per issuer and year (a failed issue leaves no hole), each a Factur-X PDF
whose EN 16931 XML is read back from the PDF and checked against the XSD; the operator acts
for the programmes it operates and sees no other operator's."""

from __future__ import annotations

import datetime as dt
import io
import re

import facturx
import pytest
import time_machine
from django.contrib.auth.models import User
from lxml import etree
from pypdf import PdfReader

from terrinum.accounts.models import Membership, Organisation
from terrinum.apps.pass_numerique import factures, paiements, services
from terrinum.apps.pass_numerique.models import Compteur, Facture, Programme, Qualification
from terrinum.territories.helpers import TerritorySet
from tests.apps.pass_numerique.conftest import hand_out

pytestmark = pytest.mark.django_db

OPERATOR = {"raison_sociale": "Opérateur Pass Essai SAS", "siret": "73282932000074", "tva": "FR44732829320",
            "adresse": "12 rue des Lilas", "code_postal": "75011", "ville": "Paris"}  # fmt: skip
FUNDER = {
    "raison_sociale": "Département de la Creuse",
    "siret": "12345678200010",
    "adresse": "4 place Louis Lacrocq",
    "code_postal": "23000",
    "ville": "Guéret",
}
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
ORDER_DAY = dt.date(2031, 3, 2)


@pytest.fixture(autouse=True)
def _clock():
    """Every test runs on 1 March 2031 (the clock is injected, never today's)."""
    with time_machine.travel(dt.datetime(2031, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def operated(world):
    """The world's funder, an operator with an account, a second operator with its own, and a
    programme of the Creuse operated by the first: 3 carnets of 5 vouchers of 10 €."""
    orgs, lieux_, users, _ = world
    orgs["operateur"] = Organisation.objects.create(nom="Opérateur Pass Essai", type=Organisation.OPERATEUR)
    orgs["autre"] = Organisation.objects.create(nom="Autre opérateur", type=Organisation.OPERATEUR)
    for name, org in (("operatrice", "operateur"), ("autre_operatrice", "autre")):
        users[name] = User.objects.create_user(name, password="x")
        Membership.objects.create(user=users[name], organisation=orgs[org], role=Membership.GESTIONNAIRE)
    programme = services.create_programme(
        orgs["creuse"], TerritorySet.of("departement", "23"), 3, 5, prescripteurs=[orgs["ccas"]], operateur=orgs["operateur"], year=2031,
        fin_validite=dt.date(2031, 12, 31), fin_tolerance=dt.date(2032, 1, 31), nom="Pass numérique 2031 — Creuse",
    )  # fmt: skip
    return orgs, lieux_, users, programme


def _identities(orgs):
    factures.save_identity(orgs["operateur"], services.PLATFORM, **OPERATOR)
    factures.save_identity(orgs["creuse"], services.PLATFORM, **FUNDER)


def _xml(doc: Facture):
    name, xml = facturx.get_xml_from_pdf(bytes(doc.pdf), check_xsd=True)
    assert name == "factur-x.xml"
    facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    return etree.fromstring(xml)


def _text(root, path):
    return root.findtext(path, namespaces=NS)


def test_billing_identities_are_checked_and_kept_by_their_own_accounts(operated):
    orgs, lieux_, users, programme = operated
    with pytest.raises(services.Refused) as refused:
        factures.save_identity(orgs["operateur"], users["operatrice"], **(OPERATOR | {"siret": "73282932000075", "tva": "", "code_postal": "750"}))
    text = str(refused.value)
    assert "SIRET : la clé de contrôle" in text and "numéro de TVA intracommunautaire : obligatoire" in text and "code postal « 750 »" in text
    with pytest.raises(services.Refused, match="n'est pas celui du SIREN 732829320"):
        factures.save_identity(orgs["operateur"], users["operatrice"], **(OPERATOR | {"tva": "FR11123456782"}))
    with pytest.raises(services.Refused, match="seul un compte de l'organisation"):
        factures.save_identity(orgs["operateur"], users["autre_operatrice"], **OPERATOR)
    with pytest.raises(services.Refused, match="ni un opérateur ni un commanditaire"):
        factures.save_identity(orgs["ccas"], services.PLATFORM, **FUNDER)
    made = factures.save_identity(orgs["operateur"], users["operatrice"], **(OPERATOR | {"tva": "fr 44 732829320", "siret": "732 829 320 00074"}))
    assert (made.tva, made.siret) == ("FR44732829320", "73282932000074")
    assert factures.save_identity(orgs["creuse"], users["financeur"], **FUNDER).tva == ""  # a funder may have none


def test_the_order_is_invoiced_twice_and_the_credit_note_follows_the_tolerance(operated):
    orgs, lieux_, users, programme = operated
    waiting = factures.issue_due(ORDER_DAY)
    assert not waiting.documents and "identité de facturation à renseigner pour « Opérateur Pass Essai », « Département de la Creuse »" in waiting.waiting[0]
    _identities(orgs)
    issued = factures.issue_due(ORDER_DAY)
    value, fee = issued.documents
    assert [(d.numero, d.nature, d.objet) for d in issued.documents] == [("2031-00001", "facture", "valeur"), ("2031-00002", "facture", "frais")]
    # 15 vouchers of 10 € outside VAT; fee 4 % of 150 € = 6 € + 20 % VAT
    assert (value.ht_centimes, value.tva_centimes, value.ttc_centimes) == (15_000, 0, 15_000)
    assert (fee.quantite, fee.ht_centimes, fee.tva_centimes, fee.ttc_centimes) == (1, 600, 120, 720)
    xml = _xml(value)
    assert _text(xml, "rsm:ExchangedDocument/ram:ID") == "2031-00001" and _text(xml, "rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert _text(xml, ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode") == "O"
    assert _text(xml, ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount") == "150.00"
    assert _text(xml, ".//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == "73282932000074"
    xml = _xml(fee)
    assert (
        _text(xml, ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode") == "S"
        and _text(xml, ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent") == "20"
    )
    assert _text(xml, ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount") == "1.20"
    assert _text(xml, ".//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "FR44732829320"
    root = PdfReader(io.BytesIO(bytes(fee.pdf))).trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data()
    assert re.search(rb"pdfaid:part(>|=\")3", xmp) and b"Factur-X" in xmp  # a PDF/A-3 that says it carries Factur-X
    assert "/StructTreeRoot" in root  # tagged for screen readers
    assert not factures.issue_due(ORDER_DAY).documents  # nothing more to issue

    # one carnet used, the rest expires after 31 January 2032: 10 vouchers credited back
    services.qualify(lieux_["gueret"], programme, services.PLATFORM, now=dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
    codes = hand_out(programme, orgs)
    for code in codes:
        services.redeem(code, lieux_["gueret"], users["conseillere"], now=dt.datetime(2031, 6, 1, 10, tzinfo=dt.UTC))
    assert not factures.issue_due(dt.date(2032, 1, 31)).documents  # still redeemable that day
    services.expire(dt.date(2032, 2, 1))
    credit = factures.issue_due(dt.date(2032, 2, 1)).documents
    assert [(d.numero, d.nature, d.quantite, d.ttc_centimes, d.origine_id) for d in credit] == [("2032-00001", "avoir", 10, 10_000, value.pk)]
    xml = _xml(credit[0])
    assert _text(xml, "rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert _text(xml, ".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == "2031-00001"
    assert not factures.issue_due(dt.date(2032, 2, 2)).documents
    with pytest.raises(ValueError, match="jamais modifiée"):
        credit[0].save()
    assert factures.gaps(orgs["operateur"], 2031) == factures.gaps(orgs["operateur"], 2032) == []


def test_a_failed_issue_leaves_neither_a_document_nor_a_hole(operated, monkeypatch):
    orgs, lieux_, users, programme = operated
    _identities(orgs)
    real = factures.factur_x

    def broken(doc):
        if doc.objet == Facture.FRAIS:
            raise RuntimeError("imprimante en panne")
        return real(doc)

    monkeypatch.setattr(factures, "factur_x", broken)
    with pytest.raises(RuntimeError):
        factures.issue_due(ORDER_DAY)
    assert not Facture.objects.exists() and Compteur.objects.filter(dernier__gt=0).count() == 0  # the first invoice went with the failure
    monkeypatch.setattr(factures, "factur_x", real)
    second = services.create_programme(
        orgs["creuse"], TerritorySet.of("departement", "23"), 1, 5, operateur=orgs["operateur"], year=2031, fin_validite=dt.date(2031, 12, 31)
    )
    issued = factures.issue_due(ORDER_DAY)
    assert [(d.programme_id, d.numero) for d in issued.documents] == [
        (programme.pk, "2031-00001"),
        (programme.pk, "2031-00002"),
        (second.pk, "2031-00003"),
        (second.pk, "2031-00004"),
    ]
    assert factures.gaps(orgs["operateur"], 2031) == []


def test_the_operator_acts_for_its_programmes_and_sees_no_other(client, operated):
    orgs, lieux_, users, programme = operated
    _identities(orgs)
    factures.issue_due(ORDER_DAY)
    other = services.create_programme(
        orgs["ardennes"], TerritorySet.of("departement", "08"), 1, 5, operateur=orgs["autre"], year=2031, fin_validite=dt.date(2031, 12, 31)
    )
    invoice = programme.factures.first()
    # qualification: the operator of the programme, not another operator
    made = services.qualify(lieux_["gueret"], programme, users["operatrice"], now=dt.datetime(2031, 3, 3, tzinfo=dt.UTC))
    assert made.organisation == orgs["operateur"] and made.decision == Qualification.QUALIFIE
    with pytest.raises(services.Refused, match="seul le commanditaire"):
        services.qualify(lieux_["gueret"], programme, users["autre_operatrice"])
    with pytest.raises(services.Refused, match="seul l'opérateur du programme"):
        factures.issue_due(ORDER_DAY, who=users["autre_operatrice"], programmes=Programme.objects.filter(pk=programme.pk))
    # pages and downloads
    for name, sees, status in (
        ("operatrice", True, 200),
        ("financeur", True, 200),
        ("autre_operatrice", False, 404),
        ("financeur08", False, 404),
        ("conseillere", None, 404),
    ):
        client.force_login(users[name])
        page = client.get("/pass-numerique/").content.decode()
        assert sees is None or (programme.nom in page) is sees, name  # a place sees the programmes it may apply to
        assert client.get(f"/pass-numerique/factures/{invoice.pk}.pdf").status_code == status, name
    client.force_login(users["autre_operatrice"])
    page = client.get("/pass-numerique/").content.decode()
    assert other.nom in page and programme.nom not in page
    # the operator issues from its page; another operator's account is refused
    refused = client.post("/pass-numerique/", {"action": "facturer", "programme": str(programme.pk)})
    assert refused.status_code == 403
    client.force_login(users["operatrice"])
    answer = client.post("/pass-numerique/", {"action": "facturer", "programme": str(programme.pk)})
    assert answer.status_code == 200 and "Aucune facture due" in answer.content.decode()
    pdf = client.get(f"/pass-numerique/factures/{invoice.pk}.pdf")
    assert pdf["Content-Type"] == "application/pdf" and bytes(pdf.content) == bytes(invoice.pdf)


def test_an_operator_prepares_payments_of_its_programmes_only(client, operated):
    """The funder has two programmes in the Creuse, one operated: the operator's mandate file
    holds the vouchers of that one only; the funder's holds both."""
    from tests.apps.pass_numerique.test_paiement import SIRET, _file

    orgs, lieux_, users, operated_programme = operated
    own = services.create_programme(orgs["creuse"], TerritorySet.of("departement", "23"), 1, 5, prescripteurs=[orgs["ccas"]], year=2031)
    _file(lieux_["gueret"], users["conseillere"], publique=True, raison_sociale="Commune de Guéret", siret=SIRET)
    when = dt.datetime(2031, 3, 10, 10, tzinfo=dt.UTC)
    for p in (own, operated_programme):
        services.qualify(lieux_["gueret"], p, services.PLATFORM, now=dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
        for code in hand_out(p, orgs)[:2]:
            services.redeem(code, lieux_["gueret"], users["conseillere"], now=when)
    services.settle("2031-03", today=dt.date(2031, 4, 2))
    assert [row[6] for row in paiements.mandate_rows("2031-03", orgs["creuse"])] == [4]
    assert [row[6] for row in paiements.mandate_rows("2031-03", orgs["creuse"], orgs["operateur"])] == [2]
    url = f"/pass-numerique/paiements/{orgs['creuse'].pk}/2031-03.csv"
    for name, status in (("operatrice", 200), ("autre_operatrice", 404)):
        client.force_login(users[name])
        assert client.get(url).status_code == status, name
    client.force_login(users["operatrice"])
    assert client.get(url).content.decode("utf-8-sig").splitlines()[1].split(";")[6] == "2"


def test_the_command_line_issues_checks_and_writes_the_documents(operated, tmp_path):
    from typer.testing import CliRunner

    from terrinum.cli import app

    orgs, lieux_, users, programme = operated
    runner = CliRunner()
    wrong = runner.invoke(app, ["pass-numerique", "facturation", "--organisation", "Opérateur Pass Essai", "--raison-sociale", "Opérateur",
                                "--siret", "73282932000074", "--tva", "FR00732829320", "--adresse", "1 rue", "--code-postal", "75011", "--ville", "Paris"])  # fmt: skip
    assert wrong.exit_code == 1 and "numéro de TVA intracommunautaire « FR00732829320 » invalide" in " ".join(wrong.output.split())
    args = [f"--{k.replace('_', '-')}={v}" for k, v in OPERATOR.items()]
    assert runner.invoke(app, ["pass-numerique", "facturation", "--organisation", "Opérateur Pass Essai", *args]).exit_code == 0
    args = [f"--{k.replace('_', '-')}={v}" for k, v in FUNDER.items()]
    assert runner.invoke(app, ["pass-numerique", "facturation", "--organisation", "Département de la Creuse", *args]).exit_code == 0
    missing = runner.invoke(app, ["pass-numerique", "factures", "--sortie", str(tmp_path / "nulle-part")])
    assert missing.exit_code == 64 and "n'existe pas" in missing.output
    done = runner.invoke(app, ["pass-numerique", "factures", "--date", "2031-03-02", "--sortie", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert "Facture n° 2031-00002" in done.output and "7,20" in done.output and "2 document(s) émis" in done.output
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == ["facture-2031-00001.pdf", "facture-2031-00002.pdf"]
    assert runner.invoke(app, ["pass-numerique", "factures", "--verifier"]).exit_code == 0
    Compteur.objects.filter(emetteur=orgs["operateur"]).update(dernier=3)  # a number given and lost
    holed = runner.invoke(app, ["pass-numerique", "factures", "--verifier"])
    assert holed.exit_code == 1 and "numéros manquants 3" in holed.output
