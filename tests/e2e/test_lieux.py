"""Journeys 4, 7 and 2 (siting) in a real browser."""

import json

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import E2E_PASSWORD

pytestmark = pytest.mark.e2e


def _places(page) -> list[str]:
    return [li.inner_text() for li in page.locator("ol.lieux > li").all()]


def test_resident_of_gueret_finds_places_open_now_on_a_phone(server, browser):
    """Journey 7: postal code, places open now, what they offer; a phone, no account, no JavaScript."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="fr-FR")
    page = context.new_page()
    page.goto(server + "/")
    page.get_by_role("link", name="Où me faire accompagner ?").click()
    page.get_by_label("Code postal, commune ou adresse").fill("23000")
    page.get_by_label("Ouverts maintenant seulement").check()
    page.get_by_role("button", name="Chercher").click()
    shown = _places(page)
    # What is open depends on the hour. The open places among the ten nearest (unfiltered) are
    # the nearest open ones: the filtered list starts with them, in the same order, and says
    # « Ouvert maintenant » of each. The fixture's médiathèque is open at any hour: always there.
    assert shown and all("Ouvert maintenant" in text for text in shown)
    page.goto(server + "/lieux/?q=23000")
    open_among_nearest = [text for text in _places(page) if "Ouvert maintenant" in text]
    assert shown[: len(open_among_nearest)] == open_among_nearest
    assert any("Médiathèque du Grand Guéret" in text and "Aide aux démarches administratives" in text for text in shown)
    context.close()
    # Same page on a phone with JavaScript (axe needs it): nothing wider than the screen.
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    page = context.new_page()
    page.goto(server + "/lieux/?q=23000&ouvert=1")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    for box in page.locator(".case").all():  # check box + label: a touch target of 44 px at least
        assert box.bounding_box()["height"] >= 44
    assert page.locator("#ouvert").bounding_box()["width"] >= 20
    assert Axe().run(page).response["violations"] == []
    context.close()


def test_conseillere_registers_her_place_and_cannot_label_it_herself(server, page):
    """Journey 4 (registry part): log in, edit services and hours; the labels and the commune
    are not hers to change (the funder qualifies places for the Pass numérique)."""
    page.goto(server + "/connexion/")
    page.get_by_label("Identifiant").fill("conseillere")
    page.get_by_label("Mot de passe").fill(E2E_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/mes-lieux/")
    assert "Espace numérique de Signy" not in page.content()
    page.get_by_role("link", name="Modifier Médiathèque du Grand Guéret").click()
    assert page.get_by_label("Pass numérique accepté").count() == 0 and page.get_by_label("Comptoir du numérique").count() == 0
    page.get_by_label("Horaires (syntaxe OpenStreetMap").fill("n'importe quand")
    page.get_by_role("button", name="Enregistrer").click()
    assert "opening_hours" in page.locator("[role=alert]").inner_text()
    results = Axe().run(page).response["violations"]
    assert results == [], json.dumps([v["id"] for v in results])
    page.get_by_label("Horaires (syntaxe OpenStreetMap").fill("Mo-Su 00:00-24:00")
    page.get_by_label("Parentalité et éducation avec le numérique").check()
    page.get_by_role("button", name="Enregistrer").click()
    assert "Modifications enregistrées" in page.content()
    assert "Parentalité et éducation avec le numérique" in page.content()
    # The other place of the registry is refused on the server.
    page.goto(server + "/lieux/?q=08460")
    page.locator("ol.lieux > li a").first.click()
    assert page.get_by_role("link", name="Modifier ce lieu").count() == 0
    response = page.goto(page.url + "modifier")
    assert response.status == 403


def test_chargee_de_mission_sites_two_comptoirs(server, page):
    """Journey 2 (siting): two new places for the most fragile people within 10 km."""
    page.goto(server + "/territoires/epci/240800862/")
    page.get_by_role("link", name="Où ouvrir de nouveaux lieux ?").click()
    page.get_by_label("Nombre de nouveaux lieux").fill("2")
    page.get_by_label("Rayon d'accès (km)").fill("10")
    page.get_by_label("Qui compter").select_option("fragilite")
    page.get_by_role("button", name="Calculer").click()
    assert page.locator("table", has_text="Nouveaux lieux proposés").locator("tbody tr").count() == 2
    assert "données de démonstration" in page.content()  # weights come from demo fragility inputs
    assert Axe().run(page).response["violations"] == []


@pytest.mark.parametrize(
    "path", ["/lieux/", "/lieux/?q=23000", "/territoires/departement/23/", "/connexion/", "/methodologie/lieux", "/methodologie/implantation"]
)
def test_axe_reports_no_violation_on_places_pages(server, page, path):
    page.goto(server + path)
    violations = Axe().run(page).response["violations"]
    assert violations == [], json.dumps([{"id": v["id"], "nodes": [n["target"] for n in v["nodes"][:3]]} for v in violations], ensure_ascii=False)
