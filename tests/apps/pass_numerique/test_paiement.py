"""A place's file (SIRET, IBAN, BIC, documents, checked), its application and the funder's
decision; the month's payment orders: SEPA credit transfers (pain.001.001.03, valid against
the standard's XSD, read back apart) for private places, mandates for public ones; who reads
and downloads what."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as etree

import pytest
import sepaxml
import xmlschema
from django.utils import timezone

from terrinum.apps.pass_numerique import dossiers, paiements, services
from terrinum.apps.pass_numerique.models import Qualification, Structure
from tests.apps.pass_numerique.conftest import hand_out

pytestmark = pytest.mark.django_db

SIRET = "12345678200010"  # a valid Luhn key
SIRET_SIGNY = "73282932000074"
IBAN_PLACE, BIC_PLACE = "FR76 3000 6000 0112 3456 7890 189", "AGRIFRPP"
IBAN_FUNDER, BIC_FUNDER = "FR7630001007941234567890185", "BDFEFRPPCCT"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


def _file(lieu, user, **overrides):
    fields = {"raison_sociale": "Association Médiathèque de Guéret", "siret": SIRET, "representant": "Claire Martin, présidente",
              "publique": False, "titulaire": "ASSOCIATION MEDIATHEQUE GUERET", "iban": IBAN_PLACE, "bic": BIC_PLACE} | overrides  # fmt: skip
    return dossiers.save_structure(lieu, user, **fields)


def test_the_place_file_is_checked_field_by_field_and_saves_nothing_when_wrong(world):
    orgs, lieux_, users, programme = world
    with pytest.raises(services.Refused) as refused:
        _file(lieux_["gueret"], users["conseillere"], siret="12345678200011", iban="FR7630006000011234567890180", representant=" ", publique=None)
    text = str(refused.value)
    assert "SIRET : la clé de contrôle ne correspond pas" in text and "IBAN : la clé de contrôle" in text
    assert "représentant légal : obligatoire" in text and "statut : public ou privé" in text and not Structure.objects.exists()
    with pytest.raises(services.Refused, match="BIC : BDFEFRPPCCT n'est pas celui de la banque de cet IBAN"):
        _file(lieux_["gueret"], users["conseillere"], bic=BIC_FUNDER)
    with pytest.raises(services.Refused, match="zone SEPA"):
        _file(lieux_["gueret"], users["conseillere"], iban="BR1800360305000010009795493C1")
    with pytest.raises(services.Refused, match="seul un compte du lieu"):
        _file(lieux_["gueret"], users["signy"])  # another place's account
    made = _file(lieux_["gueret"], users["conseillere"], siret="123 456 782 00010")
    assert (made.siret, made.iban, made.bic) == (SIRET, "FR7630006000011234567890189", "AGRIFRPP")
    with pytest.raises(services.Refused, match="déjà celui du dossier d'un autre lieu"):
        _file(lieux_["signy"], users["signy"])  # one SIRET, one file
    assert _file(lieux_["signy"], users["signy"], siret=SIRET_SIGNY).lieu == lieux_["signy"]


def test_a_document_is_checked_by_its_content_and_size(world):
    orgs, lieux_, users, programme = world
    structure = _file(lieux_["gueret"], users["conseillere"])
    png = dossiers.add_piece(structure, users["conseillere"], "rib", "rib.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    assert png.type_mime == "image/png"  # read from the content, not the name
    for content, reason in ((b"bonjour", "PDF, PNG ou JPEG attendu"), (b"", "fichier vide"), (b"%PDF-" + b"0" * (5 * 1024 * 1024), "au plus 5 Mo")):
        with pytest.raises(services.Refused, match=reason):
            dossiers.add_piece(structure, users["conseillere"], "rib", "rib.pdf", content)
    with pytest.raises(services.Refused, match="nature de pièce inconnue"):
        dossiers.add_piece(structure, users["conseillere"], "photo", "rib.pdf", PDF)
    assert structure.pieces.count() == 1


def test_a_place_applies_and_its_funder_decides(client, world):
    orgs, lieux_, users, programme = world
    gueret = lieux_["gueret"]
    services.qualify(gueret, programme, users["financeur"], Qualification.RETIRE, "nouveau dossier demandé")
    with pytest.raises(services.Refused, match="dossier incomplet : le dossier de la structure"):
        dossiers.apply(gueret, programme, users["conseillere"])
    structure = _file(gueret, users["conseillere"])
    with pytest.raises(services.Refused, match="dossier incomplet : un relevé d'identité bancaire"):
        dossiers.apply(gueret, programme, users["conseillere"])
    client.force_login(users["conseillere"])
    page = client.post("/pass-numerique/", {"action": "piece", "lieu": gueret.pk, "nature": "rib", "fichier": io.BytesIO(PDF)})
    assert page.status_code == 200 and structure.pieces.get().type_mime == "application/pdf"
    asked = client.post("/pass-numerique/", {"action": "candidature", "lieu": gueret.pk, "programme": programme.pk})
    assert asked.status_code == 200 and "Demande de qualification" in asked.content.decode()
    assert services.standing(programme, gueret).decision == Qualification.DEMANDE and not services.eligible(programme, gueret)
    with pytest.raises(services.Refused, match="déjà demandé"):
        dossiers.apply(gueret, programme, users["conseillere"])
    _file(lieux_["signy"], users["signy"], siret=SIRET_SIGNY)
    dossiers.add_piece(lieux_["signy"].structure_pass, users["signy"], "rib", "rib.pdf", PDF)
    with pytest.raises(services.Refused, match="n'est pas dans le territoire"):
        dossiers.apply(lieux_["signy"], programme, users["signy"])
    # the funder sees the application with its file and its documents, and decides
    client.force_login(users["financeur"])
    page = client.get("/pass-numerique/").content.decode()
    assert "Demandes de qualification en attente" in page and SIRET in page and "FR76 … 0189" in page
    piece = structure.pieces.get()
    assert client.get(f"/pass-numerique/pieces/{piece.pk}").content == PDF
    client.force_login(users["financeur08"])  # a funder it did not apply to
    assert client.get(f"/pass-numerique/pieces/{piece.pk}").status_code == 404
    client.force_login(users["financeur"])
    client.post("/pass-numerique/", {"action": "qualifier", "programme": programme.pk, "lieu": gueret.pk, "decision": "qualifie"})
    assert services.eligible(programme, gueret)
    steps = list(Qualification.objects.filter(lieu=gueret).values_list("decision", flat=True))
    assert steps == ["qualifie", "retire", "demande", "qualifie"]  # every step in the place's ledger


def _settled_march(world, vouchers: int = 3) -> str:
    orgs, lieux_, users, programme = world
    march = dt.datetime(programme.fin_validite.year, 3, 14, 10, tzinfo=timezone.get_current_timezone())
    for code in hand_out(programme, orgs)[:vouchers]:
        services.redeem(code, lieux_["gueret"], users["conseillere"], now=march)
    month = f"{march.year}-03"
    services.settle(month, today=dt.date(march.year, 4, 1))
    return month


def test_the_sepa_file_pays_each_private_place_its_month_and_is_valid(world):
    orgs, lieux_, users, programme = world
    month = _settled_march(world)
    _file(lieux_["gueret"], users["conseillere"])
    with pytest.raises(services.Refused, match="n'a pas de compte de paiement"):
        paiements.sepa_transfers(month, orgs["creuse"])
    dossiers.save_funder_account(orgs["creuse"], users["financeur"], "DEPARTEMENT DE LA CREUSE", IBAN_FUNDER, BIC_FUNDER)
    done = paiements.sepa_transfers(month, orgs["creuse"], dt.date(2030, 4, 5))
    xmlschema.XMLSchema(XSD).validate(done.xml)  # the standard's schema, read apart from the library's own check
    tree = etree.fromstring(done.xml)
    assert tree.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == "1" == str(done.count)
    assert Decimal(tree.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS)) == Decimal("30.00")  # the month's statement: 3 × 10 €
    assert tree.findtext(".//p:Dbtr/p:Nm", namespaces=NS) == "DEPARTEMENT DE LA CREUSE"
    assert tree.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == IBAN_FUNDER
    (transfer,) = tree.findall(".//p:CdtTrfTxInf", namespaces=NS)
    assert transfer.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == "FR7630006000011234567890189"
    assert Decimal(transfer.findtext("p:Amt/p:InstdAmt", namespaces=NS)) == Decimal("30.00")
    assert transfer.findtext("p:PmtId/p:EndToEndId", namespaces=NS).startswith(f"PASSNUM-{month}-R")
    assert tree.findtext(".//p:ReqdExctnDt", namespaces=NS) == "2030-04-05"
    Structure.objects.filter(lieu=lieux_["gueret"]).update(bic="PAS-UN-BIC")  # past the file's own checks
    with pytest.raises(services.Refused, match="pas conforme au schéma pain.001.001.03 : .*BIC.*PAS-UN-BIC"):
        paiements.sepa_transfers(month, orgs["creuse"])
    with pytest.raises(services.Refused, match="aucun virement"):  # the other funder owes nothing
        dossiers.save_funder_account(orgs["ardennes"], users["financeur08"], "DEPARTEMENT DES ARDENNES", IBAN_FUNDER, BIC_FUNDER)
        paiements.sepa_transfers(month, orgs["ardennes"])


def test_a_public_place_is_paid_by_mandate_and_not_by_transfer(world):
    orgs, lieux_, users, programme = world
    programme.imputation = "65-6574"
    programme.save(update_fields=["imputation"])
    month = _settled_march(world, vouchers=2)
    _file(lieux_["gueret"], users["conseillere"], publique=True, raison_sociale="Commune de Guéret")
    dossiers.save_funder_account(orgs["creuse"], users["financeur"], "DEPARTEMENT DE LA CREUSE", IBAN_FUNDER, BIC_FUNDER)
    with pytest.raises(services.Refused, match="aucun lieu privé"):
        paiements.sepa_transfers(month, orgs["creuse"])
    rows = list(csv.reader(io.StringIO(paiements.mandates(month, orgs["creuse"], "csv").decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == paiements.MANDATE_COLUMNS
    assert rows[1][:4] == [month[:4], "65-6574", "Commune de Guéret", SIRET] and rows[1][6:] == ["2", "20,00"]
    import odf.opendocument
    from odf.table import TableRow

    sheet = odf.opendocument.load(io.BytesIO(paiements.mandates(month, orgs["creuse"], "ods")))
    assert len(sheet.spreadsheet.getElementsByType(TableRow)) == 2


def test_payment_files_are_for_their_funder_only(client, world):
    orgs, lieux_, users, programme = world
    month = _settled_march(world)
    _file(lieux_["gueret"], users["conseillere"])
    dossiers.save_funder_account(orgs["creuse"], users["financeur"], "DEPARTEMENT DE LA CREUSE", IBAN_FUNDER, BIC_FUNDER)
    url = f"/pass-numerique/paiements/{orgs['creuse'].pk}/{month}"
    for name, expected in (("financeur", 200), ("financeur08", 404), ("conseillere", 404), ("travailleuse", 404)):
        client.force_login(users[name])
        assert [client.get(f"{url}.{fmt}").status_code for fmt in ("xml", "csv", "ods")] == [expected] * 3, name
    client.force_login(users["financeur"])
    page = client.get("/pass-numerique/").content.decode()
    assert "Paiement des lieux" in page and f"{month}.xml" in page
    client.logout()
    assert client.get(f"{url}.xml").status_code == 302


def test_the_command_line_writes_the_month_s_transfers(world, tmp_path):
    from typer.testing import CliRunner

    from terrinum.cli import app

    orgs, lieux_, users, programme = world
    month = _settled_march(world)
    _file(lieux_["gueret"], users["conseillere"])
    runner = CliRunner()
    account = runner.invoke(app, ["pass-numerique", "financeur", "compte", "--financeur", "Département de la Creuse",
                                  "--titulaire", "DEPARTEMENT DE LA CREUSE", "--iban", "FR7630001007941234567890186", "--bic", BIC_FUNDER])  # fmt: skip
    assert account.exit_code == 1 and "IBAN : la clé de contrôle" in account.output
    account = runner.invoke(app, ["pass-numerique", "financeur", "compte", "--financeur", "Département de la Creuse",
                                  "--titulaire", "DEPARTEMENT DE LA CREUSE", "--iban", IBAN_FUNDER, "--bic", BIC_FUNDER])  # fmt: skip
    assert account.exit_code == 0, account.output
    target = tmp_path / "virements.xml"
    done = runner.invoke(app, ["pass-numerique", "reglement", "--mois", month, "--virements", str(target), "--mandats", str(tmp_path / "m.ods")])
    assert done.exit_code == 0, done.output
    assert "1 virement(s), 30,00 €" in done.output and "0 mandat(s)" in done.output
    xmlschema.XMLSchema(XSD).validate(target.read_bytes())
    missing = runner.invoke(app, ["pass-numerique", "reglement", "--mois", month, "--virements", str(tmp_path / "nulle-part" / "v.xml")])
    assert missing.exit_code == 64 and "n'existe pas" in missing.output  # usage error, before any work


def test_a_place_numbered_beyond_a_thousand_is_named_plainly_in_the_forms(client, world):
    """The page wrote a place's number with the French thousands separator (« 3 780 ») in its
    forms' hidden fields: every form of a place past the thousandth answered 500."""
    from terrinum.apps.inclusion.models import Lieu

    orgs, lieux_, users, programme = world
    big = Lieu.objects.get(pk=lieux_["gueret"].pk)
    big.pk, big.identifiant = 12345, "gueret-bis"
    big.save(force_insert=True)
    client.force_login(users["conseillere"])
    page = client.get("/pass-numerique/").content.decode()
    assert 'name="lieu" value="12345"' in page or 'value="12345"' in page
    saved = client.post("/pass-numerique/", {"action": "dossier", "lieu": "12345", "statut": "privee", "raison_sociale": "Association", "siret": SIRET,
                                             "representant": "Présidente", "titulaire": "ASSOCIATION", "iban": IBAN_PLACE, "bic": BIC_PLACE})  # fmt: skip
    assert saved.status_code == 200 and Structure.objects.get().lieu_id == 12345


def test_a_refused_file_keeps_what_was_typed(client, world):
    orgs, lieux_, users, programme = world
    client.force_login(users["conseillere"])
    typed = {"action": "dossier", "lieu": lieux_["gueret"].pk, "statut": "publique", "raison_sociale": "Commune de Guéret", "siret": "12345678200011",
             "representant": "Le maire", "titulaire": "COMMUNE DE GUERET", "iban": IBAN_PLACE, "bic": BIC_PLACE}  # fmt: skip
    page = client.post("/pass-numerique/", typed)
    html = page.content.decode()
    assert page.status_code == 400 and "SIRET : la clé de contrôle" in html and not Structure.objects.exists()
    for value in ("Commune de Guéret", "12345678200011", "Le maire", "COMMUNE DE GUERET", IBAN_PLACE):
        assert f'value="{value}"' in html, value
    assert 'value="publique" checked' in html
