"""Benchmark of the Pass numérique: redemptions through the production server, and the
settlement of a month of one million used vouchers.

    .venv/bin/python bench/pass_numerique.py [--postgres URL] [--clients 32] [--cheques 4000]
                                             [--reglement 1000000] [--lieux 5000] [--donnees var]

Copies an initialised data directory (`./run.sh` leaves one in var/; never modified) to a
temporary one. With `--postgres URL` (an empty database the bench may fill; .ci/run's server
will do), the platform's database is that PostgreSQL database, initialised by `terrinum
init`; otherwise the copy's SQLite file. Then:
1. a programme of `--cheques` vouchers, every carnet handed out, and a place account with an
   API token; `terrinum serve` (Gunicorn) on a free loopback port;
2. `--clients` clients redeem every voucher through `POST /api/v1/pass-numerique/cheques/
   {code}/utilisation`, each voucher sent twice by two different clients at about the same
   time (the second must be refused); then the same clients for the same time on a trivial
   authenticated route (`GET /api/v1/pass-numerique/cheques/{code}`, one lookup): requests/s,
   p50/p99 latency, and the ratio (goal ≥ 0.5×); the count of double spends (goal 0): ledger
   entries "utilisé" beyond one per voucher, and answers 200 beyond one per voucher;
3. `--reglement` used vouchers of last month spread over `--lieux` places (each with its
   file; one in ten public) written straight into the database, then `services.settle` of
   that month timed, then the funder's SEPA transfers file (validated against the XSD) and
   the public places' mandates (goal ≤ 30 s in all for one million vouchers over 5,000 places).
Nothing is asserted: read the figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from charge import served  # bench/charge.py: the server of a benchmark
from copie import copied  # bench/copie.py

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

SETUP = """
import django, json, sys; django.setup()
from django.contrib.auth.models import User
from terrinum.accounts.models import Membership, Organisation
from terrinum.accounts.services import issue_token
from terrinum.apps.inclusion.models import Lieu
from terrinum.apps.pass_numerique import services
from terrinum.territories.helpers import TerritorySet
n = int(sys.argv[1])
funder = Organisation.objects.create(nom="Commanditaire du banc", type="financeur")
ccas = Organisation.objects.create(nom="Prescripteur du banc", type="prescripteur")
org = Organisation.objects.create(nom="Lieu du banc", type="lieu")
lieu = Lieu.objects.create(identifiant="banc", pivot="00000000000000", nom="Lieu du banc", commune="Guéret", code_postal="23000",
                           code_insee="23096", commune_code="23096", adresse="1 rue du Banc", date_maj="2026-01-01", pass_numerique=True, organisation=org)
