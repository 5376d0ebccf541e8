"""Issue 35's journey in Chromium, against the real server: a funder creates a programme with
its operator on the web (the order is invoiced at once), allocates carnets to a prescriber; the
place fills its file and applies; the operator qualifies it; the prescriber hands a carnet out;
the place redeems a voucher on a phone; at the month's end the settlement runs, the funder
downloads its SEPA file (valid against the standard's XSD), the place its statement and the
funder the invoice (Factur-X, its XML read back); the reminders go out 30 days before the end.
The server's clock is the real one: the settlement and the reminders are given their day."""

from __future__ import annotations

import json
import re
from pathlib import Path

import facturx
import sepaxml
import xmlschema

from tests.e2e.conftest import axe_clean, run_cli, sign_in
from tests.e2e.test_pass_numerique import _accounts, _python

RIB = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OPERATOR = "Opérateur du Pass (parcours)"
PROGRAMME_FACTS = """
import django, json, datetime as dt; django.setup()
from terrinum.apps.inclusion.models import Lieu
from terrinum.apps.pass_numerique.models import Programme
p = Programme.objects.get(pk={n})
print(json.dumps({{"code": p.carnets_emis.get(numero=1).cheques.order_by("id").first().code, "lieu": Lieu.objects.get(identifiant="gueret-mediatheque").pk,
                  "rappel": str(p.fin_tolerance - dt.timedelta(days=30))}}))
"""
MONTH_END = """
import django, datetime as dt; django.setup()
from django.utils import timezone
from terrinum.apps.pass_numerique import services
today = timezone.localdate()
month = f"{today:%Y-%m}"
services.settle(month, today=(today.replace(day=1) + dt.timedelta(days=32)).replace(day=1))
print(month)
"""
REMINDED = """
import django; django.setup()
from terrinum.apps.pass_numerique.models import Rappel
print(Rappel.objects.filter(programme_id={n}, jours=30).count())
"""


def _form(page, programme: int, action: str):
    return page.locator(f"form:has(input[name=action][value={action}]):has(input[name=programme][value='{programme}'])")


