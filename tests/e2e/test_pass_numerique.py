"""32 clients redeem the same voucher at the same moment through the HTTP API of the real
server (Gunicorn, the suite's database: SQLite, or PostgreSQL under .ci/run): exactly one
success, 31 clean refusals, one ledger entry."""

import io
import json
import subprocess
import threading
import urllib.error
import urllib.request

import segno

from tests.e2e.conftest import BIN, E2E_PASSWORD, sign_in, start_server

LEDGER = """
import django, json; django.setup()
from terrinum.apps.pass_numerique.models import Mouvement, Cheque
print(json.dumps([Mouvement.objects.filter(cheque__code="{code}", vers="utilise").count(), Cheque.objects.get(code="{code}").etat]))
"""


def _run(env, *args, stdin=None):
    result = subprocess.run([BIN / "terrinum", *args], env={**env, "TERRINUM_MOT_DE_PASSE": E2E_PASSWORD}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def _python(env, code):
    result = subprocess.run(
        [BIN / "python", "-c", code], env={**env, "DJANGO_SETTINGS_MODULE": "terrinum.web.settings"}, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _accounts(env):
    """The Creuse (funder) and the CCAS of Guéret (prescriber), created or updated."""
    _run(env, "compte", "creer", "creuse", "--organisation", "Département de la Creuse", "--type", "financeur", "--role", "gestionnaire")
    _run(env, "compte", "creer", "ccas", "--organisation", "CCAS de Guéret", "--type", "prescripteur", "--role", "gestionnaire")


def _handed_out_voucher(env, territoire: str, age: str, qualify: bool = True) -> tuple[str, dict]:
    """A voucher of a new programme of the Creuse, handed out by the CCAS (its code as
    printed) and the programme; the Guéret médiathèque qualified for it by the command line
    unless the test has the funder do it on the web."""
    _accounts(env)
    made = json.loads(_run(env, "pass-numerique", "programme", "creer", "--financeur", "Département de la Creuse", "--territoire", territoire,
                           "--carnets", "1", "--cheques-par-carnet", "5", "--prescripteur", "CCAS de Guéret", "--format", "json"))  # fmt: skip
    if qualify:
        assert "qualifié" in _run(env, "pass-numerique", "lieu", "qualifier", "gueret-mediatheque", "--programme", str(made["programme"]))
    code = made["carnets"][0]["cheques"][0]
    _run(env, "pass-numerique", "attribuer", code, "--prescripteur", "CCAS de Guéret", "--age", age, "--commune", "23096", "--motif", "démarches")
    return code, made


def test_32_clients_redeem_one_voucher_once(server_env):
    env = server_env
    code, _ = _handed_out_voucher(env, "departement:23", "75-plus")
    token = _run(env, "compte", "jeton", "conseillere").strip()
    lieu = _python(
        env, 'import django; django.setup()\nfrom terrinum.apps.inclusion.models import Lieu\nprint(Lieu.objects.get(identifiant="gueret-mediatheque").pk)'
    ).strip()
    proc, base = start_server(env, "--workers", "2", "--threads", "8", "--sans-travaux")
    try:
        start, answers = threading.Barrier(32), []

        def client():
            request = urllib.request.Request(
                f"{base}/api/v1/pass-numerique/cheques/{code}/utilisation",
                data=json.dumps({"lieu": int(lieu)}).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                method="POST",
            )
            start.wait()
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    answers.append((response.status, json.loads(response.read())))
            except urllib.error.HTTPError as exc:
                answers.append((exc.code, json.loads(exc.read())))

        threads = [threading.Thread(target=client) for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * 31, statuses
    assert all("déjà utilisé" in body["detail"] for status, body in answers if status == 409)
    assert json.loads(_python(env, LEDGER.replace("{code}", code.replace("-", "")))) == [1, "utilise"]
    assert "concordent" in _run(env, "pass-numerique", "verifier")


SETUP_SETTLEMENT = """
import django, datetime as dt; django.setup()
from django.utils import timezone
from django.contrib.auth.models import User
from terrinum.accounts.models import Organisation
from terrinum.apps.inclusion.models import Lieu
from terrinum.apps.pass_numerique import services
from terrinum.territories.helpers import TerritorySet
funder = Organisation.objects.get(nom="Département de la Creuse", type="financeur")
ccas = Organisation.objects.get(nom="CCAS de Guéret", type="prescripteur")
places = list(Lieu.objects.filter(identifiant__in=["gueret-mediatheque", "gueret-france-services"]))
org = Organisation.objects.get(nom="Médiathèque du Grand Guéret")
Lieu.objects.filter(pk__in=[p.pk for p in places]).update(organisation=org)
programme = services.create_programme(funder, TerritorySet.of("departement", "23"), 2, 10, prescripteurs=[ccas])
first = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
when = dt.datetime(first.year, first.month, 10, 12, tzinfo=timezone.get_current_timezone())
for place in places:
    services.qualify(place, programme, services.PLATFORM, now=when - dt.timedelta(days=9))
user = User.objects.get(username="conseillere")
for n, carnet in enumerate(programme.carnets_emis.order_by("numero")):
    services.attribute(carnet, ccas, tranche_age="25-59", commune_code="23096", motif="démarches")
    for code in carnet.cheques.values_list("code", flat=True)[:3]:
        services.redeem(code, Lieu.objects.get(pk=places[n % 2].pk), user, now=when)
print(f"{first:%Y-%m}")
"""
SETTLE = """
import django, sys, time; django.setup()
from terrinum.apps.pass_numerique import services
def pause(n):
    print("pause", n, flush=True)
    time.sleep(120)
services.settle(sys.argv[1], pause=pause)
"""
COUNT = """
import django, json, sys; django.setup()
from terrinum.apps.pass_numerique.models import Reglement, Cheque, Mouvement
m = sys.argv[1]
print(json.dumps([Reglement.objects.filter(mois=m).count(), Cheque.objects.filter(etat="rembourse").count(), Mouvement.objects.filter(vers="rembourse").count()]))
"""


def test_a_settlement_killed_midway_leaves_nothing_and_the_rerun_completes(server_env):
    env = {**server_env, "DJANGO_SETTINGS_MODULE": "terrinum.web.settings"}
    _accounts(env)
    month = _python(env, SETUP_SETTLEMENT).strip()
    before = json.loads(_python(env, COUNT.replace("sys.argv[1]", repr(month))))
    proc = subprocess.Popen([BIN / "python", "-c", SETTLE, month], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("pause 0")  # every statement is written, not committed
    proc.kill()
    proc.wait(timeout=10)
    proc.stdout.close()
    proc.stderr.close()
    assert json.loads(_python(env, COUNT.replace("sys.argv[1]", repr(month)))) == before  # nothing left by the killed run
    _run(env, "pass-numerique", "reglement", "--mois", month)
    after = json.loads(_python(env, COUNT.replace("sys.argv[1]", repr(month))))
    assert after[0] == before[0] + 2 and after[1] == before[1] + 6 == after[2]
    _run(env, "pass-numerique", "reglement", "--mois", month)  # the rerun changes nothing
    assert json.loads(_python(env, COUNT.replace("sys.argv[1]", repr(month)))) == after
    assert "concordent" in _run(env, "pass-numerique", "verifier")


def test_conseillere_redeems_a_voucher_on_her_phone(server_env, server, browser):
    """Journey 4 (Pass numérique): on a phone, she types the code a person brings; the page
    says it is used; axe finds nothing to say; a photo of the same voucher's QR code is refused
    as already used."""
    from axe_playwright_python.sync_playwright import Axe

    env = server_env
    code, made = _handed_out_voucher(env, "23", "60-74", qualify=False)
    # The funder qualifies the médiathèque for its programme, on the web.
    context, page = sign_in(browser, server, "creuse", "/pass-numerique/", 1280)
    try:
        n = made["programme"]
        page.locator(f"#lieu-q-{n}").select_option(label="Médiathèque du Grand Guéret (Guéret)")
        page.locator(f"#decision-q-{n}").select_option("qualifie")
        page.locator(f"#motif-q-{n}").locator("xpath=ancestor::form").get_by_role("button", name="Enregistrer la décision").click()
        assert "Médiathèque du Grand Guéret : qualifié" in page.get_by_role("status").inner_text()
        table = page.get_by_role("table", name=f"Décisions en vigueur, programme n° {n} ({made['nom']})").inner_text()
        assert "Médiathèque du Grand Guéret" in table and "creuse" in table
        violations = Axe().run(page).response["violations"]
        assert violations == [], json.dumps([v["id"] for v in violations])
    finally:
        context.close()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(server + "/connexion/?next=/pass-numerique/")
        page.get_by_label("Identifiant").fill("conseillere")
        page.get_by_label("Mot de passe").fill(E2E_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/pass-numerique/")
        page.get_by_label("Code du chèque").fill(code.lower().replace("-", " "))
        if page.get_by_label("Lieu", exact=True).count():  # another test gave her account a second place
            page.get_by_label("Lieu", exact=True).select_option(label="Médiathèque du Grand Guéret (Guéret)")
        page.get_by_role("button", name="Utiliser le chèque").click()
        assert "utilisé à Médiathèque du Grand Guéret" in page.get_by_role("status").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        violations = Axe().run(page).response["violations"]
        assert violations == [], json.dumps([v["id"] for v in violations])
        photo = io.BytesIO()  # the same voucher again, from a photo of its QR code this time
        segno.make(code, error="m").save(photo, kind="png", scale=8, border=4)
        page.get_by_label("Ou une photo de son QR code").set_input_files(files=[{"name": "qr.png", "mimeType": "image/png", "buffer": photo.getvalue()}])
        page.get_by_role("button", name="Utiliser le chèque").click()
        assert "déjà utilisé" in page.get_by_role("alert").inner_text()
    finally:
        context.close()


def test_a_resident_not_sure_she_needs_help(server, browser):
    """Journey 11: on a phone, twelve plain questions; she learns which help fits, the nearest
    places offering it and whether the Pass numérique can pay for it."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(server + "/lieux/")
        page.get_by_role("link", name="Faites le point en douze questions").click()
        assert Axe().run(page).response["violations"] == []
        for i, fieldset in enumerate(page.locator("fieldset.question").all()):
            fieldset.get_by_label("Non" if i >= 10 else "Avec de l'aide" if i >= 8 else "Oui, seul·e").check()
        page.get_by_label("Votre commune ou votre code postal").fill("23000")
        page.get_by_role("button", name="Voir l'aide qui me convient").click()
        result = page.get_by_role("status").inner_text()
        assert "Aide aux démarches administratives" in result and "Médiathèque du Grand Guéret" in result and "Pass numérique" in result
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert Axe().run(page).response["violations"] == []
    finally:
        context.close()
