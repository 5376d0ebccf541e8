"""Coverage reports in Chromium, against the real server: an agent of Signy-l'Abbaye
reports a zone by clicking the commune's map, then another on a phone without JavaScript by
typing its coordinates; the Ardennes' New Deal project team groups the reports, ranks and
decides, and exports its proposals; the agent sees the decision. axe finds nothing."""

import csv
import io

from tests.e2e.conftest import axe_clean, run_cli, sign_in

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

    # 4. The agent follows the decision; the territory page counts, without names
    context, page = sign_in(browser, server, "agent-signy", "/couverture/", 390)
    assert page.get_by_role("cell", name="Proposée à l'arrêté").count() == 2
    axe_clean(page, 390)
    page.get_by_role("link", name="n°").first.click()
    assert "Proposée à l'arrêté" in page.content()
    axe_clean(page, 390)
    page.goto(server + "/couverture/")
    page.get_by_role("link", name="Signaler une zone à Signy-l'Abbaye").click()
    axe_clean(page, 390)
    page.goto(server + "/territoires/commune/08419/")
    section = page.locator("#signalements-couverture").inner_text()
    assert "2 zone(s) mal couverte(s)" in section and "0 attendent" in section and "agent-signy" not in page.content()
    context.close()