user = User.objects.create_user("banc-lieu", password="banc-mot-de-passe-long")
Membership.objects.create(user=user, organisation=org, role="gestionnaire")
programme = services.create_programme(funder, TerritorySet.of("departement", "23"), n // 10, 10, prescripteurs=[ccas], lieux=[lieu])
for carnet in programme.carnets_emis.all():
    services.attribute(carnet, ccas, tranche_age="25-59", commune_code="23096", motif="banc")
print(json.dumps({"token": issue_token("banc-lieu"), "lieu": lieu.pk, "codes": list(programme.cheques.values_list("code", flat=True))}))
"""

COUNT = """
import django, json; django.setup()
from django.db.models import Count
from terrinum.apps.pass_numerique.models import Mouvement
used = Mouvement.objects.filter(vers="utilise")
print(json.dumps({"entrees": used.count(), "cheques": used.values("cheque").distinct().count()}))
"""

SETTLE = """
import django, datetime as dt, json, sys, time; django.setup()
from django.db import connection, transaction
from django.utils import timezone
from stdnum import luhn
from terrinum.apps.inclusion.models import Lieu
from terrinum.apps.pass_numerique import paiements, services
from terrinum.apps.pass_numerique.models import Carnet, Cheque, CompteFinanceur, Mouvement, Programme, Structure
from terrinum.accounts.models import Organisation
n, places = int(sys.argv[1]), int(sys.argv[2])
funder = Organisation.objects.get(nom="Commanditaire du banc")
first = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
month = f"{first:%Y-%m}"
when = f"{first:%Y-%m}-15 12:00:00+00:00"


def siret(k):
    siren = f"{k:08d}" + luhn.calc_check_digit(f"{k:08d}")
    return siren + "0001" + luhn.calc_check_digit(siren + "0001")


start = time.perf_counter()
with transaction.atomic():
    org = Organisation.objects.create(nom="Lieux du règlement du banc", type="lieu")
    made = Lieu.objects.bulk_create(
        Lieu(identifiant=f"banc-reglement-{k}", pivot="00000000000000", nom=f"Lieu du banc {k}", commune="Guéret", code_postal="23000", code_insee="23096",
             commune_code="23096", adresse="1 rue du Banc", date_maj="2026-01-01", pass_numerique=True, organisation=org)
        for k in range(places)
    )
    ids = list(Lieu.objects.filter(identifiant__startswith="banc-reglement-").order_by("id").values_list("id", flat=True))
    Structure.objects.bulk_create(
        Structure(lieu_id=pk, raison_sociale=f"Association du banc {k}", siret=siret(10_000_000 + k), representant="Présidence", publique=k % 10 == 0,
                  titulaire=f"ASSOCIATION DU BANC {k}", iban="FR7630006000011234567890189", bic="AGRIFRPP")
        for k, pk in enumerate(ids)
    )
    CompteFinanceur.objects.update_or_create(financeur=funder, defaults={"titulaire": "COMMANDITAIRE DU BANC", "iban": "FR7630001007941234567890185", "bic": "BDFEFRPP"})
    p = Programme.objects.create(nom="Règlement du banc", financeur=funder, territoire_niveau="departement", territoire_code="23", carnets=n // 10,
                                 cheques_par_carnet=10, fin_validite=dt.date(first.year, 12, 31), fin_tolerance=dt.date(first.year + 1, 1, 31))
    c, ch, mv = Carnet._meta.db_table, Cheque._meta.db_table, Mouvement._meta.db_table
    series = "generate_series(1, %s) AS s(i)" if connection.vendor == "postgresql" else "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %s) SELECT i FROM s) AS s"
    pad = "lpad(CAST(i AS TEXT), 12, '0')" if connection.vendor == "postgresql" else "substr('000000000000' || i, -12, 12)"
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {c} (programme_id, numero) SELECT %s, i FROM {series}", [p.pk, n // 10])
        cur.execute(f"SELECT min(id) FROM {c} WHERE programme_id = %s", [p.pk])
        base = cur.fetchone()[0]
        # the vouchers spread over the places (their ids are consecutive)
        cur.execute(f"INSERT INTO {ch} (code, programme_id, carnet_id, etat, lieu_id, utilise_le) SELECT 'R' || {pad}, %s, %s + (i - 1) / 10, 'utilise', %s + (i %% %s), %s FROM {series}",
                    [p.pk, base, ids[0], places, when, n])
        cur.execute(f"INSERT INTO {mv} (cheque_id, de, vers, quand, lieu_id) SELECT id, 'attribue', 'utilise', %s, lieu_id FROM {ch} WHERE programme_id = %s", [when, p.pk])
written = time.perf_counter() - start
start = time.perf_counter()
made = services.settle(month)
seconds = time.perf_counter() - start
start = time.perf_counter()
transfers = paiements.sepa_transfers(month, funder)
sepa = time.perf_counter() - start
start = time.perf_counter()
mandates = paiements.mandates(month, funder, "csv")
mandate_s = time.perf_counter() - start
print(json.dumps({"ecriture": written, "reglement": seconds, "releves": len(made), "cheques": sum(r.cheques for r in made), "sepa": sepa,
                  "virements": transfers.count, "octets": len(transfers.xml), "mandats": mandate_s, "lignes_mandats": len(mandates.splitlines()) - 1}))
"""


def python(env: dict, code: str, *args: str) -> str:
    done = subprocess.run([BIN / "python", "-c", code, *args], env={**env, "DJANGO_SETTINGS_MODULE": "terrinum.web.settings"}, capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr)
    return done.stdout


def run(port: int, clients: int, work: list[tuple[str, str, bytes | None]], headers: dict, seconds: float | None = None) -> dict:
    """The clients take requests from `work` in turn (or repeat them for `seconds`)."""
    latencies, statuses, lock = [], [], threading.Lock()
    position = iter(range(len(work) if seconds is None else 1 << 62))
    stop = time.monotonic() + (seconds or 1e9)

    def client():
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, seen = [], []
        while time.monotonic() < stop:
            with lock:
                i = next(position, None)
            if i is None:
                break
            method, path, body = work[i % len(work)]
            t = time.perf_counter()
            try:
                con.request(method, path, body=body, headers=headers)
                response = con.getresponse()
                response.read()
                seen.append(response.status)
            except (OSError, http.client.HTTPException):
                seen.append(0)
                con.close()
                con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine.append(time.perf_counter() - t)
        con.close()
        with lock:
            latencies.extend(mine)
            statuses.extend(seen)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    q = statistics.quantiles(latencies, n=100)
    return {"rps": len(latencies) / elapsed, "p50": q[49], "p99": q[98], "n": len(latencies), "elapsed": elapsed, "statuses": statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", help="URL d'une base PostgreSQL vide (sinon SQLite).")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--cheques", type=int, default=4000)
    parser.add_argument("--reglement", type=int, default=1_000_000)
    parser.add_argument("--lieux", type=int, default=5000, help="Lieux entre lesquels se répartissent les chèques du règlement.")
    parser.add_argument("--donnees", type=Path, default=Path(os.environ.get("TERRINUM_DATA_DIR", ROOT / "var")))
    args = parser.parse_args()
    with copied(args.donnees, "terrinum-pass-", "exports") as data:
        env = {**os.environ, "TERRINUM_DATA_DIR": str(data)}
        env.pop("DATABASE_URL", None)
        if args.postgres:
            env["DATABASE_URL"] = args.postgres
            done = subprocess.run([BIN / "terrinum", "init"], env=env, capture_output=True, text=True)
            if done.returncode:
                sys.exit(done.stderr)
        print(f"Base : {'PostgreSQL' if args.postgres else 'SQLite'} ; {args.clients} clients ; {args.cheques} chèques remis")
        t = time.perf_counter()
        made = json.loads(python(env, SETUP, str(args.cheques)))
        print(f"  programme créé et carnets remis en {time.perf_counter() - t:.1f} s")
        with served(env, "--sans-travaux") as (port, _):
            headers = {"Authorization": f"Bearer {made['token']}", "Content-Type": "application/json"}
            body = json.dumps({"lieu": made["lieu"]}).encode()
            codes = made["codes"]
            # each voucher twice, the second request one position later: two clients at once
            work = [("POST", f"/api/v1/pass-numerique/cheques/{code}/utilisation", body) for code in codes for _ in range(2)]
            redeem = run(port, args.clients, work, headers)
            ok = redeem["statuses"].count(200)
            refused = redeem["statuses"].count(409)
            trivial = run(port, args.clients, [("GET", f"/api/v1/pass-numerique/cheques/{code}", None) for code in codes], headers, seconds=redeem["elapsed"])
            ledger = json.loads(python(env, COUNT))
            print(
                f"  utilisation     {redeem['rps']:8.1f} req/s  p50 {1000 * redeem['p50']:6.0f} ms  p99 {1000 * redeem['p99']:6.0f} ms  "
                f"{redeem['rps'] / trivial['rps']:.2f}× la route triviale"
            )
            print(f"  route triviale  {trivial['rps']:8.1f} req/s  p50 {1000 * trivial['p50']:6.0f} ms  p99 {1000 * trivial['p99']:6.0f} ms")
            others = len(redeem["statuses"]) - ok - refused
            print(f"  réponses : {ok} utilisés, {refused} refus « déjà utilisé », {others} autres ; chèques : {len(codes)}")
            print(f"  doubles dépenses : {ok - len(codes) if ok > len(codes) else 0} en réponses, {ledger['entrees'] - ledger['cheques']} au registre")
        if args.reglement:
            settled = json.loads(python(env, SETTLE, str(args.reglement), str(args.lieux)))
            total = settled["reglement"] + settled["sepa"] + settled["mandats"]
            print(
                f"  règlement d'un mois de {n(settled['cheques'])} chèques utilisés dans {n(settled['releves'])} lieux : {settled['reglement']:.1f} s "
                f"({n(settled['cheques'] / settled['reglement'])} chèques/s ; écriture préalable {settled['ecriture']:.1f} s)"
            )
            print(
                f"  virements SEPA (pain.001.001.03, validés par le XSD) : {n(settled['virements'])} virements, {settled['octets'] / 1e6:.1f} Mo, en {settled['sepa']:.1f} s"
            )
            print(f"  mandats des lieux publics : {n(settled['lignes_mandats'])} lignes en {settled['mandats']:.1f} s")
            print(f"  règlement et paiement : {total:.1f} s (but ≤ 30 s)")


def n(value: float) -> str:
    """A count in French: thin spaces between thousands."""
    return f"{value:,.0f}".replace(",", "\u202f")


if __name__ == "__main__":
    main()