def test_a_funder_runs_a_campaign_from_qualified_places_to_the_money(server_env, server, browser, tmp_path):
    env = server_env
    _accounts(env)
    run_cli(env, "compte", "creer", "operatrice", "--organisation", OPERATOR, "--type", "operateur", "--role", "gestionnaire")
    run_cli(env, "pass-numerique", "facturation", "--organisation", OPERATOR, "--raison-sociale", "Opérateur du Pass SAS", "--siret", "73282932000074",
            "--tva", "FR44732829320", "--adresse", "12 rue des Lilas", "--code-postal", "75011", "--ville", "Paris")  # fmt: skip
    run_cli(env, "pass-numerique", "facturation", "--organisation", "Département de la Creuse", "--raison-sociale", "Département de la Creuse",
            "--siret", "12345678200010", "--adresse", "4 place Louis Lacrocq", "--code-postal", "23000", "--ville", "Guéret")  # fmt: skip

    # 1. The funder orders: a programme with its operator, invoiced with the order; carnets allocated.
    context, page = sign_in(browser, server, "creuse", "/pass-numerique/", 1280)
    try:
        page.get_by_label("Territoire (nom ou code : département, EPCI, commune, région)").fill("23")
        page.get_by_label("Nombre de carnets").fill("2")
        page.get_by_label("Chèques par carnet").select_option("5")
        page.get_by_label(re.compile("^Opérateur")).select_option(label=OPERATOR)
        page.get_by_label("CCAS de Guéret", exact=True).check()
        page.get_by_role("button", name="Créer le programme et ses carnets").click()
        said = page.get_by_role("status").inner_text()
        n = int(re.search(r"Programme n° (\d+)", said).group(1))
        invoices = re.search(r"Factures de la commande : (\S+), (\S+)\.", said).groups()
        facts = json.loads(_python(env, PROGRAMME_FACTS.format(n=n)))
        page.locator(f"#dot-presc-{n}").select_option(label="CCAS de Guéret")
        page.locator(f"#dot-n-{n}").fill("2")
        _form(page, n, "dotation").get_by_role("button", name="Répartir").click()
        assert "CCAS de Guéret : +2 carnet(s)" in page.get_by_role("status").inner_text()
        axe_clean(page, 1280)
    finally:
        context.close()

    # 2. The place fills its file, joins its bank details and applies.
    context, page = sign_in(browser, server, "conseillere", "/pass-numerique/", 1280)
    try:
        lieu = facts["lieu"]
        page.locator(f"#rs-{lieu}").fill("Association Médiathèque du Grand Guéret")
        page.locator(f"#siret-{lieu}").fill("100 000 009 00009")
        page.locator(f"#rep-{lieu}").fill("Claire Martin, présidente")
        page.locator(f"form:has(#rs-{lieu})").get_by_label("Structure privée (association, entreprise) : payée par virement").check()
        page.locator(f"#tit-{lieu}").fill("ASSOCIATION MEDIATHEQUE GUERET")
        page.locator(f"#iban-{lieu}").fill("FR76 3000 6000 0112 3456 7890 189")
        page.locator(f"#bic-{lieu}").fill("AGRIFRPP")
        page.locator(f"form:has(#rs-{lieu})").get_by_role("button", name="Enregistrer le dossier").click()
        assert "Dossier de Médiathèque du Grand Guéret enregistré" in page.get_by_role("status").inner_text()
        page.locator(f"#fichier-{lieu}").set_input_files(files=[{"name": "rib.pdf", "mimeType": "application/pdf", "buffer": RIB}])
        page.locator(f"form:has(#fichier-{lieu})").get_by_role("button", name="Joindre la pièce").click()
        page.locator(
            f"form:has(input[name=action][value=candidature]):has(input[name=programme][value='{n}']):has(input[name=lieu][value='{lieu}'])"
        ).get_by_role("button").click()
        assert "Demande de qualification de Médiathèque du Grand Guéret envoyée" in page.get_by_role("status").inner_text()
    finally:
        context.close()

    # 3. The operator sees the application with its file and qualifies it.
    context, page = sign_in(browser, server, "operatrice", "/pass-numerique/", 1280)
    try:
        pending = _form(page, n, "qualifier_liste").filter(has=page.get_by_role("table"))
        assert "10000000900009" in pending.inner_text() and "relevé d'identité bancaire" in pending.inner_text()
        pending.get_by_label("Choisir Médiathèque du Grand Guéret").check()
        pending.get_by_role("button", name="Qualifier les demandes cochées").click()
        assert "1 lieu(x) : qualifié" in page.get_by_role("status").inner_text()
        assert invoices[0] in page.locator(f"#factures-{n} + ul").inner_text()
        axe_clean(page, 1280)
    finally:
        context.close()

    # 4. The prescriber hands the first carnet out from its stock.
    context, page = sign_in(browser, server, "ccas", "/pass-numerique/", 1280)
    try:
        page.get_by_label("Code d'un chèque du carnet").fill(facts["code"])
        page.get_by_label("Tranche d'âge").select_option("60-74")
        page.get_by_label("Commune de la personne (nom ou code postal, ex. Guéret ou 23000)").fill("Guéret")
        page.get_by_label("Motif").fill("démarches en ligne")
        page.get_by_role("button", name="Remettre le carnet").click()
        assert "Carnet 1 remis" in page.locator("p.info, p.erreur").first.inner_text()
    finally:
        context.close()

    # 5. The place redeems the voucher on a phone.
    context, page = sign_in(browser, server, "conseillere", "/pass-numerique/", 390)
    try:
        page.get_by_label("Code du chèque").fill(facts["code"].lower())
        if page.get_by_label("Lieu", exact=True).count():
            page.get_by_label("Lieu", exact=True).select_option(str(lieu))
        page.get_by_role("button", name="Utiliser le chèque").click()
        assert "utilisé à Médiathèque du Grand Guéret" in page.get_by_role("status").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()

    # 6. Month end: the settlement (given the first day of the next month).
    month = _python(env, MONTH_END).strip()

    # 7. The funder's SEPA file, valid against the standard's XSD, pays the place.
    context, page = sign_in(browser, server, "creuse", "/pass-numerique/", 1280)
    try:
        page.locator("summary", has_text="compte de paiement").first.click()
        page.get_by_label("Titulaire").fill("DEPARTEMENT DE LA CREUSE")
        page.get_by_label("IBAN").fill("FR7630001007941234567890185")
        page.get_by_label("BIC").fill("BDFEFRPPCCT")
        page.get_by_role("button", name="Enregistrer le compte").click()
        with page.expect_download() as sepa:
            page.get_by_role("link", name=f"virements SEPA de {month}").click()
        xml = Path(sepa.value.path()).read_bytes()
        xmlschema.XMLSchema(Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd").validate(xml)
        assert b"FR7630006000011234567890189" in xml and b"ASSOCIATION MEDIATHEQUE GUERET" in xml
        with page.expect_download() as invoice:
            page.locator(f"#factures-{n} + ul").get_by_role("link").first.click()
        name, embedded = facturx.get_xml_from_pdf(Path(invoice.value.path()).read_bytes(), check_xsd=True)
        assert name == "factur-x.xml" and invoices[0].encode() in embedded
    finally:
        context.close()

    # 8. The place's statement.
    context, page = sign_in(browser, server, "conseillere", "/pass-numerique/", 1280)
    try:
        with page.expect_download() as statement:
            page.get_by_role("link", name=f"PDF du relevé {month}, Médiathèque du Grand Guéret").click()
        assert Path(statement.value.path()).read_bytes().startswith(b"%PDF")
    finally:
        context.close()

    # 9. Thirty days before the end, the reminders.
    run_cli(env, "pass-numerique", "rappels", "--date", facts["rappel"])
    assert _python(env, REMINDED.format(n=n)).strip() == "1"
