"""Journey 3 in Chromium, against the real server: the shared DPO of a centre de gestion
pushes a model activity to every register in one action, sees the drafts, the requests due
and the countdown of a breach a commune reported; the commune's secretary sees only her own
register; the public register. axe finds nothing on any page, at 1280 and 390 px."""

import datetime as dt
import json
import subprocess

from terrinum.apps.rgpd.echeances import request_deadline
from tests.e2e.conftest import BIN, axe_clean, e2e_now, run_cli, sign_in

STRUCTURE = "Centre de gestion des Ardennes"
COMMUNES = {"08419": "Commune de Signy-l'Abbaye", "08362": "Commune de Rethel", "08105": "Commune de Charleville-Mézières"}
IDS = """
import django, json; django.setup()
from terrinum.apps.rgpd.models import Collectivite
print(json.dumps({c.organisation.nom: c.pk for c in Collectivite.objects.select_related("organisation")}))
"""


def _setup(env) -> dict[str, int]:
    run_cli(env, "compte", "creer", "dpo-cdg08", "--organisation", STRUCTURE, "--type", "mutualisation", "--role", "dpo")
    for code, nom in COMMUNES.items():
        run_cli(env, "rgpd", "adherer", "--structure", STRUCTURE, "--organisation", nom, "--territoire", code)
    run_cli(env, "compte", "creer", "secretaire-signy", "--organisation", COMMUNES["08419"], "--type", "collectivite", "--role", "gestionnaire")
    result = subprocess.run(
        [BIN / "python", "-c", IDS], env={**env, "DJANGO_SETTINGS_MODULE": "terrinum.web.settings"}, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def received_for_a_deadline_this_week(now: dt.datetime) -> dt.datetime:
    """A reception moment about 25 days ago whose legal deadline falls within the next six
    days whatever today is: a deadline moved past a weekend or a public holiday must not take
    the request out of the DPO's week (the rule itself is swept over a year of injected dates
    in tests/apps/rgpd/test_due_soon_calendar.py)."""
    for days in range(25, 40):
        received = now - dt.timedelta(days=days)
        if now < request_deadline(received, departement="08").due <= now + dt.timedelta(days=6):
            return received
    raise AssertionError(f"aucune date de réception ne donne une échéance dans la semaine du {now:%d/%m/%Y}")


def test_the_shared_dpo_and_a_commune_s_secretary(server_env, server, browser):
    ids = _setup(server_env)
    signy = ids[COMMUNES["08419"]]
    # The secretary of Signy records a rights request and a breach found two hours ago.
    context, page = sign_in(browser, server, "secretaire-signy", "/rgpd/", 390)
    try:
        assert "Commune de Rethel" not in page.content()
        page.get_by_role("link", name=COMMUNES["08419"]).click()
        page.get_by_label("Droit exercé").select_option(label="Accès (art. 15)")
        now = e2e_now()
        page.get_by_label("Reçue le (heure locale de la collectivité)").fill(received_for_a_deadline_this_week(now).strftime("%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name="Enregistrer la demande").click()
        assert "réponse due au plus tard le" in page.get_by_role("status").inner_text()
        page.get_by_label("Connue le (heure locale de la collectivité)").fill((now - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("Confidentialité", exact=True).check()
        page.get_by_label("Cause").fill("Courriel envoyé à une mauvaise liste de diffusion")
        page.get_by_label("Données concernées").fill("Adresses électroniques des parents d'élèves")
        page.get_by_label("Nombre approximatif de personnes concernées").fill("120")
        page.get_by_label("Risque pour les personnes").select_option("risque")
        page.get_by_role("button", name="Enregistrer la violation").click()
        assert "Notification à la CNIL au plus tard le" in page.get_by_role("status").inner_text()
        axe_clean(page, 390)
        assert page.goto(f"{server}/rgpd/{ids[COMMUNES['08362']]}/").status == 404  # Rethel is not hers
    finally:
        context.close()
    # The DPO pushes « Listes électorales » to every register in one action.
    context, page = sign_in(browser, server, "dpo-cdg08", "/rgpd/", 1280)
    try:
        page.get_by_label("Modèle", exact=True).select_option(label="Listes électorales")
        for nom in COMMUNES.values():
            page.get_by_label(nom, exact=True).check()
        page.get_by_role("button", name="Copier le modèle").click()
        assert "Modèle copié dans 3 registre(s)" in page.get_by_role("status").inner_text()
        countdown = page.get_by_role("table", name="Violations à notifier à la CNIL (72 heures après leur découverte)")
        assert "reste 2 j 2" in countdown.inner_text() or "reste 2 j 1" in countdown.inner_text()  # about 70 hours left
        assert "Accès (art. 15)" in page.get_by_role("table", name="Demandes de droits à traiter dans les 7 jours, ou en retard").inner_text()
        registers = page.get_by_role("table", name="Registres et échéances par collectivité").inner_text()
        assert all(nom in registers for nom in COMMUNES.values())
        axe_clean(page, 1280)
        page.goto(f"{server}/rgpd/{signy}/")
        page.get_by_role("link", name="Listes électorales").click()
        axe_clean(page, 1280)
        page.get_by_role("button", name="Marquer « terminé » (à vérifier par le DPO)").click()
        page.get_by_label("Recommandations du DPO").fill("Préciser la durée de conservation des listes d'émargement.")
        page.get_by_role("button", name="Marquer « vérifié »").click()
        assert "Vérifié par le DPO" in page.content()
        page.goto(f"{server}/rgpd/{signy}/")
        page.get_by_role("button", name="Publier le registre").click()
    finally:
        context.close()
    public = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 900}).new_page()
    try:
        public.goto(f"{server}/registres/{signy}/")
        assert "Listes électorales" in public.content() and "Mesures de sécurité" not in public.content()
        axe_clean(public, 390)
    finally:
        public.context.close()
