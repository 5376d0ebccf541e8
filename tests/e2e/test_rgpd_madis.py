"""Issue 36's journey in Chromium, against the real server: the DPO of a syndicat mixte leaves
Madis. She brings the structure's registers in from Madis's CSV exports, a commune's register
from a spreadsheet laid out as the CNIL's model, duplicates a model activity to 20
collectivités in one action, imports an impact analysis made in the CNIL's PIA tool, completes
it and exports it back, records a request refused as manifestly unfounded and a breach
notified late with its reasons, and downloads the annual report. axe on the new pages."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from openpyxl import Workbook

from tests.apps.rgpd.test_aipd import _pia_export
from tests.apps.rgpd.test_madis import CONTRACTOR_HEADER, CONTRACTORS, TREATMENT_HEADER, _csv, _treatments
from tests.e2e.conftest import axe_clean, e2e_now, run_cli, sign_in
from tests.e2e.test_pass_numerique import _python

STRUCTURE = "Syndicat mixte numérique des Ardennes"
ENROL = """
import django, json; django.setup()
from terrinum.accounts.models import Organisation
from terrinum.apps.rgpd import services
from terrinum.territories.models import Territory
host = Organisation.objects.get(nom="{structure}", type="mutualisation")
names = {{"08419": "Commune de Signy-l'Abbaye (syndicat)", "08362": "Commune de Rethel (syndicat)"}}
communes = list(Territory.objects.filter(niveau="commune", departement_code="08").exclude(code__in=list(names)).order_by("code")[:18])
out = {{}}
for code, nom in [*names.items(), *[(t.code, f"Commune de {{t.nom}} (syndicat)") for t in communes]]:
    org, _ = Organisation.objects.get_or_create(nom=nom, type="collectivite")
    c = services.enrol(host, org, "commune", code, "08")
    out[nom] = c.pk
