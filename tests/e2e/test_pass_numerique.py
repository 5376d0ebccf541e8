"""32 clients redeem the same voucher at the same moment through the HTTP API of the real
server (Gunicorn, the suite's database: SQLite, or PostgreSQL under .ci/run): exactly one
success, 31 clean refusals, one ledger entry."""

import json
import subprocess
import threading
import urllib.error
import urllib.request

from tests.e2e.conftest import BIN, E2E_PASSWORD, start_server

LABEL = """
import django; django.setup()
from terrinum.apps.inclusion.models import Lieu
Lieu.objects.filter(identifiant="gueret-mediatheque").update(pass_numerique=True)
"""
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
    result = subprocess.run([BIN / "python", "-c", code], env={**env, "DJANGO_SETTINGS_MODULE": "terrinum.web.settings"}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_32_clients_redeem_one_voucher_once(server_env):
    env = server_env
    _run(env, "compte", "creer", "creuse", "--organisation", "Département de la Creuse", "--type", "financeur", "--role", "gestionnaire")
    _run(env, "compte", "creer", "ccas", "--organisation", "CCAS de Guéret", "--type", "prescripteur", "--role", "gestionnaire")
    _python(env, LABEL)
    made = json.loads(_run(env, "pass-numerique", "programme", "creer", "--financeur", "Département de la Creuse", "--territoire", "departement:23",
                           "--carnets", "2", "--cheques-par-carnet", "5", "--prescripteur", "CCAS de Guéret", "--format", "json"))  # fmt: skip
    code = made["carnets"][0]["cheques"][0]
    _run(env, "pass-numerique", "attribuer", code, "--prescripteur", "CCAS de Guéret", "--age", "75-plus", "--commune", "23096", "--motif", "démarches")
    token = _run(env, "compte", "jeton", "conseillere").strip()
    lieu = _python(env, 'import django; django.setup()\nfrom terrinum.apps.inclusion.models import Lieu\nprint(Lieu.objects.get(identifiant="gueret-mediatheque").pk)').strip()
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
