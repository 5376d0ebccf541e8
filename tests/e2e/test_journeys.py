"""End-to-end: a person in a real browser, and the real CLI against a real server's data."""

import json
import subprocess

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import BIN

pytestmark = pytest.mark.e2e


def test_type_gueret_and_land_on_gueret(server, page):
    page.goto(server + "/")
    page.get_by_label("Nom, code postal, code INSEE ou SIREN d'un territoire").fill("gueret")
    suggestion = page.locator("#suggestions a", has_text="Guéret").first
    suggestion.wait_for()
    suggestion.click()
    page.wait_for_url("**/territoires/commune/23096/")
    assert page.locator("h1").inner_text().startswith("Guéret")


def test_search_without_javascript(server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/")
    page.fill("#q", "Signy l Abbaye")
    page.click("button[type=submit]")
    page.wait_for_url("**/territoires/commune/08419/")
    assert "Crêtes Préardennaises" in page.content()
    page.goto(server + "/")
    page.fill("#q", "signy")
    page.click("button[type=submit]")
    page.get_by_role("link", name="Signy-le-Petit", exact=True).click()
    assert page.locator("h1").inner_text().startswith("Signy-le-Petit")
    context.close()


def test_keyboard_reaches_suggestions(server, page):
    page.goto(server + "/")
    page.fill("#q", "signy")
    page.locator("#suggestions a").first.wait_for()
    assert Axe().run(page).response["violations"] == []  # with the suggestions open
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.closest('#suggestions') !== null")


def test_sort_children_by_clicking_a_header(server, page):
    page.goto(server + "/territoires/departement/23/")
    page.get_by_text("Afficher les 255 communes").click()  # the long table is folded
    page.get_by_role("link", name="Nom").click()
    first = page.locator("#sous-territoires tbody tr th").first.inner_text()  # open again after sorting
    assert first.startswith("A")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/territoires/commune/23096/",
        "/territoires/epci/240800862/",
        "/territoires/departement/08/",
        "/france/",
        "/recherche?q=saint-denis",
        "/territoires/commune/99999/",
        "/connectivite-fixe/",
        "/methodologie/connectivite-fixe",
        "/methodologie/fragilite",
        "/methodologie/connectivite-mobile",
        "/methodologie/diagnostic",
        "/territoires/commune/23096/diagnostic/",
        "/territoires/departement/08/diagnostic/",
        "/donnees/",
        "/faire-le-point/",
        "/api/v1/docs",
    ],
)
def test_axe_reports_no_violation(server, page, path):
    page.goto(server + path)
    results = Axe().run(page)
    violations = results.response["violations"]
    assert violations == [], json.dumps([{"id": v["id"], "nodes": [n["target"] for n in v["nodes"][:3]]} for v in violations], ensure_ascii=False)


def test_real_cli_exit_codes(server_env):
    def run(*args):
        return subprocess.run([str(BIN / "terrinum"), *args], env=server_env, capture_output=True, text=True, timeout=120)

    ok = run("territoire", "gueret", "--format", "json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["epci"]["code"] == "200034825"
    assert run("territoire", "SAINT-DENIS").returncode == 2
    unknown = run("territoire", "zzzzqq")
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
    empty = run("territoire", "")
    assert empty.returncode == 1 and "vide" in empty.stderr


def test_maire_reads_fixed_connectivity_of_her_commune(server, page):
    """Journey 1 (part): fibre, premises below 8 and 30 Mbit/s, when fully fibred."""
    page.goto(server + "/")
    page.fill("#q", "signy l abbaye")
    page.click("button[type=submit]")
    page.wait_for_url("**/territoires/commune/08419/")
    section = page.locator("#connectivite-fixe")
    assert "données de démonstration" in section.inner_text()
    assert "Bon haut débit (≥ 8 Mbit/s) pour tous" in section.inner_text()
    assert "Au rythme des derniers trimestres" in section.inner_text()
    section.get_by_text("Série trimestrielle (tableau)").click()
    assert section.locator("details table tbody tr").count() == 7


@pytest.mark.parametrize(
    "path",
    ["/territoires/commune/23096/", "/territoires/epci/240800862/", "/territoires/departement/23/", "/france/", "/connectivite-fixe/", "/lieux/?q=23000", "/",
     "/api/v1/docs", "/donnees/",  # /donnees/ was 523 px wide (hidden labels escaped their scrolling box), methodology pages 468-564 px
     *(f"/methodologie/{m}" for m in ("connectivite-fixe", "connectivite-mobile", "couverture", "diagnostic", "fragilite", "implantation", "lieux", "technologies"))],
)  # fmt: skip
def test_no_horizontal_page_scroll_on_a_phone(server, browser, path):
    """At 390 px the page is as wide as the screen: wide tables scroll inside their own box,
    which takes the keyboard focus; axe finds nothing to say at that width either."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    page = context.new_page()
    page.goto(server + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    for box in page.locator(".defilant").all():
        assert box.get_attribute("tabindex") == "0"
    violations = Axe().run(page).response["violations"]
    assert violations == [], json.dumps([v["id"] for v in violations])
    context.close()


def test_no_content_security_policy_violation(server, page):
    """The strict policy (no inline script or style, nothing from another host) breaks nothing:
    the browser reports no refused resource on the main pages, the places finder and the API
    documentation (written by the server)."""
    refused = []
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    for path in ("/", "/territoires/commune/23096/", "/territoires/departement/23/", "/lieux/?q=23000", "/connectivite-fixe/", "/api/v1/docs"):
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
    assert refused == []
    assert page.locator("article.operation").count() > 20  # the documentation rendered under the policy
