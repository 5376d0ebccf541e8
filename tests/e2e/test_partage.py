"""The shared diagnostic end to end in Chromium, against the real server: the lead of the CC
des Crêtes Préardennaises opens a démarche, invites three participants (two with accounts,
one by link), they contribute, the lead consolidates, validates, builds a plan of three
actions with financing and downloads the PDF; a revoked link gets a clear refusal; axe finds
nothing on any page."""

import datetime as dt
import re

from tests.e2e.conftest import axe_clean, e2e_today, run_cli, sign_in

CRETES = "CC des Crêtes Préardennaises (diagnostic partagé)"


def _contribute(page, theme, level, text, send=True):
    """Answer a theme: the form shows one theme at a time; another is opened from the progress summary."""
    section = page.locator(f"form:has(input[name=theme][value={theme}])")
    if not section.count():
        page.locator(f".avancement a[href^='?theme={theme}']").click()
    section.get_by_label(str(level), exact=False).first.check()
    section.get_by_label(re.compile("^Difficultés constatées")).fill(text)
    section.get_by_role("button", name=re.compile("^Envoyer" if send else "^Enregistrer")).click()


def test_a_shared_diagnostic_from_invitation_to_plan(server_env, server, browser):
    env = server_env
    run_cli(env, "compte", "creer", "porteur-cretes", "--organisation", CRETES, "--territoire", "240800862", "--role", "gestionnaire")
    run_cli(
        env,
        "compte",
        "creer",
        "maire-signy",
        "--organisation",
        "Commune de Signy-l'Abbaye (diagnostic partagé)",
        "--territoire",
        "08419",
        "--role",
        "gestionnaire",
    )
    run_cli(
        env,
        "compte",
        "creer",
        "france-services",
        "--organisation",
        "France Services de Signy (diagnostic partagé)",
        "--type",
        "prescripteur",
        "--role",
        "gestionnaire",
    )
    context, page = sign_in(browser, server, "porteur-cretes", "/diagnostic-partage/")
    try:
        page.get_by_label("Titre").fill("Diagnostic numérique des Crêtes")
        page.get_by_label("Fin de la consultation").fill((e2e_today() + dt.timedelta(days=45)).isoformat())
        page.get_by_role("button", name="Ouvrir la démarche").click()
        url = page.url
        axe_clean(page)
        for org in ("Commune de Signy-l'Abbaye (diagnostic partagé)", "France Services de Signy (diagnostic partagé)"):
            page.get_by_label("Une organisation qui a des comptes").select_option(label=org)
            page.get_by_role("button", name="Inviter l'organisation").click()
        page.get_by_label("Un partenaire sans compte : nom").fill("Médiathèque de Signy")
        page.get_by_role("button", name="Créer son lien d'invitation").click()
        link = re.search(r"https?://[^ <]+/contribuer/[A-Za-z0-9_-]+/", page.content()).group(0)
        page.get_by_label("Un partenaire sans compte : nom").fill("Association des parents")
        page.get_by_role("button", name="Créer son lien d'invitation").click()
        revoked = re.search(r"https?://[^ <]+/contribuer/[A-Za-z0-9_-]+/", page.content()).group(0)
        page.get_by_role("button", name="Révoquer le lien de Association des parents").click()
        page.get_by_role("button", name="Ouvrir la consultation").click()
        axe_clean(page)
    finally:
        context.close()
    # the two organisations with accounts, on a phone for the mayor
    for user, width, answers in (
        ("maire-signy", 390, (("connectivite-mobile", 5), ("inclusion", 4))),
        ("france-services", 1280, (("connectivite-mobile", 4), ("services-en-ligne", 5))),
    ):
        context, page = sign_in(browser, server, user, "/diagnostic-partage/", width)
        try:
            page.goto(url)
            for theme, level in answers:
                _contribute(page, theme, level, f"Constat de {user} sur {theme}")
                assert "contribution envoyée" in page.get_by_role("status").inner_text()
            axe_clean(page)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        finally:
            context.close()
    # the library, by its link, without an account; the revoked link is refused
    anonymous = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 900})
    page = anonymous.new_page()
    try:
        page.goto(link)
        assert page.evaluate("document.documentElement.scrollHeight") < 3000  # was 8,409 px: seven forms
        _contribute(page, "connectivite-mobile", 5, "Les usagers n'ont pas de réseau pour leurs démarches")
        assert "contribution envoyée" in page.get_by_role("status").inner_text()
        assert "Avancement : 1 envoyé(s) sur" in page.locator(".avancement").inner_text()
        axe_clean(page)
        assert page.goto(revoked).status == 403 and "révoqué" in page.get_by_role("alert").inner_text()
        axe_clean(page)
    finally:
        anonymous.close()
    # the lead consolidates, validates, plans, downloads the PDF
    context, page = sign_in(browser, server, "porteur-cretes", "/diagnostic-partage/")
    try:
        page.goto(url)
        page.get_by_role("button", name="Clore la consultation et consolider").click()
        table = page.get_by_role("table", name=re.compile("^Niveaux de difficulté envoyés")).inner_text()
        assert "Connectivité mobile\t3" in table
        axe_clean(page)
        page.get_by_role("button", name="Valider le diagnostic (le figer)").click()
        assert "Diagnostic validé" in page.get_by_role("status").inner_text()
        for title, inv, financer, amount in (
            ("Deux conseillers numériques itinérants", "0", "État (ANCT)", "60000"),
            ("Pylône de la Vallée", "250000", "Département", "100000"),
            ("Formation des secrétaires de mairie", "8000", "Fonds propres", "8000"),
        ):
            page.locator("#a-intitule").fill(title)
            page.get_by_label("Investissement (euros)").fill(inv)
            page.get_by_label("Fonctionnement (euros)").fill("5000")
            page.get_by_label("Début", exact=True).fill("2027-01-01")
            page.get_by_label("Fin", exact=True).fill("2027-12-31")
            page.get_by_role("button", name="Ajouter l'action").click()
            page.locator("#f-action").select_option(label=title)
            page.get_by_label("Financeur").fill(financer)
            page.get_by_label("Année").fill("2027")
            page.get_by_label("Montant (euros)").fill(amount)
            page.get_by_role("button", name="Ajouter le financement").click()
            assert "Financement ajouté" in page.get_by_role("status").inner_text()
        plan = page.get_by_role("table", name="Actions, financements et suivi de leur indicateur").inner_text()
        assert "Pylône de la Vallée" in plan and "Département 2027 : 100\u202f000 €" in plan
        assert "reste à financer : 105\u202f000 €" in page.content()  # 273 000 of costs, 168 000 financed
        axe_clean(page)
        with page.expect_download() as download:
            page.get_by_role("link", name="Le document PDF").click()
        assert download.value.suggested_filename.endswith(".pdf")
        with open(download.value.path(), "rb") as f:
            assert f.read(5) == b"%PDF-"
    finally:
        context.close()