print(json.dumps(out))
"""


def _cnil_register() -> bytes:
    """A register kept by hand in the CNIL's model columns."""
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["Nom / sigle", "Finalité principale", "Base juridique", "Catégories de données", "Durée de conservation", "Catégories de personnes concernées"]
    )
    sheet.append(
        ["Cimetière", "Gestion des concessions funéraires", "Mission d'intérêt public", "Identité ; Adresse", "Durée de la concession", "Concessionnaires"]
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_dpo_leaves_madis_in_an_afternoon(server_env, server, browser, tmp_path):
    env = server_env
    run_cli(env, "compte", "creer", "dpo-smna", "--organisation", STRUCTURE, "--type", "mutualisation", "--role", "dpo")
    ids = json.loads(_python(env, ENROL.format(structure=STRUCTURE)))
    assert len(ids) == 20
    signy = ids["Commune de Signy-l'Abbaye (syndicat)"]
    # the collectivités of this structure carry « (syndicat) »: other journeys enrol the same communes elsewhere
    treatments = [row | {"Structure - Nom": row["Structure - Nom"] + " (syndicat)"} for row in _treatments()]
    (tmp_path / "traitements.csv").write_bytes(_csv(TREATMENT_HEADER, treatments))
    (tmp_path / "sous-traitants.csv").write_bytes(
        _csv(CONTRACTOR_HEADER, [row | {"Structure - Nom": row["Structure - Nom"] + " (syndicat)"} for row in CONTRACTORS])
    )
    (tmp_path / "registre.xlsx").write_bytes(_cnil_register())
    (tmp_path / "pia.json").write_text(json.dumps(_pia_export()), encoding="utf-8")

    context, page = sign_in(browser, server, "dpo-smna", "/rgpd/", 1280)
    try:
        # 1. Madis's exports, for the whole structure
        page.get_by_text("Reprendre les registres tenus dans Madis").click()
        page.get_by_label("Exports CSV de Madis (traitements, sous-traitants)").set_input_files([tmp_path / "traitements.csv", tmp_path / "sous-traitants.csv"])
        page.get_by_role("button", name="Reprendre les registres").click()
        said = page.get_by_role("status").inner_text()
        assert "Traitements : 3 traitement(s) lu(s) : 2 créé(s)" in said and "Sous-traitants : 1 sous-traitant(s) lu(s) : 1 créé(s)" in said
        assert "Fichier des associations" in page.content()  # the one « À déterminer » in Madis, named
        axe_clean(page, 1280)
        # 2. one model to 20 collectivités
        page.get_by_label("Modèle", exact=True).select_option(label="Listes électorales")
        for nom in ids:
            page.get_by_label(nom, exact=True).check()
        page.get_by_role("button", name="Copier le modèle").click()
        assert "Modèle copié dans 20 registre(s)" in page.get_by_role("status").inner_text()

        # 3. a commune's register kept in the CNIL's model
        page.goto(f"{server}/rgpd/{signy}/")
        page.get_by_text("Responsable de traitement, délégué à la protection des données et import d'un registre").click()
        page.locator("#import-fichier").set_input_files(tmp_path / "registre.xlsx")
        page.locator("form:has(#import-fichier)").get_by_role("button", name="Importer", exact=True).click()
        assert "1 activité(s) lue(s) : 1 créée(s)" in page.get_by_role("status").inner_text()

        # 4. an analysis made in the CNIL's PIA tool, into the register
        page.get_by_text("Importer une analyse de l'outil PIA de la CNIL").click()
        page.get_by_label("Fichier exporté de l'outil PIA (JSON)").set_input_files(tmp_path / "pia.json")
        page.locator("#aipd-import-activite").select_option(label="État civil")
        page.get_by_role("button", name="Importer l'analyse").click()
        page.wait_for_url("**/rgpd/aipd/*/")
        assert "Six caméras sur la place" in page.get_by_label("Quel est le traitement étudié (nature, portée, contexte, finalités) ?").input_value()
        for risk, (severity, likelihood) in {"3.3": ("2", "1"), "3.4": ("3", "1")}.items():
            form = page.locator(f"form:has(button:has-text('Enregistrer {risk}'))")
            item = risk[-1]
            form.locator(f"#q3{item}5").select_option(severity)
            form.locator(f"#q3{item}6").select_option(likelihood)
            form.get_by_role("button", name=f"Enregistrer {risk}").click()
            assert "2 réponse(s) enregistrée(s)" in page.get_by_role("status").inner_text()
        page.get_by_text("Rendre l'avis du DPO").click()
        page.get_by_label("favorable", exact=True).first.check()
        page.get_by_label("Motivation").fill("Favorable sous réserve du masquage des fenêtres.")
        page.get_by_role("button", name="Enregistrer l'avis du DPO").click()
        assert "Avis du DPO enregistré" in page.get_by_role("status").inner_text()
        axe_clean(page, 1280)
        with page.expect_download() as exported:
            page.get_by_role("link", name="Exporter pour l'outil PIA de la CNIL (JSON)").click()
        back = json.loads(Path(exported.value.path()).read_text(encoding="utf-8"))
        assert back["pia"]["dpo_status"] == 1 and back["pia"]["name"] == "Vidéoprotection du centre-bourg"
        assert {a["reference_to"]: a["data"]["gauge"] for a in back["answers"] if a["data"]["gauge"]} == {325: 3, 326: 2, 335: 2, 336: 1, 345: 3, 346: 1}

        # 5. a request refused as manifestly unfounded; a breach notified late, with its reasons
        page.goto(f"{server}/rgpd/{signy}/")
        now = e2e_now()
        page.get_by_label("Droit exercé").select_option(label="Accès (art. 15)")
        page.get_by_label("Reçue le (heure locale de la collectivité)").fill((now - dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name="Enregistrer la demande").click()
        page.get_by_text("Ne pas donner suite").first.click()
        page.locator("select[name=suite]").first.select_option("infondee")
        page.locator("textarea[name=motif]").first.fill("Sixième demande identique en un mois (art. 12.5) ; recours possible auprès de la CNIL et du juge.")
        page.get_by_role("button", name="Clore la demande").first.click()
        assert "Demande close : manifestement infondée ou excessive" in page.get_by_role("status").inner_text()
        page.get_by_label("Connue le (heure locale de la collectivité)").fill((now - dt.timedelta(days=4)).strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("Confidentialité", exact=True).check()
        page.get_by_label("Cause").fill("Ordinateur portable volé")
        page.get_by_label("Données concernées").fill("Fichier des inscriptions scolaires")
        page.get_by_label("Nombre approximatif de personnes concernées").fill("80")
        page.get_by_label("Risque pour les personnes").select_option("risque")
        page.get_by_role("button", name="Enregistrer la violation").click()
        page.locator("textarea[name=motif_retard]").first.fill("Vol constaté un vendredi soir, signalé au DPO le mardi suivant.")
        page.get_by_role("button", name="Notifiée aujourd'hui").first.click()
        assert "Notification à la CNIL enregistrée" in page.get_by_role("status").inner_text()
        assert "Vol constaté un vendredi soir" in page.content()

        # 6. the annual report
        with page.expect_download() as report:
            page.get_by_role("link", name="PDF (rapport annuel)", exact=True).click()
        assert Path(report.value.path()).read_bytes().startswith(b"%PDF")
        axe_clean(page, 1280)
    finally:
        context.close()
