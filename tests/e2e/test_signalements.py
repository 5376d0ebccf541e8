"""Coverage reports in Chromium, against the real server: an agent of Signy-l'Abbaye
reports a zone by clicking the commune's map, then another on a phone without JavaScript by
typing its coordinates; the Ardennes' New Deal project team groups the reports, ranks and
decides, and exports its proposals; the agent sees the decision. axe finds nothing."""

import csv
import datetime as dt
import io
import re
from pathlib import Path

from dateutil.relativedelta import relativedelta

from tests.e2e.conftest import axe_clean, e2e_today, run_cli, sign_in

SIGNY = (49.7022, 4.3935)  # inside Signy-l'Abbaye


def _describe(page):
    page.get_by_label("Bouygues Telecom").check()
    page.get_by_label("Appels et SMS").check()
    page.get_by_label("En permanence").check()
    page.get_by_label("Exploitation agricole").check()


def test_an_agent_reports_and_the_project_team_decides(server_env, server, browser):
    run_cli(
        server_env,
        "compte",
        "creer",
        "agent-signy",
        "--organisation",
        "Commune de Signy-l'Abbaye",
        "--type",
        "collectivite",
        "--territoire",
        "08419",
        "--role",
        "membre",
        "--email",
        "agent@signy-labbaye.fr",
    )
    run_cli(server_env, "compte", "creer", "chef-projet-08", "--organisation", "Équipe projet New Deal des Ardennes", "--type", "equipe_projet",
         "--territoire", "08", "--role", "gestionnaire")  # fmt: skip

    # 1. On a computer, with the map
    context, page = sign_in(browser, server, "agent-signy", "/couverture/", 1280)
    axe_clean(page, 1280)
    page.get_by_role("link", name="Signaler une zone à Signy-l'Abbaye").click()
    page.wait_for_url("**/signaler/08419/")
    axe_clean(page, 1280)
    carte = page.locator("svg.carte-pointage")
    box = carte.bounding_box()
    carte.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    latitude, longitude = float(page.locator("#id_latitude").input_value()), float(page.locator("#id_longitude").input_value())
    assert 49.65 < latitude < 49.75 and 4.32 < longitude < 4.48, (latitude, longitude)  # inside Signy's bounding box
    assert "Point placé" in page.locator("#pointage-statut").inner_text()
    _describe(page)
    page.get_by_role("button", name="Envoyer le signalement").click()
    page.wait_for_url("**/couverture/signalements/*/")
    assert "Reçu, pas encore examiné" in page.content() and "Vérification avec les données" in page.content()
    axe_clean(page, 1280)
    context.close()

    # 2. On a phone without JavaScript: typed coordinates (French decimal comma)
    context, page = sign_in(browser, server, "agent-signy", "/couverture/", 390, javascript=False)
    page.get_by_role("link", name="Signaler une zone à Signy-l'Abbaye").click()
    page.locator("#id_latitude").fill(f"{SIGNY[0]}".replace(".", ","))
    page.locator("#id_longitude").fill(f"{SIGNY[1]}".replace(".", ","))
    _describe(page)
    page.get_by_role("button", name="Envoyer le signalement").click()
    page.wait_for_url("**/couverture/signalements/*/")
    assert "latitude 49,70220, longitude 4,39350" in page.content()  # (axe needs JavaScript: these pages are checked at 390 px in step 4)
    context.close()

    # 3. The project team: group, rank, decide, export
    context, page = sign_in(browser, server, "chef-projet-08", "/couverture/", 1280)
    page.get_by_role("link", name="Signalements et zones : Ardennes (08)").click()
    page.wait_for_url("**/couverture/departements/08/")
    assert "2 signalement(s), dont 2 pas encore regroupé(s)" in page.content()
    axe_clean(page, 1280)
    page.get_by_label("Distance de regroupement (mètres)").fill("20000")
    page.get_by_role("button", name="Regrouper les signalements non tranchés").click()
    assert "1 zone(s) à examiner formée(s) à 20000 m." in page.get_by_role("status").inner_text()
    page.locator("select[name=decision]").first.select_option(label="Proposée à l'arrêté")
    page.get_by_role("button", name="Enregistrer").first.click()
    assert "Zone 1 : proposée à l'arrêté." in page.get_by_role("status").inner_text()
    axe_clean(page, 1280)
    with page.expect_download() as download:
        page.get_by_role("link", name="propositions (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 and rows[0]["Décision"] == "Proposée à l'arrêté" and rows[0]["Signalements"] == "2"
    context.close()

    # 3b. The year's allotment, the campaign file, the order (more than two years ago), the site
    # put in service yesterday: late, and counted late for good
    context, page = sign_in(browser, server, "chef-projet-08", "/couverture/departements/08/", 1280)
    page.get_by_label(re.compile(r"^Dotation \d{4}")).fill("1")
    page.get_by_role("button", name="Enregistrer la dotation").click()
    assert re.search(r"Campagne \d{4} : dotation de 1 zone\(s\)", page.get_by_role("status").inner_text())
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^CSV de la campagne")).click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig")), delimiter=";"))
    assert [(r["Dotation"], r["Dans la dotation"], r["Signalements"]) for r in rows] == [("1", "oui", "2")]
    ordered = e2e_today() - dt.timedelta(days=800)
    page.get_by_label("Numéro de l'arrêté").fill("2024-0815")
    page.get_by_label("Date de l'arrêté").fill(ordered.isoformat())
    page.locator("#op-OF").check()
    page.get_by_label(re.compile(r"^Zone 1")).check()
    page.get_by_role("button", name="Enregistrer l'arrêté").click()
    assert "Arrêté 2024-0815" in page.get_by_role("status").inner_text()
    in_service = e2e_today() - dt.timedelta(days=1)
    late = (in_service - (ordered + relativedelta(months=24))).days
    page.locator("select[name=etape]").first.select_option("en_service")
    page.locator("input[name=date][type=date]").first.fill(in_service.isoformat())
    page.get_by_role("button", name=re.compile("l'étape de la zone 1")).click()
    assert "Zone 1 : site en service." in page.get_by_role("status").inner_text()
    axe_clean(page, 1280)
    context.close()
    mails = [p.read_text(encoding="utf-8") for p in (Path(server_env["TERRINUM_COURRIELS_DOSSIER"])).glob("*.log")]
    to_agent = [m for m in mails if "agent@signy-labbaye.fr" in m]
    assert any(f"{late} jour(s) de retard" in m for m in to_agent), to_agent

    # 4. The agent follows the decision; the territory page counts, without names
    context, page = sign_in(browser, server, "agent-signy", "/couverture/", 390)
    assert page.get_by_role("cell", name="Proposée à l'arrêté").count() == 2
    axe_clean(page, 390)
    page.get_by_role("link", name="n°").first.click()
    assert "Proposée à l'arrêté" in page.content() and f"avec {late} jour(s) de retard" in page.content()
    axe_clean(page, 390)
    page.goto(server + "/couverture/")
    page.get_by_role("link", name="Signaler une zone à Signy-l'Abbaye").click()
    axe_clean(page, 390)
    page.goto(server + "/territoires/commune/08419/")
    section = page.locator("#signalements-couverture").inner_text()
    assert "2 zone(s) mal couverte(s)" in section and "0 attendent" in section and "agent-signy" not in page.content()
    context.close()
